"""Issue 10, live: a sealed furnace runs 800 kW while its meter's power values lie — frozen at
the standby reading on one meter, zeroed on another — and only the import registers tell
(sealwatch-sim's freeze_power / report_p_w faults, tests/scenarios/sim/frozen-power.toml
compressed to seconds). On a contract-only config (no [detect] keys) the agent judges each
asset's draw from the register: `reenergized` with details.energy_source = "register" and
`power_register_mismatch` naming the lying meter reach the real broker within seconds. Before
the load, the lying power values explain the standby register: nothing is raised."""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, agent_config  # noqa: E402

LOAD_AT_S = 20  # sim time of the switch: the agent has been polling for a while by then

METER = """
[[meter]]
id = "{id}"
unit = {unit}
profile = "eastron-sdm630"
serial = {serial}
e_imp_kwh = {e_imp}
program = [{{ at = "0s", p_w = 180 }}, {{ at = "{load_at}s", p_w = 800_000 }}]
faults = [{{ {fault}, from = "0s", until = "1h" }}]
"""
SCENARIO = (METER.format(id="furnace-2", unit=1, serial=630001, e_imp="182_340.5",
                         load_at=LOAD_AT_S, fault="freeze_power = true") +
            METER.format(id="furnace-3", unit=2, serial=630003, e_imp="45_000",
                         load_at=LOAD_AT_S, fault="report_p_w = 0"))


ASSETS = """
[[asset]]
id = "furnace-2"
kind = "induction_furnace"
state = "sealed"
meters = ["m1"]
standby_w = 300

[[asset]]
id = "furnace-3"
kind = "induction_furnace"
state = "sealed"
meters = ["m2"]
standby_w = 300
"""


class PowerValuesLie(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def test_register_judges_the_draw_and_names_the_meter(self):
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker)
        sim_toml = self.h.write("furnaces.toml", SCENARIO)
        sim, listening = self.h.sim(sim_toml, "--tcp", "127.0.0.1:0")
        t_on = time.monotonic() + LOAD_AT_S
        bus = [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": listening["tcp"][0]}]
        meters = [{"id": f"m{u}", "bus": "lan", "unit": u, "profile": "eastron-sdm630",
                   "interval_ms": 1000} for u in (1, 2)]
        text = agent_config(self.h.path("data"), bus, meters, broker.port, ASSETS, tuned=False)
        self.assertNotIn("[detect]", text)
        agent = self.h.agent(self.h.write("sw.toml", text))
        sub.wait_for(lambda t, p: t.endswith("/telemetry"), 10)
        time.sleep(max(0.0, t_on - 1 - time.monotonic()))
        events = [json.loads(p) for _, t, p in sub.collect() if t.endswith("/event")]
        self.assertEqual(events, [], "lying power values at standby raise nothing")

        def raised(type_, asset):
            return lambda t, p: (t.endswith("/event") and f'"{type_}"' in p and
                                 f'"{asset}"' in p and '"raised"' in p)

        for asset, meter, lie in (("furnace-2", "m1", "frozen"), ("furnace-3", "m2", "zero")):
            arrived, _, payload = sub.wait_for(raised("reenergized", asset), 15)
            ev = json.loads(payload)
            self.assertEqual(ev["severity"], "critical")
            self.assertEqual(ev["details"]["energy_source"], "register", ev)
            print(f"{asset}: reenergized from the register {arrived - t_on:.2f}s after the load")
            arrived, _, payload = sub.wait_for(raised("power_register_mismatch", asset), 15)
            ev = json.loads(payload)
            self.assertEqual(ev["meter"], meter)
            self.assertEqual(ev["severity"], "critical")
            self.assertEqual(ev["details"]["power_values"], lie, ev)
            self.assertGreater(ev["details"]["register_kwh"], 10 * ev["details"]["power_kwh"])
            print(f"{asset}: power_register_mismatch ({lie}) {arrived - t_on:.2f}s after the load")
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
