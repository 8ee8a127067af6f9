"""`sealwatch analyze` prints byte-identical events to the committed golden outputs.

The golden files (tests/golden/analyze/) were captured from the detector before it was split
into one file per rule (issue 9): any refactor of agent/detect/ must leave them unchanged. A
deliberate change of behaviour regenerates them and shows the difference in review:

    SEALWATCH_GOLDEN_UPDATE=1 python3 tests/integration/test_analyze_golden.py

What is compared:
- every scenario of tests/scenarios/detect/ with its config as written, then with every asset
  forced into each legal state (so each rule meets each row of the severity table);
- a month of tests/bench/gen_analyze_year.py's data (32 meters, 1-minute readings), as written
  and with every asset sealed and shut;
- the year of that data only when SEALWATCH_GOLDEN_YEAR=1: generating ~1 GB and analysing it
  takes minutes on a CI machine; its output is compared by SHA-256 (bench-year.sha256).
"""
import glob
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE, binary  # noqa: E402

GOLDEN = os.path.join(SOURCE, "tests", "golden", "analyze")
SCENARIOS = os.path.join(SOURCE, "tests", "scenarios", "detect")
GENERATOR = os.path.join(SOURCE, "tests", "bench", "gen_analyze_year.py")
STATES = ["operating", "rectifying", "shut", "sealed", "dismantled"]
UPDATE = os.environ.get("SEALWATCH_GOLDEN_UPDATE") == "1"


def with_state(config_text, state):
    """The config with every asset's state replaced (the only `state` key in a config)."""
    return re.sub(r'(?m)^state = "[a-z]+"$', f'state = "{state}"', config_text)


def analyze(config_path, csv_path):
    r = subprocess.run([binary("sealwatch"), "analyze", "--config", config_path, "--csv", csv_path],
                       capture_output=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"analyze {csv_path} exit {r.returncode}: {r.stderr.decode()[-2000:]}")
    return r.stdout


def variants(config_path, csv_path, states, workdir):
    """analyze over the config as written, then with every asset in each of `states`; the
    outputs one after the other, each under a `# variant` line."""
    with open(config_path) as f:
        text = f.read()
    out = b"# config as written\n" + analyze(config_path, csv_path)
    for state in states:
        forced = os.path.join(workdir, f"forced-{state}.toml")
        with open(forced, "w") as f:
            f.write(with_state(text, state))
        out += f"# every asset {state}\n".encode() + analyze(forced, csv_path)
    return out


class AnalyzeGolden(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="sw-golden-")
        self.addCleanup(self.tmp.cleanup)

    def check(self, name, got):
        path = os.path.join(GOLDEN, name)
        if UPDATE:
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, "wb") as f:
                f.write(got)
            return
        self.assertTrue(os.path.exists(path), f"no golden output {path}")
        with open(path, "rb") as f:
            want = f.read()
        if got != want:
            wl, gl = want.splitlines(), got.splitlines()
            first = next((i for i in range(min(len(wl), len(gl))) if wl[i] != gl[i]),
                         min(len(wl), len(gl)))
            self.fail(f"{name}: differs from line {first + 1} ({len(wl)} lines expected, "
                      f"{len(gl)} emitted)\n  golden:  {wl[first] if first < len(wl) else b'<end>'}"
                      f"\n  emitted: {gl[first] if first < len(gl) else b'<end>'}")

    def test_scenario_library(self):
        if UPDATE:
            names = [os.path.basename(p)[:-5] for p in glob.glob(os.path.join(SCENARIOS, "*.toml"))]
        else:  # the scenarios captured; scenarios added later have only their expect.json
            names = [os.path.basename(p)[:-6] for p in glob.glob(os.path.join(GOLDEN, "*.jsonl"))
                     if not os.path.basename(p).startswith("bench-")]
        self.assertGreater(len(names), 10)
        for name in sorted(names):
            with self.subTest(scenario=name):
                got = variants(os.path.join(SCENARIOS, name + ".toml"),
                               os.path.join(SCENARIOS, name + ".csv"), STATES, self.tmp.name)
                self.check(name + ".jsonl", got)

    def test_a_month_of_32_meters(self):
        data = os.path.join(self.tmp.name, "month")
        subprocess.run([sys.executable, GENERATOR, data, "--days", "31"], check=True, timeout=300)
        got = variants(os.path.join(data, "bench.toml"), os.path.join(data, "year.csv"),
                       ["sealed", "shut"], self.tmp.name)
        self.check("bench-month.jsonl", got)



def a_year_of_32_meters(self):
    data = os.path.join(self.tmp.name, "year")
    subprocess.run([sys.executable, GENERATOR, data], check=True, timeout=1200)
    out = analyze(os.path.join(data, "bench.toml"), os.path.join(data, "year.csv"))
    got = f"{hashlib.sha256(out).hexdigest()}  {len(out.splitlines())} events\n".encode()
    self.check("bench-year.sha256", got)


# The year (minutes, ~1 GB in TMPDIR) is a test only when asked for: not a skipped one, which
# CI counts as failed (run_one.py).
if os.environ.get("SEALWATCH_GOLDEN_YEAR") == "1" or UPDATE:
    AnalyzeGolden.test_a_year_of_32_meters = a_year_of_32_meters


if __name__ == "__main__":
    unittest.main()
