"""Issue 12's cluster path, smoke: a real gateway's messages through a three-node RabbitMQ
cluster into `sealwatch-county run` consuming over AMQP 0-9-1.

    sealwatch-sim ─Modbus TCP─▶ sealwatchd ─MQTT 3.1.1─▶ rabbit2 (MQTT plugin) ─amq.topic─▶
        quorum queue (members on rabbit1..3) ─AMQP─▶ sealwatch-county run ─▶ county.db

- The cluster is tests/cluster/rabbit-cluster.sh's (nodes, cookie, plugin, queue and binding).
- The agent publishes to rabbit2's MQTT listener; the county consumes from rabbit1 first (its
  first URL): the messages cross the cluster.
- Midway rabbit1 stops: the county's connection drops, it reconnects to another node, and the
  quorum queue, two of three members up, goes on.
- At the end every seq the broker acknowledged to the agent (the agent's outbox no longer holds
  it) is in the county's ledger, with no gap; a clean stop of `run` exits 0.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE, Harness, agent_config, binary  # noqa: E402
import uplink_common as uc  # noqa: E402

CLUSTER = os.path.join(SOURCE, "tests/cluster/rabbit-cluster.sh")


class CountyOnRabbitmq(unittest.TestCase):
    def setUp(self):
        if not os.access("/usr/lib/rabbitmq/bin/rabbitmq-server", os.X_OK):
            raise unittest.SkipTest("rabbitmq-server not installed")
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.cluster_dir = self.h.path("rabbit")
        self.addCleanup(self.cluster, "stop")
        started = time.monotonic()
        self.cluster("start")
        self.cluster_start_s = time.monotonic() - started
        with open(os.path.join(self.cluster_dir, "cluster.env")) as f:
            self.env = dict(line.strip().split("=", 1) for line in f if "=" in line)

    def cluster(self, verb, *args):
        r = subprocess.run([CLUSTER, verb, self.cluster_dir, *args], capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, f"rabbit-cluster.sh {verb}: {r.stdout}{r.stderr}")
        return r.stdout

    def port(self, kind, node):
        return int(self.env[f"{kind}_PORT_{node}"])

    def county_verb(self, *args):
        r = subprocess.run([binary("sealwatch-county"), *args, "--config", self.cfg],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def gateway(self):
        got = {g["gateway"]: g for g in json.loads(self.county_verb("status", "--json"))}
        return got.get("gw-it")

    def gaps(self):
        return {g["gateway"]: g for g in json.loads(self.county_verb("gaps", "--json"))}["gw-it"]

    def wait(self, what, check, timeout):
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            if time.monotonic() > deadline:
                self.fail(f"{what}: not within {timeout} s; county: {self.gateway()}\n"
                          f"county stderr:\n{self.county.stderr()[-3000:]}")
            time.sleep(0.3)

    def test_a_gateways_messages_reach_the_county_through_the_cluster(self):
        urls = ", ".join(f'"amqp://guest:guest@127.0.0.1:{self.port("AMQP", n)}"'
                         for n in (1, 2, 3))
        self.cfg = self.h.write("county.toml", (
            f'[county]\ndata_dir = "{self.h.path("county")}"\n\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {self.port("MQTT", 1)}\ninsecure = true\n\n'
            f'[source]\nkind = "amqp"\nurls = [{urls}]\nqueue = "{self.env["QUEUE"]}"\n'
            'prefetch = 50\nheartbeat_s = 10\n'))
        self.county = self.h.start([binary("sealwatch-county"), "run", "--config", self.cfg],
                                   "county")
        self.wait("the county consuming", lambda: "connected to amqp" in self.county.stderr(), 20)
        self.assertIn(f":{self.port('AMQP', 1)}/", self.county.stderr())

        sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        agent_cfg = uc.config(self.h, listening["tcp"][0], self.port("MQTT", 2), interval_ms=200)
        agent = self.h.agent(self.h.write("agent.toml", agent_cfg))
        first = self.wait("the agent's messages in the county", lambda: (
            self.gateway() and self.gateway()["received"] >= 10 and self.gateway()), 60)
        self.assertEqual(first["site"], "plant-it")
        self.assertEqual(first["state"], "online")  # its status came through the cluster too

        # rabbit1, the node the county reads from, goes away; the agent's node stays.
        self.cluster("stop-node", "1")
        self.wait("the county on another node", lambda: self.county.stderr().count(
            "connected to amqp") >= 2, 60)
        before = self.gateway()["received"]
        self.wait("messages after the node loss", lambda: (
            self.gateway()["received"] >= before + 10), 60)

        # The agent stops cleanly; what its broker acknowledged is out of its outbox.
        self.assertEqual(agent.stop(), 0, agent.stderr()[-3000:])
        con = sqlite3.connect(os.path.join(self.h.path("data"), "sealwatch.db"), timeout=10)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        unacked = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        con.close()
        last = int(meta.get("next_seq", 1)) - 1
        gaps = self.wait("every acknowledged seq in the county", lambda: (
            self.gaps()["last_seq"] >= last - unacked and self.gaps()["missing"] == []
            and self.gaps()), 60)
        final = self.gateway()
        self.assertEqual(final["missing"], 0, gaps)
        self.assertLessEqual(final["received"], last)
        self.assertGreaterEqual(final["received"], last - unacked)

        self.assertEqual(self.county.stop(), 0, self.county.stderr()[-3000:])
        text = self.county.stderr()
        self.assertIn("lost", text)  # the node's loss was said, once
        self.assertNotIn("unreadable", text)
        print(f"\ncluster start {self.cluster_start_s:.0f} s; {final['received']} seqs, "
              f"last {last}, {unacked} unacknowledged at the agent's stop", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
