"""The flush period when [storage] flush_ms is not set (docs/config.md, "Why 5 s on an older
database"): 1 s on a database made with 1 KiB pages, 5 s on one made before with SQLite's
4 KiB pages (a 1 s flush there would write 85 B per value, over the 64 B promise), said in the
log at the start; and what the operator writes is kept. Seen where it matters: how often
telemetry reaches the broker, on a contract-only config."""
import os
import sqlite3
import statistics
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, agent_config, wait  # noqa: E402

SCENARIO = """
[[meter]]
id = "a"
unit = 1
profile = "eastron-sdm630"
program = [{ at = "0s", p_w = 5000 }]
"""


class FlushPeriod(unittest.TestCase):
    def start(self, made_before=False, extra=""):
        """An agent on one meter polled every second; returns (agent, subscriber)."""
        h = Harness()
        self.addCleanup(h.close)
        data = h.path("data")
        if made_before:
            # As an earlier build left it: SQLite's default 4 KiB pages, fixed by the first table.
            os.makedirs(data)
            db = sqlite3.connect(os.path.join(data, "sealwatch.db"))
            db.execute("PRAGMA page_size = 4096")
            db.execute("CREATE TABLE made_before (x)")
            db.commit()
            db.close()
        broker = Broker(h)
        sub = Subscriber(h, broker)
        _, listening = h.sim(h.write("meters.toml", SCENARIO), "--tcp", "127.0.0.1:0")
        bus = [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": listening["tcp"][0]}]
        meters = [{"id": "m1", "bus": "lan", "unit": 1, "profile": "eastron-sdm630"}]
        text = agent_config(data, bus, meters, broker.port, extra, tuned=False)
        return h.agent(h.write("sw.toml", text)), sub

    def test_period_follows_the_page_size_unless_written(self):
        # Side by side, so that one 16 s window serves all three.
        cases = {
            "new": (self.start(), 1000, "the default for this database's 1024-byte pages; "
                                        "[storage] flush_ms sets it"),
            "older": (self.start(made_before=True), 5000,
                      "the default for this database's 4096-byte pages; [storage] flush_ms "
                      "sets it"),
            "written": (self.start(made_before=True, extra="\n[storage]\nflush_ms = 1000\n"),
                        1000, "[storage] flush_ms"),
        }
        for name, ((agent, sub), period, why) in cases.items():
            line = f"storage: readings committed every {period} ms ({why})"
            wait(lambda: line in agent.stderr(), 10, f"{name}: {line!r}")
            sub.wait_for(lambda topic, _: topic.endswith("/telemetry"), 20)
        time.sleep(16)
        for name, ((_, sub), period, _) in cases.items():
            arrivals = [t for t, topic, _ in sub.collect() if topic.endswith("/telemetry")]
            gaps = [b - a for a, b in zip(arrivals[1:], arrivals[2:])]  # after the first
            self.assertGreaterEqual(len(gaps), 2, (name, arrivals))
            # Telemetry leaves as its readings are committed: one message per flush.
            if period == 1000:
                self.assertLess(statistics.median(gaps), 1.6, (name, gaps))
            else:
                self.assertGreater(statistics.median(gaps), 4.0, (name, gaps))


if __name__ == "__main__":
    unittest.main()
