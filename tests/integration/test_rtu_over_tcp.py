"""Issue 13, item 3, end to end: a sealed furnace's Modbus meter behind a DTU that carries RTU
frames over TCP (`kind = "rtu"` with host/port). sealwatch-sim plays the DTU (a listener with
`framing = "rtu"`); it drops the link while the furnace runs (`drop_link`), the agent reconnects
and keeps reading, and a dead meter on the same DTU never stalls the furnace's polls. The
furnace being switched on raises `reenergized`, as on any other bus."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, agent_config, readings, sealed_furnace  # noqa: E402

# Simulated seconds (speed 1, so also real seconds from the simulator's start).
ON_AT = 4
DROP_FROM, DROP_UNTIL = 8, 9.5

SCENARIO = f"""
[[listener]]
id = "dtu"
tcp = "127.0.0.1:0"
framing = "rtu"

[[meter]]
id = "furnace"
unit = 3
profile = "eastron-sdm630"
serial = 630003
u_v = 231.5
program = [{{ at = "0s", p_w = 150 }}, {{ at = "{ON_AT}s", p_w = 50000 }}]
faults = [{{ drop_link = true, from = "{DROP_FROM}s", until = "{DROP_UNTIL}s" }}]

[[meter]]
id = "dead"
unit = 9
profile = "eastron-sdm630"
faults = [{{ no_answer = true }}]
"""

RUN_S = 15


class RtuOverTcpTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def test_sealed_furnace_behind_a_dtu_that_drops_the_link(self):
        sim_started = time.monotonic()
        sim, listening = self.h.sim(self.h.write("meters.toml", SCENARIO))
        port = listening["rtu_tcp"][0]
        bus = {"id": "dtu", "kind": "rtu", "host": "127.0.0.1", "port": port,
               "timeout_ms": 300, "inter_frame_ms": 5}
        meters = [{"id": name, "bus": "dtu", "unit": unit, "profile": "eastron-sdm630",
                   "interval_ms": 1000} for name, unit in (("furnace", 3), ("dead", 9))]
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), [bus], meters,
                                                   extra=sealed_furnace("furnace")))
        agent = self.h.agent(cfg, "--print-readings")
        lines = readings(agent, RUN_S)

        furnace = [(t, obj) for t, obj in lines if obj.get("meter") == "furnace" and "values" in obj]
        self.assertGreaterEqual(len(furnace), 8, agent.stderr()[-2000:])
        first = furnace[0][1]["values"]
        self.assertEqual(first["p_w"], 150)
        self.assertAlmostEqual(first["u_l1_v"], 231.5, delta=0.01)
        self.assertEqual(furnace[-1][1]["values"]["p_w"], 50000)

        raised = [obj for _, obj in lines if obj.get("type") == "reenergized"]
        self.assertTrue(raised, f"no reenergized; stderr: {agent.stderr()[-2000:]}")
        self.assertEqual(raised[0]["asset"], "furnace-2")

        # The DTU did drop the link, the agent said so once, and readings came after it.
        self.assertIn("dropping the link", sim.stderr())
        log = agent.stderr()
        self.assertEqual(log.count("lost the link to rtu tcp"), 1, log[-2000:])
        self.assertIn("is back", log)
        after = [obj for t, obj in furnace if t - sim_started > DROP_UNTIL + 0.5]
        self.assertGreaterEqual(len(after), 3, "no readings after the link came back: "
                                + agent.stderr()[-2000:])
        self.assertEqual(after[-1]["values"]["p_w"], 50000)

        # The dead meter goes offline, and its timeouts do not stall the furnace: at a 1 s
        # interval and a 300 ms timeout, the furnace is read about once a second until the drop.
        health = {obj["meter"]: obj["health"] for _, obj in lines if "health" in obj}
        self.assertEqual(health.get("dead"), "offline")
        before = [t for t, _ in furnace if t - sim_started < DROP_FROM]
        gaps = [b - a for a, b in zip(before, before[1:])]
        self.assertGreaterEqual(len(gaps), 4, f"furnace readings before the drop: {before}")
        self.assertLess(max(gaps), 1.6, f"gaps between furnace readings: {gaps}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
