#!/usr/bin/env python3
"""sealwatchd polling 32 SDM630 meters (32 unit ids on one sealwatch-sim TCP port on loopback)
and publishing to a local mosquitto: CPU per 1000 block reads and per 1000 meter polls, RSS
start -> end, and bytes written to disk (/proc/PID/io write_bytes) per reading.

    tests/bench/bench_agent.py [--interval-ms 1000] [--seconds 60] [--warmup 10] [--runs 3]
                               [--meters 32] [--flush-ms N] [--page-size N]
                               [--out results.jsonl] [--label TEXT]

Measured over a window after the warm-up, per run (a fresh agent, database and simulator):
  - CPU: utime+stime of sealwatchd (all threads) from /proc/PID/stat, window delta; also the
    sum of the threads' schedstat for a finer cross-check;
  - block reads: Modbus requests the simulator served in the window (counted from its -v log,
    one line per request), i.e. measurement blocks plus the serial-number reads;
  - meter polls ("readings"): rows in the readings table whose ts falls in the window (one row
    per meter poll, all its values packed, 9 bytes per value);
  - RSS: VmRSS sampled every second (start, end, max);
  - flash: write_bytes from /proc/PID/io, window delta, per reading and per value; and
    cancelled_write_bytes (dirtied, then truncated before writeback: never written), for the net;
  - telemetry latency, read -> subscriber: a QoS 1 mosquitto_sub on P/telemetry, each line
    stamped with the wall clock by a reading thread, minus each reading's "ts" (the wall clock
    at the start of its poll), for the readings whose ts falls in the window: p50, p95, max.
The agent runs with its default uplink and storage settings (batches of up to 200 readings,
the flush period its database's page size gives: 1 s on the new one it makes), so the per-poll
CPU includes SQLite and MQTT, as a peer's includes its MQTT.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
from bench_event_latency import ts_seconds  # noqa: E402


def count_requests(path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if b" fc " in line:
                n += 1
    return n


def subscribe(port):
    """A QoS 1 subscriber to everything, each line ("topic payload") stamped on arrival;
    returns (process, arrivals)."""
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", "#",
                            "-v", "-q", "1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL)
    arrivals = []

    def read():
        for raw in sub.stdout:
            arrivals.append((time.time(), raw))

    threading.Thread(target=read, daemon=True).start()
    return sub, arrivals


def telemetry_latency(arrivals, w0, w1):
    """Per reading with ts in [w0, w1): first arrival minus ts, in ms."""
    seen = {}
    for at, raw in arrivals:
        topic, _, payload = raw.partition(b" ")
        if not topic.endswith(b"/telemetry"):
            continue
        try:
            msg = json.loads(payload)
        except ValueError:
            continue
        for r in msg.get("readings", []):
            ts = ts_seconds(r["ts"])
            if w0 <= ts < w1:
                key = (r["meter"], r["ts"])
                seen[key] = min(seen.get(key, at), at) - ts
    lat = sorted(v * 1000 for v in seen.values())
    if not lat:
        return {"telemetry_n": 0}
    return {"telemetry_n": len(lat), "telemetry_p50_ms": round(lat[len(lat) // 2], 1),
            "telemetry_p95_ms": round(lat[int(len(lat) * 0.95)], 1),
            "telemetry_max_ms": round(lat[-1], 1)}


def one_run(a):
    b = bl.Bench(keep=a.keep)
    sub = None
    try:
        sim, sim_port = b.sim(a.meters, verbose=True)
        broker, mqtt_port = b.broker()
        sub, arrivals = subscribe(mqtt_port)
        data = b.path("data")
        if a.page_size:
            # As a database made by an earlier agent (4 KiB pages) would be: the agent keeps
            # the page size of an existing file.
            os.makedirs(data, exist_ok=True)
            con = sqlite3.connect(os.path.join(data, "sealwatch.db"))
            con.execute(f"PRAGMA page_size = {a.page_size}")
            con.execute("PRAGMA auto_vacuum = INCREMENTAL")
            con.execute("PRAGMA journal_mode = WAL")
            con.close()
        storage = f"flush_ms = {a.flush_ms}" if a.flush_ms else ""
        conf = b.write("agent.toml", bl.agent_config(data, sim_port, mqtt_port, a.meters,
                                                     a.interval_ms, storage_extra=storage))
        agent = b.start([bl.binary("sealwatchd"), "--config", conf], "agent")
        time.sleep(a.warmup)
        if not agent.alive():
            raise RuntimeError("agent died:\n" + open(agent.stderr_path).read()[-2000:])
        pid = agent.pid
        load0 = bl.loadavg()
        w0 = time.time()
        m0 = time.monotonic()
        c0, s0 = bl.cpu_ticks(pid), bl.schedstat_seconds(pid)
        q0 = count_requests(sim.stderr_path)
        io0 = bl.io_counters(pid)
        simc0 = bl.cpu_ticks(sim.pid)
        brc0 = bl.cpu_ticks(broker.pid)
        rss0 = bl.status_kb(pid, "VmRSS")
        rss = [rss0]
        while time.monotonic() - m0 < a.seconds:
            time.sleep(1)
            rss.append(bl.status_kb(pid, "VmRSS"))
        m1 = time.monotonic()
        w1 = time.time()
        c1, s1 = bl.cpu_ticks(pid), bl.schedstat_seconds(pid)
        q1 = count_requests(sim.stderr_path)
        io1 = bl.io_counters(pid)
        simc1 = bl.cpu_ticks(sim.pid)
        brc1 = bl.cpu_ticks(broker.pid)
        rss1 = rss[-1]
        hwm = bl.status_kb(pid, "VmHWM")
        threads = len(os.listdir(f"/proc/{pid}/task"))
        load1 = bl.loadavg()
        time.sleep((a.flush_ms or 5000) / 1000 + 1.5)  # the window's last readings are stored (default flush 5 s)
        db = os.path.join(data, "sealwatch.db")
        polls = bl.db_query(db, "SELECT count(*) FROM readings WHERE ts_ms >= ? AND ts_ms < ?",
                            (int(w0 * 1000), int(w1 * 1000)))[0][0]
        values = bl.db_query(
            db, "SELECT coalesce(sum(length(vals)), 0) / 9 FROM readings WHERE ts_ms >= ? AND ts_ms < ?",
            (int(w0 * 1000), int(w1 * 1000)))[0][0]
        agent.stop()
        latency = telemetry_latency(arrivals, w0, w1)
        dur = m1 - m0
        cpu = (c1 - c0) / bl.CLK_TCK
        reqs = q1 - q0
        wb = io1["write_bytes"] - io0["write_bytes"]
        # Pages dirtied and then truncated away before writeback (the reading journal, started
        # over at every flush) never reach the flash: write_bytes counts them, this says how many.
        cwb = io1["cancelled_write_bytes"] - io0["cancelled_write_bytes"]
        return {
            "bench": "agent", "label": a.label, "meters": a.meters, "interval_ms": a.interval_ms,
            "window_s": round(dur, 2), "load_before": load0, "load_after": load1,
            "meter_polls_per_s": polls / dur, "expected_polls_per_s": a.meters * 1000 / a.interval_ms,
            "block_reads_per_s": reqs / dur, "reads_per_poll": reqs / polls if polls else None,
            "values_per_poll": values / polls if polls else None,
            "cpu_s": cpu, "cpu_pct": cpu / dur * 100, "cpu_s_schedstat": s1 - s0,
            "cpu_ms_per_1000_reads": cpu * 1e6 / reqs if reqs else None,
            "cpu_ms_per_1000_polls": cpu * 1e6 / polls if polls else None,
            "cpu_ms_per_1000_polls_schedstat": (s1 - s0) * 1e6 / polls if polls else None,
            "sim_cpu_pct": (simc1 - simc0) / bl.CLK_TCK / dur * 100,
            "broker_cpu_pct": (brc1 - brc0) / bl.CLK_TCK / dur * 100,
            "rss_kib_start": rss0, "rss_kib_end": rss1, "rss_kib_max": max(rss), "vmhwm_kib": hwm,
            "threads": threads,
            "write_bytes": wb, "wchar": io1["wchar"] - io0["wchar"],
            "write_bytes_per_poll": wb / polls if polls else None,
            "write_bytes_per_value": wb / values if values else None,
            "cancelled_write_bytes": cwb,
            "net_write_bytes_per_value": (wb - cwb) / values if values else None,
            "polls": polls, "block_reads": reqs, **latency,
        }
    finally:
        if sub and sub.poll() is None:  # started here, stopped here by its own PID
            sub.terminate()
            sub.wait(10)
        b.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--interval-ms", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--meters", type=int, default=32)
    ap.add_argument("--flush-ms", type=int, default=0, help="[storage] flush_ms (default: the agent's)")
    ap.add_argument("--page-size", type=int, default=0,
                    help="make the database file with this page size first (default: the agent's)")
    ap.add_argument("--out")
    ap.add_argument("--label", default="")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    print(f"# {bl.machine()}; load {bl.loadavg()}", file=sys.stderr)
    for _ in range(a.runs):
        bl.emit(one_run(a), a.out)


if __name__ == "__main__":
    main()
