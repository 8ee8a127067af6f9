"""Issue 13, item 6, end to end: the gateway's wall clock is not synchronised (the sim board
says so), so every published reading carries "clock_unsynced": true; once the clock is
synchronised the member is gone. Each change is logged once and shown by `sealwatch status`
(text and --json), and the export has the state per row in its clock_unsynced column and
verifies."""
import csv
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, agent_config, binary, wait  # noqa: E402

SCENARIO = """
[[meter]]
id = "m1"
unit = 1
profile = "eastron-sdm120"
serial = 120001
e_imp_kwh = 10
program = [{ at = "0s", p_w = 2000 }]
"""


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


class ClockState(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def set_synced(self, synced):
        with open(os.path.join(self.sim_dir, "clock_synced"), "w") as f:
            f.write("1\n" if synced else "0\n")

    def test_readings_say_when_the_clock_was_not_synchronised(self):
        self.sim_dir = self.h.path("board")
        os.mkdir(self.sim_dir)
        self.set_synced(False)
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker)
        _, listening = self.h.sim(self.h.write("m.toml", SCENARIO), "--tcp", "127.0.0.1:0")
        board = f'[board]\nname = "sim"\nsim_dir = "{self.sim_dir}"\n'
        data = self.h.path("data")
        cfg = self.h.write("sw.toml", agent_config(
            data, [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": listening["tcp"][0]}],
            [{"id": "m1", "bus": "lan", "unit": 1, "profile": "eastron-sdm120",
              "interval_ms": 250}], broker.port, extra=board))
        start = time.time() - 5
        agent = self.h.agent(cfg)

        readings = sub.readings

        wait(lambda: len(readings()) >= 4, 20, "telemetry while the clock is not synchronised")
        unsynced = readings()
        self.assertTrue(all(r.get("clock_unsynced") is True for r in unsynced), unsynced[:3])
        status = json.loads(run(binary("sealwatch"), "status", "--json", "-c", cfg).stdout)
        self.assertIs(status["clock_synced"], False)
        self.assertIsNotNone(status["clock_since"])
        text = run(binary("sealwatch"), "status", "-c", cfg).stdout
        self.assertIn("clock: NOT synchronised since ", text)
        self.assertIn("readings are marked clock_unsynced", text)
        self.assertLessEqual(max(len(line) for line in text.splitlines()), 80, text)

        self.set_synced(True)
        wait(lambda: "the wall clock is synchronised again" in agent.stderr(), 10,
             "the change to be logged")
        seen = len(readings())
        wait(lambda: len(readings()) >= seen + 4 and
             all("clock_unsynced" not in r for r in readings()[-3:]), 20,
             "telemetry without clock_unsynced")
        status = json.loads(run(binary("sealwatch"), "status", "--json", "-c", cfg).stdout)
        self.assertIs(status["clock_synced"], True)
        text = run(binary("sealwatch"), "status", "-c", cfg).stdout
        self.assertIn("clock: synchronised since ", text)
        self.assertNotIn("clock_unsynced", text)
        # Logged once per change, not at every poll.
        log = agent.stderr()
        self.assertEqual(log.count("the wall clock is synchronised again"), 1, log[-2000:])
        self.assertEqual(log.count("readings are marked clock_unsynced until it is"), 1,
                         log[-2000:])

        agent.stop()
        bundle = self.h.path("bundle")
        export = run(binary("sealwatch"), "export", "-c", cfg, "--from", str(int(start)),
                     "--to", str(int(time.time() + 5)), "--out", bundle)
        self.assertEqual(export.returncode, 0, export.stderr)
        with open(os.path.join(bundle, "readings.csv"), newline="") as f:
            flags = [r["clock_unsynced"] for r in csv.DictReader(f)]
        self.assertEqual(flags[0], "1")
        self.assertEqual(flags[-1], "0")
        self.assertEqual(set(flags), {"0", "1"})
        verify = run(binary("sealwatch"), "verify", bundle, "--pubkey",
                     os.path.join(data, "gateway.pub"))
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
