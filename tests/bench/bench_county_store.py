#!/usr/bin/env python3
"""What one `sealwatch-county run` records per second, on SQLite and on PostgreSQL side by side.

    tests/bench/bench_county_store.py [--messages 10000] [--readings 10] [--gateways 10]
                                      [--backends sqlite,postgresql] [--out results.jsonl]

Per backend: a local mosquitto, a fresh store (data_dir/county.db, or a PostgreSQL server of its
own started by tests/support/pg-instance.sh in the work folder: unix socket, fsync off), and
`run` subscribed. Then `--messages` telemetry messages of `--readings` readings each, seqs 1..N
per gateway over `--gateways` gateways, are published at once (one `mosquitto_pub -l` per
gateway, QoS 1) and `status --json` is polled every 0.2 s until every seq is recorded. Reported:
seconds from the first publish to the last seq recorded, messages/s and readings/s, `run`'s
CPU seconds and peak RSS. Binaries from SEALWATCH_BUILD (default build/release).
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

PG_INSTANCE = os.path.join(bl.SOURCE, "tests/support/pg-instance.sh")
PREFIX = "sealwatch/v1"


def telemetry(seq, readings):
    return json.dumps({"seq": seq, "readings": [
        {"meter": f"m{r}", "ts": "2026-11-21T22:00:00.125Z",
         "values": {"p_w": 1000.5 + seq, "e_imp_kwh": 12345.25 + seq / 1000}}
        for r in range(readings)]}, separators=(",", ":"))


def received(bench, cfg):
    r = subprocess.run([bl.binary("sealwatch-county"), "status", "--json", "--config", cfg],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return 0
    return sum(g["received"] for g in json.loads(r.stdout))


def one(backend, args):
    bench = bl.Bench(prefix=f"sealwatch-bench-county-{backend}-")
    try:
        _, port = bench.broker()
        store = ""
        if backend == "postgresql":
            pg_dir = bench.path("pg")
            r = subprocess.run([PG_INSTANCE, "start", pg_dir], capture_output=True, text=True,
                               timeout=120)
            if r.returncode != 0:
                sys.exit(f"pg-instance.sh: {r.stderr}")
            bench.procs.insert(0, PgServer(pg_dir))
            store = (f'[store]\nkind = "postgresql"\n'
                     f'url = "postgresql://sealwatch@/postgres?host={pg_dir}"\n')
        cfg = bench.write("county.toml", (
            f'[county]\ndata_dir = "{bench.path("county")}"\n{store}\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {port}\ninsecure = true\n'))
        county = bench.start([bl.binary("sealwatch-county"), "run", "--config", cfg], "county")
        deadline = time.monotonic() + 20
        while "connected" not in open(county.stderr_path).read():
            if time.monotonic() > deadline or not county.alive():
                sys.exit(f"county did not connect: {open(county.stderr_path).read()}")
            time.sleep(0.05)
        per_gateway = args.messages // args.gateways
        files = []
        for g in range(args.gateways):
            path = bench.write(f"gw-{g}.lines", "\n".join(
                telemetry(s, args.readings) for s in range(1, per_gateway + 1)) + "\n")
            files.append(path)
        cpu0 = bl.cpu_seconds(county.pid)
        t0 = time.monotonic()
        pubs = [subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1",
                                  "-t", f"{PREFIX}/plant-bench/gw-{g}/telemetry", "-l"],
                                 stdin=open(path, "rb")) for g, path in enumerate(files)]
        total = per_gateway * args.gateways
        while received(bench, cfg) < total:
            if time.monotonic() - t0 > args.timeout:
                sys.exit(f"{backend}: not all {total} recorded within {args.timeout} s")
            time.sleep(0.2)
        seconds = time.monotonic() - t0
        for p in pubs:
            p.wait(30)
        result = {"bench": "county_store", "backend": backend, "messages": total,
                  "readings": total * args.readings, "gateways": args.gateways,
                  "seconds": round(seconds, 2), "messages_per_s": round(total / seconds),
                  "readings_per_s": round(total * args.readings / seconds),
                  "county_cpu_s": round(bl.cpu_seconds(county.pid) - cpu0, 2),
                  "county_peak_rss_kb": bl.status_kb(county.pid, "VmHWM"),
                  "build": bl.build_dir(), "load": bl.loadavg(), "machine": bl.machine()}
        bl.emit(result, args.out)
    finally:
        bench.close()


class PgServer:
    """The bench's PostgreSQL server, stopped with the bench (after `run`)."""

    def __init__(self, path):
        self.path = path

    def stop(self):
        subprocess.run([PG_INSTANCE, "stop", self.path], capture_output=True, timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--readings", type=int, default=10)
    ap.add_argument("--gateways", type=int, default=10)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out")
    args = ap.parse_args()
    for backend in args.backends.split(","):
        one(backend, args)


if __name__ == "__main__":
    main()
