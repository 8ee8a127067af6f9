"""Issue 5, end to end: the agent records a sealed furnace switched on; a legal state change is
applied live through `sealwatch asset set-state`; the signed chain head reaches the broker
(retained P/chain); `sealwatch export` writes a bundle that `sealwatch verify` accepts, and every
kind of tampering (changed value, deleted row, inserted row, reordered row, truncated file,
wrong key, forged signature) makes verify fail, naming the first bad record. The report opens in
headless Chromium, shows its chart and makes no network request."""
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, agent_config, binary, sealed_furnace  # noqa: E402

SCENARIO = """
[[meter]]
id = "furnace"
unit = 1
profile = "eastron-sdm630"
serial = 630001
e_imp_kwh = 182340.5
program = [{ at = "0s", p_w = 800_000 }]

[[meter]]
id = "lights"
unit = 2
profile = "eastron-sdm630"
serial = 630002
e_imp_kwh = 100.0
program = [{ at = "0s", p_w = 1200 }]
"""

ASSETS = sealed_furnace("m1") + """
[[asset]]
id = "office"
kind = "lighting"
state = "operating"
meters = ["m2"]
"""


def run(*args, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


class Evidence(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness()
        h = cls.h
        try:
            broker = Broker(h)
            sub = Subscriber(h, broker)
            scenario = h.write("plant.toml", SCENARIO)
            _, listening = h.sim(scenario, "--tcp", "127.0.0.1:0")
            bus = [{"id": "lan", "kind": "tcp", "host": "127.0.0.1",
                    "port": listening["tcp"][0]}]
            meters = [{"id": f"m{u}", "bus": "lan", "unit": u, "profile": "eastron-sdm630",
                       "interval_ms": 500} for u in (1, 2)]
            cls.data = h.path("data")
            cls.cfg = h.write("sw.toml", agent_config(cls.data, bus, meters, broker.port, ASSETS))
            cls.start = time.time() - 5
            agent = h.agent(cls.cfg)
            sub.wait_for(lambda t, p: t.endswith("/event") and '"reenergized"' in p, 20)
            # The signed head, retained.
            cls.chain_msg = json.loads(
                sub.wait_for(lambda t, p: t.endswith("/chain"), 20)[2])
            # A legal change while the agent runs: applied live, chained, published.
            cls.set_state = run(binary("sealwatch"), "asset", "set-state", "furnace-2",
                                "operating", "--by", "县工信局 王 inspector Wang", "--note",
                                "rectification accepted / 整改验收", "-c", cls.cfg)
            cls.state_event = json.loads(sub.wait_for(
                lambda t, p: t.endswith("/event") and '"asset_state_changed"' in p, 10)[2])
            cls.cleared = json.loads(sub.wait_for(
                lambda t, p: t.endswith("/event") and '"reenergized"' in p and '"cleared"' in p,
                10)[2])
            time.sleep(2)
            cls.status = run(binary("sealwatch"), "status", "-c", cls.cfg)
            cls.end = time.time() + 5
            cls.bundle = h.path("bundle")
            cls.export = run(binary("sealwatch"), "export", "-c", cls.cfg, "--from",
                             str(int(cls.start)), "--to", str(int(cls.end)), "--out", cls.bundle)
            cls.asset_bundle = h.path("bundle-asset")
            cls.asset_export = run(binary("sealwatch"), "export", "-c", cls.cfg, "--from",
                                   str(int(cls.start)), "--to", str(int(cls.end)), "--out",
                                   cls.asset_bundle, "--asset", "furnace-2")
            agent.stop()
        except BaseException:
            h.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def verify(self, bundle, *extra):
        return run(binary("sealwatch"), "verify", bundle, *extra)

    def tampered(self, name, change):
        copy = self.h.path(f"t-{name}")
        shutil.copytree(self.bundle, copy)
        change(copy)
        return copy

    # --- the live part ---

    def test_set_state_applied_live(self):
        self.assertEqual(self.set_state.returncode, 0, self.set_state.stderr)
        self.assertIn("is running: handed over as command", self.set_state.stdout)
        self.assertIn("recorded as chain entry", self.set_state.stdout)
        d = self.state_event["details"]
        self.assertEqual((d["from"], d["to"]), ("sealed", "operating"))
        self.assertEqual(d["by"], "县工信局 王 inspector Wang")
        self.assertEqual(self.cleared["details"].get("reason"), "asset state changed")

    def test_unknown_asset_is_refused(self):
        r = run(binary("sealwatch"), "asset", "set-state", "nope", "sealed", "--by", "x", "-c",
                self.cfg)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not in", r.stderr)

    def test_status_shows_key_chain_and_state(self):
        self.assertEqual(self.status.returncode, 0, self.status.stdout)
        out = self.status.stdout
        self.assertIn("key fingerprint: " + self.chain_msg["fingerprint"], out)
        self.assertIn("operating*", out)
        self.assertIn("head:", out)
        self.assertLessEqual(max(len(l) for l in out.splitlines()), 80, out)

    def test_status_json_is_the_same_view_in_utc(self):
        r = run(binary("sealwatch"), "status", "--json", "-c", self.cfg)
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual(j["gateway"], "gw-it")
        self.assertEqual(j["evidence"]["key_fingerprint"], self.chain_msg["fingerprint"])
        text = run(binary("sealwatch"), "status", "-c", self.cfg).stdout  # the same moment
        self.assertIn("head:  " + j["evidence"]["chain_head"], text)
        furnace = next(a for a in j["assets"] if a["id"] == "furnace-2")
        self.assertEqual((furnace["state"], furnace["state_set_by_command"]), ("operating", True))
        self.assertTrue(j["now"].endswith("Z") and j["evidence"]["chain_last"].endswith("Z"), j)
        self.assertTrue(j["meters"] and all(m["health"] for m in j["meters"]), j["meters"])
        self.assertIn("next_seq", j["uplink"])

    def test_status_shows_local_time(self):
        # The same database read with the gateway's zone set to Beijing: people read local time.
        cfg = self.h.write("sw-shanghai.toml", open(self.cfg).read().replace(
            'timezone = "UTC"', 'timezone = "Asia/Shanghai"'))
        r = run(binary("sealwatch"), "status", "-c", cfg)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        now = re.search(r"^now (\S+ \S+) \+08:00 \(Asia/Shanghai\)", r.stdout, re.M)
        self.assertTrue(now, r.stdout)
        local = datetime.datetime.strptime(now.group(1), "%Y-%m-%d %H:%M:%S")
        utc = datetime.datetime.utcnow()
        self.assertLess(abs((local - utc).total_seconds() - 8 * 3600), 120, r.stdout)
        self.assertRegex(r.stdout, r"chain: \d+ entries, last \S+ \S+ \+08:00")
        self.assertLessEqual(max(len(l) for l in r.stdout.splitlines()), 80, r.stdout)

    def test_chain_head_published_and_signed(self):
        m = self.chain_msg
        for k in ("gateway", "n", "head", "ts", "fingerprint", "public_key", "sig"):
            self.assertIn(k, m)
        self.assertEqual(len(m["head"]), 64)
        if shutil.which("openssl"):
            # The county office's check, with nothing but openssl.
            import base64
            d = tempfile.mkdtemp(dir=self.h.dir)
            stmt = f"sealwatch/chain-head/v1\n{m['gateway']}\n{m['n']}\n{m['head']}\n{m['ts']}\n"
            open(os.path.join(d, "stmt"), "w").write(stmt)
            open(os.path.join(d, "sig"), "wb").write(base64.b64decode(m["sig"]))
            r = run("openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                    os.path.join(self.data, "gateway.pub"), "-rawin", "-in",
                    os.path.join(d, "stmt"), "-sigfile", os.path.join(d, "sig"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    # --- export and verify ---

    def test_export_and_verify_intact(self):
        self.assertEqual(self.export.returncode, 0, self.export.stderr)
        r = self.verify(self.bundle, "--pubkey", os.path.join(self.data, "gateway.pub"))
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("INTACT", r.stdout)
        # readings.csv is the analyze format: it replays through the detector.
        a = run(binary("sealwatch"), "analyze", "-c", self.cfg, "--csv",
                os.path.join(self.bundle, "readings.csv"))
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertIn('"reenergized"', a.stdout)
        events = [json.loads(l) for l in open(os.path.join(self.bundle, "events.jsonl"))]
        self.assertIn("asset_state_changed", [e["type"] for e in events])

    def test_asset_export_verifies(self):
        self.assertEqual(self.asset_export.returncode, 0, self.asset_export.stderr)
        r = self.verify(self.asset_bundle, "--pubkey", os.path.join(self.data, "gateway.pub"))
        self.assertEqual(r.returncode, 0, r.stdout)
        rows = open(os.path.join(self.asset_bundle, "readings.csv")).read()
        self.assertNotIn(",m2,", rows)

    def _lines(self, path):
        with open(path) as f:
            return f.readlines()

    def _write(self, path, lines):
        with open(path, "w") as f:
            f.writelines(lines)

    def assert_not_intact(self, bundle, expect, *extra):
        r = self.verify(bundle, *extra)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("NOT INTACT", r.stdout)
        self.assertIn(expect, r.stdout)
        return r.stdout

    def test_changed_value(self):
        def change(d):
            p = os.path.join(d, "readings.csv")
            lines = self._lines(p)
            cells = lines[5].split(",")
            cells[9] = str(float(cells[9]) + 1)  # p_w
            lines[5] = ",".join(cells)
            self._write(p, lines)
        out = self.assert_not_intact(self.tampered("value", change), "readings.csv line")
        self.assertIn("chain entry", out)

    def test_deleted_row(self):
        def change(d):
            p = os.path.join(d, "readings.csv")
            lines = self._lines(p)
            del lines[7]
            self._write(p, lines)
        self.assert_not_intact(self.tampered("deleted", change), "chain entry")

    def test_inserted_row(self):
        def change(d):
            p = os.path.join(d, "readings.csv")
            lines = self._lines(p)
            lines.insert(9, lines[9])
            self._write(p, lines)
        self.assert_not_intact(self.tampered("inserted", change), "chain entry")

    def test_reordered_rows(self):
        def change(d):
            p = os.path.join(d, "readings.csv")
            lines = self._lines(p)
            lines[4], lines[8] = lines[8], lines[4]
            self._write(p, lines)
        self.assert_not_intact(self.tampered("reordered", change), "readings.csv line")

    def test_deleted_event(self):
        def change(d):
            p = os.path.join(d, "events.jsonl")
            lines = self._lines(p)
            del lines[0]
            self._write(p, lines)
        self.assert_not_intact(self.tampered("event", change), "events.jsonl")

    def test_truncated_file(self):
        def change(d):
            p = os.path.join(d, "readings.csv")
            size = os.path.getsize(p)
            with open(p, "r+b") as f:
                f.truncate(size * 2 // 3)
        self.assert_not_intact(self.tampered("truncated", change), "truncated")

    def test_wrong_key(self):
        other = self.h.path("other-key")
        with open(self.cfg) as f:
            text = f.read().replace(self.data, other)
        r = run(binary("sealwatchd"), "--init-key", "--config", self.h.write("other.toml", text))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_not_intact(self.bundle, "wrong key", "--pubkey",
                               os.path.join(other, "gateway.pub"))

    def test_unpinned_key_is_not_a_pass(self):
        # Issue 15: a bundle checked only against the key it carries proves nothing about who
        # signed it (it could have been re-signed after records were dropped): exit 3, never 0.
        r = self.verify(self.bundle)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("KEY NOT PINNED", r.stdout)
        self.assertNotIn("INTACT:", r.stdout)
        # On the gateway, --config pins it to the gateway's own key.
        r = self.verify(self.bundle, "--config", self.cfg)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("INTACT", r.stdout)

    def test_forged_signature(self):
        def change(d):
            p = os.path.join(d, "manifest.json")
            m = json.load(open(p))
            m["counts"]["readings"] += 1  # a "harmless" edit of the signed manifest
            json.dump(m, open(p, "w"), indent=2)
        self.assert_not_intact(self.tampered("forged", change), "signature does not verify")

    # --- the report in a real browser ---

    def test_report_in_headless_chromium(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            self.skipTest("chromium is not installed (toolchains/install-deps.sh installs it)")
        # Any request the page makes would have to go through this proxy: count connections.
        hits = []
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)
        srv.settimeout(0.2)
        stop = threading.Event()

        def accept():
            while not stop.is_set():
                try:
                    c, _ = srv.accept()
                    hits.append(c.recv(200))
                    c.close()
                except OSError:
                    pass
        t = threading.Thread(target=accept, daemon=True)
        t.start()
        profile = tempfile.mkdtemp(dir=self.h.dir)
        report = os.path.join(self.bundle, "report.html")
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                f"--proxy-server=http://127.0.0.1:{srv.getsockname()[1]}",
                "--proxy-bypass-list=<-loopback>"]
        try:
            dom = run(*args, "--dump-dom", "file://" + report, timeout=120)
            shot = os.path.join(self.h.dir, "report.png")
            png = run(*args, f"--screenshot={shot}", "--window-size=1000,1600",
                      "file://" + report, timeout=120)
        finally:
            stop.set()
            t.join()
            srv.close()
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        self.assertIn("<svg", dom.stdout)
        self.assertIn('class="power"', dom.stdout)
        self.assertIn("furnace-2", dom.stdout)
        self.assertIn("Verification", dom.stdout)
        self.assertIn("完整性核验", dom.stdout)
        self.assertEqual(png.returncode, 0, png.stderr[-2000:])
        self.assertGreater(os.path.getsize(shot), 10000)
        # Chromium's own housekeeping (clock check, component updater, account probe) still
        # goes out despite the flags; it is the browser's, not the page's. Anything else — a
        # font, a script, an image, a beacon — is the report's and fails the test.
        own = (b"clients2.google.com", b"update.googleapis.com", b"accounts.google.com")
        page = [h for h in hits if not any(o in h.split(b"\r\n")[0] for o in own)]
        self.assertEqual(page, [], f"the report made network requests: {page}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
