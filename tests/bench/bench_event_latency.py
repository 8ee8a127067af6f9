#!/usr/bin/env python3
"""How soon an event leaves: from the poll of the reading that raised it to a QoS 1 subscriber.

    tests/bench/bench_event_latency.py [--seconds 300] [--period-s 8] [--runs 1] [--out FILE]

32 SDM630 meters on one sealwatch-sim TCP port, polled every second (the agent at its
defaults); meter m01 feeds a sealed asset (standby 300 W; `min_off_s = 2` instead of 30 min so
that the alarm can clear) whose draw steps between 100 W and 50 kW every period/2 seconds, so
`reenergized` is raised and cleared once per period. An
event's `ts` is the wall-clock time of the poll whose reading raised (or cleared) it; a
mosquitto_sub on P/event, read by a thread that stamps each line with the wall clock as it
arrives, gives the latency = arrival - ts. It includes the Modbus poll itself, the queue to
the main loop, detection, the event's commit, the outbox commit with synchronous = FULL that
gives it its seq (an fdatasync), and MQTT over loopback. Prints one JSON line per run.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def ts_seconds(text):
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def scenario(period_s, seconds):
    text = bl.sim_scenario(32, "eastron-sdm630")
    steps = []
    t = 0
    while t < seconds + 120:
        steps.append(f'{{ at = "{t}s", p_w = 100 }}')
        steps.append(f'{{ at = "{t + period_s // 2}s", p_w = 50000 }}')
        t += period_s
    # Meter 1's program is replaced by the stepping one.
    first = text.index('program = [{ at = "0s", p_w = 1100 }]')
    end = text.index("\n", first)
    return text[:first] + "program = [" + ", ".join(steps) + "]" + text[end:]


def one_run(a):
    b = bl.Bench(keep=a.keep)
    sub = None
    try:
        path = b.write("scenario.toml", scenario(a.period_s, a.seconds))
        sim = b.start([bl.binary("sealwatch-sim"), "--scenario", path, "--tcp", "127.0.0.1:0"],
                      "sim")
        line = sim.wait_stdout(lambda l: l.startswith("listening tcp"), 20)
        sim.wait_stdout(lambda l: l == "ready", 20)
        sim_port = int(line.rsplit(":", 1)[1])
        broker, mqtt_port = b.broker()
        conf = bl.agent_config(b.path("data"), sim_port, mqtt_port)
        conf += ('\n[[asset]]\nid = "furnace-1"\nkind = "induction_furnace"\nstate = "sealed"\n'
                 'meters = ["m01"]\nstandby_w = 300\nmin_off_s = 2\n')  # clears within a period
        conf_path = b.write("agent.toml", conf)
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(mqtt_port), "-t",
                                "#", "-v", "-q", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        arrivals = []

        def read():
            for raw in sub.stdout:
                arrivals.append((time.time(), raw.decode("utf-8", "replace").rstrip("\n")))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(0.3)
        agent = b.start([bl.binary("sealwatchd"), "--config", conf_path], "agent")
        load0 = bl.loadavg()
        time.sleep(a.seconds)
        load1 = bl.loadavg()
        agent.stop()
        sub.terminate()
        sub.wait(10)
        reader.join(5)
        lat = {"raised": [], "cleared": []}
        for t, text in arrivals:
            topic, _, payload = text.partition(" ")
            if not topic.endswith("/event"):
                continue
            e = json.loads(payload)
            if e.get("type") == "reenergized" and e.get("state") in lat:
                lat[e["state"]].append((t - ts_seconds(e["ts"])) * 1000)
        out = {"bench": "event_latency", "label": a.label, "seconds": a.seconds,
               "period_s": a.period_s, "load_before": load0, "load_after": load1}
        for state, v in lat.items():
            v.sort()
            out[state] = ({"n": len(v), "p50_ms": round(v[len(v) // 2], 2),
                           "p95_ms": round(v[int(len(v) * 0.95)], 2),
                           "min_ms": round(v[0], 2), "max_ms": round(v[-1], 2)} if v else None)
        return out
    finally:
        if sub and sub.poll() is None:  # started here, stopped here by its own PID
            sub.terminate()
            sub.wait(10)
        b.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--period-s", type=int, default=8)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out")
    ap.add_argument("--label", default="")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    print(f"# {bl.machine()}; load {bl.loadavg()}", file=sys.stderr)
    for _ in range(a.runs):
        bl.emit(one_run(a), a.out)


if __name__ == "__main__":
    main()
