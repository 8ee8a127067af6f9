"""Issue 13, item 2: `sealwatch meter discover --bus ID` finds the address of the one DL/T 645
meter on a dlt645 bus with the read-address command (13H to AA..AA), here over a socat pty pair
to sealwatch-sim at the standard's 2400 8E1, and prints it with a [[meter]] table to paste. On a
line of two meters (they answer at once) and on a silent line it says what is wrong."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, agent_config, binary, dlt645_scenario  # noqa: E402


class MeterDiscoverTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def discover(self, meters):
        """Runs discover against a pty line with `meters` (see dlt645_scenario) on it."""
        agent_tty, sim_tty = self.h.pty_pair()
        self.h.sim(self.h.write("meters.toml", dlt645_scenario(sim_tty, meters)))
        bus = {"id": "rs485", "kind": "dlt645", "device": agent_tty, "timeout_ms": 500}
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), [bus], []))
        return subprocess.run([binary("sealwatch"), "meter", "discover", "--bus", "rs485",
                               "--config", cfg], capture_output=True, text=True, timeout=30)

    def test_the_lone_meter_on_the_line(self):
        run = self.discover([("furnace", "000012345678", "line", "")])
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(lines[0], "000012345678")
        self.assertIn('[[meter]]', lines)
        self.assertIn('bus = "rs485"', lines)
        self.assertIn('address = "000012345678"', lines)
        self.assertIn('profile = "dlt645-2007"', lines)

    def test_two_meters_answer_at_once(self):
        run = self.discover([("a", "000012345678", "line", ""),
                             ("b", "000000000002", "line", "")])
        self.assertEqual(run.returncode, 1, run.stdout)
        self.assertEqual(run.stdout, "")
        self.assertIn("several meters answering at once", run.stderr)

    def test_nobody_answers(self):
        run = self.discover([("dead", "000012345678", "line", "faults = [{ no_answer = true }]\n")])
        self.assertEqual(run.returncode, 1, run.stdout)
        self.assertIn("no meter answered", run.stderr)

    def test_a_modbus_bus_is_refused(self):
        cfg = self.h.write("sw.toml", agent_config(
            self.h.path("data"), [{"id": "lan", "kind": "tcp", "host": "127.0.0.1"}], []))
        run = subprocess.run([binary("sealwatch"), "meter", "discover", "--bus", "lan",
                              "--config", cfg], capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 2)
        self.assertIn("not a dlt645 bus", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
