#!/usr/bin/env python3
"""Latency of sealwatchd in the ../shared/bench-peers run, from the harness's own raw files.

    peer_latency.py [WORK]        (WORK: the harness's $WORK, default /tmp/peerbench)

Why this exists: the harness finds a meter's total power by topic (one topic per meter and
value, AGENT_PROBE_RE with a group "meter"). sealwatchd publishes the contract's batched
telemetry, one topic per gateway (`<prefix>/<site>/<gw>/telemetry`), with the meter inside the
JSON payload, so no topic regex can yield the meter number; peer_run.sh therefore gives the
harness a probe regex that never matches (its latency rows read n/a) and this script computes
the same two latencies with the same method, taking the meter and p_w from the payload instead:

  - change->sub: arrival at the subscriber minus the simulator's change of that meter's value;
  - read->sub:   arrival minus the simulator's first answer carrying that value;

first arrival of each (meter, change) inside the measuring window only, exactly as bench.py's
analyze does (its functions are imported from the harness folder, not copied or changed).
"""
import json
import os
import re
import sys
import bisect

HARNESS = os.environ.get("BENCH_PEERS", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "../../../shared/bench-peers"))
sys.path.insert(0, HARNESS)
import bench  # noqa: E402  (the harness's bench.py: load_steps, load_probe_reads, summarize)

METER = re.compile(r"^meter(\d+)$")


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else "/tmp/peerbench"
    d = os.path.join(work, "agent")
    with open(os.path.join(d, "measure.json")) as f:
        m = json.load(f)
    t0, t1 = m["t_start"], m["t_end"]
    steps = bench.load_steps(os.path.join(work, "sim.steps"))
    first_read, _ = bench.load_probe_reads(os.path.join(work, "sim.probe"), t0, t1)
    seen = set()
    lat_change, lat_read = [], []
    msgs = readings = 0
    per_msg = []
    with open(os.path.join(d, "sub.log"), "rb") as f:
        for raw in f:
            parts = raw.decode("utf-8", "replace").rstrip("\n").split(" ", 2)
            if len(parts) < 3:
                continue
            try:
                ts = float(parts[0])
            except ValueError:
                continue
            if ts > t1:
                break
            if not parts[1].endswith("/telemetry"):
                continue
            try:
                obj = json.loads(parts[2])
            except json.JSONDecodeError:
                continue
            rs = obj.get("readings", [])
            in_window = t0 <= ts <= t1
            if in_window:
                msgs += 1
                readings += len(rs)
                per_msg.append(len(rs))
            for r in rs:
                mm = METER.match(r.get("meter", ""))
                p = r.get("values", {}).get("p_w")
                if not mm or p is None:
                    continue
                meter = int(mm.group(1)) - 1
                kmod = int(round(float(p))) - bench.PROBE_BASE
                times = steps.get(meter)
                if not times or times[0] > ts:
                    continue
                know = bisect.bisect_right(times, ts) - 1
                k = know - ((know - kmod) % bench.PROBE_MOD)
                if (meter, k) in seen or k < 0:
                    continue
                seen.add((meter, k))
                if not in_window:
                    continue
                lat_change.append(ts - times[k])
                if (meter, k) in first_read:
                    lat_read.append(ts - first_read[(meter, k)])
    dur = t1 - t0
    ms = lambda s: {k: (round(v * 1000, 1) if k != "n" else v) for k, v in s.items()}  # noqa: E731
    print(json.dumps({
        "window_s": round(dur, 1), "telemetry_msgs_per_s": msgs / dur,
        "readings_per_s_in_messages": readings / dur,
        "readings_per_msg_mean": sum(per_msg) / len(per_msg) if per_msg else None,
        "latency_change_ms": ms(bench.summarize(lat_change)),
        "latency_read_ms": ms(bench.summarize(lat_read)),
    }, indent=1))


if __name__ == "__main__":
    main()
