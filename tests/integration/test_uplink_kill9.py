"""Issue 3: kill -9 of the agent at random moments, many times, while the broker goes up and
down. Afterwards seq has no gap, no committed reading is missing, a repeated seq carries the
same content and the database passes integrity_check.

SEALWATCH_KILL_LOOPS sets the number of kills (default 20; CI uses fewer, see .ci/run)."""
import os
import random
import sys
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
        uc.kill_loop(self.h, cfg, broker, sub, rng, LOOPS, (0.2, 2.0))
        # A last, clean run: no new readings, and everything stored must arrive.
        sim.stop()
        uc.clean_run(self, self.h, cfg)
        sub.collect()
        seqs, readings = uc.check_delivery(self, self.h, sub.messages)
        print(f"kill -9 x{LOOPS}: {seqs} messages, {readings} readings, all delivered")


if __name__ == "__main__":
    unittest.main(verbosity=2)
