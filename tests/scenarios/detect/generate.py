#!/usr/bin/env python3
"""Writes the detection scenario library: for each scenario NAME, NAME.toml (config), NAME.csv
(readings, the contract's analyze CSV) and NAME.expect.json (the labelled truth: exactly the
events the detector must emit, with the onset of each condition for latency).

Deterministic (fixed seeds); standard library only. Re-run after changing a scenario:
    python3 tests/scenarios/detect/generate.py
The truth is written here by hand, next to the story that makes the data, not derived from
the detector. tests/unit/test_detect_scenarios.cpp runs every scenario through the analyze path.
"""
import json
import math
import os
import random
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
MIN = 60
HOUR = 3600
# Scenario day: 2026-11-20 12:00 Asia/Shanghai (04:00Z). Local night 20:00-06:00 = 12:00Z-22:00Z.
T0 = int(datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc).timestamp())


def rfc(t):
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Meter:
    """One meter's state: counters integrate what it measures."""

    def __init__(self, mid, cols, e_imp=10000.0, e_exp=0.0, serial=None, seed=1, noise=0.02):
        self.id = mid
        self.cols = cols
        self.e_imp = e_imp
        self.e_exp = e_exp
        self.serial = serial
        self.rng = random.Random(seed)
        self.noise = noise
        self.last_t = None

    def measure(self, t, true_w, reversed_phases=(), dead_phase=None, thd=None, u=(230, 230, 230),
                metered=1.0):
        """The meter's reading for a load drawing true_w (balanced three-phase) at t.
        reversed_phases: CTs the wrong way round; dead_phase: a CT open or bypassed (0-based);
        metered: share of the load that passes the meter's CTs (a bypass takes the rest)."""
        w = max(0.0, true_w * (1 + self.rng.gauss(0, self.noise))) * metered
        pf = 0.92
        ph = []
        for k in range(3):
            p = w / 3
            if k == dead_phase:
                p = 0.0
            if k in reversed_phases:
                p = -p
            ph.append(p)
        total = sum(ph)
        if self.last_t is not None:
            dt_h = (t - self.last_t) / 3600
            self.e_imp += max(0.0, sum(p for p in ph if p > 0)) * dt_h / 1000 if total >= 0 else 0
            self.e_exp += max(0.0, -total) * dt_h / 1000
        self.last_t = t
        cur = [abs(p) / (u[k] * pf) if u[k] > 0 else 0.0 for k, p in enumerate(ph)]
        vals = {
            "u_l1_v": u[0], "u_l2_v": u[1], "u_l3_v": u[2],
            "i_l1_a": cur[0], "i_l2_a": cur[1], "i_l3_a": cur[2],
            "p_w": total, "p_l1_w": ph[0], "p_l2_w": ph[1], "p_l3_w": ph[2], "pf": pf,
            "e_imp_kwh": self.e_imp, "e_exp_kwh": self.e_exp,
        }
        if thd is not None:
            for k in range(3):
                vals[f"thd_i_l{k + 1}_pct"] = thd
        return vals

    def advance_counter(self, t, avg_w):
        """While nobody reads the meter (gap), the register still counts."""
        if self.last_t is not None:
            self.e_imp += avg_w * (t - self.last_t) / 3600 / 1000
        self.last_t = t


FMT = {"u": "{:.1f}", "i": "{:.2f}", "p": "{:.0f}", "q": "{:.0f}", "s": "{:.0f}", "pf": "{:.3f}",
       "f": "{:.2f}", "e": "{:.2f}", "t": "{:.1f}"}


def fmt(col, v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v  # a cell written as it stands: dirty data ("NaN", "1e9", "#N/A")
    if col == "pf":
        return FMT["pf"].format(v)
    return FMT[col[0]].format(v)


class Scenario:
    def __init__(self, name, description, cols, serial=False):
        self.name = name
        self.description = description
        self.cols = cols
        self.serial = serial
        self.rows = []
        self.meters = []
        self.assets = []
        self.balances = []
        self.expect = []
        self.detect = {}
        self.sorted_rows = True  # False: rows stay in the order written (an export by poll round)
        self.replay = {}  # what the CSV reader must report: ignored cells, skipped rows
        self.awaits = None  # the detector change this scenario waits for (see write())

    def meter(self, mid, interval_ms=60000):
        self.meters.append((mid, interval_ms))

    def asset(self, aid, state, meters, standby_w, kind="induction_furnace", **extra):
        self.assets.append((aid, state, meters, standby_w, kind, extra))

    def asset_on_own_meter(self, aid, state, standby_w, e_imp, seed, interval_ms=60000, noise=0.02,
                           kind="induction_furnace"):
        """Most scenarios' setup: one asset behind its own meter "m1" (unit 1 when it is the
        scenario's only meter); returns that meter, to write its rows with."""
        self.meter("m1", interval_ms)
        self.asset(aid, state, ["m1"], standby_w, kind)
        return Meter("m1", self.cols, e_imp=e_imp, seed=seed, noise=noise)

    def sealed_furnace_behind_incoming(self, seeds, interval_ms=60000):
        """The incoming meter "m0" (unit 1) and the sealed furnace-2's own meter "m1" (unit 2),
        for the stories where one goes silent while the other keeps reporting; returns both."""
        self.meter("m0", interval_ms)
        self.meter("m1", interval_ms)
        self.asset("furnace-2", "sealed", ["m1"], 300)
        return (Meter("m0", self.cols, e_imp=900000, seed=seeds[0]),
                Meter("m1", self.cols, e_imp=182340.5, seed=seeds[1]))

    def balance(self, main, subs, tol=5):
        self.balances.append((main, subs, tol))

    def row(self, t, meter, vals, serial=None):
        self.rows.append((t, meter, vals, serial))

    def raw(self, t, text):
        """A line written as it stands (a row another system broke), placed at time t."""
        self.rows.append((t, None, text, None))

    def event(self, type_, state, severity, asset="", meter="", onset=None, max_latency_s=None,
              details=None):
        e = {"type": type_, "state": state, "severity": severity, "asset": asset, "meter": meter}
        if onset is not None:
            e["onset"] = rfc(onset)
            e["max_latency_s"] = max_latency_s
        if details:
            e["details"] = details  # these keys of the event's details, with these values
        self.expect.append(e)

    def write(self):
        base = os.path.join(HERE, self.name)
        toml = [f"# Scenario {self.name}: {self.description}",
                "# Generated by generate.py; the truth is in " + self.name + ".expect.json.", "",
                "[gateway]", 'id = "gw-test"', 'site = "plant-03"', 'data_dir = "/tmp/sealwatch-test"',
                'timezone = "Asia/Shanghai"', "", "[uplink]", 'host = "127.0.0.1"', "port = 1883",
                "insecure = true", "", "[[bus]]", 'id = "lan"', 'kind = "tcp"', 'host = "127.0.0.1"',
                "port = 5020", ""]
        for unit, (mid, interval) in enumerate(self.meters, start=1):
            toml += ["[[meter]]", f'id = "{mid}"', 'bus = "lan"', f"unit = {unit}",
                     'profile = "eastron-sdm630"', f"interval_ms = {interval}", ""]
        for aid, state, meters, standby, kind, extra in self.assets:
            toml += ["[[asset]]", f'id = "{aid}"', f'kind = "{kind}"', f'state = "{state}"',
                     "meters = [" + ", ".join(f'"{m}"' for m in meters) + "]", f"standby_w = {standby}"]
            for k, v in extra.items():
                toml.append(f"{k} = {json.dumps(v)}")
            toml.append("")
        for main, subs, tol in self.balances:
            toml += ["[[balance]]", f'main = "{main}"', "subs = [" + ", ".join(f'"{s}"' for s in subs) + "]",
                     f"tolerance_pct = {tol}", ""]
        if self.detect:
            toml.append("[detect]")
            for k, v in self.detect.items():
                toml.append(f"{k} = {json.dumps(v)}")
            toml.append("")
        with open(base + ".toml", "w") as f:
            f.write("\n".join(toml))
        if self.sorted_rows:
            self.rows.sort(key=lambda r: r[0])  # stable: meters in the order they were written
        header = ["ts", "meter"] + (["serial"] if self.serial else []) + self.cols
        with open(base + ".csv", "w") as f:
            f.write(",".join(header) + "\n")
            for t, meter, vals, serial in self.rows:
                if meter is None:
                    f.write(vals + "\n")
                    continue
                cells = [rfc(t), meter] + ([serial or ""] if self.serial else [])
                cells += [fmt(c, vals.get(c)) for c in self.cols]
                f.write(",".join(cells) + "\n")
        expect = {"description": self.description, "events": self.expect}
        if self.replay:
            expect["replay"] = self.replay
        if self.awaits:
            # Not yet met by the detector: test_detect_scenarios.cpp leaves it out of the CI
            # library run; the `defaults` ctest (test_scenarios_on_defaults.cpp) runs it.
            expect["awaits"] = self.awaits
        with open(base + ".expect.json", "w") as f:
            json.dump(expect, f, indent=2)
            f.write("\n")


BASIC = ["p_w", "e_imp_kwh", "e_exp_kwh"]
PHASES = ["u_l1_v", "u_l2_v", "u_l3_v", "i_l1_a", "i_l2_a", "i_l3_a", "p_w", "p_l1_w", "p_l2_w",
          "p_l3_w", "pf", "e_imp_kwh", "e_exp_kwh"]
FURNACE = ["p_w", "e_imp_kwh", "e_exp_kwh", "thd_i_l1_pct", "thd_i_l2_pct", "thd_i_l3_pct"]


def heat_power(t, start, ramp=5 * MIN, hold_w=800e3, hold=45 * MIN, drop=2 * MIN):
    """An induction-furnace heat: ramp up, hold, drop at tapping."""
    x = t - start
    if x < 0:
        return 0.0
    if x < ramp:
        return hold_w * (0.3 + 0.7 * x / ramp)
    if x < ramp + hold:
        return hold_w * (1 + 0.03 * math.sin(x / 300))
    if x < ramp + hold + drop:
        return hold_w * 0.2
    return 0.0


def every_minute(start, end, step=MIN):
    t = start
    while t < end:
        yield t
        t += step


def S(h, m=0):
    """Local time h:m (UTC+8) on the scenario day, h may exceed 24."""
    return T0 + (h - 12) * HOUR + m * MIN


def night_heats():
    s = Scenario("night_heats_sealed",
                 "a sealed induction furnace runs three heats at night (22:00-01:30 local)", FURNACE)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=182340.5, seed=11)
    starts = [S(22), S(23, 10), S(24, 20)]
    for t in every_minute(S(12), S(12 + 22)):
        w = 180 + sum(heat_power(t, st) for st in starts)
        s.row(t, "m1", m.measure(t, w, thd=27.5 if w > 50e3 else 4.0))
    s.event("reenergized", "raised", "critical", "furnace-2", onset=starts[0], max_latency_s=300)
    s.event("furnace_signature", "raised", "critical", "furnace-2", onset=starts[0],
            max_latency_s=3 * HOUR)
    s.event("reenergized", "cleared", "critical", "furnace-2")
    s.event("furnace_signature", "cleared", "critical", "furnace-2")
    return s


def single_heat():
    s = Scenario("single_short_heat", "one short heat (35 min, 600 kW) on a sealed furnace", FURNACE)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=5000, seed=12)
    st = S(23)
    for t in every_minute(S(20), S(28)):
        w = 150 + heat_power(t, st, ramp=4 * MIN, hold_w=600e3, hold=30 * MIN)
        s.row(t, "m1", m.measure(t, w, thd=25 if w > 50e3 else 3))
    s.event("reenergized", "raised", "critical", "furnace-2", onset=st, max_latency_s=300)
    s.event("reenergized", "cleared", "critical", "furnace-2")
    return s


def gateway_unplugged():
    s = Scenario("gateway_unplugged",
                 "the gateway is unplugged 22:00-03:00 while the sealed furnace runs; the "
                 "registers jumped", BASIC)
    m0, m1 = s.sealed_furnace_behind_incoming(seeds=(1, 2))
    off, on = S(22), S(27)
    for t in every_minute(S(18), S(31)):
        if off <= t < on:
            continue
        if t == on:  # what the registers counted while nobody looked: 4 h at 700 kW
            m0.advance_counter(t, 60e3 + 4 / 5 * 700e3)
            m1.advance_counter(t, 4 / 5 * 700e3)
        s.row(t, "m0", m0.measure(t, 60e3))
        s.row(t, "m1", m1.measure(t, 200))
    s.event("consumption_while_offline", "info", "critical", "furnace-2", "m1", onset=on,
            max_latency_s=0)
    return s


def reversed_ct():
    s = Scenario("reversed_ct",
                 "all three CTs of a sealed furnace reversed; it runs 2 h at 500 kW, the meter "
                 "shows export all along", BASIC)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=7000, seed=3)
    st, en = S(21), S(23)
    for t in every_minute(S(19), S(26)):
        w = 500e3 if st <= t < en else 200
        s.row(t, "m1", m.measure(t, w, reversed_phases=(0, 1, 2)))
    # The CTs are reversed from the start: even the 200 W standby reads -200 W, so the reversal
    # shows before the furnace runs, and stays (it is not cleared while the CTs stay wrong).
    s.event("reverse_energy", "raised", "critical", "furnace-2", "m1", onset=S(19),
            max_latency_s=300)
    s.event("reenergized", "raised", "critical", "furnace-2", onset=st, max_latency_s=300)
    s.event("reenergized", "cleared", "critical", "furnace-2")
    return s


def reversed_one_phase():
    s = Scenario("reversed_ct_one_phase",
                 "one CT reversed on an operating line: the meter reads a third of the draw",
                 PHASES)
    m = s.asset_on_own_meter("line-1", "operating", 0, e_imp=51200, seed=4)
    st = S(14)
    for t in every_minute(S(12), S(18)):
        s.row(t, "m1", m.measure(t, 120e3, reversed_phases=(0,) if t >= st else ()))
    s.event("reverse_energy", "raised", "major", "line-1", "m1", onset=st, max_latency_s=300)
    return s


def bypass():
    s = Scenario("bypass_submeter",
                 "the sealed furnace is fed around its sub-meter: the incoming meter sees "
                 "700 kW more than its sub-meters for 3 h", BASIC)
    for mid in ("m0", "m1", "m2"):
        s.meter(mid)
    s.asset("furnace-2", "sealed", ["m1"], 300)
    s.asset("line-1", "operating", ["m2"], 0)
    s.balance("m0", ["m1", "m2"], tol=5)
    ms = {mid: Meter(mid, BASIC, e_imp=1e5, seed=5 + i, noise=0.01) for i, mid in
          enumerate(("m0", "m1", "m2"))}
    st, en = S(22), S(25)
    for t in every_minute(S(18), S(29)):
        line = 200e3
        furnace = 700e3 if st <= t < en else 0
        s.row(t, "m0", ms["m0"].measure(t, line + 250 + furnace))
        s.row(t, "m1", ms["m1"].measure(t, 250))
        s.row(t, "m2", ms["m2"].measure(t, line))
    s.event("unmetered_load", "raised", "critical", "", "m0", onset=st, max_latency_s=3 * 900)
    s.event("unmetered_load", "cleared", "critical", "", "m0")
    return s


def meter_swap():
    s = Scenario("meter_swap", "the sealed furnace's meter is swapped: new serial, register "
                 "starts near zero", BASIC, serial=True)
    s.meter("m1")
    s.asset("furnace-2", "sealed", ["m1"], 300)
    old = Meter("m1", BASIC, e_imp=182340.5, seed=6)
    new = Meter("m1", BASIC, e_imp=0.3, seed=7)
    sw = S(15)
    for t in every_minute(S(12), S(18)):
        if sw <= t < sw + 20 * MIN:
            continue  # the meter is out while being swapped
        if t < sw:
            s.row(t, "m1", old.measure(t, 200), serial="630001")
        else:
            s.row(t, "m1", new.measure(t, 200), serial="630777")
    s.event("meter_replaced", "info", "major", "furnace-2", "m1", onset=sw + 20 * MIN,
            max_latency_s=0)
    return s


def meter_pulled():
    s = Scenario("meter_pulled",
                 "the sealed furnace's meter is disconnected 21:00-01:00 while the incoming "
                 "meter keeps reporting; the furnace ran meanwhile", BASIC)
    m0, m1 = s.sealed_furnace_behind_incoming(seeds=(8, 9))
    off, on = S(21), S(25)
    for t in every_minute(S(18), S(28)):
        running = off + 10 * MIN <= t < on - 20 * MIN
        s.row(t, "m0", m0.measure(t, 60e3 + (650e3 if running else 0)))
        if off <= t < on:
            continue
        if t == on:
            m1.advance_counter(t, 650e3 * 3.5 / 4)
        s.row(t, "m1", m1.measure(t, 200))
    s.event("meter_offline", "raised", "major", "furnace-2", "m1", onset=off, max_latency_s=300)
    s.event("consumption_while_offline", "info", "critical", "furnace-2", "m1", onset=on,
            max_latency_s=0)
    s.event("meter_offline", "cleared", "major", "furnace-2", "m1")
    return s


def production_shut():
    s = Scenario("production_shut", "a shut rolling line runs at 250 kW for 4 h at night", BASIC)
    m = s.asset_on_own_meter("line-2", "shut", 8000, e_imp=30000, seed=10)
    st, en = S(21), S(25)
    for t in every_minute(S(18), S(28)):
        s.row(t, "m1", m.measure(t, 250e3 if st <= t < en else 6000))
    s.event("production_suspected", "raised", "major", "line-2", onset=st, max_latency_s=300)
    s.event("production_suspected", "cleared", "major", "line-2")
    return s


def phase_loss():
    s = Scenario("phase_loss", "the L2 CT of an operating furnace is opened for 2 h", PHASES)
    m = s.asset_on_own_meter("furnace-5", "operating", 0, e_imp=4e5, seed=13)
    st, en = S(13), S(15)
    for t in every_minute(S(12), S(18)):
        s.row(t, "m1", m.measure(t, 400e3, dead_phase=1 if st <= t < en else None))
    s.event("phase_loss", "raised", "minor", "furnace-5", "m1", onset=st, max_latency_s=300)
    s.event("phase_loss", "cleared", "minor", "furnace-5", "m1")
    return s


def rollback():
    s = Scenario("counter_rollback", "an operating line's import register is cleared to zero "
                 "(no serial column: the meter looks the same)", BASIC)
    m = s.asset_on_own_meter("line-1", "operating", 0, e_imp=51200, seed=14)
    at = S(15)
    for t in every_minute(S(12), S(18)):
        if t == at:
            m.e_imp = 0.0
        s.row(t, "m1", m.measure(t, 80e3))
    s.event("counter_rollback", "info", "minor", "line-1", "m1", onset=at, max_latency_s=60)
    return s


# ---- negatives: must stay silent -----------------------------------------------------------

def standby_lighting():
    s = Scenario("standby_lighting", "a sealed furnace: 200 W of lamps at night, 300 W allowed",
                 BASIC)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=182340.5, seed=15)
    for t in every_minute(S(12), S(36)):
        lamps = 200 if (t - S(0)) % 86400 >= 18 * HOUR or (t - S(0)) % 86400 < 6 * HOUR else 20
        s.row(t, "m1", m.measure(t, lamps))
    return s


def antifreeze():
    s = Scenario("antifreeze_cycling", "a sealed kiln's anti-freeze heater cycles 1.5 kW "
                 "(10 min on, 20 off) under standby_w = 2000", BASIC)
    m = s.asset_on_own_meter("kiln-1", "sealed", 2000, e_imp=2000, seed=16)
    for t in every_minute(S(12), S(36)):
        heater = 1500 if ((t - S(12)) // MIN) % 30 < 10 else 0
        s.row(t, "m1", m.measure(t, 150 + heater))
    return s


def spikes():
    s = Scenario("one_sample_spikes", "isolated one-sample (and one two-sample) spikes on a "
                 "sealed furnace's meter", FURNACE)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=1000, seed=17)
    spike_at = {S(13): 40e3, S(15, 7): 900e3, S(17, 33): 120e3, S(20): 5e3, S(22, 45): 300e3,
                S(22, 46): 300e3}
    for t in every_minute(S(12), S(26)):
        vals = m.measure(t, 200)
        if t in spike_at:
            vals["p_w"] = spike_at[t]  # an inrush or a bad read of the power register
        s.row(t, "m1", vals)
    return s


def glitches():
    s = Scenario("meter_glitches", "bad reads on a sealed furnace's meter: a row of zeros, "
                 "garbage registers, a huge negative power", BASIC)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=182340.5, seed=18)
    for t in every_minute(S(12), S(24)):
        vals = m.measure(t, 200)
        if t == S(13):
            vals = {"p_w": 0, "e_imp_kwh": 0, "e_exp_kwh": 0}
        elif t == S(15):
            vals = dict(vals, e_imp_kwh=4294967.295)
        elif t == S(17):
            vals = dict(vals, p_w=-3.2e9)
        elif t == S(19):
            vals = dict(vals, e_exp_kwh=65535.0)
        elif t == S(21):
            vals = dict(vals, e_imp_kwh=None, p_w=None)
        s.row(t, "m1", vals)
    return s


def voltage_sags():
    s = Scenario("voltage_sags", "an operating line through voltage sags: all phases to 70 % "
                 "for 3 min, L1 out for 2 min", PHASES)
    m = s.asset_on_own_meter("line-1", "operating", 0, e_imp=51200, seed=19)
    for t in every_minute(S(12), S(18)):
        u = (230, 230, 230)
        if S(13) <= t < S(13, 3):
            u = (161, 161, 161)
        dead = 0 if S(15) <= t < S(15, 2) else None
        if dead == 0:
            u = (0, 230, 230)
        s.row(t, "m1", m.measure(t, 150e3, dead_phase=dead, u=u))
    return s


def welder():
    s = Scenario("welder_on_shut", "maintenance welding (two-phase, 12-25 kW bursts) on a shut "
                 "asset, under its 50 kW production level", PHASES)
    m = s.asset_on_own_meter("line-2", "shut", 3000, e_imp=30000, seed=20)
    rng = random.Random(21)
    bursts = []
    t = S(9)
    while t < S(12):
        d = rng.randint(5, 20) * MIN
        bursts.append((t, t + d, rng.uniform(12e3, 25e3)))
        t += d + rng.randint(3, 15) * MIN
    for t in every_minute(S(8), S(14)):
        w = next((p for a, b, p in bursts if a <= t < b), 0)
        vals = m.measure(t, 2500 + w, dead_phase=2 if w else None)
        s.row(t, "m1", vals)
    return s


def operating_heats():
    s = Scenario("operating_heats", "an operating induction furnace runs its heats: allowed",
                 FURNACE)
    m = s.asset_on_own_meter("furnace-1", "operating", 0, e_imp=8e5, seed=22)
    starts = [S(8) + k * 70 * MIN for k in range(8)]
    for t in every_minute(S(7), S(18)):
        w = 500 + sum(heat_power(t, st) for st in starts)
        s.row(t, "m1", m.measure(t, w, thd=28 if w > 50e3 else 4))
    return s

# ---- issue 10: timing on samples, every kWh accounted for, furnaces as they run, dirty data --
# Written for a config with no [detect] keys (what a user runs). `awaits` marks the scenarios
# the detector does not meet yet; the labels are the truth all the same.

SECOND = 1
POWER_VALUES = ("p_w", "p_l1_w", "p_l2_w", "p_l3_w", "i_l1_a", "i_l2_a", "i_l3_a", "pf",
                "thd_i_l1_pct", "thd_i_l2_pct", "thd_i_l3_pct")


def every_second(start, end):
    return every_minute(start, end, step=SECOND)


def pulses_sealed_1s():
    s = Scenario("pulses_sealed_1s", "a sealed furnace switched to 800 kW for 10 s, twice, three "
                 "minutes apart (1 s polling)", BASIC)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=182340.5, seed=31, interval_ms=1000)
    on = [S(22), S(22, 3)]
    for t in every_second(S(21, 55), S(22, 45)):
        w = 800e3 if any(a <= t < a + 10 for a in on) else 180
        s.row(t, "m1", m.measure(t, w))
    # Two polls + 1 s of the load change, in data time: the second high sample confirms.
    s.event("reenergized", "raised", "critical", "furnace-2", onset=on[0], max_latency_s=2)
    s.event("reenergized", "cleared", "critical", "furnace-2")
    return s


def short_gap(name, interval_s, gap_s, offline_latency_s, start, end):
    s = Scenario(name, f"a sealed furnace's meter is silent for {gap_s} s while its import "
                 f"register advances 500 kWh; the incoming meter answers throughout "
                 f"({interval_s} s polling)", BASIC)
    m0, m1 = s.sealed_furnace_behind_incoming(seeds=(32, 33), interval_ms=interval_s * 1000)
    off, on = S(22), S(22) + gap_s
    burst_w = 500 * 3.6e6 / gap_s  # 500 kWh over the silence, whatever drew it
    for t in every_minute(start, end, step=interval_s):
        s.row(t, "m0", m0.measure(t, 60e3 + (burst_w if off <= t < on else 0)))
        if off <= t < on:
            continue
        if t == on:
            m1.advance_counter(t, 500 * 3.6e6 / (on - m1.last_t))
        s.row(t, "m1", m1.measure(t, 180))
    s.event("meter_offline", "raised", "major", "furnace-2", "m1", onset=off,
            max_latency_s=offline_latency_s)
    s.event("consumption_while_offline", "info", "critical", "furnace-2", "m1", onset=on,
            max_latency_s=0)
    s.event("meter_offline", "cleared", "major", "furnace-2", "m1")
    return s


def short_gap_1s():
    return short_gap("short_gap_1s", 1, 30, 10, S(21, 58), S(22, 3))


def short_gap_1min():
    return short_gap("short_gap_1min", 60, 5 * MIN, 4 * MIN, S(21), S(23))


def lying_power(name, description, interval_s, start, end, load, lie, latency_s):
    """A sealed furnace runs `load` = (from, until, W) while its power values lie (`lie` =
    (from, until, shown): shown None = frozen at the value read at `from`); the registers count
    the truth."""
    cols = ["p_w", "p_l1_w", "p_l2_w", "p_l3_w", "i_l1_a", "i_l2_a", "i_l3_a", "e_imp_kwh",
            "e_exp_kwh"]
    s = Scenario(name, description, cols)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=182340.5, seed=34 + interval_s,
                             interval_ms=interval_s * 1000)
    frozen = None
    for t in every_minute(start, end, step=interval_s):
        vals = m.measure(t, load[2] if load[0] <= t < load[1] else 180)
        if lie[0] <= t < lie[1]:
            if lie[2] is None:
                frozen = frozen or {k: v for k, v in vals.items() if k in POWER_VALUES}
                vals.update(frozen)
            else:
                vals.update(shown_power(lie[2]))
        s.row(t, "m1", vals)
    s.event("reenergized", "raised", "critical", "furnace-2", onset=load[0],
            max_latency_s=latency_s, details={"energy_source": "register"})
    s.event("power_register_mismatch", "raised", "critical", "furnace-2", "m1", onset=load[0],
            max_latency_s=latency_s)
    s.event("power_register_mismatch", "cleared", "critical", "furnace-2", "m1")
    s.event("reenergized", "cleared", "critical", "furnace-2")
    return s


def shown_power(w, u=230, pf=0.92):
    """The power values a meter shows for a balanced load of w (a falsified reading)."""
    return {"p_w": w, "p_l1_w": w / 3, "p_l2_w": w / 3, "p_l3_w": w / 3,
            "i_l1_a": w / 3 / (u * pf), "i_l2_a": w / 3 / (u * pf), "i_l3_a": w / 3 / (u * pf)}


def frozen_power_1s():
    return lying_power("frozen_power_1s", "a sealed furnace runs 800 kW for 10 min while its "
                       "meter's power values stay frozen at the standby reading; the register "
                       "climbs (1 s polling)", 1, S(21, 58), S(22, 50),
                       (S(22, 1), S(22, 11), 800e3), (S(22), S(22, 20), None), 5)


def frozen_power_1min():
    return lying_power("frozen_power_1min", "a sealed furnace runs 800 kW for 1 h while its "
                       "meter's power values stay frozen at the standby reading; the register "
                       "climbs", 60, S(21), S(24), (S(22), S(23), 800e3),
                       (S(21, 50), S(23, 30), None), 5 * MIN)


def zeroed_power_1min():
    return lying_power("zeroed_power_1min", "a sealed furnace runs 600 kW for 2 h while its "
                       "meter's power values read zero; the register climbs", 60, S(21), S(25),
                       (S(22), S(24), 600e3), (S(21, 30), S(24, 30), 0.0), 5 * MIN)


def heats_across_gaps():
    s = Scenario("heats_across_gaps", "a sealed furnace runs three night heats; the gateway is "
                 "off 30 min in the middle of the first and 45 min over the end of the second: "
                 "no part of either seen is a heat's length", FURNACE)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=182340.5, seed=40)
    starts = [S(22), S(23, 10), S(24, 20)]
    gaps = [(S(22, 15), S(22, 45)), (S(23, 25), S(24, 10))]
    for t in every_minute(S(21), S(29)):
        w = 180 + sum(heat_power(t, st, hold=50 * MIN) for st in starts)
        gap = next((g for g in gaps if g[0] <= t < g[1]), None)
        if gap:
            m.advance_counter(t, w)  # the register counts on while nobody reads it
            continue
        s.row(t, "m1", m.measure(t, w, thd=27.5 if w > 50e3 else 4.0))
    s.event("reenergized", "raised", "critical", "furnace-2", onset=starts[0], max_latency_s=300)
    for g in gaps:
        s.event("consumption_while_offline", "info", "critical", "furnace-2", "m1", onset=g[1],
                max_latency_s=0)
    # Heats 1 and 2 both ran, partly unseen (the registers say what they drew): the series is
    # known when the data returns after the second gap, not only at the end of heat 3.
    s.event("furnace_signature", "raised", "critical", "furnace-2", onset=starts[0],
            max_latency_s=gaps[1][1] + 5 * MIN - starts[0])
    s.event("reenergized", "cleared", "critical", "furnace-2")
    s.event("furnace_signature", "cleared", "critical", "furnace-2")
    return s


def small_furnace_night():
    s = Scenario("small_furnace_night", "a sealed 0.25 t induction furnace melts four small "
                 "heats (110-230 kW, 30-60 min) between 01:00 and 05:30", FURNACE)
    m = s.asset_on_own_meter("furnace-7", "sealed", 300, e_imp=23410.2, seed=41)
    heats = [(S(25), 110e3, 35), (S(26, 5), 230e3, 50), (S(27, 15), 150e3, 30),
             (S(28, 10), 180e3, 45)]
    for t in every_minute(S(24), S(34)):
        w = 150 + sum(heat_power(t, st, ramp=3 * MIN, hold_w=hw, hold=hold * MIN, drop=MIN)
                      for st, hw, hold in heats)
        s.row(t, "m1", m.measure(t, w, thd=31.0 if w > 20e3 else 3.5))
    s.event("reenergized", "raised", "critical", "furnace-7", onset=heats[0][0],
            max_latency_s=300)
    end_of_second = heats[1][0] + (3 + 50 + 1) * MIN
    s.event("furnace_signature", "raised", "critical", "furnace-7", onset=heats[0][0],
            max_latency_s=end_of_second + 5 * MIN - heats[0][0])
    s.event("reenergized", "cleared", "critical", "furnace-7")
    s.event("furnace_signature", "cleared", "critical", "furnace-7")
    return s


def dirty_cells(name, interval_s, start, end, cols):
    """Bad cells and broken rows on a sealed furnace at standby: nothing happened."""
    s = Scenario(name, f"NaN, inf, absurd values, garbage cells and broken rows on a sealed "
                 f"furnace's meter at standby ({interval_s} s polling)", cols)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=182340.5, seed=42 + interval_s,
                             interval_ms=interval_s * 1000)
    ts = list(every_minute(start, end, step=interval_s))
    n = len(ts)
    bad = {  # row index -> cells replaced
        n // 12: {"p_w": "NaN"},
        2 * n // 12: {"p_w": "1e9", "p_l1_w": "333333333.3"},  # 1e9 W
        3 * n // 12: {"e_imp_kwh": "nan"},
        4 * n // 12: {"p_w": "inf", "e_exp_kwh": "-inf"},
        5 * n // 12: {c: "NaN" for c in cols},  # a row of NaN
        6 * n // 12: {"p_w": "-3.2e9"},
        7 * n // 12: {"e_imp_kwh": "1e13"},  # beyond any register
        8 * n // 12: {"p_w": "#N/A", "e_imp_kwh": "ERR"},
        9 * n // 12: {"p_w": "Infinity"},
        10 * n // 12: {"i_l1_a": "1e7", "p_w": "nan"},
    }
    broken = {n // 8: "{t},m1", 3 * n // 8: "-- meter m1 did not answer --",
              5 * n // 8: "{t},m1,,,,,,,,,,,,,,,,,,,,,,", 7 * n // 8: "{t},m1," + "5," * 30}
    for i, t in enumerate(ts):
        vals = m.measure(t, 180)
        if i in broken:
            s.raw(t, broken[i].format(t=rfc(t)))
            continue
        vals.update(bad.get(i, {}))
        s.row(t, "m1", vals)
    ignored = {}
    for cells in bad.values():
        for c, text in cells.items():
            if c in cols and text != "333333333.3":  # absurd for this meter, yet physical
                ignored[c] = ignored.get(c, 0) + 1
    s.replay = {"ignored_cells": ignored,
                "skipped_rows": {"cell_count": 3, "bad_time": 1}}
    return s


def glitches_1s():
    return dirty_cells("glitches_nan_1s", 1, S(22), S(22, 30), PHASES)


def glitches_1min():
    return dirty_cells("glitches_nan_1min", 60, S(12), S(36), PHASES)


def noisy_standby(name, interval_s, start, end, seed):
    """Standby just under its allowance, with single samples crossing the raise level (an
    inrush, a kettle); the registers, at 0.01 kWh resolution, count what was drawn."""
    s = Scenario(name, f"a sealed furnace's standby (230-290 W under standby_w = 300) with "
                 f"single samples up to 900 W ({interval_s} s polling)", BASIC)
    m = s.asset_on_own_meter("furnace-2", "sealed", 300, e_imp=182340.5, seed=seed,
                             interval_ms=interval_s * 1000, noise=0.05)
    rng = random.Random(seed + 1)
    last_spike = -10
    for i, t in enumerate(every_minute(start, end, step=interval_s)):
        w = 260 + 20 * math.sin(i / 37)
        if i - last_spike >= 2 and rng.random() < 0.06:
            w = rng.uniform(420, 900)
            last_spike = i
        s.row(t, "m1", m.measure(t, w))
    return s


def noisy_standby_1s():
    return noisy_standby("noisy_standby_1s", 1, S(22), S(23), 50)


def noisy_standby_1min():
    return noisy_standby("noisy_standby_1min", 60, S(12), S(36), 51)


def lagging_submeters(name, interval_s, start, end, jitter_s, dup_every, heat_starts):
    """An incoming meter and its two sub-meters (a sealed furnace at standby, an operating
    furnace running heats) balanced within their losses; the sub-meters' values are a sample
    behind the incoming meter's, timestamps are jittered, some rows come twice."""
    s = Scenario(name, f"sub-meters a sample behind the incoming meter, timestamps jittered "
                 f"by up to {jitter_s} s, every {dup_every}th row twice ({interval_s} s "
                 f"polling)", BASIC)
    for mid in ("m0", "m1", "m2"):
        s.meter(mid, interval_ms=interval_s * 1000)
    s.asset("furnace-2", "sealed", ["m1"], 300)
    s.asset("furnace-1", "operating", ["m2"], 0)
    s.balance("m0", ["m1", "m2"], tol=5)
    ms = {mid: Meter(mid, BASIC, e_imp=1e5 * (i + 1), seed=60 + i, noise=0.005)
          for i, mid in enumerate(("m0", "m1", "m2"))}
    rng = random.Random(63)
    s.sorted_rows = jitter_s == 0  # with jitter: written by poll round, as exported
    n = 0
    dups = 0

    def load(t):
        return 250, 20e3 + sum(heat_power(t, st) for st in heat_starts)

    for t in every_minute(start, end, step=interval_s):
        furnace2, furnace1 = load(t)
        lag2, lag1 = load(t - interval_s)
        for mid, vals in (("m0", ms["m0"].measure(t, (furnace2 + furnace1) * 1.005)),
                          ("m1", ms["m1"].measure(t - interval_s, lag2)),
                          ("m2", ms["m2"].measure(t - interval_s, lag1))):
            stamp = t + (rng.randint(-jitter_s, jitter_s) if jitter_s else 0)
            s.row(stamp, mid, vals)
            n += 1
            if n % dup_every == 0:
                s.row(stamp, mid, vals)
                dups += 1
    s.replay = {"skipped_rows": {"duplicate": dups}}
    return s


def lagging_submeters_1min():
    return lagging_submeters("lagging_submeters_1min", 60, S(12), S(24), 5, 37,
                             [S(13) + k * 70 * MIN for k in range(9)])


def lagging_submeters_1s():
    return lagging_submeters("lagging_submeters_1s", 1, S(14), S(14, 45), 0, 97, [S(14, 10)])


def legal_furnace():
    s = Scenario("legal_furnace_beside_sealed", "an operating furnace melts its heats day and "
                 "night next to a sealed one; the incoming meter balances with both", FURNACE)
    for mid in ("m0", "m1", "m2"):
        s.meter(mid)
    s.asset("furnace-1", "operating", ["m1"], 0)
    s.asset("furnace-2", "sealed", ["m2"], 300)
    s.balance("m0", ["m1", "m2"], tol=5)
    ms = {mid: Meter(mid, FURNACE, e_imp=2e5 * (i + 1), seed=70 + i, noise=0.01)
          for i, mid in enumerate(("m0", "m1", "m2"))}
    starts = [S(8) + k * 75 * MIN for k in range(14)]
    for t in every_minute(S(7), S(31)):
        furnace = 400 + sum(heat_power(t, st, hold_w=1.2e6, hold=55 * MIN) for st in starts)
        s.row(t, "m0", ms["m0"].measure(t, (furnace + 220) * 1.004, thd=18 if furnace > 50e3
                                        else 3))
        s.row(t, "m1", ms["m1"].measure(t, furnace, thd=28 if furnace > 50e3 else 4))
        s.row(t, "m2", ms["m2"].measure(t, 220, thd=3))
    # Balanced at every moment: the sub-meters' rows come after the incoming meter's in each
    # poll, and a heat's ramp must not show as an excess between them.
    return s


def vsd_fan_on_shut():
    s = Scenario("vsd_fan_on_shut", "the extraction fan of a shut melt shop runs on a variable-"
                 "speed drive all day (45-220 kW with its speed, THD-I 35 %), a 15 min stop at noon",
                 FURNACE)
    m = s.asset_on_own_meter("fan-hall", "shut", 3000, e_imp=61200, seed=80, kind="ventilation")
    rng = random.Random(81)
    speed = 0.8
    run, stop = (S(6), S(22)), (S(12), S(12, 15))
    for t in every_minute(S(5), S(24)):
        speed = min(1.0, max(0.6, speed + rng.gauss(0, 0.02)))
        on = run[0] <= t < run[1] and not stop[0] <= t < stop[1]
        w = 1500 + (200e3 * speed ** 3 + 20e3 * math.sin((t - run[0]) / 900) if on else 0)
        s.row(t, "m1", m.measure(t, w, thd=35 if on else 4))
    # A shut asset drawing production-level power all day is worth a look (production_w); a
    # fan's day is no series of heats.
    s.event("production_suspected", "raised", "major", "fan-hall", onset=run[0],
            max_latency_s=300)
    s.event("production_suspected", "cleared", "major", "fan-hall")
    return s


ISSUE_10 = (pulses_sealed_1s, short_gap_1s, short_gap_1min, frozen_power_1s, frozen_power_1min,
            zeroed_power_1min, heats_across_gaps, small_furnace_night, glitches_1s, glitches_1min,
            noisy_standby_1s, noisy_standby_1min, lagging_submeters_1min, lagging_submeters_1s,
            legal_furnace, vsd_fan_on_shut)


def main():
    for make in (night_heats, single_heat, gateway_unplugged, reversed_ct, reversed_one_phase,
                 bypass, meter_swap, meter_pulled, production_shut, phase_loss, rollback,
                 standby_lighting, antifreeze, spikes, glitches, voltage_sags, welder,
                 operating_heats) + ISSUE_10:
        s = make()
        s.write()
        print(f"{s.name}: {len(s.rows)} rows, {len(s.expect)} expected events")


if __name__ == "__main__":
    main()
