"""Issue 13, end to end: a sealed furnace on a DL/T 645-2007 meter, served by sealwatch-sim over a
socat pty pair, raises `reenergized` when it is switched on; the agent reads it as a `dlt645` bus
(2400 8E1 line, meter by its 12-digit address, profile dlt645-2007) into the same canonical
quantities as a Modbus meter. Neighbours that answer with noise or under another address go
offline without stalling it. The same meter behind a transparent DTU (TCP) reads the same."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, agent_config, dlt645_scenario, readings, sealed_furnace  # noqa: E402

# The furnace on both listeners; on the serial line, a neighbour that answers with noise and one
# that answers under another address.
FURNACE = ("furnace", "000012345678")
NOISY = ("noisy", "000000000002")
IMPOSTOR = ("impostor", "000000000003")


def scenario(sim_tty, on_at):
    return dlt645_scenario(sim_tty, [
        (*FURNACE, None, 'u_v = 220.1\ne_imp_kwh = 1234.56\nprogram = [{ at = "0s", p_w = 150 }, '
                         f'{{ at = "{on_at}", p_w = 50000 }}]\n'),
        (*NOISY, "line", "faults = [{ garbage = true }]\n"),
        (*IMPOSTOR, "line", "faults = [{ wrong_address = true }]\n"),
    ])


ASSET = sealed_furnace("furnace")

INTERVAL_MS = 1000
TIMEOUT_MS = 300


class Dlt645Test(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def start_sim(self, on_at):
        agent_tty, sim_tty = self.h.pty_pair()
        _, listening = self.h.sim(self.h.write("meters.toml", scenario(sim_tty, on_at)))
        return agent_tty, listening["dlt645"][1]

    def test_sealed_furnace_on_a_dlt645_meter_raises_reenergized(self):
        agent_tty, _ = self.start_sim("6s")
        bus = {"id": "rs485", "kind": "dlt645", "device": agent_tty, "timeout_ms": TIMEOUT_MS}
        meters = [{"id": name, "bus": "rs485", "address": address, "profile": "dlt645-2007",
                   "interval_ms": INTERVAL_MS}
                  for name, address in (FURNACE, NOISY, IMPOSTOR)]
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), [bus], meters,
                                                   extra=ASSET))
        agent = self.h.agent(cfg, "--print-readings")
        lines = readings(agent, 14)

        furnace = [obj for _, obj in lines if obj.get("meter") == "furnace" and "values" in obj]
        self.assertGreaterEqual(len(furnace), 8, agent.stderr()[-2000:])
        first = furnace[0]["values"]
        self.assertEqual(first["u_l1_v"], 220.1)
        self.assertEqual(first["p_w"], 150)
        self.assertAlmostEqual(first["e_imp_kwh"], 1234.56, delta=0.02)
        self.assertAlmostEqual(first["f_hz"], 50, delta=0.01)
        self.assertEqual(furnace[-1]["values"]["p_w"], 50000)

        events = [obj for _, obj in lines if "type" in obj]
        raised = [e for e in events if e["type"] == "reenergized"]
        self.assertTrue(raised, f"no reenergized; events: {events}")
        self.assertEqual(raised[0]["asset"], "furnace-2")
        self.assertEqual(raised[0]["state"], "raised")

        health = {obj["meter"]: obj["health"] for _, obj in lines if "health" in obj}
        self.assertEqual(health.get("noisy"), "offline")
        self.assertEqual(health.get("impostor"), "offline")
        for bad in ("noisy", "impostor"):
            self.assertFalse([obj for _, obj in lines
                              if obj.get("meter") == bad and "values" in obj],
                             f"{bad}: a reply that is not the answer is never taken as data")

    def test_behind_a_dtu_over_tcp(self):
        _, port = self.start_sim("1h")
        bus = {"id": "dtu", "kind": "dlt645", "host": "127.0.0.1", "port": port}
        meters = [{"id": FURNACE[0], "bus": "dtu", "address": FURNACE[1],
                   "profile": "dlt645-2007", "interval_ms": INTERVAL_MS}]
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), [bus], meters))
        agent = self.h.agent(cfg, "--print-readings")
        lines = readings(agent, 5)
        furnace = [obj for _, obj in lines if obj.get("meter") == "furnace" and "values" in obj]
        self.assertGreaterEqual(len(furnace), 3, agent.stderr()[-2000:])
        self.assertEqual(furnace[-1]["values"]["u_l2_v"], 220.1)
        self.assertEqual(furnace[-1]["values"]["p_w"], 150)


if __name__ == "__main__":
    unittest.main(verbosity=2)
