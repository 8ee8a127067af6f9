"""Issue 4, end to end: sealwatch-sim turns a sealed furnace on; a `reenergized` event reaches
the real broker within two poll intervals plus one second; turned off, the same alarm id is
`cleared`. Then a restart of the agent keeps an open alarm the same alarm."""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, agent_config  # noqa: E402

OFF = """
[[meter]]
id = "furnace"
unit = 1
profile = "eastron-sdm630"
serial = 630001
e_imp_kwh = 182340.5
program = [{ at = "0s", p_w = 150 }]
"""
ON = OFF.replace('p_w = 150', 'p_w = 800_000')

INTERVAL_MS = 1000
ASSET = """
[detect]
min_samples = 2

[[asset]]
id = "furnace-2"
kind = "induction_furnace"
state = "sealed"
meters = ["m1"]
standby_w = 300
min_on_s = 1
min_off_s = 2
"""


class EndToEnd(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def events(self, sub):
        return [json.loads(p) for _, t, p in sub.collect() if t.endswith("/event")]

    def test_sealed_furnace_turned_on_and_off(self):
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker)
        scenario = self.h.write("furnace.toml", OFF)
        sim, listening = self.h.sim(scenario, "--tcp", "127.0.0.1:0")
        bus = [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": listening["tcp"][0]}]
        meters = [{"id": "m1", "bus": "lan", "unit": 1, "profile": "eastron-sdm630",
                   "interval_ms": INTERVAL_MS}]
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), bus, meters, broker.port,
                                                   ASSET))
        agent = self.h.agent(cfg)
        sub.wait_for(lambda t, p: t.endswith("/telemetry"), 10)
        time.sleep(3)
        self.assertEqual(self.events(sub), [], "standby draw raises nothing")

        self.h.write("furnace.toml", ON)
        t_on = time.monotonic()
        sim.signal(signal.SIGHUP)
        raised = sub.wait_for(lambda t, p: t.endswith("/event") and '"reenergized"' in p, 10)
        latency = raised[0] - t_on
        self.assertLess(latency, 2 * INTERVAL_MS / 1000 + 1.0, f"alarm took {latency:.2f}s")
        ev = json.loads(raised[2])
        self.assertEqual(ev["state"], "raised")
        self.assertEqual(ev["severity"], "critical")
        self.assertEqual(ev["asset"], "furnace-2")
        self.assertIn("seq", ev)
        print(f"reenergized arrived {latency:.2f}s after the furnace was switched on")

        # A restart while the alarm is open: the same alarm goes on, no second "raised".
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)
        agent = self.h.agent(cfg, name="agent-2")
        time.sleep(3)

        self.h.write("furnace.toml", OFF)
        sim.signal(signal.SIGHUP)
        cleared = sub.wait_for(lambda t, p: t.endswith("/event") and '"cleared"' in p, 15)
        self.assertEqual(json.loads(cleared[2])["id"], ev["id"], "cleared pairs with raised")
        reen = [e for e in self.events(sub) if e["type"] == "reenergized"]
        self.assertEqual([e["state"] for e in reen], ["raised", "cleared"], reen)
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
