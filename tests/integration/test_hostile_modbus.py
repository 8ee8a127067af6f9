"""Issue 15, hostile Modbus peers: a TCP peer answering wrongly on purpose (one kind of wrong per
unit, tests/integration/hostile_modbus.py; one more answers well-formed frames with a power
factor of 230) and one that accepts connections and never answers, each on its own bus, beside a
healthy sealwatch-sim meter on a third. The healthy meter keeps its interval, no wrong answer
becomes a reading, no impossible value is stored, each hostile meter's going offline is logged
once, and the agent's memory does not grow."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import hostile_modbus as hm  # noqa: E402
from harness import Harness, agent_config, readings  # noqa: E402

SCENARIO = """
[[meter]]
id = "healthy"
unit = 1
profile = "eastron-sdm630"
serial = 630001
program = [{ at = "0s", p_w = 5000 }]
"""

INTERVAL_MS = 1000
TIMEOUT_MS = 300
WARM_UP_S = 15.0   # SQLite's page cache and the allocator settle before the first RSS sample
WINDOW_S = 40.0    # then polled under attack, RSS sampled at the end
RSS_SLACK_KB = 1024


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def under_asan(pid):
    """AddressSanitizer holds freed memory in quarantine (up to 256 MB), so RSS grows by design:
    there the agent's leaks are LeakSanitizer's to find, at exit, not VmRSS's."""
    with open(f"/proc/{pid}/maps") as f:
        return any("libasan" in line for line in f)


class HostileModbusTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def test_hostile_peers_cost_a_healthy_bus_nothing(self):
        hostile = hm.HostilePeer()
        mute = hm.HostilePeer(mute=True)
        self.addCleanup(hostile.stop)
        self.addCleanup(mute.stop)
        scenario = self.h.write("meters.toml", SCENARIO)
        _, listening = self.h.sim(scenario, "--tcp", "127.0.0.1:0")

        buses = [
            {"id": "good", "kind": "tcp", "host": "127.0.0.1", "port": listening["tcp"][0],
             "timeout_ms": TIMEOUT_MS},
            {"id": "hostile", "kind": "tcp", "host": "127.0.0.1", "port": hostile.port,
             "timeout_ms": TIMEOUT_MS},
            {"id": "mute", "kind": "tcp", "host": "127.0.0.1", "port": mute.port,
             "timeout_ms": TIMEOUT_MS},
        ]
        meters = [{"id": "healthy", "bus": "good", "unit": 1, "profile": "eastron-sdm630",
                   "interval_ms": INTERVAL_MS}]
        meters += [{"id": f"h{unit}", "bus": "hostile", "unit": unit, "profile": "eastron-sdm120",
                    "interval_ms": INTERVAL_MS} for unit in hm.MODES]
        meters += [{"id": "implausible", "bus": "hostile", "unit": hm.IMPLAUSIBLE_PF,
                    "profile": "eastron-sdm120", "interval_ms": INTERVAL_MS}]
        meters += [{"id": "mute", "bus": "mute", "unit": 1, "profile": "eastron-sdm120",
                    "interval_ms": INTERVAL_MS}]
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), buses, meters))
        agent = self.h.agent(cfg, "--print-readings")

        lines = readings(agent, WARM_UP_S)
        rss_start = vm_rss_kb(agent.p.pid)
        lines += readings(agent, WINDOW_S)
        rss_end = vm_rss_kb(agent.p.pid)

        by_meter, values_of = {}, {}
        for t, obj in lines:
            if "values" in obj:
                by_meter.setdefault(obj["meter"], []).append(t)
                values_of.setdefault(obj["meter"], []).append(obj["values"])

        # The healthy meter keeps its interval (after its first contact).
        healthy = by_meter.get("healthy", [])
        self.assertGreaterEqual(len(healthy), (WARM_UP_S + WINDOW_S) - 3)
        gaps = [b - a for a, b in zip(healthy, healthy[1:])]
        self.assertLessEqual(max(gaps), INTERVAL_MS / 1000 + 0.2, f"healthy gaps {gaps}")

        # The honest answer split over many writes is read; no wrong answer becomes a reading.
        self.assertIn(f"h{hm.HONEST_SPLIT}", by_meter)
        for unit, mode in hm.MODES.items():
            if unit != hm.HONEST_SPLIT:
                self.assertNotIn(f"h{unit}", by_meter, mode)
        self.assertNotIn("mute", by_meter)

        # A power factor of 230 is no reading; the rest of the meter's values are kept.
        implausible = values_of.get("implausible", [])
        self.assertGreaterEqual(len(implausible), (WARM_UP_S + WINDOW_S) / 2)
        for values in implausible:
            self.assertNotIn("pf", values)
            self.assertEqual(values.get("u_l1_v"), 230.0)

        # Each hostile meter's fall is logged once, not at every failed poll.
        log = agent.stderr()
        for unit, mode in hm.MODES.items():
            if unit != hm.HONEST_SPLIT:
                self.assertEqual(log.count(f"meter h{unit} on bus hostile is offline"), 1,
                                 f"{mode}:\n{log[-3000:]}")
        self.assertEqual(log.count("meter mute on bus mute is offline"), 1, log[-3000:])
        self.assertEqual(log.count("meter implausible on bus hostile: pf = 230 is outside"), 1,
                         log[-3000:])
        self.assertEqual(log.count("outside its physical range"), 1, log[-3000:])
        self.assertLess(len(log.splitlines()), 60, f"the log grows with the attack:\n{log[-3000:]}")
        self.assertGreater(hostile.connections, 1, "bad frames start a fresh connection")

        if not under_asan(agent.p.pid):
            self.assertLessEqual(rss_end - rss_start, RSS_SLACK_KB,
                                 f"VmRSS grew from {rss_start} kB to {rss_end} kB")
        print(f"healthy: {len(healthy)} readings, largest gap {max(gaps):.3f} s; "
              f"VmRSS {rss_start} -> {rss_end} kB; hostile connections {hostile.connections}",
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
