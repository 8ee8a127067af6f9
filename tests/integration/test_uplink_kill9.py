"""Issue 3: kill -9 of the agent at random moments, many times, while the broker goes up and
down. Afterwards seq has no gap, no committed reading is missing, a repeated seq carries the
same content and the database passes integrity_check.

SEALWATCH_KILL_LOOPS sets the number of kills (default 20; CI uses fewer, see .ci/run)."""
import os
import random
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber  # noqa: E402
import uplink_common as uc  # noqa: E402

LOOPS = int(os.environ.get("SEALWATCH_KILL_LOOPS", "20"))


class KillNine(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def test_kill_loop(self):
        rng = random.Random(int(os.environ.get("SEALWATCH_SEED", "1234")))
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker)
        sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        cfg = self.h.write("sw.toml", uc.config(self.h, listening["tcp"][0], broker.port,
                                                interval_ms=100))
        broker_up = True
        for i in range(LOOPS):
            agent = self.h.agent(cfg, name=f"agent-{i}")
            time.sleep(rng.uniform(0.2, 2.0))
            agent.signal(signal.SIGKILL)
            agent.p.wait(10)
            if rng.random() < 0.3:  # the broker flips now and then
                if broker_up:
                    sub.stop()
                    broker.stop()
                else:
                    broker.start()
                    sub.start()
                broker_up = not broker_up
        if not broker_up:
            broker.start()
            sub.start()
        # A last, clean run: no new readings, and everything stored must arrive.
        sim.stop()
        agent = self.h.agent(cfg, name="agent-final")
        deadline = time.monotonic() + 60
        while "uplink: connected" not in agent.stderr() or not uc.drained(self.h):
            self.assertLess(time.monotonic(), deadline, "backlog did not drain")
            time.sleep(0.3)
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)
        time.sleep(1)
        sub.collect()
        seqs, readings = uc.check_delivery(self, self.h, sub.messages)
        print(f"kill -9 x{LOOPS}: {seqs} messages, {readings} readings, all delivered")


if __name__ == "__main__":
    unittest.main(verbosity=2)
