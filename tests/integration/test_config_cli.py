"""The config check verbs as an engineer uses them: exit codes and FILE:LINE messages."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, binary  # noqa: E402

GOOD = """[gateway]
id = "gw-1"
site = "plant-1"
data_dir = "/tmp/x"

[uplink]
insecure = true

[[bus]]
id = "b"
kind = "tcp"
host = "127.0.0.1"

[[meter]]
id = "m1"
bus = "b"
unit = 1
profile = "eastron-sdm630"
"""


class ConfigCli(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def run_tool(self, *args):
        return subprocess.run(args, capture_output=True, text=True, timeout=30)

    def test_good_config(self):
        path = self.h.write("good.toml", GOOD)
        r = self.run_tool(binary("sealwatch"), "config", "check", "--config", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.run_tool(binary("sealwatchd"), "--check", "--config", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_every_problem_named_with_file_and_line(self):
        bad = GOOD.replace('host = "127.0.0.1"', 'host = "127.0.0.1"\nbaud = 9600') \
                  .replace('unit = 1', 'unit = 1\nintervall_ms = 500') \
                  .replace('profile = "eastron-sdm630"', 'profile = "eastron-sdm999"')
        path = self.h.write("bad.toml", bad)
        r = self.run_tool(binary("sealwatch"), "config", "check", "--config", path)
        self.assertEqual(r.returncode, 2)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(lines, [
            f"{path}:13: 'baud' belongs to an rtu bus, not tcp",
            f"{path}:15: meter \"m1\": no profile \"eastron-sdm999\"",
            f"{path}:19: unknown key 'intervall_ms' in [[meter]] (expected one of: id, bus, "
            "unit, profile, interval_ms, offline_after, backoff_max_ms, ct_ratio, pt_ratio, "
            "event_counts_interval_s)",
        ])
        r = self.run_tool(binary("sealwatchd"), "--check", "--config", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:19: unknown key 'intervall_ms'", r.stderr)

    def test_agent_refuses_to_start_on_a_bad_config(self):
        path = self.h.write("bad.toml", GOOD.replace("[gateway]", "[gateway]\nbogus = 1"))
        r = self.run_tool(binary("sealwatchd"), "--config", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:2: unknown key 'bogus' in [gateway]", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
