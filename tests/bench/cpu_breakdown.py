#!/usr/bin/env python3
"""Where sealwatchd's CPU goes, by part and by thread, from a `perf record --call-graph dwarf`
of the running agent (issue 14, item 1). Prints a Markdown table in ms per 1000 meter polls.

    perf record -F 15000 --call-graph dwarf,16384 -p PID -o agent.data -- sleep 60
    tests/bench/cpu_breakdown.py agent.data --seconds 60 --polls-per-s 32 [--json]

Each sample is one tick of CPU (the software clock at -F Hz, so samples / F = CPU seconds; the
total is cross-checked against the process's schedstat by bench_agent.py). A sample is given to
one part by its call chain: the first rule below, in order, whose marker is anywhere in the
chain wins, so a kernel sample under the journal's write(2) counts for the journal and one under
the bus thread's poll(2) for Modbus. Within each part the kernel's share and malloc/free's share
are given too (leaf frame in the kernel, leaf frame in malloc/free).
"""
import argparse
import collections
import json
import re
import subprocess
import sys

# (part, markers): a marker is a substring of a frame's symbol or of its object's name.
# Order matters: the most specific first.
RULES = [
    # bus thread
    ("Modbus TCP requests (client, framing, send/poll/recv; kernel: loopback TCP, sleep/wake)",
     ["receive_exactly", "send_all", "modbus::tcp::", "LibmodbusClient", "libmodbus.so"]),
    ("register decoding (profiles::field_value, quantity lookup)",
     ["field_value", "find_quantity", "modbus::decode", "raw_bits"]),
    ("poll bookkeeping (schedule, physical ranges, reading built, hand-off)",
     ["BusPoller::poll_next", "Schedule::"]),
    ("bus thread waiting for the next due meter (futex, timers)", ["BusThread::run"]),
    # MQTT thread
    ("libmosquitto network loop (MQTT thread)", ["MqttLink::run"]),
    # main thread, most specific first
    ("reading journal: CRC-32", ["store::crc32"]),
    ("reading journal: write(2) and the rest", ["ReadingJournal::"]),
    ("evidence chain: SHA-256 and the record it hashes", ["chain::", "Sha256", "libcrypto"]),
    ("SQLite inserts of the flush (readings, chain row, commit)",
     ["append_readings", "MainLoop::flush"]),
    ("outbox: forming messages (SQLite reads, the uplink's pump)",
     ["Store::form", "Store::acked"]),
    ("telemetry: payload read back and rendered, publish", ["Uplink::send", "Store::payload",
                                                            "wire::append_reading",
                                                            "TelemetryWriter"]),
    ("detector (on_reading, on_time, open alarms)", ["detect::Detector::on_reading",
                                                     "Detector::on_time",
                                                     "Detector::Impl::sample"]),
    ("main loop's housekeeping (appliance, sticks, commands, evidence turn, "
     "retention, open alarms)", ["Appliance::turn", "StickDesk::", "CommandDesk::",
                                 "AgentSide::turn", "enforce_retention", "MainLoop::retention",
                                 "MainLoop::commands", "open_alarms", "watch_storage",
                                 "save_snapshot", "pending_state_commands"]),
    ("main loop waiting for the queue (futex, wake-ups)", ["Queue<"]),
    ("main loop, other (dispatch, clocks)", ["daemon::run", "MainLoop::"]),
]

MALLOC = re.compile(r"^(malloc|free|cfree|_int_malloc|_int_free|realloc|operator new|"
                    r"operator delete|malloc_consolidate|_int_realloc|tcache|__libc_malloc|"
                    r"__libc_free|unlink_chunk)")


def samples(perf_data):
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "tid,ip,sym,dso"],
                         capture_output=True, text=True, check=True).stdout
    tid, frames = None, []
    for line in out.splitlines():
        if not line.strip():
            if tid is not None:
                yield tid, frames
            tid, frames = None, []
            continue
        if not line.startswith(("\t", " ")) or tid is None:
            tid = int(line.split()[0])
            continue
        parts = line.strip().split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
        m = re.match(r"(.*) \((.*)\)$", rest)
        frames.append((m.group(1), m.group(2)) if m else (rest, ""))
    if tid is not None:
        yield tid, frames


def part_of(frames):
    for part, markers in RULES:
        for sym, dso in frames:
            for marker in markers:
                if marker in sym or marker in dso:
                    return part
    return "other (thread start-up, unresolved frames)"


def thread_of(frames):
    text = " ".join(sym for sym, _ in frames)
    if "BusThread::run" in text:
        return "bus"
    if "MqttLink::run" in text or "libmosquitto" in " ".join(d for _, d in frames[-4:]):
        return "mqtt"
    if "daemon::run" in text or "__libc_start_main" in text:
        return "main"
    return "other"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("perf_data")
    ap.add_argument("--seconds", type=float, required=True, help="the recording's length")
    ap.add_argument("--polls-per-s", type=float, default=32.0)
    ap.add_argument("--freq", type=float, default=15000.0, help="perf record -F")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    syscalls = collections.Counter()
    by_part = collections.Counter()
    kernel = collections.Counter()
    malloc = collections.Counter()
    by_thread = collections.Counter()
    part_thread = collections.Counter()
    total = 0
    for _, frames in samples(args.perf_data):
        if not frames:
            continue
        total += 1
        part = part_of(frames)
        thread = thread_of(frames)
        by_part[part] += 1
        by_thread[thread] += 1
        part_thread[(part, thread)] += 1
        leaf_sym, leaf_dso = frames[0]
        if "kernel" in leaf_dso:
            kernel[part] += 1
            call = next((m.group(2) for sym, _ in frames
                         if (m := re.match(r"(__x64_sys|__do_sys|__se_sys)_(\w+)", sym))),
                        "no syscall (interrupts, scheduler)")
            syscalls[(thread, call)] += 1
        elif MALLOC.match(leaf_sym):
            malloc[part] += 1

    polls = args.polls_per_s * args.seconds
    ms_per_1000 = 1000.0 / args.freq * 1000.0 / polls  # ms of CPU per sample, per 1000 polls

    def ms(n):
        return n * ms_per_1000

    if args.json:
        print(json.dumps({"samples": total, "polls": polls,
                          "ms_per_1000_polls": ms(total),
                          "parts": {p: {"ms": ms(n), "kernel_ms": ms(kernel[p]),
                                        "malloc_ms": ms(malloc[p])}
                                    for p, n in by_part.items()},
                          "threads": {t: ms(n) for t, n in by_thread.items()},
                          "syscalls": {f"{t} {c}": ms(n) for (t, c), n in syscalls.items()}}))
        return
    print(f"{total} samples at {args.freq:.0f} Hz over {args.seconds:.0f} s = "
          f"{total / args.freq:.3f} s CPU; {polls:.0f} meter polls; "
          f"**{ms(total):.1f} ms per 1000 polls**\n")
    print("| part | thread | ms / 1000 polls | % | of which kernel | of which malloc/free |")
    print("|---|---|---|---|---|---|")
    for part, n in by_part.most_common():
        threads = [t for (p, t), c in part_thread.most_common() if p == part]
        print(f"| {part} | {'/'.join(threads)} | {ms(n):.1f} | {100.0 * n / total:.1f} | "
              f"{ms(kernel[part]):.1f} | {ms(malloc[part]):.1f} |")
    print("\n| thread | kernel time in syscall | ms / 1000 polls | % |")
    print("|---|---|---|---|")
    for (thread, call), n in syscalls.most_common(14):
        print(f"| {thread} | {call} | {ms(n):.1f} | {100.0 * n / total:.1f} |")
    print("\n| thread | ms / 1000 polls | % |")
    print("|---|---|---|")
    for thread, n in by_thread.most_common():
        print(f"| {thread} | {ms(n):.1f} | {100.0 * n / total:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
