#!/usr/bin/env python3
"""Where a process's RSS goes, from /proc/PID/smaps: the binary, each shared library, the main
heap, glibc's per-thread malloc arenas, thread stacks, the SQLite WAL index, the rest.

    tests/bench/rss_breakdown.py PID [--gdb] [--json]
    tests/bench/rss_breakdown.py --smaps FILE [--json]     (a saved copy of /proc/PID/smaps)
    tests/bench/rss_breakdown.py --bench [--seconds 60] [--runs 3] [--interval-ms 1000]
                                 [--env NAME=VALUE]... [--tls] [--assets N] [--gdb]
                                 [--working-set SECONDS] [--out runs.jsonl]
    tests/bench/rss_breakdown.py --table runs.jsonl        (the --bench table again)

--bench starts the usual scenario (benchlib: 32 SDM630 unit ids on one sealwatch-sim TCP port,
a local mosquitto, sealwatchd at its defaults polling each meter every --interval-ms), takes the
breakdown after --seconds, stops everything, --runs times; then prints each row's median and
range over the runs (markdown). --env sets a variable for the agent only (e.g.
GLIBC_TUNABLES=glibc.malloc.arena_max=1: glibc's tunables, no code change). --tls: the broker
takes TLS only with client certificates (a throwaway CA made with the openssl CLI) and the agent
uses them; --assets N: N assets in state operating, two meters each (detection state).

Rows (KiB): mappings, Size (address space), Rss (resident, what VmRSS adds up), Pss (Rss with
each shared page divided among the processes mapping it), Dirty (pages written: heap, stacks,
a library's relocated data and .bss; they stay whatever else runs), Private / Shared (pages
mapped by this process only / also by others at the moment, e.g. a library's text that the
broker maps too). Rss of a library is its pages in this process's page tables: the kernel maps
up to 16 cached pages around each page fault (fault-around), so it is more than the bytes used. How mappings are attributed:
  - a file mapping goes to its file: the executable (/proc/PID/exe), a library (named without
    its version), the SQLite WAL index (*-shm, shared with every connection), or "other files";
    the anonymous mapping right after a file's writable (rw-p) segment is that file's .bss;
  - [heap] is the main malloc arena (brk); [stack] the main thread's stack;
  - a glibc secondary arena is an anonymous mapping starting on a 64 MiB boundary (HEAP_MAX_SIZE
    on 64-bit), rw-p for the part in use and ---p for the rest of its reservation: its Rss is
    what the threads that allocate there have touched;
  - a thread stack: with a live PID, the mapping that holds the thread's stack pointer (from
    /proc/PID/task/TID/syscall; named by the thread's comm); in a saved file, an anonymous
    rw-p mapping just above a 4 KiB ---p guard page; the guard pages themselves are 0 Rss;
  - everything else anonymous ("other anonymous": malloc's mmap'd large blocks, libraries' own
    mmaps) and the kernel's [vdso]/[vvar].

--working-set SECONDS (live PID only) clears the referenced bits of the process's pages
(/proc/PID/clear_refs), waits, and adds what smaps then counts as Referenced: the pages the
process actually touched in those seconds (its working set), as against what is mapped.

--gdb (live PID only; attaches gdb for about a second and stops the process meanwhile) also asks
the process itself: sqlite3_memory_used() and sqlite3_memory_highwater(0) (all of SQLite's heap:
page caches, schemas, statements, lookaside), and glibc's malloc_info() per arena (bytes taken
from the system, bytes free in it). It calls functions inside the stopped process: a
measurement aid, not for a production gateway.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

HEAP_MAX = 64 << 20  # glibc HEAP_MAX_SIZE on 64-bit: secondary arenas are aligned to it
HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$")
FIELDS = ("Size", "Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean", "Shared_Dirty",
          "Referenced", "Anonymous", "Swap")


def parse_smaps(text):
    maps = []
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            maps.append({"start": int(m.group(1), 16), "end": int(m.group(2), 16),
                         "perms": m.group(3), "inode": int(m.group(6)),
                         "path": m.group(7).strip()})
            continue
        key, _, rest = line.partition(":")
        if maps and key in FIELDS:
            maps[-1][key] = int(rest.split()[0])
    return maps


def lib_name(path):
    base = os.path.basename(path)
    i = base.find(".so")
    return base[:i] if i > 0 else base


def thread_stacks(pid):
    """{stack pointer: thread name} for the threads whose SP can be read (blocked in a call)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                parts = f.read().split()
        except OSError:
            continue
        if len(parts) >= 3 and parts[0] != "running":
            out[int(parts[-2], 16)] = f"{name} ({tid})"
    return out


def classify(maps, exe=None, sps=None):
    """Attributes each mapping: sets m['group'] (the row) and m['kind'] (the row's section)."""
    if exe is None:
        exe = next((m["path"] for m in maps if m["path"].startswith("/")), None)
    sps = sps or {}
    arena_end = 0
    for i, m in enumerate(maps):
        prev = maps[i - 1] if i else None
        path, anon = m["path"], m["inode"] == 0 and not m["path"]
        if path == exe:
            m["kind"], m["group"] = "binary", f"binary ({os.path.basename(exe)})"
        elif path.startswith("/") and ".so" in os.path.basename(path):
            m["kind"], m["group"] = "library", lib_name(path)
        elif path.endswith("-shm"):
            m["kind"], m["group"] = "sqlite", "SQLite WAL index (-shm, mmap shared)"
        elif path.startswith("/"):
            m["kind"], m["group"] = "file", "other files"
        elif path == "[heap]":
            m["kind"], m["group"] = "heap", "[heap]: main malloc arena (brk)"
        elif path == "[stack]":
            m["kind"], m["group"] = "stack", "[stack]: main thread"
        elif path in ("[vdso]", "[vvar]", "[vvar_vclock]", "[vsyscall]"):
            m["kind"], m["group"] = "kernel", "kernel: vdso, vvar"
        elif anon and prev is not None and prev["end"] == m["start"] and prev["perms"] == "rw-p" \
                and prev.get("kind") in ("binary", "library"):
            m["kind"], m["group"] = prev["kind"], prev["group"]  # its .bss
        elif anon and m["start"] % HEAP_MAX == 0:
            m["kind"], m["group"] = "arena", "malloc arenas (per-thread, 64 MiB reserved each)"
            arena_end = m["start"] + HEAP_MAX
        elif anon and m["start"] < arena_end:
            m["kind"], m["group"] = "arena", "malloc arenas (per-thread, 64 MiB reserved each)"
        elif anon and any(m["start"] <= sp < m["end"] for sp in sps):
            name = next(n for sp, n in sps.items() if m["start"] <= sp < m["end"])
            m["kind"], m["group"] = "stacks", "thread stacks"
            m["thread"] = name
        elif anon and m["perms"] == "rw-p" and prev is not None and prev["end"] == m["start"] \
                and prev["perms"] == "---p" and prev["end"] - prev["start"] == 4096 and not sps:
            m["kind"], m["group"] = "stacks", "thread stacks"
        elif anon and m["perms"] == "---p" and i + 1 < len(maps) \
                and maps[i + 1]["start"] == m["end"] and m["end"] - m["start"] == 4096:
            m["kind"], m["group"] = "stacks", "thread stacks"  # the guard page: 0 Rss
        else:
            m["kind"], m["group"] = "anon", "other anonymous (large malloc blocks, libraries' mmaps)"
    return maps


ORDER = ("binary", "library", "heap", "arena", "stacks", "stack", "sqlite", "file", "anon", "kernel")


def table(maps):
    rows = {}
    for m in maps:
        r = rows.setdefault(m["group"], {"group": m["group"], "kind": m["kind"], "mappings": 0,
                                         "size": 0, "rss": 0, "pss": 0, "private": 0,
                                         "shared": 0, "dirty": 0, "referenced": 0,
                                         "threads": []})
        r["mappings"] += 1
        r["size"] += m.get("Size", 0)
        r["rss"] += m.get("Rss", 0)
        r["pss"] += m.get("Pss", 0)
        r["private"] += m.get("Private_Clean", 0) + m.get("Private_Dirty", 0)
        r["shared"] += m.get("Shared_Clean", 0) + m.get("Shared_Dirty", 0)
        r["dirty"] += m.get("Private_Dirty", 0) + m.get("Shared_Dirty", 0)
        r["referenced"] += m.get("Referenced", 0)
        if m.get("thread"):
            r["threads"].append(f"{m['thread']}: {m.get('Rss', 0)}")
    return sorted(rows.values(), key=lambda r: (ORDER.index(r["kind"]), -r["rss"]))


def ask_gdb(pid):
    """sqlite3_memory_used/highwater and malloc_info, from inside the process (gdb -p)."""
    fd, xml_path = tempfile.mkstemp(prefix="rss-malloc-info-", suffix=".xml")
    os.close(fd)
    cmds = ["set pagination off", "set confirm off",
            "print (long long) sqlite3_memory_used()",
            "print (long long) sqlite3_memory_highwater(0)",
            f'set $f = (void *) fopen("{xml_path}", "w")',
            "print (int) malloc_info(0, $f)", "print (int) fclose($f)", "detach"]
    args = ["gdb", "-nx", "-batch", "-p", str(pid)]
    for c in cmds:
        args += ["-ex", c]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    vals = [int(v) for v in re.findall(r"^\$\d+ = (-?\d+)", p.stdout, re.M)]
    out = {}
    if len(vals) >= 2:
        out["sqlite3_memory_used"], out["sqlite3_memory_highwater"] = vals[0], vals[1]
    else:
        out["gdb_error"] = (p.stdout + p.stderr)[-1500:]
    try:
        root = ET.parse(xml_path).getroot()
        arenas = []
        for h in root.findall("heap"):
            free = sum(int(t.get("size")) for t in h.findall("total"))
            cur = next(int(s.get("size")) for s in h.findall("system") if s.get("type") == "current")
            arenas.append({"arena": int(h.get("nr")), "system": cur, "free": free,
                           "in_use": cur - free})
        out["arenas"] = arenas
        mmap = next((t for t in root.findall("total") if t.get("type") == "mmap"), None)
        if mmap is not None:
            out["mmapped_blocks"], out["mmapped_bytes"] = int(mmap.get("count")), int(mmap.get("size"))
    except (ET.ParseError, FileNotFoundError, StopIteration):
        pass
    finally:
        os.unlink(xml_path)
    return out


def sqlite_connections(pid):
    """Open database connections: file descriptors on a *.db file (one per connection)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").endswith(".db"):
                n += 1
        except OSError:
            pass
    return n


def row_cells(r):
    return (f"{r['mappings']:>5} {r['size']:>9} {r['rss']:>7} {r['pss']:>7} {r['dirty']:>7} "
            f"{r['private']:>8} {r['shared']:>7} {r.get('referenced', 0):>7}")


def render(rows, extra):
    w = max(len(r["group"]) for r in rows) + 2
    cols = ("mappings", "size", "rss", "pss", "dirty", "private", "shared", "referenced")
    lines = [f"{'':{w}}{'maps':>5} {'Size':>9} {'Rss':>7} {'Pss':>7} {'Dirty':>7} {'Private':>8} "
             f"{'Shared':>7} {'Ref':>7}"]
    tot = {k: 0 for k in cols}
    kind = None
    for r in rows:
        if kind is not None and r["kind"] != kind:
            lines.append("")
        kind = r["kind"]
        lines.append(f"{r['group']:{w}}" + row_cells(r))
        for t in r["threads"]:
            lines.append(f"{'':4}{t} KiB")
        for k in tot:
            tot[k] += r[k]
    libs = [r for r in rows if r["kind"] == "library"]
    lines.append("")
    lines.append(f"{'libraries together':{w}}" + row_cells({k: sum(r[k] for r in libs) for k in cols}))
    lines.append(f"{'total':{w}}" + row_cells(tot))
    for k, v in extra.items():
        lines.append(f"{k}: {v}")
    return "\n".join(lines)


def live(pid, use_gdb, working_set_s=0):
    """The breakdown of a running process: (rows, extra). working_set_s: clear the pages'
    referenced bits first (/proc/PID/clear_refs) and wait that long, so that smaps' Referenced
    counts the pages the process touched in that time."""
    if working_set_s:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("1")
        time.sleep(working_set_s)
    with open(f"/proc/{pid}/smaps") as f:
        text = f.read()
    exe = os.readlink(f"/proc/{pid}/exe")
    maps = classify(parse_smaps(text), exe, thread_stacks(pid))
    extra = {"status_kib": {k: v for k, v in bl.status_numbers(pid).items()
                            if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM")},
             "threads": {t: open(f"/proc/{pid}/task/{t}/comm").read().strip()
                         for t in sorted(os.listdir(f"/proc/{pid}/task"), key=int)},
             "sqlite_connections": sqlite_connections(pid)}
    if working_set_s:
        extra["working_set_s"] = working_set_s
    if use_gdb:
        extra["inside"] = ask_gdb(pid)
    return table(maps), extra


def bench_run(a):
    b = bl.Bench(prefix="sealwatch-rss-")
    try:
        _, sim_port = b.sim(32)
        pki = bl.make_pki(b.path("pki")) if a.tls else None
        _, mqtt_port = b.broker(pki)
        text = bl.agent_config(b.path("data"), sim_port, mqtt_port, 32, a.interval_ms)
        if pki:
            text = bl.with_tls(text, pki)
        conf = b.write("agent.toml", bl.with_assets(text, a.assets))
        agent = b.start(["env", *a.env, bl.binary("sealwatchd"), "--config", conf], "agent")
        load0 = bl.loadavg()
        time.sleep(a.seconds - a.working_set)
        if not agent.alive():
            raise RuntimeError("agent died:\n" + open(agent.stderr_path).read()[-2000:])
        rows, extra = live(agent.pid, a.gdb, a.working_set)
        return {"seconds": a.seconds, "interval_ms": a.interval_ms, "env": a.env, "tls": a.tls,
                "assets": a.assets,
                "load_before": load0, "load_after": bl.loadavg(), "rows": rows, **extra}
    finally:
        b.close()


def bench_table(runs):
    """Markdown: each row's Rss (and Private) median and range over the runs, in KiB."""
    def cell(vals):
        v = sorted(vals)
        med = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
        return f"{med:.0f} ({v[0]}–{v[-1]})" if v[0] != v[-1] else f"{v[0]}"
    names = []
    for r in runs:
        for row in r["rows"]:
            if row["group"] not in names:
                names.append(row["group"])
    ws = runs[0].get("working_set_s")
    keys = ("rss", "dirty", "pss") + (("referenced",) if ws else ()) + ("mappings",)
    touched = f" touched in the last {ws:g} s |" if ws else ""
    out = [f"| part (n={len(runs)}) | Rss KiB, median (range) | of which dirty | Pss |{touched}"
           " mappings |", "|---" * (len(keys) + 1) + "|"]
    blank = " |" * (len(keys) - 1)
    for n in names:
        got = [next((x for x in r["rows"] if x["group"] == n), None) for r in runs]
        out.append(f"| {n} | " + " | ".join(cell([g.get(k, 0) if g else 0 for g in got])
                                            for k in keys) + " |")
    for label, pick in (("libraries together", lambda r: r["kind"] == "library"),
                        ("anonymous together (heap, arenas, stacks, other)",
                         lambda r: r["kind"] in ("heap", "arena", "stacks", "stack", "anon"))):
        sums = [{k: sum(x.get(k, 0) for x in r["rows"] if pick(x)) for k in keys} for r in runs]
        out.append(f"| {label} | " + " | ".join(cell([x[k] for x in sums]) for k in keys) + " |")
    out.append(f"| **VmRSS** | {cell([r['status_kib']['VmRSS'] for r in runs])} |{blank}")
    if all("inside" in r and "sqlite3_memory_used" in r["inside"] for r in runs):
        out.append(f"| SQLite's heap (sqlite3_memory_used), bytes | "
                   f"{cell([r['inside']['sqlite3_memory_used'] for r in runs])} |{blank}")
        for i in range(max(len(r["inside"].get("arenas", [])) for r in runs)):
            got = [r["inside"]["arenas"][i] for r in runs if i < len(r["inside"].get("arenas", []))]
            out.append(f"| malloc arena {i}: from the system / in use, bytes | "
                       f"{cell([g['system'] for g in got])} / {cell([g['in_use'] for g in got])} |{blank}")
    loads = [r["load_before"].split()[0] for r in runs] + [r["load_after"].split()[0] for r in runs]
    out.append(f"\nload (1 min) {min(loads, key=float)}–{max(loads, key=float)}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pid", nargs="?", type=int)
    ap.add_argument("--smaps", help="a saved copy of /proc/PID/smaps instead of a live PID")
    ap.add_argument("--gdb", action="store_true", help="also ask SQLite and malloc from inside")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--working-set", type=float, default=0, metavar="SECONDS",
                    help="live: also count the pages touched in the last SECONDS (clear_refs)")
    ap.add_argument("--bench", action="store_true", help="start the scenario and measure it")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--interval-ms", type=int, default=1000)
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the agent")
    ap.add_argument("--tls", action="store_true", help="--bench: TLS to the broker, client cert")
    ap.add_argument("--assets", type=int, default=0,
                    help="--bench: this many operating assets of two meters (detection on)")
    ap.add_argument("--out", help="--bench: append each run's JSON here")
    ap.add_argument("--table", metavar="RUNS_JSONL", help="the --bench table again from --out's file")
    a = ap.parse_args()
    if a.table:
        with open(a.table) as f:
            print(bench_table([json.loads(line) for line in f if line.strip()]))
        return
    if a.bench:
        print(f"# {bl.machine()}; load {bl.loadavg()}", file=sys.stderr)
        runs = []
        for _ in range(a.runs):
            runs.append(bench_run(a))
            if a.out:
                with open(a.out, "a") as f:
                    f.write(json.dumps({"bench": "rss_breakdown", **runs[-1]}) + "\n")
            print(render(runs[-1]["rows"], {k: v for k, v in runs[-1].items() if k != "rows"}),
                  file=sys.stderr)
        print(bench_table(runs))
        return
    if (a.pid is None) == (a.smaps is None):
        ap.error("give a PID or --smaps FILE")
    extra = {}
    if a.smaps:
        with open(a.smaps) as f:
            rows = table(classify(parse_smaps(f.read())))
    else:
        rows, extra = live(a.pid, a.gdb, a.working_set)
    if a.json:
        print(json.dumps({"rows": rows, **extra}))
    else:
        print(render(rows, extra))


if __name__ == "__main__":
    main()
