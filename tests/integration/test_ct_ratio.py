"""Issue 13, item 5, end to end: a meter behind a 1000/5 A current transformer and a 10 kV/100 V
voltage transformer reports secondary values over real Modbus TCP (sealwatch-sim); the
agent's published telemetry carries the primary values (currents x ct, voltages x pt, powers
and energies x ct x pt), once. A twin meter on the same simulated feeder without ratios is the
yardstick. The export of the run states the ratios per row and verifies."""
import csv
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, agent_config, binary, wait  # noqa: E402

CT, PT = 200, 100

# Two meters on one simulated feeder's secondary side: identical programs, no noise.
TWIN = """
[[meter]]
id = "{id}"
unit = {unit}
profile = "eastron-sdm630"
serial = {serial}
u_v = 57.5
pf = 0.9
e_imp_kwh = 1000
program = [{{ at = "0s", p_w = 300 }}]
"""


class CtRatio(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def test_telemetry_at_primary_scale_and_the_export_states_the_ratios(self):
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker)
        scenario = self.h.write("feeder.toml", TWIN.format(id="behind-ct", unit=1, serial=1) +
                                TWIN.format(id="twin", unit=2, serial=2))
        _, listening = self.h.sim(scenario, "--tcp", "127.0.0.1:0")
        bus = [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": listening["tcp"][0]}]
        meters = [{"id": "feeder", "bus": "lan", "unit": 1, "profile": "eastron-sdm630",
                   "interval_ms": 500, "ct_ratio": CT, "pt_ratio": PT},
                  {"id": "plain", "bus": "lan", "unit": 2, "profile": "eastron-sdm630",
                   "interval_ms": 500}]
        data = self.h.path("data")
        cfg = self.h.write("sw.toml", agent_config(data, bus, meters, broker.port))
        start = time.time() - 5
        agent = self.h.agent(cfg)

        def latest():
            """The newest published values of each meter, once both have some."""
            last = {r["meter"]: r["values"] for r in sub.readings()}
            return last if {"feeder", "plain"} <= last.keys() else None

        got = wait(latest, 20, "telemetry of both meters")
        feeder, plain = got["feeder"], got["plain"]
        # The secondary side as the twin reports it: 57.5 V, 300 W over three phases.
        self.assertAlmostEqual(plain["u_l1_v"], 57.5, delta=0.01)
        self.assertAlmostEqual(plain["p_w"], 300, delta=1)
        expected = {"u_l1_v": PT, "u_l2_v": PT, "u_l3_v": PT,
                    "i_l1_a": CT, "i_l2_a": CT, "i_l3_a": CT,
                    "p_w": CT * PT, "q_var": CT * PT, "s_va": CT * PT, "pf": 1, "f_hz": 1}
        for quantity, factor in expected.items():
            self.assertIn(quantity, feeder)
            self.assertAlmostEqual(feeder[quantity], plain[quantity] * factor,
                                   delta=abs(plain[quantity] * factor) * 1e-3 + 1e-6,
                                   msg=f"{quantity}: {feeder[quantity]} vs {plain[quantity]}")
        # The register: 1000 kWh on the secondary side is 20 GWh on the feeder (the twin's
        # register advances a little between the two polls).
        self.assertAlmostEqual(feeder["e_imp_kwh"], 1000 * CT * PT, delta=0.01 * CT * PT)

        agent.stop()
        bundle = self.h.path("bundle")
        export = subprocess.run(
            [binary("sealwatch"), "export", "-c", cfg, "--from", str(int(start)), "--to",
             str(int(time.time() + 5)), "--out", bundle], capture_output=True, text=True,
            timeout=60)
        self.assertEqual(export.returncode, 0, export.stderr)
        with open(os.path.join(bundle, "readings.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        feeder_rows = [r for r in rows if r["meter"] == "feeder"]
        plain_rows = [r for r in rows if r["meter"] == "plain"]
        self.assertTrue(feeder_rows and plain_rows)
        self.assertEqual({(r["ct_ratio"], r["pt_ratio"]) for r in feeder_rows}, {("200", "100")})
        self.assertEqual({(r["ct_ratio"], r["pt_ratio"]) for r in plain_rows}, {("1", "1")})
        self.assertGreater(float(feeder_rows[-1]["p_w"]), 1e6)  # primary, as published
        verify = subprocess.run([binary("sealwatch"), "verify", bundle, "--pubkey",
                                 os.path.join(data, "gateway.pub")],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        self.assertIn("INTACT", verify.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
