"""Issue 3: store-and-forward through a real mosquitto. The broker goes away for a while and
comes back: every message arrives, seq has no gap, nothing is duplicated beyond what QoS 1
allows (a repeat carries the same content)."""
import datetime
import json
import os
import re
import subprocess
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, binary  # noqa: E402
import uplink_common as uc  # noqa: E402


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out: {what}")


class Outage(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def test_broker_outage_loses_nothing(self):
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker)
        sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        cfg = self.h.write("sw.toml", uc.config(self.h, listening["tcp"][0], broker.port))
        agent = self.h.agent(cfg)
        sub.wait_for(lambda t, p: t.endswith("/telemetry"), 10)
        time.sleep(2)
        broker.stop()
        sub.stop()
        time.sleep(5)  # readings pile up in the store meanwhile
        # The operator sees the backlog, read-only, while the agent runs.
        st = subprocess.run([binary("sealwatch"), "status", "--config", cfg], capture_output=True,
                            text=True, timeout=30)
        self.assertEqual(st.returncode, 0, st.stdout + st.stderr)
        waiting = re.search(r"waiting to be sent: (\d+) reading", st.stdout)
        self.assertTrue(waiting, st.stdout)
        self.assertGreater(int(waiting.group(1)), 20, st.stdout)
        self.assertRegex(st.stdout, r"m-a +online")
        broker.start()
        sub.start()
        time.sleep(2)
        sim.stop()  # no new readings: what is stored must all arrive
        time.sleep(1.5)
        wait_until(lambda: uc.drained(self.h), 30, "the backlog drains after the outage")
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)
        time.sleep(1)
        sub.collect()
        seqs, readings = uc.check_delivery(self, self.h, sub.messages)
        self.assertGreater(readings, 50)
        self.assertIn("uplink: disconnected", agent.stderr())
        self.assertIn("uplink: cannot connect", agent.stderr())  # once, not per retry
        self.assertEqual(agent.stderr().count("uplink: cannot connect"), 1)
        status = [p for _, t, p in sub.messages if t.endswith("/status")]
        self.assertIn('"online":true', status[0])
        print(f"outage: {seqs} messages, {readings} readings delivered")

    def test_status_times_are_those_of_the_connection(self):
        """P/status's ts, online and will alike, is made when the connection is, not when the
        link was set up: after a broker restart the will a kill -9 releases carries the time of
        the reconnection (issue 16: the will's ts was the agent's start)."""
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker, topic="sealwatch/#", name="status")
        sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        cfg = self.h.write("sw.toml", uc.config(self.h, listening["tcp"][0], broker.port))
        agent = self.h.agent(cfg)
        sub.wait_for(lambda t, p: t.endswith("/status") and '"online":true' in p, 10)
        time.sleep(4)
        sub.stop()
        stopped_ms = time.time() * 1000
        broker.stop()
        broker.start()
        restarted_ms = time.time() * 1000
        sub.start()
        # The retained "online" of the first connection may come first; wait for the new one.
        sub.wait_for(lambda t, p: t.endswith("/status") and '"online":true' in p and
                     status_ms(p) >= restarted_ms - 1000, 20)
        # The broker's shutdown already sent the first connection's will (with that
        # connection's ts): look only at what the kill -9 releases.
        before = len(sub.collect())
        agent.signal(signal.SIGKILL)
        will = None
        deadline = time.monotonic() + 10
        while will is None and time.monotonic() < deadline:
            time.sleep(0.05)
            will = next((p for _, t, p in sub.collect()[before:]
                         if t.endswith("/status") and '"online":false' in p), None)
        self.assertIsNotNone(will, "no will after the kill -9")
        # Made for an attempt after the first connection broke (the old code: the agent's start,
        # 4 s and more before).
        self.assertGreaterEqual(status_ms(will), stopped_ms - 200, will)
        sim.stop()


def status_ms(payload):
    ts = json.loads(payload)["ts"]
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000


if __name__ == "__main__":
    unittest.main(verbosity=2)
