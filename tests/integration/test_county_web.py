"""Issue 11, item 4: the bureau's web page, served by `sealwatch-county run`, with real parts: a
mosquitto, two real sealwatchd polling sealwatch-sim (gw-1 guards a sealed furnace that draws
power: reenergized), a third gateway played with mosquitto_pub (a withheld seq, six hours of
minute rollups, an alarm), and headless Chromium.

- the page renders in Chromium, loads nothing from anywhere (a proxy that every non-loopback
  request would have to pass counts none; no http(s) URL in the DOM) and its numbers are those
  of `sealwatch-county status --json` (and /api/status is that very JSON);
- the timeline's power is the telemetry's (/api/power) and the played alarm is drawn;
- times are in the configured zone with the offset written out;
- a page away from loopback without TLS and a password is refused (exit 2, FILE:LINE);
- with TLS and a password: no password or a wrong one is 401 (then 429 for a second), the right
  one 200 over HTTPS; POST is 405.
"""
import base64
import datetime
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(__file__))
from county_common import county_gateway  # noqa: E402
from harness import Broker, Harness, binary, free_port  # noqa: E402
import uplink_common as uc  # noqa: E402
from test_uplink_tls import make_pki  # noqa: E402

PREFIX = "sealwatch/v1"
PASSWORD = "correct horse battery staple"
SCREENSHOT = os.environ.get("SEALWATCH_WEB_SCREENSHOT")  # copy the screenshot there (docs/)


def rfc3339(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class FleetRows(HTMLParser):
    """The fleet table's rows: {gateway: {"site":…, "state":…, "received":…, …}}."""

    def __init__(self):
        super().__init__()
        self.rows, self.row, self.cell, self.text = {}, None, None, ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-gateway" in a:
            self.row = {"site": a["data-site"]}
            self.rows[a["data-gateway"]] = self.row
        elif tag == "td" and self.row is not None:
            self.cell, self.text = a.get("class", "").split(), ""

    def handle_endtag(self, tag):
        if tag == "td" and self.row is not None and self.cell:
            names = [c for c in self.cell if c in (
                "state", "received", "missing", "open_alarms", "chain", "last")]
            if names:
                self.row[names[0]] = self.text.strip()
            self.cell = None
        elif tag == "tr":
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.text += data


class CountyWeb(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.broker = Broker(self.h)
        self.web_port = free_port()
        self.county = None

    def start_fleet(self):
        """The county with its page on loopback, no password, and two real gateways."""
        self.cfg = self.county_config("county", f'[web]\nport = {self.web_port}\n'
                                                'timezone = "Asia/Shanghai"\n')
        self.county = self.start_county(self.cfg, "county")
        self.sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp",
                                         "127.0.0.1:0")
        # gw-1's furnace is sealed and draws 5 kW: reenergized.
        self.agents = {gw: county_gateway(self.h, gw, listening["tcp"][0], self.broker.port,
                                             sealed=gw == "gw-1") for gw in ("gw-1", "gw-2")}

    def county_config(self, name, web):
        return self.h.write(f"{name}.toml", (
            f'[county]\ndata_dir = "{self.h.path(name)}"\n\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {self.broker.port}\ninsecure = true\n'
            f'client_id = "{name}-it-{os.getpid()}"\n\n{web}'))

    def start_county(self, cfg, name):
        proc = self.h.start([binary("sealwatch-county"), "run", "--config", cfg], name)
        deadline = time.monotonic() + 10
        while "connected" not in proc.stderr() or "web page on" not in proc.stderr():
            self.assertIsNone(proc.p.poll(), proc.stderr())
            self.assertLess(time.monotonic(), deadline, proc.stderr())
            time.sleep(0.05)
        return proc

    def county_json(self, verb):
        r = subprocess.run([binary("sealwatch-county"), verb, "--json", "--config", self.cfg],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def get(self, path, port=None, scheme="http", headers=None, context=None, method="GET"):
        req = urllib.request.Request(f"{scheme}://127.0.0.1:{port or self.web_port}{path}",
                                     headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10, context=context) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def wait(self, what, check, timeout):
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            self.assertLess(time.monotonic(), deadline, f"{what}: not within {timeout} s\n"
                            f"{self.county.stderr()[-3000:] if self.county else ''}")
            time.sleep(0.3)

    def publish(self, kind, payload, retain=False):
        args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port), "-q", "1",
                "-t", f"{PREFIX}/plant-it/gw-played/{kind}", "-m", payload]
        subprocess.run(args + (["-r"] if retain else []), check=True, timeout=10)

    def play_a_gateway(self):
        """gw-played: six hours of minute rollups of a furnace that heats now and then, seq 3
        withheld, and an alarm that opened 100 minutes ago."""
        now = int(time.time() * 1000) // 60000 * 60000
        self.publish("status", json.dumps({"online": True, "ts": rfc3339(now), "version": "it",
                                           "boot": 1}), retain=True)
        rollups = []
        for i in range(360, 0, -1):
            minute = now - i * 60000
            heat = (i // 45) % 3 == 1 or i < 120
            avg = 780000 + 20000 * ((i * 7) % 5) if heat else 300 + (i % 7) * 10
            rollups.append({"meter": "m1", "minute": rfc3339(minute), "n": 60,
                            "p_min_w": avg * 0.9, "p_avg_w": avg, "p_max_w": avg * 1.05})
            rollups.append({"meter": "m0", "minute": rfc3339(minute), "n": 60,
                            "p_min_w": avg * 1.02, "p_avg_w": avg * 1.04 + 15000,
                            "p_max_w": avg * 1.08 + 15000})
        half = len(rollups) // 2
        self.publish("telemetry", json.dumps({"seq": 1, "rollups": rollups[:half]}))
        self.publish("telemetry", json.dumps({"seq": 2, "rollups": rollups[half:]}))
        self.publish("event", json.dumps({
            "seq": 4, "id": "gw-played-reenergized-1", "type": "reenergized", "state": "raised",
            "severity": "critical", "asset": "furnace-1", "meter": "m1",
            "ts": rfc3339(now - 99 * 60000), "started": rfc3339(now - 100 * 60000),
            "details": {"peak_w": 812000}}))
        return now

    def chromium(self, url, *extra):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            self.skipTest("chromium is not installed (toolchains/install-deps.sh installs it)")
        profile = tempfile.mkdtemp(dir=self.h.dir)
        # Loopback goes direct (our page); anything else would have to pass this proxy.
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                f"--proxy-server=http://127.0.0.1:{self.proxy.getsockname()[1]}", *extra, url]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        return r.stdout

    def start_proxy(self):
        self.hits = []
        self.proxy = socket.socket()
        self.proxy.bind(("127.0.0.1", 0))
        self.proxy.listen(16)
        self.proxy.settimeout(0.2)
        stop = threading.Event()

        def accept():
            while not stop.is_set():
                try:
                    c, _ = self.proxy.accept()
                    self.hits.append(c.recv(200))
                    c.close()
                except OSError:
                    pass
        t = threading.Thread(target=accept, daemon=True)
        t.start()

        def close():
            stop.set()
            t.join()
            self.proxy.close()
        self.addCleanup(close)

    def test_the_page_in_chromium_shows_what_status_says(self):
        self.start_fleet()
        self.wait("both agents online with gw-1's alarm", lambda: (
            {g["gateway"]: g["state"] for g in self.county_json("status")} ==
            {"gw-1": "online", "gw-2": "online"} and
            [a for a in self.county_json("alarms") if a["gateway"] == "gw-1"]), 40)
        def power(gw, hours=1):
            code, body, _ = self.get(f"/api/power?gateway=plant-it/{gw}&hours={hours}")
            self.assertEqual(code, 200, body)
            return {m["meter"]: m["minutes"] for m in json.loads(body)["meters"]}
        self.wait("both agents' power in the county's series", lambda: all(
            sum(m["n"] for m in power(gw).get(meter, [])) >= 6
            for gw in ("gw-1", "gw-2") for meter in ("m-a", "m-b")), 30)
        now = self.play_a_gateway()
        self.wait("the played gateway's alarm and gap", lambda: [
            g for g in self.county_json("status")
            if g["gateway"] == "gw-played" and g["missing"] == 1 and g["open_alarms"] == 1], 15)
        # Frozen agents keep their numbers still (and stay online: silent_after_s is 60 s).
        for gw, agent in self.agents.items():
            agent.signal(signal.SIGSTOP)
            self.addCleanup(agent.signal, signal.SIGCONT)
        before = None
        while before != (before := self.county_json("status")):
            time.sleep(1.0)
        status = {g["gateway"]: g for g in before}

        # /api/status is `status --json`, byte for byte in content.
        code, body, headers = self.get("/api/status")
        self.assertEqual(code, 200)
        self.assertEqual(json.loads(body), before)
        self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
        for verb in ("alarms", "gaps"):
            code, body, _ = self.get(f"/api/{verb}")
            self.assertEqual((code, json.loads(body)), (200, self.county_json(verb)), verb)

        # The page in a real browser.
        self.start_proxy()
        origin = f"http://127.0.0.1:{self.web_port}"
        dom = self.chromium(origin + "/", "--dump-dom")
        self.assertIn("<svg", dom)
        self.assertIn("sealwatch-county: the fleet", dom)
        rows = FleetRows()
        rows.feed(dom)
        self.assertEqual(set(rows.rows), set(status))
        for gw, row in rows.rows.items():
            want = status[gw]
            for key in ("state", "chain", "site"):
                self.assertEqual(row[key], want[key], (gw, key, row))
            for key in ("received", "missing", "open_alarms"):
                self.assertEqual(int(row[key]), want[key], (gw, key, row))
        self.assertEqual(rows.rows["gw-played"]["missing"], "1")
        # Open alarms with their age; gw-1 (the first with an open alarm) has the timeline.
        self.assertIn("gw-played-reenergized-1", dom)
        self.assertRegex(dom, re.compile(
            r'data-id="gw-played-reenergized-1".*?class="n age">(100|101|102)m<', re.S))
        self.assertIn('id="timeline">gw-1 (plant-it)', dom)
        self.assertIn('data-meter="m-a"', dom)
        # Local time with its offset.
        self.assertIn("times in Asia/Shanghai, +08:00", dom)
        # Nothing from anywhere: no URL in the DOM but relative ones, no request out.
        self.assertEqual(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+", dom), [])
        self.assertNotIn("<script", dom)

        # The timeline's numbers: gw-1's meters as polled (sim: m-a 5 kW at first, m-b 300 W).
        meters = power("gw-1")
        self.assertEqual(set(meters), {"m-a", "m-b"})
        self.assertTrue(all(4000 < m["min_w"] <= m["avg_w"] <= m["max_w"] <= 95000
                            for m in meters["m-a"]), meters["m-a"])
        self.assertTrue(all(250 < m["avg_w"] < 350 for m in meters["m-b"]), meters["m-b"])
        self.assertGreater(sum(m["n"] for m in meters["m-a"]), 5)
        played = power("gw-played", 7)
        self.assertEqual(len(played["m1"]), 360)
        self.assertEqual(played["m1"][0]["minute"], rfc3339(now - 360 * 60000))

        # The played gateway's six hours, for docs/county-web.png.
        shot = self.h.path("county-web.png")
        url = origin + "/?gateway=plant-it/gw-played&hours=6"
        dom = self.chromium(url, "--dump-dom")
        self.assertIn('rect class="alarm critical" data-id="gw-played-reenergized-1"', dom)
        self.chromium(url, f"--screenshot={shot}", "--window-size=1040,900",
                      "--hide-scrollbars")
        self.assertGreater(os.path.getsize(shot), 20000)
        if SCREENSHOT:
            shutil.copy(shot, SCREENSHOT)
        # Chromium's own housekeeping may still try to go out despite the flags; anything
        # else through the proxy is the page's and fails the test.
        own = (b"clients2.google.com", b"update.googleapis.com", b"accounts.google.com",
               b"optimizationguide-pa.googleapis.com")
        self.assertEqual([h for h in self.hits if not any(o in h for o in own)], [])

    def test_away_from_loopback_it_needs_tls_and_a_password(self):
        r = subprocess.run([binary("sealwatch-county"), "web-password"], input=PASSWORD + "\n",
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        hash_line = r.stdout.strip()
        self.assertRegex(hash_line, r'^password_hash = "\$argon2id\$')
        short = subprocess.run([binary("sealwatch-county"), "web-password"], input="short\n",
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(short.returncode, 2)

        pki = make_pki(self.h.path("pki"))
        tls = f'[web.tls]\ncert_file = "{pki["cert"]}"\nkey_file = "{pki["key"]}"\n'
        for body in ("", hash_line + "\n", tls):
            cfg = self.county_config("exposed", f'[web]\nhost = "0.0.0.0"\nport = 1\n{body}')
            r = subprocess.run([binary("sealwatch-county"), "run", "--config", cfg],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(f'{cfg}:10: [web]: host "0.0.0.0" is reachable from other machines',
                          r.stderr)

        # With TLS and a password (on loopback here; the rules are the same, the test runs
        # nothing outside 127.0.0.1).
        port = free_port()
        cfg = self.county_config("guarded", f'[web]\nport = {port}\n{hash_line}\n{tls}')
        guarded = self.start_county(cfg, "guarded")
        self.assertIn(f"web page on https://127.0.0.1:{port}/ (password asked)",
                      guarded.stderr())
        ctx = ssl.create_default_context(cafile=pki["ca"])

        def auth(password, user="bureau"):
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        code, _, headers = self.get("/", port, "https", context=ctx)
        self.assertEqual(code, 401)
        self.assertIn('Basic realm="sealwatch-county"', headers["WWW-Authenticate"])
        self.assertEqual(self.get("/", port, "https", auth("wrong password"), ctx)[0], 401)
        self.assertEqual(self.get("/", port, "https", auth("another guess"), ctx)[0], 429)
        time.sleep(1.1)
        self.assertEqual(self.get("/", port, "https", auth(PASSWORD, "root"), ctx)[0], 401)
        time.sleep(1.1)
        code, body, _ = self.get("/", port, "https", auth(PASSWORD), ctx)
        self.assertEqual(code, 200, body)
        self.assertIn("sealwatch-county: the fleet", body)
        self.assertEqual(self.get("/api/status", port, "https", auth(PASSWORD), ctx, "POST")[0],
                         405)
        # Plain HTTP to the TLS port gets no page.
        with self.assertRaises(Exception):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()


if __name__ == "__main__":
    unittest.main(verbosity=2)
