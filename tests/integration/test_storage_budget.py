"""Issue 3: the disk budget is reached during a long outage. Raw readings are rolled up into
minutes (oldest first), an event says so, every event is delivered once the broker is back, the
rollups of never-sent readings are delivered as telemetry, and seq has no gap."""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, agent_config  # noqa: E402
import uplink_common as uc  # noqa: E402

N_METERS = 24


def scenario(furnace_w):
    text = ""
    for i in range(N_METERS):
        p = furnace_w if i == 0 else 1000 + i
        text += (f'[[meter]]\nid = "s{i}"\nunit = {i + 1}\nprofile = "eastron-sdm630"\n'
                 f'serial = {630000 + i}\ne_imp_kwh = 100\nprogram = [{{ at = "0s", p_w = {p} }}]\n\n')
    return text


class Budget(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def test_budget_during_outage(self):
        broker = Broker(self.h)
        broker_port = broker.port
        broker.stop()  # the outage starts before the agent does
        sim, listening = self.h.sim(self.h.write("m.toml", scenario(100)), "--tcp", "127.0.0.1:0")
        port = listening["tcp"][0]
        buses = [{"id": f"lan{b}", "kind": "tcp", "host": "127.0.0.1", "port": port}
                 for b in range(3)]
        meters = [{"id": f"m{i}", "bus": f"lan{i % 3}", "unit": i + 1, "profile": "eastron-sdm630",
                   "interval_ms": 100} for i in range(N_METERS)]
        extra = ('\n[storage]\nbudget_mb = 1\ncheck_interval_s = 2\nflush_ms = 1000\n\n[detect]\nmin_samples = 2\n\n'
                 '[[asset]]\nid = "furnace"\nstate = "sealed"\nmeters = ["m0"]\nstandby_w = 300\n'
                 'min_on_s = 1\n')
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), buses, meters, broker_port,
                                                   extra))
        agent = self.h.agent(cfg)
        time.sleep(12)
        self.h.write("m.toml", scenario(500000))  # the sealed furnace comes alive mid-outage
        sim.signal(signal.SIGHUP)
        time.sleep(14)
        log = agent.stderr()
        self.assertIn("rolled up into minutes", log)
        size = os.path.getsize(os.path.join(self.h.path("data"), "sealwatch.db"))
        self.assertLess(size, 1.5 * 1024 * 1024, "the database stays near its budget")

        broker.start()
        sub = Subscriber(self.h, broker)
        sim.stop()
        deadline = time.monotonic() + 60
        while not uc.drained(self.h):
            self.assertLess(time.monotonic(), deadline, "backlog did not drain")
            time.sleep(0.3)
        con = uc.db(self.h)
        pending_rollups = con.execute("SELECT max(id) FROM rollups WHERE pending = 1").fetchone()[0]
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        con.close()
        self.assertIsNotNone(pending_rollups, "never-sent readings were rolled up")
        deadline = time.monotonic() + 30
        while int(meta.get("sent.rollups", 0)) < pending_rollups:
            self.assertLess(time.monotonic(), deadline, "rollups not sent")
            time.sleep(0.3)
            con = uc.db(self.h)
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            con.close()
        time.sleep(1)
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)
        time.sleep(1)

        msgs = sub.collect()
        seqs = sorted(json.loads(p)["seq"] for _, t, p in msgs
                      if t.endswith("/telemetry") or t.endswith("/event"))
        con = uc.db(self.h)
        next_seq = int(dict(con.execute("SELECT key, value FROM meta").fetchall())["next_seq"])
        stored_events = [json.loads(b)["id"] for (b,) in con.execute("SELECT body FROM events")]
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        con.close()
        self.assertEqual(sorted(set(seqs)), list(range(1, next_seq)), "seq without a gap")
        events = [json.loads(p) for _, t, p in msgs if t.endswith("/event")]
        self.assertEqual(sorted({e["id"] for e in events}), sorted(set(stored_events)),
                         "every event delivered")
        types = {e["type"] for e in events}
        self.assertIn("storage_budget", types)
        self.assertIn("reenergized", types)
        rollups = [r for _, t, p in msgs if t.endswith("/telemetry")
                   for r in json.loads(p).get("rollups", [])]
        self.assertTrue(rollups)
        self.assertIn("p_max_w", rollups[0])
        print(f"budget: {len(events)} events, {len(rollups)} rollup rows, {next_seq - 1} messages")


if __name__ == "__main__":
    unittest.main(verbosity=2)
