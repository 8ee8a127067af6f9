#!/usr/bin/env python3
"""Writes the `sealwatch analyze` benchmark input: a year of 1-minute readings for 32 meters
(16 819 200 rows, ~1.3 GB) and its config. Not committed; made at bench time.

    python3 tests/bench/gen_analyze_year.py OUT_DIR [--days N]

Columns like an SDM630 export: ts (RFC 3339), meter, p_w, i_l1_a..i_l3_a, e_imp_kwh, e_exp_kwh.
16 assets of two meters each in every legal state, two balances; loads are steady with noise,
a sealed furnace runs a night of heats once a week so the rules have work to do.
"""
import os
import random
import sys
from datetime import datetime, timezone

METERS = 32
STATES = ["operating", "rectifying", "shut", "sealed", "dismantled"]


def config(path):
    lines = ['[gateway]', 'id = "gw-bench"', 'site = "bench"', 'data_dir = "/tmp/sw-bench"',
             'timezone = "Asia/Shanghai"', '', '[uplink]', 'insecure = true', 'port = 1883', '',
             '[[bus]]', 'id = "lan"', 'kind = "tcp"', 'host = "127.0.0.1"', '']
    for i in range(METERS):
        lines += ['[[meter]]', f'id = "m{i:02d}"', 'bus = "lan"', f'unit = {i + 1}',
                  'profile = "eastron-sdm630"', 'interval_ms = 60000', '']
    for a in range(METERS // 2):
        lines += ['[[asset]]', f'id = "a{a:02d}"', f'state = "{STATES[a % len(STATES)]}"',
                  f'meters = ["m{2 * a:02d}", "m{2 * a + 1:02d}"]', 'standby_w = 500', '']
    lines += ['[[balance]]', 'main = "m00"', 'subs = ["m02", "m03", "m04"]', '',
              '[[balance]]', 'main = "m10"', 'subs = ["m12", "m13"]', 'tolerance_pct = 10', '']
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    out = sys.argv[1]
    days = 365
    if "--days" in sys.argv:
        days = int(sys.argv[sys.argv.index("--days") + 1])
    os.makedirs(out, exist_ok=True)
    config(os.path.join(out, "bench.toml"))
    rng = random.Random(1)
    t0 = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())
    base_w = []
    for i in range(METERS):
        state = STATES[(i // 2) % len(STATES)]
        base_w.append(80e3 + 5e3 * i if state in ("operating", "rectifying") else 150.0 + i)
    e_imp = [1000.0 * (i + 1) for i in range(METERS)]
    noise = [rng.random() for _ in range(4096)]
    names = [f"m{i:02d}" for i in range(METERS)]
    with open(os.path.join(out, "year.csv"), "w", buffering=1 << 22) as f:
        f.write("ts,meter,p_w,i_l1_a,i_l2_a,i_l3_a,e_imp_kwh,e_exp_kwh\n")
        k = 0
        for minute in range(days * 1440):
            t = t0 + minute * 60
            ts = datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            day, mod = divmod(minute, 1440)
            heat = day % 7 == 3 and 900 <= mod < 1080 and (mod - 900) % 60 < 45  # 15:00Z = 23:00 local
            rows = []
            for i in range(METERS):
                w = base_w[i] * (0.95 + 0.1 * noise[k & 4095])
                k += 1
                if heat and i == 6:  # a sealed furnace (asset a03) comes alive
                    w += 700e3
                e_imp[i] += w / 60000
                a = w / 690
                rows.append(f"{ts},{names[i]},{w:.0f},{a:.2f},{a:.2f},{a:.2f},{e_imp[i]:.2f},0.00\n")
            f.write("".join(rows))


if __name__ == "__main__":
    main()
