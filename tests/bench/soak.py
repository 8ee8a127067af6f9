#!/usr/bin/env python3
"""Memory soak of sealwatchd: 32 SDM630 meters (one sealwatch-sim TCP port on loopback) polled
at 10x the default rate (interval_ms = 100), publishing to a local mosquitto, everything else
at the agent's defaults; the agent's memory sampled every 10 s for an hour (issue 14, item 5).

    tests/bench/soak.py run [--seconds 3600] [--every 10] [--interval-ms 100] [--meters 32]
                            [--out soak.jsonl] [--smaps-dir DIR]
    /usr/bin/python3 tests/bench/soak.py plot soak.jsonl docs/soak-rss.png   (needs matplotlib:
                                                                              python3-matplotlib)
    tests/bench/soak.py summary soak.jsonl

`run` writes one JSON line per sample to --out: seconds since the agent started, VmRSS and its
parts from /proc/PID/status (RssAnon, RssFile, RssShmem), VmHWM, threads, the agent's CPU
seconds, readings stored so far (rows in the database, read-only), the database and WAL sizes
and the load average; then one summary line (kind "summary"). With --smaps-dir it also keeps a
copy of /proc/PID/smaps after the warm-up and at the end, for tests/bench/rss_breakdown.py
--smaps. The agent is stopped (TERM) at the end; every process started is stopped by its PID.
"""
import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

WARMUP_S = 300  # "after warm-up" in the verdict: the first five minutes


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def keep_smaps(pid, smaps_dir, name):
    if smaps_dir:
        os.makedirs(smaps_dir, exist_ok=True)
        shutil.copyfile(f"/proc/{pid}/smaps", os.path.join(smaps_dir, name))


def sample(pid, t0, db):
    s = bl.status_numbers(pid)
    try:
        rows = bl.db_query(db, "SELECT coalesce(max(id), 0) FROM readings")[0][0]
    except Exception:  # the file is being created or is busy: not fatal for a memory sample
        rows = None
    return {  # rows: the highest reading id (ids only grow; retention removes from the front)
        "kind": "sample", "t_s": round(time.monotonic() - t0, 1), "wall": time.time(),
        "rss_kib": s.get("VmRSS"), "rss_anon_kib": s.get("RssAnon"),
        "rss_file_kib": s.get("RssFile"), "rss_shmem_kib": s.get("RssShmem"),
        "hwm_kib": s.get("VmHWM"), "vmsize_kib": s.get("VmSize"), "threads": s.get("Threads"),
        "cpu_s": bl.cpu_seconds(pid), "rows": rows, "db_bytes": file_size(db),
        "wal_bytes": file_size(db + "-wal"), "load": bl.loadavg(),
    }


def summarize(samples, interval_ms, meters):
    """Start, after 5 min, max, end of the RSS; the growth after the warm-up."""
    rss = [(s["t_s"], s["rss_kib"]) for s in samples if s.get("rss_kib")]
    after = [r for t, r in rss if t >= WARMUP_S]
    at5 = next((r for t, r in rss if t >= WARMUP_S), None)
    late = [(t, r) for t, r in rss if t >= WARMUP_S]
    slope = None
    if len(late) >= 2:  # least squares over the samples after the warm-up, KiB per hour
        mt = sum(t for t, _ in late) / len(late)
        mr = sum(r for _, r in late) / len(late)
        var = sum((t - mt) ** 2 for t, _ in late)
        slope = sum((t - mt) * (r - mr) for t, r in late) / var * 3600 if var else None
    first, last = samples[0], samples[-1]
    dur = last["t_s"] - first["t_s"]
    rows = (last["rows"] or 0) - (first["rows"] or 0)
    return {
        "kind": "summary", "meters": meters, "interval_ms": interval_ms, "samples": len(rss),
        "duration_s": dur, "rss_kib_start": rss[0][1], "rss_kib_at_5min": at5,
        "rss_kib_max": max(r for _, r in rss), "rss_kib_max_after_5min": max(after) if after else None,
        "rss_kib_min_after_5min": min(after) if after else None, "rss_kib_end": rss[-1][1],
        "growth_after_5min_kib": (rss[-1][1] - at5) if at5 is not None else None,
        "slope_after_5min_kib_per_h": slope,
        "rss_kib_mean_after_5min": sum(after) / len(after) if after else None,
        "hwm_kib": last["hwm_kib"], "threads_max": max(s["threads"] or 0 for s in samples),
        "rows_per_s": rows / dur if dur else None,
        "expected_rows_per_s": meters * 1000 / interval_ms,
        "cpu_pct": (last["cpu_s"] - first["cpu_s"]) / dur * 100 if dur else None,
        "db_bytes_end": last["db_bytes"], "load_start": first["load"], "load_end": last["load"],
        "load_1min_range": [min(float(s["load"].split()[0]) for s in samples),
                            max(float(s["load"].split()[0]) for s in samples)],
    }


def run(a):
    b = bl.Bench(keep=a.keep, prefix="sealwatch-soak-")
    samples = []
    try:
        sim, sim_port = b.sim(a.meters)
        broker, mqtt_port = b.broker()
        data = b.path("data")
        conf = b.write("agent.toml",
                       bl.agent_config(data, sim_port, mqtt_port, a.meters, a.interval_ms))
        agent = b.start([bl.binary("sealwatchd"), "--config", conf], "agent")
        t0 = time.monotonic()
        db = os.path.join(data, "sealwatch.db")
        print(f"# {bl.machine()}; load {bl.loadavg()}; agent pid {agent.pid}; dir {b.dir}",
              file=sys.stderr, flush=True)
        kept_warm = False
        next_t = a.every  # the first sample one period in: at 0 s the agent is still starting
        while True:
            time.sleep(max(0.0, next_t - (time.monotonic() - t0)))
            if not agent.alive():
                raise RuntimeError("agent died:\n" + open(agent.stderr_path).read()[-2000:])
            s = sample(agent.pid, t0, db)
            samples.append(s)
            bl.emit(s, a.out)
            if not kept_warm and s["t_s"] >= WARMUP_S:
                keep_smaps(agent.pid, a.smaps_dir, "smaps-5min")
                kept_warm = True
            if s["t_s"] >= a.seconds:
                break
            next_t += a.every
        keep_smaps(agent.pid, a.smaps_dir, "smaps-end")
        agent.stop()
        bl.emit(summarize(samples, a.interval_ms, a.meters), a.out)
    finally:
        b.close()


def load(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return [x for x in lines if x.get("kind") == "sample"], \
        next((x for x in lines if x.get("kind") == "summary"), None)


def plot(a):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    samples, summary = load(a.samples)
    t = [s["t_s"] / 60 for s in samples]
    mib = lambda k: [(s[k] or 0) / 1024 for s in samples]  # noqa: E731
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
    ax.plot(t, mib("rss_kib"), label="VmRSS", color="black", linewidth=1.4)
    ax.plot(t, mib("rss_anon_kib"), label="RssAnon (heap, arenas, stacks)", linewidth=1)
    ax.plot(t, mib("rss_file_kib"), label="RssFile (binary, libraries, WAL index)", linewidth=1)
    ax.axvline(WARMUP_S / 60, color="grey", linestyle=":", linewidth=1)
    db = ax.twinx()  # the work done meanwhile: the database grows, the memory should not
    db.plot(t, [(s["db_bytes"] + s["wal_bytes"]) / 1e6 for s in samples], color="grey",
            linestyle="--", linewidth=1, label="database + WAL (MB, right)")
    db.set_ylabel("database + WAL, MB")
    db.set_ylim(bottom=0)
    ax.set_xlabel("minutes since start")
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    title = "sealwatchd RSS, 32 SDM630 at 100 ms, sampled every 10 s"
    if summary:
        title += f" ({summary['rows_per_s']:.0f} readings/s)"
    ax.set_title(title, fontsize=10)
    lines = ax.get_legend_handles_labels()
    more = db.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="center left")
    fig.tight_layout()
    fig.savefig(a.png)
    print(a.png)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--seconds", type=float, default=3600)
    r.add_argument("--every", type=float, default=10)
    r.add_argument("--interval-ms", type=int, default=100)
    r.add_argument("--meters", type=int, default=32)
    r.add_argument("--out")
    r.add_argument("--smaps-dir")
    r.add_argument("--keep", action="store_true")
    p = sub.add_parser("plot")
    p.add_argument("samples")
    p.add_argument("png")
    s = sub.add_parser("summary")
    s.add_argument("samples")
    s.add_argument("--interval-ms", type=int, default=100)
    s.add_argument("--meters", type=int, default=32)
    a = ap.parse_args()
    if a.cmd == "run":
        run(a)
    elif a.cmd == "plot":
        plot(a)
    else:
        samples, _ = load(a.samples)
        print(json.dumps(summarize(samples, a.interval_ms, a.meters)))


if __name__ == "__main__":
    main()
