"""Issue 11: `sealwatch-county send` end to end, through a real mosquitto to a real sealwatchd
polling sealwatch-sim, with a key made by `sealwatch-county keygen` and trusted in the gateway's
[[command_key]]. Every verb is carried out (set-state's change is in the gateway's chain: the
exported bundle, pulled by `send ... export` and verified there, holds it); the gateway's
refusals (unknown key, forged signature, expired) come back printed with their reason and a
non-zero exit; the exit codes of docs/cli.md for what never reaches a gateway."""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, binary, free_port  # noqa: E402
import uplink_common as uc  # noqa: E402
from test_uplink_tls import make_pki  # noqa: E402

ROOT = "sealwatch/v1/plant-it/gw-it"


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class CountySend(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.broker = Broker(self.h)
        self.sub = Subscriber(self.h, self.broker, topic="sealwatch/#")
        trusted = self.keygen("county-1")
        self.keygen("county-9")  # in the county's config, not in the gateway's
        self.keygen("forger", key_id="county-1")  # claims a trusted id, signs with another key
        self.county = self.county_config("county.toml", self.broker.port,
                                         [("county-1", "county-1"), ("county-9", "county-9")])
        self.forger = self.county_config("forger.toml", self.broker.port,
                                         [("county-1", "forger")])
        self.sim, self.cfg, self.agent = uc.commanded_gateway(self.h, self.broker, self.sub,
                                                              trusted)

    def keygen(self, name, key_id=None):
        """A county key; returns the [[command_key]] table keygen printed for the gateways."""
        made = subprocess.run([binary("sealwatch-county"), "keygen", "--out", self.h.path(name),
                               "--id", key_id or name], check=True, capture_output=True,
                              text=True, timeout=30)
        self.assertIn("[[command_key]]", made.stdout)
        return made.stdout

    def county_config(self, name, port, keys):
        text = (f'[county]\ndata_dir = "{self.h.path("county")}"\n\n[broker]\n'
                f'host = "127.0.0.1"\nport = {port}\ninsecure = true\n')
        for key_id, file in keys:
            text += (f'\n[[command_key]]\nid = "{key_id}"\n'
                     f'private_key_file = "{self.h.path(file)}"\n')
        return self.h.write(name, text)

    def send(self, *args, config=None, timeout_s=20):
        cmd = [binary("sealwatch-county"), "send", "--config", config or self.county,
               "--timeout", str(timeout_s), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s + 30)

    def events(self, type_):
        return [json.loads(p) for _, t, p in self.sub.collect()
                if t == f"{ROOT}/event" and json.loads(p)["type"] == type_]

    def test_every_verb_end_to_end(self):
        # ping, the site found from the gateway's retained status
        r = self.send("gw-it", "ping")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("gw-it (plant-it) ping: ok", r.stdout)
        self.assertRegex(r.stdout, r"next_seq: \d+")
        r = self.send("gw-it", "ping", "--site", "plant-it", "--json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        reply = json.loads(r.stdout)
        self.assertTrue(reply["ok"], reply)
        self.assertGreater(reply["result"]["next_seq"], 1)

        # set-state: carried out, in the gateway's state and chain
        r = self.send("gw-it", "set-state", "asset=furnace-2", "state=operating",
                      "by=county inspector", "note=remote, by sealwatch-county")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"chain_n: \d+")
        st = subprocess.run([binary("sealwatch"), "status", "--config", self.cfg],
                            capture_output=True, text=True, timeout=30)
        self.assertRegex(st.stdout, r"furnace-2.*operating", st.stdout)

        # reload
        r = self.send("gw-it", "reload")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("gw-it (plant-it) reload: ok", r.stdout)
        deadline = time.monotonic() + 10
        while "reload: applying" not in self.agent.stderr() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("reload: applying", self.agent.stderr())
        time.sleep(2)  # the link restarts after a reload; commands are heard again after it

        # export: chunks reassembled into a folder, verified against the gateway's key
        now = time.time()
        span = [f"from={rfc3339(now - 3600)}", f"to={rfc3339(now + 60)}"]
        bundle = self.h.path("bundle")
        pub = os.path.join(self.h.path("data"), "gateway.pub")
        r = self.send("gw-it", "export", *span, "--out", bundle, "--pubkey", pub, timeout_s=90)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"INTACT: {bundle}", r.stdout)
        with open(os.path.join(bundle, "events.jsonl")) as f:
            events = [json.loads(line) for line in f if line.strip()]
        changed = [e for e in events if e["type"] == "asset_state_changed"]
        self.assertEqual(len(changed), 1, events)
        self.assertEqual(changed[0]["details"]["to"], "operating")
        self.assertEqual(changed[0]["details"]["by"], "county inspector")
        done = [e["details"]["verb"] for e in events if e["type"] == "command"]
        self.assertIn("set-state", done)
        # The same folder is what `sealwatch verify` checks.
        v = subprocess.run([binary("sealwatch"), "verify", bundle, "--pubkey", pub],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

        # Without a pinned key the bundle is sound but not a pass (as `sealwatch verify`: 3),
        # and a bundle with a byte changed does not verify.
        unpinned = self.h.path("bundle-unpinned")
        r = self.send("gw-it", "export", *span, "--out", unpinned, "--json", timeout_s=90)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["bundle"]["verify"], "key_not_pinned", out)
        self.assertEqual(out["bundle"]["chunks"], out["result"]["chunks"])
        r = self.send("gw-it", "export", *span, "--out", bundle, timeout_s=90)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # never written over a bundle
        self.assertIn("not empty", r.stdout)

        # With `sealwatch-county run` keeping the county's database, the key it pinned from the
        # gateway's chain heads is the one an export is verified against.
        self.h.start([binary("sealwatch-county"), "run", "--config", self.county], "county-run")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            st = subprocess.run([binary("sealwatch-county"), "status", "--json", "--config",
                                 self.county], capture_output=True, text=True, timeout=30)
            rows = json.loads(st.stdout) if st.returncode == 0 else []
            if any(g["gateway"] == "gw-it" and g["chain"] == "verified" for g in rows):
                break
            time.sleep(0.5)
        else:
            self.fail(f"run never verified gw-it's chain: {st.stdout} {st.stderr}")
        r = self.send("gw-it", "export", *span, "--out", self.h.path("bundle-pinned"),
                      timeout_s=90)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("against the key pinned by sealwatch-county run", r.stdout)

        time.sleep(2)
        verbs = sorted(e["details"]["verb"] for e in self.events("command"))
        self.assertEqual(verbs, ["export", "export", "export", "export", "ping", "ping",
                                 "reload", "set-state"], verbs)

    def test_refusals_are_printed_with_their_reason(self):
        r = self.send("gw-it", "ping", "--key", "county-9")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("gw-it (plant-it) ping: refused: unknown_key", r.stdout)

        r = self.send("gw-it", "ping", config=self.forger)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("refused: bad_signature", r.stdout)

        r = self.send("gw-it", "ping", "--issued", str(int(time.time()) - 7200), "--valid-for",
                      "60", "--json")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        reply = json.loads(r.stdout)
        self.assertEqual((reply["ok"], reply["reason"]), (False, "expired"), reply)

        r = self.send("gw-it", "set-state", "asset=no-such", "state=shut", "by=x")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("refused: rejected", r.stdout)

        time.sleep(2)
        reasons = {e["details"]["reason"] for e in self.events("command_refused")}
        self.assertTrue({"unknown_key", "bad_signature", "expired"} <= reasons, reasons)

    def test_what_never_reaches_a_gateway(self):
        # Args the verb does not take: refused here, nothing signed or sent (2).
        r = self.send("gw-it", "set-state", "asset=furnace-2", "state=operating")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("missing arg 'by'", r.stderr)
        r = self.send("gw-it", "export", "from=2026-01-01T00:00:00Z", "to=2026-01-02T00:00:00Z")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("--out", r.stderr)
        r = self.send("gw-it", "ping", "--key", "county-7")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        bad = self.h.write("bad.toml", "[broker]\nhost = \"127.0.0.1\"\n")
        r = self.send("gw-it", "ping", config=bad)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(f"{bad}:1: [broker]: no [broker.tls] table", r.stderr)

        # A gateway the broker has no status of: its site cannot be found (2).
        r = self.send("gw-gone", "ping", timeout_s=3)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("--site", r.stderr)
        # Sent to a gateway that does not answer: no reply in time (4).
        r = self.send("gw-gone", "ping", "--site", "plant-it", timeout_s=3)
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertIn("no reply", r.stderr)
        # No broker: nothing sent (5).
        nowhere = self.county_config("nowhere.toml", free_port(), [("county-1", "county-1")])
        r = self.send("gw-it", "ping", config=nowhere, timeout_s=3)
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertIn("nothing was sent", r.stderr)
        self.assertEqual(self.events("command"), [])


class CountySendTls(unittest.TestCase):
    """The same through a broker that takes TLS with client certificates only, as a county's
    does: [broker.tls] of the county config is what `send` connects with."""

    def test_send_over_tls(self):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl not installed")
        h = Harness()
        self.addCleanup(h.close)
        pki = make_pki(h.path("pki"))
        broker = Broker(h, tls={"ca": pki["ca"], "cert": pki["cert"], "key": pki["key"]})
        sub = Subscriber(h, broker, extra=["--cafile", pki["ca"], "--cert", pki["client_cert"],
                                           "--key", pki["client_key"]])
        key = h.path("county-1")
        made = subprocess.run([binary("sealwatch-county"), "keygen", "--out", key],
                              check=True, capture_output=True, text=True, timeout=30)
        uc.commanded_gateway(h, broker, sub, made.stdout,
                             tls=(pki["ca"], pki["client_cert"], pki["client_key"]))

        def county(name, cert, key_file):
            return h.write(name, f'[broker]\nhost = "127.0.0.1"\nport = {broker.port}\n'
                                 f'[broker.tls]\nca_file = "{pki["ca"]}"\n'
                                 f'cert_file = "{cert}"\nkey_file = "{key_file}"\n'
                                 f'[[command_key]]\nid = "county-1"\n'
                                 f'private_key_file = "{key}"\n')

        def send(cfg):
            return subprocess.run([binary("sealwatch-county"), "send", "--config", cfg,
                                   "--timeout", "5", "gw-it", "set-state", "asset=furnace-2",
                                   "state=shut", "by=inspector"],
                                  capture_output=True, text=True, timeout=40)

        r = send(county("county.toml", pki["client_cert"], pki["client_key"]))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("gw-it (plant-it) set-state: ok", r.stdout)
        # A client certificate from another CA: the broker refuses it, nothing is sent.
        r = send(county("rogue.toml", pki["rogue_cert"], pki["rogue_key"]))
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertIn("nothing was sent", r.stderr)
        self.assertIn("unknown ca", r.stderr)  # the broker's reason, once
        self.assertNotIn("uplink:", r.stderr)  # not the agent's wording


if __name__ == "__main__":
    unittest.main(verbosity=2)
