"""Issue 11: `sealwatch-county run` with real parts: a mosquitto, three real sealwatchd polling
sealwatch-sim, and one gateway played by the test with mosquitto_pub (to make a gap on purpose).

- `status` shows the three online with their chain verified (key pinned on the first head);
- the alarm a sim scenario raises (a sealed furnace drawing power) shows in `alarms`;
- seq 3 withheld by the played gateway is a gap in `gaps` and leaves it when it arrives late;
- `run` killed with SIGKILL and restarted loses nothing (persistent session): what the gateways
  sent meanwhile is recorded, and at the end every seq each agent had acknowledged is in the
  county's ledger, with no gap;
- an agent that hangs with its connection up (SIGSTOP: the broker sees no will, as behind a
  plant-side bridge) turns `silent`, and `online` again when it goes on; an agent killed hard
  on a direct connection turns `offline` by its will.

CountyOverTls runs all of it again with mosquitto speaking only TLS with client certificates
(made by openssl at test time), the county and the gateways each with a certificate of their own.
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from county_common import CountyVerbs, county_gateway  # noqa: E402
from harness import Broker, Harness  # noqa: E402
import uplink_common as uc  # noqa: E402
from test_uplink_tls import make_pki  # noqa: E402

PREFIX = "sealwatch/v1"
SILENT_AFTER_S = 5
GATEWAYS = ["gw-1", "gw-2", "gw-3"]


class County(CountyVerbs, unittest.TestCase):
    TLS = False  # CountyOverTls: the broker speaks only TLS, every client has a certificate

    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.tls, broker_tls, county_tls, self.pub_tls = None, None, "insecure = true\n", []
        if self.TLS:
            if not shutil.which("openssl"):
                raise unittest.SkipTest("openssl not installed")
            pki = make_pki(self.h.path("pki"))
            broker_tls = {"ca": pki["ca"], "cert": pki["cert"], "key": pki["key"]}
            self.tls = (pki["ca"], pki["client_cert"], pki["client_key"])
            county_tls = (f'[broker.tls]\nca_file = "{pki["ca"]}"\n'
                          f'cert_file = "{pki["client_cert"]}"\nkey_file = "{pki["client_key"]}"\n')
            self.pub_tls = ["--cafile", pki["ca"], "--cert", pki["client_cert"], "--key",
                            pki["client_key"]]
        self.broker = Broker(self.h, tls=broker_tls)
        self.cfg = self.h.write("county.toml", (
            f'[county]\ndata_dir = "{self.h.path("county")}"\n'
            f'silent_after_s = {SILENT_AFTER_S}\n\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {self.broker.port}\n'
            f'client_id = "county-it-{os.getpid()}"\n{county_tls}'))
        # Before the gateways: the broker keeps the county's session from its first connect.
        self.county = self.start_county()
        self.sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp",
                                         "127.0.0.1:0")
        self.agents = {gw: self.start_agent(gw, listening["tcp"][0]) for gw in GATEWAYS}

    def start_agent(self, gw, sim_port):
        # gw-1 guards a sealed furnace on meter m-a, which draws 5 kW: reenergized.
        return county_gateway(self.h, gw, sim_port, self.broker.port, sealed=gw == "gw-1",
                              tls=self.tls)

    def publish(self, gw, kind, payload, retain=False):
        args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port), "-q", "1",
                "-t", f"{PREFIX}/plant-it/{gw}/{kind}", "-m", payload, *self.pub_tls]
        subprocess.run(args + (["-r"] if retain else []), check=True, timeout=10)

    def played(self, seq):
        """A telemetry message of the gateway the test plays."""
        self.publish("gw-played", "telemetry", json.dumps({"seq": seq, "readings": [
            {"meter": "m1", "ts": "2026-11-21T22:00:00.125Z", "values": {"p_w": 10.5}}]}))

    def agent_seqs(self, gw):
        """(highest seq given out, how many of them the broker has not acknowledged)."""
        con = sqlite3.connect(os.path.join(self.h.path(f"data-{gw}"), "sealwatch.db"),
                              timeout=10)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        unacked = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        con.close()
        return int(meta.get("next_seq", 1)) - 1, unacked

    def test_the_county_sees_every_gateway_gap_alarm_and_silence(self):
        # Online, with their chains verified.
        self.wait("three gateways online, chains verified", lambda: all(
            self.status().get(gw, {}).get("state") == "online" and
            self.status()[gw]["chain"] == "verified" and self.status()[gw]["received"] > 0
            for gw in GATEWAYS), 30)
        table = self.county_verb("status")
        self.assertTrue(all(len(line) <= 80 for line in table.splitlines()), table)
        for gw in GATEWAYS:
            self.assertRegex(table, rf"{gw}\s+plant-it\s+online\s")

        # The sim's sealed furnace on gw-1 raises reenergized; the county holds it once.
        alarms = self.wait("gw-1's reenergized alarm", lambda: [
            a for a in json.loads(self.county_verb("alarms", "--json"))
            if a["gateway"] == "gw-1" and a["type"] == "reenergized"], 40)
        self.assertEqual(len(alarms), 1, alarms)
        self.assertEqual((alarms[0]["state"], alarms[0]["asset"], alarms[0]["site"]),
                         ("raised", "furnace-2", "plant-it"))
        self.assertFalse([a for a in json.loads(self.county_verb("alarms", "--json"))
                          if a["gateway"] != "gw-1"])
        self.assertIn("reenergized", self.county_verb("alarms"))
        self.assertEqual(self.status()["gw-1"]["open_alarms"], 1)

        # A gap made on purpose: the played gateway withholds seq 3, then sends it late.
        self.publish("gw-played", "status",
                     '{"online":true,"ts":"2026-11-21T22:00:00.000Z","version":"it","boot":1}',
                     retain=True)
        for seq in (1, 2, 4):
            self.played(seq)
        gap = self.wait("the gap of seq 3", lambda: self.gaps().get("gw-played", {}).get(
            "missing") == [[3, 3]] and self.gaps()["gw-played"], 10)
        self.assertEqual(gap["last_seq"], 4)
        self.assertEqual(self.status()["gw-played"]["missing"], 1)
        self.assertIn("gw-played", self.county_verb("gaps"))
        self.played(3)
        self.wait("the gap closed", lambda: self.gaps()["gw-played"]["missing"] == [], 10)
        self.assertEqual(self.status()["gw-played"]["received"], 4)

        # kill -9 of the county; what arrives meanwhile is kept for it by the broker.
        before = {gw: self.status()[gw]["received"] for gw in GATEWAYS}
        self.county.signal(signal.SIGKILL)
        self.county.p.wait(10)
        for seq in (5, 6):
            self.played(seq)
        time.sleep(3)  # the agents publish on
        self.county = self.start_county("county-restarted")
        self.wait("the played gateway's seq 5 and 6 after the restart",
                  lambda: self.gaps()["gw-played"]["last_seq"] == 6, 15)
        self.assertEqual(self.gaps()["gw-played"]["missing"], [])
        after = self.wait("the agents' messages sent while the county was down", lambda: (
            all(self.status()[gw]["received"] >= before[gw] + 3 for gw in GATEWAYS) and
            self.status()), 15)
        for gw in GATEWAYS:
            self.assertEqual(after[gw]["missing"], 0, (gw, self.gaps()[gw]))

        # An agent hung with its connection up: the broker sees no will, the county `silent`.
        self.agents["gw-3"].signal(signal.SIGSTOP)
        self.addCleanup(self.agents["gw-3"].signal, signal.SIGCONT)
        self.wait("gw-3 silent", lambda: self.status()["gw-3"]["state"] == "silent",
                  SILENT_AFTER_S + 10)
        # The played gateway said online and has sent nothing since: silent too.
        self.assertEqual(self.status()["gw-played"]["state"], "silent")
        self.assertEqual(self.status()["gw-1"]["state"], "online")
        self.assertRegex(self.county_verb("status"), r"gw-3\s+plant-it\s+silent\s")
        self.agents["gw-3"].signal(signal.SIGCONT)
        self.wait("gw-3 online again", lambda: self.status()["gw-3"]["state"] == "online", 15)

        # An agent killed hard on a direct connection: its will says offline.
        self.agents["gw-2"].signal(signal.SIGKILL)
        self.wait("gw-2 offline", lambda: self.status()["gw-2"]["state"] == "offline", 15)

        # Every seq an agent had acknowledged by the broker is in the county's ledger, no gaps
        # (the acknowledged ones are those out of its outbox).
        for gw in ("gw-1", "gw-3"):
            self.agents[gw].stop()
        time.sleep(2)
        final = self.status()
        for gw in GATEWAYS:
            last, unacked = self.agent_seqs(gw)
            self.assertEqual(final[gw]["missing"], 0, (gw, self.gaps()[gw]))
            self.assertLessEqual(last - unacked, final[gw]["received"], (gw, last, unacked))
            self.assertLessEqual(final[gw]["received"], last, gw)
            self.assertEqual(final[gw]["chain"], "verified", gw)
        self.assertEqual(final["gw-1"]["state"], "offline")  # its clean stop says so

        # Nothing the gateways sent was unreadable to the county; each key pinned once.
        self.assertNotIn("unreadable", self.county.stderr())
        with open(self.h.path("county.stderr")) as f:
            first_run = f.read()
        self.assertEqual(first_run.count("key pinned"), 3, first_run)


class CountyOverTls(County):
    TLS = True


if __name__ == "__main__":
    unittest.main(verbosity=2)
