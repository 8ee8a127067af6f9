"""Issue 12's cluster path, smoke: a real gateway's messages through a three-node RabbitMQ
cluster into `sealwatch-county run` consuming over AMQP 0-9-1, into PostgreSQL.

    sealwatch-sim ─Modbus TCP─▶ sealwatchd ─MQTT 3.1.1, TLS─▶ rabbit2 (MQTT plugin) ─amq.topic─▶
        quorum queue (members on rabbit1..3) ─AMQP─▶ sealwatch-county run ×2 ─▶ PostgreSQL

- The cluster is tests/cluster/rabbit-cluster.sh's (nodes, cookie, plugin, queue and binding,
  an MQTT and an AMQP TLS listener per node with a CA made by test_uplink_tls.make_pki); the database
  tests/support/pg-instance.sh's.
- The agent publishes to rabbit2's MQTT TLS listener, as in the field: the broker's certificate
  checked against the CA and the host name (the agent's default), its own certificate asked
  for. Two `run`s, competing consumers on the one database, consume from rabbit1 and rabbit2
  first (their first URLs): the first over amqps:// (the node's certificate checked against the
  CA and the host name, the county's own given), the second over plain AMQP.
- Midway rabbit1 stops: the connection of the `run` on it drops, it reconnects to another node,
  and the quorum queue, two of three members up, goes on. Then the other `run` is killed with
  SIGKILL: what it had not acknowledged is delivered again; it is started again.
- `sealwatch-county send` over rabbit1's MQTT TLS listener reaches the gateway on rabbit2.
- At the end every seq the broker acknowledged to the agent (the agent's outbox no longer holds
  it) is in the county's ledger, with no gap, one range row in the database (no duplicate, no
  hole); both `run`s stop cleanly (exit 0), each having
  recorded a share.
- A clean stop drains (issue 12 item 2): a played gateway's burst of telemetry waits in the
  queue; a third `run` takes part of it and is stopped with SIGTERM mid-stream. It exits 0
  within a few seconds; a fourth `run` then takes what is left in the queue, and the two counts
  add up to the burst exactly, with no gap: a message committed but left unacknowledged would
  be taken twice, one acknowledged but not committed never, and missing.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from county_common import CountyVerbs  # noqa: E402
from harness import SOURCE, Harness, binary  # noqa: E402
from postgres import Postgres  # noqa: E402
from test_uplink_tls import make_pki  # noqa: E402
import uplink_common as uc  # noqa: E402

CLUSTER = os.path.join(SOURCE, "tests/cluster/rabbit-cluster.sh")
BURST = 3000  # telemetry messages of the played gateway, for the clean stop


class CountyOnRabbitmq(CountyVerbs, unittest.TestCase):
    def setUp(self):
        if not os.access("/usr/lib/rabbitmq/bin/rabbitmq-server", os.X_OK):
            raise unittest.SkipTest("rabbitmq-server not installed")
        for tool in ("openssl", "mosquitto_pub"):
            if not shutil.which(tool):
                raise unittest.SkipTest(f"{tool} not installed")
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.pg = Postgres(self.h)
        self.pki = make_pki(self.h.path("pki"))
        # The nodes' TLS listeners take the server's certificate (127.0.0.1 and localhost).
        self.cluster_tls = {"RABBIT_TLS_CA": self.pki["ca"], "RABBIT_TLS_CERT": self.pki["cert"],
                            "RABBIT_TLS_KEY": self.pki["key"]}
        self.cluster_dir = self.h.path("rabbit")
        self.addCleanup(self.cluster, "stop")
        started = time.monotonic()
        self.cluster("start")
        self.cluster_start_s = time.monotonic() - started
        with open(os.path.join(self.cluster_dir, "cluster.env")) as f:
            self.env = dict(line.strip().split("=", 1) for line in f if "=" in line)

    def cluster(self, verb, *args):
        r = subprocess.run([CLUSTER, verb, self.cluster_dir, *args], capture_output=True,
                           text=True, timeout=300, env={**os.environ, **self.cluster_tls})
        self.assertEqual(r.returncode, 0, f"rabbit-cluster.sh {verb}: {r.stdout}{r.stderr}")
        return r.stdout

    def port(self, kind, node):
        return int(self.env[f"{kind}_PORT_{node}"])

    def gateway(self, gw="gw-it"):
        return self.status().get(gw)

    def consumer(self, name, first_node, tls=False):
        """`run` with the three nodes' URLs, starting at first_node; returns once it consumes.
        tls: amqps:// to the nodes' AMQP TLS listeners, the node's certificate checked against
        the CA and the host name, the county's own certificate given ([source.tls])."""
        order = [first_node] + [n for n in (1, 2, 3) if n != first_node]
        scheme, kind = ("amqps", "AMQPS") if tls else ("amqp", "AMQP")
        # By name over TLS: librabbitmq checks the certificate's DNS names, not its addresses.
        host = "localhost" if tls else "127.0.0.1"
        urls = ", ".join(f'"{scheme}://guest:guest@{host}:{self.port(kind, n)}"' for n in order)
        source_tls = (f'[source.tls]\nca_file = "{self.pki["ca"]}"\n'
                      f'cert_file = "{self.pki["client_cert"]}"\n'
                      f'key_file = "{self.pki["client_key"]}"\n\n') if tls else ""
        cfg = self.h.write(f"{name}.toml", (
            f'[county]\ndata_dir = "{self.h.path("county")}"\n\n'
            f'[store]\nkind = "postgresql"\nurl = "{self.pg.url}"\n\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {self.port("MQTTS", 1)}\n\n'
            f'[broker.tls]\nca_file = "{self.pki["ca"]}"\n'
            f'cert_file = "{self.pki["client_cert"]}"\nkey_file = "{self.pki["client_key"]}"\n\n'
            f'[source]\nkind = "amqp"\nurls = [{urls}]\nqueue = "{self.env["QUEUE"]}"\n'
            'prefetch = 20\nheartbeat_s = 10\n\n' + source_tls +
            f'[[command_key]]\nid = "county-1"\nprivate_key_file = "{self.h.path("key")}"\n'))
        self.cfg = cfg
        proc = self.h.start([binary("sealwatch-county"), "run", "--config", cfg], name)
        self.wait(f"{name} consuming", lambda: "connected to amqp" in proc.stderr(), 20)
        self.assertIn(f"{host}:{self.port(kind, first_node)}/{' (TLS)' if tls else ''}",
                      proc.stderr())
        return proc

    def grows(self, what, by, timeout=60):
        before = self.gateway()["received"]
        self.wait(what, lambda: self.gateway()["received"] >= before + by, timeout)

    def test_a_gateways_messages_reach_the_county_through_the_cluster(self):
        made = subprocess.run([binary("sealwatch-county"), "keygen", "--out", self.h.path("key"),
                               "--id", "county-1"], check=True, capture_output=True, text=True,
                              timeout=30)
        # Two instances, competing consumers on the one queue and the one database; a starts on
        # rabbit1 over amqps:// (a county office reaching the cluster across a network), b on
        # rabbit2 over plain AMQP.
        a = self.consumer("county-a", 1, tls=True)
        b = self.consumer("county-b", 2)

        sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        agent_cfg = uc.with_tls(
            uc.config(self.h, listening["tcp"][0], self.port("MQTTS", 2), interval_ms=200,
                      extra=made.stdout),
            self.pki["ca"], self.pki["client_cert"], self.pki["client_key"])
        agent = self.h.agent(self.h.write("agent.toml", agent_cfg))
        first = self.wait("the agent's messages in the county", lambda: (
            self.gateway() and self.gateway()["received"] >= 10 and self.gateway()), 60)
        self.assertEqual(first["site"], "plant-it")
        self.assertEqual(first["state"], "online")  # its status came through the cluster too

        # A command from the county over rabbit1's MQTT listener reaches the gateway on rabbit2.
        r = subprocess.run([binary("sealwatch-county"), "send", "--config", self.cfg, "gw-it",
                            "ping", "--site", "plant-it", "--timeout", "20"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("gw-it (plant-it) ping: ok", r.stdout)
        # RabbitMQ 3.10 keeps retained messages on the node they were published to: rabbit1 has
        # no status of the gateway, so its site must be given (docs/county.md says so).
        r = subprocess.run([binary("sealwatch-county"), "send", "--config", self.cfg, "gw-it",
                            "ping", "--timeout", "5"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("give its site with --site", r.stderr)

        # rabbit1 goes away (a's node, and the queue's first leader); the agent's node stays.
        self.cluster("stop-node", "1")
        self.wait("a on another node", lambda: a.stderr().count("connected to amqp") >= 2, 60)
        self.grows("messages after the node loss", 10)

        # b killed hard: what it held unacknowledged comes again, to a.
        b.signal(signal.SIGKILL)
        b.p.wait(10)
        self.grows("messages with a alone", 10)
        b = self.consumer("county-b-again", 2)
        self.grows("messages with both again", 10)

        # The agent stops cleanly; what its broker acknowledged is out of its outbox.
        self.assertEqual(agent.stop(), 0, agent.stderr()[-3000:])
        con = sqlite3.connect(os.path.join(self.h.path("data"), "sealwatch.db"), timeout=10)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        unacked = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        con.close()
        last = int(meta.get("next_seq", 1)) - 1
        gaps = self.wait("every acknowledged seq in the county", lambda: (
            (g := self.gaps()["gw-it"])["last_seq"] >= last - unacked and g["missing"] == []
            and g), 60)
        final = self.gateway()
        self.assertEqual(final["missing"], 0, gaps)
        self.assertLessEqual(final["received"], last)
        self.assertGreaterEqual(final["received"], last - unacked)
        self.assertEqual(self.pg.psql(
            "SELECT count(*) FROM seq_ranges r JOIN gateways g ON g.id = r.gateway "
            "WHERE g.gateway = 'gw-it'"), "1")

        # Clean stops; each instance recorded its share.
        shares = {}
        for proc in (a, b):
            self.assertEqual(proc.stop(), 0, proc.stderr()[-3000:])
            text = proc.stderr()
            self.assertNotIn("unreadable", text)
            shares[proc.name] = self.recorded(proc)
            self.assertGreater(shares[proc.name], 0, (proc.name, text[-2000:]))
        self.assertIn("lost", a.stderr())  # rabbit1's loss was said
        self.assertIn("uplink: connected", agent.stderr())
        stop_s, taken = self.clean_stop_drains()
        print(f"\ncluster start {self.cluster_start_s:.0f} s; {final['received']} seqs, "
              f"last {last}, {unacked} unacknowledged at the agent's stop; recorded by "
              f"{shares}; SIGTERM mid-stream: exit 0 after {stop_s:.1f} s, {taken} of {BURST} "
              "committed and acknowledged", file=sys.stderr)

    @staticmethod
    def recorded(proc):
        """How many messages a stopped `run` took from the queue and committed."""
        return int(re.search(r"stopped, (\d+) message", proc.stderr()).group(1))

    def clean_stop_drains(self):
        """The burst, a `run` stopped with SIGTERM mid-stream, the sums; returns (seconds from
        SIGTERM to exit, messages the stopped `run` committed)."""
        lines = "\n".join(json.dumps({"seq": s, "readings": [
            {"meter": "m1", "ts": "2026-11-21T22:00:00.125Z", "values": {"p_w": float(s)}}]})
            for s in range(1, BURST + 1))
        # QoS 1: mosquitto_pub ends once every message is acknowledged, which RabbitMQ does
        # once the quorum queue has it.
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port("MQTTS", 2)),
                        "-q", "1", "-t", "sealwatch/v1/plant-it/gw-burst/telemetry", "-l",
                        "--cafile", self.pki["ca"], "--cert", self.pki["client_cert"],
                        "--key", self.pki["client_key"]],
                       input=lines, text=True, check=True, capture_output=True, timeout=180)
        c = self.consumer("county-c", 2)
        self.wait("the burst being recorded", lambda: (
            self.gateway("gw-burst") or {}).get("received", 0) >= 100, 60)
        c.signal(signal.SIGTERM)
        sent = time.monotonic()
        self.assertEqual(c.p.wait(30), 0, c.stderr()[-3000:])
        stop_s = time.monotonic() - sent
        self.assertLess(stop_s, 5, c.stderr()[-3000:])
        committed = self.gateway("gw-burst")["received"]
        self.assertEqual(self.recorded(c), committed, c.stderr()[-3000:])
        self.assertLess(committed, BURST, "the stop was not mid-stream")

        # The queue holds only the rest of the burst (the agent is stopped, a and b took all
        # else): d takes exactly what c did not acknowledge.
        d = self.consumer("county-d", 3)
        self.wait("the rest of the burst", lambda: (
            (g := self.gaps()["gw-burst"])["last_seq"] == BURST and g["missing"] == []), 120)
        time.sleep(2)  # time for a delivery c left unacknowledged, if any, to come to d too
        self.assertEqual(d.stop(), 0, d.stderr()[-3000:])
        self.assertEqual(committed + self.recorded(d), BURST,
                         f"c committed {committed}, d then took {self.recorded(d)}")
        self.assertEqual(self.gateway("gw-burst")["received"], BURST)
        self.assertEqual(self.pg.psql(
            "SELECT count(*) FROM seq_ranges r JOIN gateways g ON g.id = r.gateway "
            "WHERE g.gateway = 'gw-burst'"), "1")
        return stop_s, committed


if __name__ == "__main__":
    unittest.main(verbosity=2)
