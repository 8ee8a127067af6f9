"""Issue 12: `sealwatch-county run` on PostgreSQL, with real parts: a PostgreSQL server
(tests/support/pg-instance.sh), a mosquitto, one real sealwatchd polling sealwatch-sim, and one
gateway played by the test with mosquitto_pub (a gap made on purpose).

- `status --json` shows the agent online, its chain verified, nothing missing; `gaps` shows the
  played gateway's withheld seq, and not once it arrives; `alarms` the agent's reenergized;
- `run` killed with SIGKILL and restarted loses nothing (persistent session);
- the PostgreSQL server stopped for a few seconds and started again while the agent publishes:
  `run` waits and retries (it does not exit), and every seq the agent had acknowledged by the
  broker is in the database at the end, with no gap;
- the database holds the ledger as ranges: the agent's whole stream is one row.
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from county_common import CountyVerbs  # noqa: E402
from harness import Broker, Harness, agent_config  # noqa: E402
from postgres import Postgres  # noqa: E402
import uplink_common as uc  # noqa: E402

PREFIX = "sealwatch/v1"
AGENT = "gw-pg"
PLAYED = "gw-played"


class CountyOnPostgres(CountyVerbs, unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.pg = Postgres(self.h)
        self.broker = Broker(self.h)
        self.cfg = self.h.write("county.toml", (
            f'[county]\ndata_dir = "{self.h.path("county")}"\nsilent_after_s = 5\n\n'
            f'[store]\nkind = "postgresql"\nurl = "{self.pg.url}"\n\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {self.broker.port}\ninsecure = true\n'
            f'client_id = "county-pg-{os.getpid()}"\n'))
        self.county = self.start_county()
        self.sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp",
                                         "127.0.0.1:0")
        self.agent = self.start_agent(listening["tcp"][0])

    def start_agent(self, sim_port):
        # A sealed furnace on meter m-a, which draws 5 kW: reenergized.
        extra = ('[[asset]]\nid = "furnace-2"\nkind = "induction_furnace"\nstate = "sealed"\n'
                 'meters = ["m-a"]\nstandby_w = 100\n')
        meters = [{"id": "m-a", "bus": "lan", "unit": 1, "profile": "eastron-sdm630",
                   "interval_ms": 500}]
        bus = [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": sim_port,
                "timeout_ms": 300}]
        text = agent_config(self.h.path("data-agent"), bus, meters, self.broker.port, extra)
        text = text.replace('id = "gw-it"', f'id = "{AGENT}"', 1)
        return self.h.agent(self.h.write("agent.toml", text), name="agent")

    def played(self, seq):
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port), "-q", "1",
                        "-t", f"{PREFIX}/plant-it/{PLAYED}/telemetry", "-m", json.dumps(
                            {"seq": seq, "readings": [{"meter": "m1",
                                                       "ts": "2026-11-21T22:00:00.125Z",
                                                       "values": {"p_w": 10.5}}]})],
                       check=True, timeout=10)

    def agent_seqs(self):
        """(highest seq given out, how many of them the broker has not acknowledged)."""
        con = sqlite3.connect(os.path.join(self.h.path("data-agent"), "sealwatch.db"), timeout=10)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        unacked = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        con.close()
        return int(meta.get("next_seq", 1)) - 1, unacked

    def test_run_status_gaps_alarms_on_postgresql_through_a_kill_and_a_server_restart(self):
        t0 = time.monotonic()
        self.wait("the agent online, chain verified", lambda: (
            self.status().get(AGENT, {}).get("state") == "online" and
            self.status()[AGENT]["chain"] == "verified" and self.status()[AGENT]["received"] > 0),
            30)
        self.assertIn("PostgreSQL database postgres", self.county.stderr())

        # A gap made on purpose, and closed late.
        for seq in (1, 2, 4):
            self.played(seq)
        gap = self.wait("the gap of seq 3", lambda: self.gaps().get(PLAYED, {}).get(
            "missing") == [[3, 3]] and self.gaps()[PLAYED], 10)
        self.assertEqual(gap["last_seq"], 4)
        self.played(3)
        self.wait("the gap closed", lambda: self.gaps()[PLAYED]["missing"] == [], 10)
        self.assertEqual(self.status()[PLAYED]["received"], 4)

        alarms = self.wait("the agent's reenergized alarm", lambda: [
            a for a in json.loads(self.county_verb("alarms", "--json"))
            if a["gateway"] == AGENT and a["type"] == "reenergized"], 30)
        self.assertEqual(len(alarms), 1, alarms)
        self.assertEqual(self.status()[AGENT]["open_alarms"], 1)

        # kill -9 of the county: the broker keeps what arrives for its session.
        before = self.status()[AGENT]["received"]
        self.county.signal(signal.SIGKILL)
        self.county.p.wait(10)
        self.played(5)
        time.sleep(2)
        self.county = self.start_county("county-restarted")
        self.wait("the messages sent while the county was down", lambda: (
            self.gaps()[PLAYED]["last_seq"] == 5 and
            self.status()[AGENT]["received"] >= before + 3), 15)

        # The server goes away for a few seconds while the agent publishes on: `run` holds the
        # message in hand and retries with backoff; it neither exits nor drops anything.
        self.pg.stop()
        self.played(6)
        time.sleep(4)
        self.assertIsNone(self.county.p.poll(), self.county.stderr())
        self.pg.start()
        self.wait("the played gateway's seq 6 after the server came back",
                  lambda: self.gaps()[PLAYED]["last_seq"] == 6, 20)
        err = self.county.stderr()
        self.assertIn("trying again with backoff", err)
        self.assertIn("PostgreSQL is back after", err)

        # Every seq the agent had acknowledged is in the database, with no gap.
        time.sleep(1.5)
        self.agent.stop()
        time.sleep(1.5)
        last, unacked = self.agent_seqs()
        final = self.status()[AGENT]
        self.assertEqual(final["missing"], 0, self.gaps()[AGENT])
        self.assertLessEqual(last - unacked, final["received"], (last, unacked, final))
        self.assertLessEqual(final["received"], last)
        self.assertEqual(final["state"], "offline")  # its clean stop says so
        self.assertEqual(self.gaps()[PLAYED]["missing"], [])
        # The agent's whole stream is one range in the database.
        self.assertEqual(self.pg.psql(
            "SELECT count(*) FROM seq_ranges r JOIN gateways g ON g.id = r.gateway "
            f"WHERE g.gateway = '{AGENT}'"), "1")
        self.assertNotIn("unreadable", self.county.stderr())
        print(f"\ntest_county_postgres: {final['received']} agent messages, "
              f"{time.monotonic() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
