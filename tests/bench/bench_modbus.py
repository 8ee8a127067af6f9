#!/usr/bin/env python3
"""Modbus acquisition ceiling: bench_modbus (the agent's Modbus client in a tight loop) against
sealwatch-sim serving 32 SDM630 unit ids on one loopback TCP port.

    tests/bench/bench_modbus.py [--seconds 10] [--runs 3] [--units 32] [--out results.jsonl]

Reports block reads/s and meter polls/s (4 blocks per SDM630 poll), the client's CPU per 1000
reads / polls (getrusage in bench_modbus), and the simulator's CPU over the same time (from
/proc): on 2 cores, client and server compete, so the rate is a floor of what the client
alone could do.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--units", type=int, default=32)
    ap.add_argument("--out")
    a = ap.parse_args()
    print(f"# {bl.machine()}; load {bl.loadavg()}", file=sys.stderr)
    for _ in range(a.runs):
        b = bl.Bench()
        try:
            sim, port = b.sim(a.units)
            load0 = bl.loadavg()
            s0 = bl.cpu_ticks(sim.pid)
            t0 = time.monotonic()
            r = subprocess.run([bl.binary("bench_modbus"), "--port", str(port), "--units",
                                str(a.units), "--seconds", str(a.seconds)],
                               capture_output=True, text=True)
            dt = time.monotonic() - t0
            s1 = bl.cpu_ticks(sim.pid)
            if r.returncode != 0:
                raise RuntimeError(r.stdout + r.stderr)
            res = json.loads(r.stdout)
            res.update({"bench": "modbus", "load_before": load0, "load_after": bl.loadavg(),
                        "sim_cpu_pct": (s1 - s0) / bl.CLK_TCK / dt * 100,
                        "sim_cpu_ms_per_1000_reads": (s1 - s0) / bl.CLK_TCK * 1e6 / res["block_reads"]})
            bl.emit(res, a.out)
        finally:
            b.close()


if __name__ == "__main__":
    main()
