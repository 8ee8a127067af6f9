#!/usr/bin/env python3
"""Drain after an outage: how fast sealwatchd empties a backlog of N readings into a local
mosquitto once the broker is reachable.

    tests/bench/bench_drain.py [--readings 1000000] [--values 8] [--batch 200] [--inflight 32]
                               [--runs 3] [--out results.jsonl] [--timeout 600]

Per run: bench_store pre-fills a fresh store with N readings through the store API (32 meters,
1 s apart, `--values` values each; the same rows the daemon writes), then sealwatchd starts
against a running mosquitto with a subscriber (mosquitto_sub, QoS 1, on the telemetry topic)
counting messages. The agent has no meters to poll (an empty bus list), so it only drains.
"Drained" = meta sent.readings == max(readings.id) and the outbox is empty (every message
acknowledged), polled every 0.1 s on a read-only connection. Reported: time from the agent's
start to the first message at the subscriber, to drained; messages/s and readings/s over
first-message -> drained; the agent's CPU and write_bytes during the drain; and the check
that the subscriber got every message (count == next_seq - 1).
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def config(data_dir, mqtt_port, batch, inflight, delay_ms):
    return (f'[gateway]\nid = "gw-bench"\nsite = "plant-bench"\ndata_dir = "{data_dir}"\n'
            f'timezone = "UTC"\n\n[uplink]\nhost = "127.0.0.1"\nport = {mqtt_port}\n'
            f"insecure = true\nbatch_max_readings = {batch}\nmax_inflight = {inflight}\n"
            f"batch_max_delay_ms = {delay_ms}\n")


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def one_run(a):
    b = bl.Bench(keep=a.keep)
    pid = None
    try:
        data = b.path("data")
        os.makedirs(data)
        db = os.path.join(data, "sealwatch.db")
        t = time.monotonic()
        fill = subprocess.run([bl.binary("bench_store"), "--db", db, "--readings", str(a.readings),
                               "--values", str(a.values), "--batch", "1000", "--keep"],
                              check=True, capture_output=True, text=True)
        prefill_s = time.monotonic() - t
        subprocess.run(["sync"], check=True)
        db_bytes = os.path.getsize(db)

        broker, mqtt_port = b.broker()
        sub_out = open(b.path("sub.log"), "wb")
        sub = b.start(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(mqtt_port), "-q", "1",
                       "-t", "sealwatch/v1/plant-bench/gw-bench/telemetry", "-F", "%U %l"],
                      "sub", stdout=sub_out)
        time.sleep(0.5)
        conf = b.write("agent.toml", config(data, mqtt_port, a.batch, a.inflight, 1000))
        check = subprocess.run([bl.binary("sealwatchd"), "--config", conf, "--check"],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("config rejected: " + check.stdout + check.stderr)
        max_id = bl.db_query(db, "SELECT max(id) FROM readings")[0][0]
        load0 = bl.loadavg()
        t0 = time.monotonic()
        wrap = a.wrap.split() if a.wrap else []
        agent = b.start(wrap + [bl.binary("sealwatchd"), "--config", conf], "agent")
        pid = agent.pid
        if wrap:  # the agent is the wrapper's child: measure it, not the wrapper
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
                if kids:
                    pid = int(kids[0])
                    break
                time.sleep(0.01)
        io0 = bl.io_counters(pid)
        brc0 = bl.cpu_ticks(broker.pid)
        t_first = None
        rss_max = 0
        last_cpu = last_io = None
        while True:
            now = time.monotonic()
            if now - t0 > a.timeout:
                raise RuntimeError(f"not drained after {a.timeout}s")
            if not agent.alive():
                raise RuntimeError("agent died:\n" + open(agent.stderr_path).read()[-2000:])
            last_cpu = bl.cpu_ticks(pid)
            last_io = bl.io_counters(pid)
            rss_max = max(rss_max, bl.status_kb(pid, "VmRSS") or 0)
            if t_first is None and os.path.getsize(b.path("sub.log")) > 0:
                t_first = now
            try:
                sent = bl.db_query(db, "SELECT value FROM meta WHERE key = 'sent.readings'")
                outbox = bl.db_query(db, "SELECT count(*) FROM outbox")[0][0]
            except Exception:  # busy for longer than the timeout: try again
                sent, outbox = [], 1
            if sent and int(sent[0][0]) >= max_id and outbox == 0:
                t_done = now
                break
            time.sleep(0.1)
        cpu = last_cpu / bl.CLK_TCK  # since the agent started: all of it is the drain
        wb = last_io["write_bytes"] - io0["write_bytes"]
        brc1 = bl.cpu_ticks(broker.pid)
        load1 = bl.loadavg()
        next_seq = int(bl.db_query(db, "SELECT value FROM meta WHERE key = 'next_seq'")[0][0])
        time.sleep(1.0)
        if pid != agent.pid:  # wrapped: stop the agent itself, so the wrapper can report
            os.kill(pid, signal.SIGTERM)
            agent.p.wait(30)
        agent.stop()
        sub.stop()
        received = count_lines(b.path("sub.log"))
        payload_bytes = 0
        with open(b.path("sub.log")) as f:
            for line in f:
                payload_bytes += int(line.split()[1])
        msgs = next_seq - 1
        span = t_done - (t_first or t0)
        return {
            "bench": "drain", "readings": a.readings, "values": a.values, "batch": a.batch,
            "inflight": a.inflight, "load_before": load0, "load_after": load1,
            "prefill_s": round(prefill_s, 2), "prefill": fill.stdout.strip(),
            "db_bytes": db_bytes,
            "t_first_msg_s": round((t_first or t0) - t0, 3), "t_drained_s": round(t_done - t0, 3),
            "messages": msgs, "received": received, "payload_mb": round(payload_bytes / 1e6, 1),
            "msgs_per_s": msgs / span, "readings_per_s": a.readings / span,
            "readings_per_s_from_start": a.readings / (t_done - t0),
            "agent_cpu_s": round(cpu, 2), "broker_cpu_s": round((brc1 - brc0) / bl.CLK_TCK, 2),
            "agent_rss_kib_max": rss_max,
            "write_bytes": wb, "write_bytes_per_msg": wb / msgs if msgs else None,
        }
    finally:
        # Wrapped (--wrap), the agent is the wrapper's child: stopping the wrapper alone could
        # leave it running.
        if pid and b.procs and pid != b.procs[-1].pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        b.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--readings", type=int, default=1000000)
    ap.add_argument("--values", type=int, default=8)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--inflight", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--wrap", help="command prefix for sealwatchd, e.g. 'strace -f -c -o FILE' "
                                   "(diagnosis only: it changes the timing)")
    a = ap.parse_args()
    print(f"# {bl.machine()}; load {bl.loadavg()}", file=sys.stderr)
    for _ in range(a.runs):
        bl.emit(one_run(a), a.out)


if __name__ == "__main__":
    main()
