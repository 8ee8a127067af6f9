"""Issue 2: the agent polls simulated meters over Modbus TCP and over RTU through a socat pty
pair; one dead meter and one that returns garbage on each bus must not stop the healthy ones
from keeping their interval."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, agent_config, readings  # noqa: E402

SCENARIO = """
[[meter]]
id = "good-a"
unit = 1
profile = "eastron-sdm630"
serial = 630001
e_imp_kwh = 1000
program = [{ at = "0s", p_w = 5000 }]

[[meter]]
id = "good-b"
unit = 2
profile = "chint-dtsu666"
serial = 666002
e_imp_kwh = 2000
program = [{ at = "0s", p_w = 12000 }]

[[meter]]
id = "dead"
unit = 3
profile = "eastron-sdm630"
serial = 630003
faults = [{ no_answer = true }]

[[meter]]
id = "garbage"
unit = 4
profile = "eastron-sdm630"
serial = 630004
faults = [{ corrupt_crc = true }]

[[meter]]
id = "refusing"
unit = 5
profile = "eastron-sdm630"
serial = 630005
faults = [{ exception = 2 }]
"""

WINDOW_S = 12.0
INTERVAL_MS = 1000
TIMEOUT_MS = 300  # short, so a run of the test stays short; the bus still pays it per try


def meters_for(bus):
    return [{"id": f"{bus}-{name}", "bus": bus, "unit": unit, "profile": profile,
             "interval_ms": INTERVAL_MS}
            for name, unit, profile in [("good-a", 1, "eastron-sdm630"), ("good-b", 2, "chint-dtsu666"),
                                        ("dead", 3, "eastron-sdm630"), ("garbage", 4, "eastron-sdm630"),
                                        ("refusing", 5, "eastron-sdm630")]]


class PollTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def run_agent(self, buses, meters):
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), buses, meters))
        agent = self.h.agent(cfg, "--print-readings")
        return readings(agent, WINDOW_S), agent

    def check(self, lines, bus):
        by_meter = {}
        health = {}
        events = {}
        for t, obj in lines:
            if "health" in obj:
                health[obj["meter"]] = obj["health"]
            elif "type" in obj:  # an event from the detector
                events.setdefault(obj["meter"], []).append(obj["type"])
            else:
                by_meter.setdefault(obj["meter"], []).append((t, obj))
        for good in (f"{bus}-good-a", f"{bus}-good-b"):
            got = by_meter.get(good, [])
            # Every interval, give or take one while the bus pays a dead meter's timeout.
            self.assertGreaterEqual(len(got), WINDOW_S * 1000 / INTERVAL_MS - 2, good)
            gaps = [b[0] - a[0] for a, b in zip(got, got[1:])]
            self.assertLessEqual(max(gaps), (INTERVAL_MS + 3 * TIMEOUT_MS) / 1000 + 0.3,
                                 f"{good} gaps {gaps}")
            values = got[-1][1]["values"]
            self.assertIn("p_w", values)
            self.assertIn("e_imp_kwh", values)
        # The SDM630 has an identity register (the DTSU666 has none): read at first contact.
        self.assertEqual(by_meter[f"{bus}-good-a"][0][1].get("serial"), "630001")
        self.assertAlmostEqual(by_meter[f"{bus}-good-a"][-1][1]["values"]["p_w"], 5000, delta=600)
        self.assertAlmostEqual(by_meter[f"{bus}-good-b"][-1][1]["values"]["p_w"], 12000, delta=600)
        self.assertEqual(health.get(f"{bus}-dead"), "offline")
        self.assertEqual(health.get(f"{bus}-garbage"), "offline")
        self.assertEqual(health.get(f"{bus}-refusing"), "misconfigured")
        self.assertNotIn(f"{bus}-dead", by_meter)
        for silent in ("dead", "garbage", "refusing"):
            self.assertIn("meter_offline", events.get(f"{bus}-{silent}", []), silent)
        self.assertNotIn(f"{bus}-garbage", by_meter, "a garbled frame is never taken as data")

    def test_tcp(self):
        scenario = self.h.write("meters.toml", SCENARIO)
        _, listening = self.h.sim(scenario, "--tcp", "127.0.0.1:0")
        bus = {"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": listening["tcp"][0],
               "timeout_ms": TIMEOUT_MS}
        lines, agent = self.run_agent([bus], meters_for("lan"))
        self.check(lines, "lan")
        # Offline is logged once, not at every failed poll.
        self.assertEqual(agent.stderr().count("meter lan-dead on bus lan is offline"), 1)

    def test_rtu_over_pty(self):
        agent_tty, sim_tty = self.h.pty_pair()
        scenario = self.h.write("meters.toml", SCENARIO)
        self.h.sim(scenario, "--rtu", sim_tty, "--baud", "19200")
        bus = {"id": "rs485", "kind": "rtu", "device": agent_tty, "baud": 19200,
               "timeout_ms": TIMEOUT_MS}
        lines, _ = self.run_agent([bus], meters_for("rs485"))
        self.check(lines, "rs485")


if __name__ == "__main__":
    unittest.main(verbosity=2)
