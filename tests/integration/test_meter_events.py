"""Issue 13, item 4 end to end: a sealed furnace on a DL/T 645-2007 meter (sealwatch-sim behind a
transparent DTU, TCP: a socat pty pair ends when the agent closes its side, and the agent is
restarted here) whose cover is opened while the meter is unreachable, and again while the agent
is stopped. The agent reads the meter's own event counts at start (the baseline: nothing
raised), at once when the meter comes back from offline (the first cover-open), and at once
after its restart (the second, counted while it was down); each advance is a
`meter_cover_opened` event that reaches a real mosquitto with its seq, and with the time of the
meter's latest cover-open record: the scripted time on the simulated meter's clock (which
starts at the simulator's start, local time, as the agent reads it). The config has the
contract's keys only for the counts: their default interval (minutes) is never reached here."""
import calendar
import json
import math
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, agent_config, dlt645_scenario  # noqa: E402
from test_dlt645 import ASSET, FURNACE  # noqa: E402  (the sealed furnace-2 on meter "furnace")

# Unreachable from 3 s to 9 s (offline after three failed polls at 1 s, back at the backoff's
# try after 9 s); the cover is opened at 6 s, in that silence, and again at 30 s.
METER = ('u_v = 220.1\ne_imp_kwh = 1234.56\nprogram = [{ at = "0s", p_w = 150 }]\n'
         'faults = [{ no_answer = true, from = "3s", until = "9s" },\n'
         '  { meter_event = "meter_cover_opened", at = "6s" },\n'
         '  { meter_event = "meter_cover_opened", at = "30s" }]\n')


def unix_seconds(rfc3339_utc):
    return calendar.timegm(time.strptime(rfc3339_utc, "%Y-%m-%dT%H:%M:%S.000Z"))


class MeterEventsTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def events(self, sub, kind):
        return [json.loads(p) for _, topic, p in sub.collect()
                if topic.endswith("/event") and json.loads(p)["type"] == kind]

    def test_cover_opened_on_a_sealed_furnace_reaches_the_broker(self):
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker, topic="sealwatch/#")
        _, sim_tty = self.h.pty_pair()  # the scenario's serial listener, unused here
        scenario = self.h.write("meters.toml", dlt645_scenario(sim_tty, [(*FURNACE, "dtu", METER)]))
        # The simulated meters' clock starts at the simulator's start, somewhere in between:
        # a record of an event scripted at T reads floor(start + T), in whole seconds.
        before_sim = math.floor(time.time())
        _, listening = self.h.sim(scenario)
        sim_started = time.monotonic()
        after_sim = math.floor(time.time())

        def check_record_time(event, scripted_s):
            t = unix_seconds(event["details"]["record_time"])
            self.assertGreaterEqual(t, before_sim + scripted_s, event)
            self.assertLessEqual(t, after_sim + scripted_s, event)

        bus = {"id": "dtu", "kind": "dlt645", "host": "127.0.0.1", "port": listening["dlt645"][-1],
               "timeout_ms": 300}
        meters = [{"id": FURNACE[0], "bus": "dtu", "address": FURNACE[1],
                   "profile": "dlt645-2007", "interval_ms": 1000}]
        cfg = self.h.write("sw.toml", agent_config(self.h.path("data"), [bus], meters,
                                                   mqtt_port=broker.port, extra=ASSET))
        agent = self.h.agent(cfg)

        def cover_opened(topic, payload):
            return topic.endswith("/event") and json.loads(payload)["type"] == "meter_cover_opened"

        sub.wait_for(cover_opened, 40)
        first = self.events(sub, "meter_cover_opened")
        self.assertEqual(len(first), 1, first)
        e = first[0]
        self.assertEqual(e["state"], "info")
        self.assertEqual(e["severity"], "critical")  # a sealed asset
        self.assertEqual(e["asset"], "furnace-2")
        self.assertEqual(e["meter"], "furnace")
        self.assertIsInstance(e["seq"], int)
        self.assertEqual(e["details"]["identifier"], "03300D00")
        self.assertEqual(e["details"]["what"], "meter cover opened")
        self.assertEqual(e["details"]["old_count"], 0, "the start-time read was the baseline")
        self.assertEqual(e["details"]["new_count"], 1)
        self.assertEqual(e["details"]["family"], "dlt645-2007")
        check_record_time(e, 6)  # opened at 6 s, read at about 9 s
        offline = self.events(sub, "meter_offline")
        self.assertTrue(offline, "the cover was opened while the meter was unreachable")
        self.assertLess(offline[0]["ts"], e["ts"])

        # Stopped before the second cover-open, started after it: the start-time read raises
        # it (counted while the agent was down), and the first is not raised again.
        agent.stop()
        self.assertLess(time.monotonic() - sim_started, 29, "the machine is too slow for this")
        time.sleep(max(0.0, 31 - (time.monotonic() - sim_started)))
        again = self.h.agent(cfg, name="agent-2")
        try:
            sub.wait_for(lambda t, p: cover_opened(t, p) and
                         json.loads(p)["details"]["new_count"] == 2, 30)
        except AssertionError:
            raise AssertionError(f"{sub.messages}\n{again.stderr()[-3000:]}")
        time.sleep(1)
        opened = self.events(sub, "meter_cover_opened")
        self.assertEqual([x["details"]["new_count"] for x in opened], [1, 2], opened)
        self.assertEqual(opened[1]["details"]["old_count"], 1)
        check_record_time(opened[1], 30)  # opened while the agent was stopped
        self.assertGreater(opened[1]["seq"], opened[0]["seq"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
