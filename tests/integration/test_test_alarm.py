"""Issue 16: `sealwatch test-alarm --asset A` with real parts: a mosquitto, a real sealwatchd
polling sealwatch-sim, and `sealwatch-county run`.

- with no agent running it says so and exits 1, queueing nothing; an unknown asset exits 2;
- with the agent running, the test event is recorded in the chain, travels to the county on the
  event topic, and shows as the gateway's last test in `sealwatch-county status` (JSON and the
  table's TEST column);
- it is in neither `alarms` nor `alarms --all`, and open_alarms stays 0; the same on the web
  page's JSON (`/api/alarms`, `/api/alarms?all=1`, `/api/status`), and the page shows it as the
  gateway's last test;
- the gateway's evidence bundle holds it and still verifies (INTACT, key pinned).
"""
import json
import os
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from county_common import CountyVerbs, county_gateway  # noqa: E402
from harness import Broker, Harness, binary, free_port  # noqa: E402
import uplink_common as uc  # noqa: E402

GW = "gw-t"


def run(*args, timeout=60):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)


class TestAlarm(CountyVerbs, unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.broker = Broker(self.h)
        self.web_port = free_port()
        self.cfg = self.h.write("county.toml", (
            f'[county]\ndata_dir = "{self.h.path("county")}"\n\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {self.broker.port}\n'
            f'client_id = "county-ta-{os.getpid()}"\ninsecure = true\n\n'
            f'[web]\nport = {self.web_port}\n'))
        self.county = self.start_county()
        self.sim, self.listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp",
                                              "127.0.0.1:0")
        self.gw_cfg = self.h.path(f"{GW}.toml")

    def web(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}{path}", timeout=10) as r:
            self.assertEqual(r.status, 200, path)
            return r.read().decode()

    def request_test_alarm(self, *extra):
        return run(binary("sealwatch"), "test-alarm", "--config", self.gw_cfg, *extra)

    def test_a_test_alarm_reaches_the_county_and_is_never_an_alarm(self):
        started = time.time()
        online = ("the gateway online at the county", lambda: self.status().get(GW, {}).get(
            "state") == "online" and self.status()[GW]["chain"] == "verified")
        agent = county_gateway(self.h, GW, self.listening["tcp"][0], self.broker.port)
        self.wait(*online, 30)
        # The agent stopped: said clearly, and nothing queued for a later start.
        agent.stop()
        self.wait("the gateway offline", lambda: self.status()[GW]["state"] == "offline", 15)
        r = self.request_test_alarm("--asset", "furnace-2")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("sealwatchd is not running", r.stderr)
        r = self.request_test_alarm("--asset", "no-such-asset")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("furnace-2", r.stderr, "names the assets there are")
        self.h.agent(self.gw_cfg, name=f"{GW}-again")
        self.wait("the gateway back", lambda: self.status()[GW]["state"] == "online", 30)
        time.sleep(2)  # the agent's first turns: a request left queued would be recorded now
        con = sqlite3.connect(os.path.join(self.h.path(f"data-{GW}"), "sealwatch.db"), timeout=10)
        self.assertEqual(con.execute("SELECT count(*) FROM test_alarms").fetchone()[0], 0)
        con.close()
        self.assertIsNone(self.status()[GW]["last_test_alarm"])
        self.assertRegex(self.county_verb("status"), rf"{GW}\s.*\snever\n")

        r = self.request_test_alarm("--asset", "furnace-2", "--by", "installer IT", "--note",
                            "commissioning")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"recorded as chain entry \d+")
        shown = self.wait("the test alarm at the county", lambda: self.status()[GW][
            "last_test_alarm"], 20)
        self.assertEqual((shown["asset"], shown["by"], shown["note"]),
                         ("furnace-2", "installer IT", "commissioning"))
        self.assertGreater(shown["seq"], 0)
        self.assertRegex(self.county_verb("status"), rf"{GW}\s.*\s\d+s\n", "the TEST age")

        # Never an alarm: not open, not in the history, not counted.
        for args in (("alarms", "--json"), ("alarms", "--all", "--json")):
            listed = json.loads(self.county_verb(*args))
            self.assertFalse([a for a in listed if a["type"] == "test_alarm"], listed)
        self.assertNotIn("test_alarm", self.county_verb("alarms", "--all"))
        self.assertEqual(self.status()[GW]["open_alarms"], 0)
        # The web page's JSON says the same as the verbs, and the page shows the test.
        for path in ("/api/alarms", "/api/alarms?all=1"):
            listed = json.loads(self.web(path))
            self.assertFalse([a for a in listed if a["type"] == "test_alarm"], (path, listed))
        on_web = {g["gateway"]: g for g in json.loads(self.web("/api/status"))}[GW]
        self.assertEqual(on_web["open_alarms"], 0)
        self.assertEqual(on_web["last_test_alarm"]["seq"], shown["seq"])
        page = self.web("/")
        self.assertRegex(page, r'<td class="test" title="[^"]*furnace-2, by installer IT '
                               r'\(commissioning\)">\d+s ago</td>', "the page's Last test cell")

        # Proven by the chain: the gateway's bundle holds it and verifies against its key.
        out = self.h.path("bundle")
        exp = run(binary("sealwatch"), "export", "-c", self.gw_cfg, "--from",
                  str(int(started) - 60), "--to", str(int(time.time()) + 60), "--out", out)
        self.assertEqual(exp.returncode, 0, exp.stdout + exp.stderr)
        with open(os.path.join(out, "events.jsonl")) as f:
            events = [json.loads(line) for line in f if line.strip()]
        tests = [e for e in events if e["type"] == "test_alarm"]
        self.assertEqual(len(tests), 1, events)
        self.assertEqual((tests[0]["state"], tests[0]["details"]["test"]), ("info", True))
        ver = run(binary("sealwatch"), "verify", out, "-c", self.gw_cfg)
        self.assertEqual(ver.returncode, 0, ver.stdout + ver.stderr)
        self.assertIn("INTACT", ver.stdout)


if __name__ == "__main__":
    unittest.main()
