"""Issue 11: county commands through a real mosquitto to a real sealwatchd polling
sealwatch-sim. Commands are signed with the openssl command line (Ed25519 over the body's
exact bytes, as docs/protocol.md says). Each verb is carried out and answered on P/cmd/reply;
forged, replayed, expired, other-gateway, oversized and garbage commands are refused, answered
and recorded as command_refused events; polling is untouched (seq contiguous, the readings keep
their interval)."""
import base64
import datetime
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, binary  # noqa: E402
import uplink_common as uc  # noqa: E402

ROOT = "sealwatch/v1/plant-it/gw-it"


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class County:
    """A county key made by `sealwatch-county keygen` and used with nothing but openssl."""

    def __init__(self, h, name):
        self.h = h
        self.key = h.path(f"{name}.pem")
        made = subprocess.run([binary("sealwatch-county"), "keygen", "--out", self.key],
                              check=True, capture_output=True, text=True)
        der = subprocess.run(["openssl", "pkey", "-in", self.key, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.public_b64 = base64.b64encode(der[-32:]).decode()
        # What keygen prints is the [[command_key]] table for the gateways, with this key.
        assert f'public_key = "{self.public_b64}"' in made.stdout, made.stdout
        self.name = name
        self.n = 0

    def sign(self, body_bytes):
        self.n += 1
        path = self.h.path(f"body-{os.getpid()}-{self.n}")
        with open(path, "wb") as f:
            f.write(body_bytes)
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", self.key, "-rawin", "-in",
                              path], check=True, capture_output=True).stdout
        return base64.b64encode(sig).decode()

    def envelope(self, verb, args=None, key="county-1", gateway="gw-it", issued=None,
                 expires=None, nonce=None):
        now = time.time()
        self.n += 1
        nonce = nonce or f"it-{self.name}-{os.getpid()}-{self.n:06d}"
        body = json.dumps({"v": 1, "verb": verb, "gateway": gateway, "args": args or {},
                           "issued": rfc3339(issued if issued is not None else now - 5),
                           "expires": rfc3339(expires if expires is not None else now + 600),
                           "nonce": nonce})
        return nonce, json.dumps({"key": key, "sig": self.sign(body.encode()), "body": body})


class Commands(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.broker = Broker(self.h)
        self.sub = Subscriber(self.h, self.broker, topic="sealwatch/#")
        self.county = County(self.h, "county")
        self.sim, self.cfg, self.agent = uc.commanded_gateway(
            self.h, self.broker, self.sub,
            f'[[command_key]]\nid = "county-1"\npublic_key = "{self.county.public_b64}"\n')

    def publish(self, verb_topic, payload):
        path = self.h.path(f"payload-{time.monotonic_ns()}")
        with open(path, "wb") as f:
            f.write(payload if isinstance(payload, bytes) else payload.encode())
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port), "-q", "1",
                        "-t", f"{ROOT}/cmd/{verb_topic}", "-f", path], check=True, timeout=10)

    def reply(self, match, timeout=10):
        _, _, payload = self.sub.wait_for(
            lambda t, p: t == f"{ROOT}/cmd/reply" and match(json.loads(p)), timeout)
        return json.loads(payload)

    def send(self, verb, args=None, timeout=10, **kw):
        nonce, payload = self.county.envelope(verb, args, **kw)
        self.publish(verb, payload)
        return nonce, payload, self.reply(lambda r: r["nonce"] == nonce, timeout)

    def events(self, type_):
        return [json.loads(p) for _, t, p in self.sub.collect()
                if t == f"{ROOT}/event" and json.loads(p)["type"] == type_]

    def test_verbs_refusals_and_polling_untouched(self):
        # ping
        nonce, ping_payload, r = self.send("ping")
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["verb"], "ping")
        self.assertIn("version", r["result"])
        self.assertGreater(r["result"]["next_seq"], 1)

        # set-state: the same path as `sealwatch asset set-state`, into the chain
        _, _, r = self.send("set-state", {"asset": "furnace-2", "state": "operating",
                                          "by": "county inspector", "note": "remote"})
        self.assertTrue(r["ok"], r)
        self.assertGreater(r["result"]["chain_n"], 0)
        changed = self.sub.wait_for(lambda t, p: t.endswith("/event") and
                                    json.loads(p)["type"] == "asset_state_changed", 10)
        details = json.loads(changed[2])["details"]
        self.assertEqual(details.get("to"), "operating", details)
        st = subprocess.run([binary("sealwatch"), "status", "--config", self.cfg],
                            capture_output=True, text=True, timeout=30)
        self.assertRegex(st.stdout, r"furnace-2.*operating", st.stdout)

        # set-state naming an asset this gateway does not have: carried out, and rejected
        _, _, r = self.send("set-state", {"asset": "no-such", "state": "shut", "by": "x"})
        self.assertFalse(r["ok"], r)
        self.assertEqual(r["reason"], "rejected")

        # refusals, each answered with its reason
        forger = County(self.h, "forger")
        nonce, forged = forger.envelope("ping")
        self.publish("ping", forged)
        self.assertEqual(self.reply(lambda r: r["nonce"] == nonce)["reason"], "bad_signature")

        self.publish("ping", ping_payload)  # the very first ping again
        first_nonce = json.loads(json.loads(ping_payload)["body"])["nonce"]
        replayed = self.reply(lambda r: r["nonce"] == first_nonce and not r["ok"])
        self.assertEqual(replayed["reason"], "replayed")

        now = time.time()
        _, _, r = self.send("ping", issued=now - 7200, expires=now - 3600)
        self.assertEqual(r["reason"], "expired")
        _, _, r = self.send("ping", gateway="gw-other")
        self.assertEqual(r["reason"], "other_gateway")
        _, _, r = self.send("ping", key="county-9")
        self.assertEqual(r["reason"], "unknown_key")
        _, _, r = self.send("ping", args={"x": 1})
        self.assertEqual(r["reason"], "bad_args")
        nonce, reload_payload = self.county.envelope("reload")
        self.publish("ping", reload_payload)  # a signed reload re-published as a ping
        self.assertEqual(self.reply(lambda r: r["nonce"] == nonce)["reason"], "verb_mismatch")

        self.publish("ping", "x" * (16 * 1024 + 1))
        self.assertEqual(self.reply(lambda r: r["nonce"] is None and
                                    r["reason"] == "oversized")["ok"], False)
        self.publish("ping", b"\x00\xff garbage {")
        self.assertEqual(self.reply(lambda r: r["nonce"] is None and
                                    r["reason"] == "malformed")["ok"], False)

        # A flood of garbage: bounded, answered or dropped, polling untouched.
        for i in range(200):
            self.publish("ping", f"garbage {i}")
        time.sleep(3)

        # reload, answered before the link restarts
        _, _, r = self.send("reload")
        self.assertTrue(r["ok"], r)
        deadline = time.monotonic() + 10
        while "reload: applying" not in self.agent.stderr() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("reload: applying", self.agent.stderr())
        _, _, r = self.send("ping", timeout=20)  # and it listens again after the reload
        self.assertTrue(r["ok"], r)

        # The chain records who did what, and the refusals with counts.
        time.sleep(2)
        done = self.events("command")
        self.assertEqual(sorted(e["details"]["verb"] for e in done),
                         ["ping", "ping", "reload", "set-state", "set-state"], done)
        self.assertTrue(all(e["details"]["key"] == "county-1" for e in done))
        refused = self.events("command_refused")
        reasons = {e["details"]["reason"] for e in refused}
        for why in ("bad_signature", "replayed", "expired", "other_gateway", "unknown_key",
                    "bad_args", "verb_mismatch", "oversized", "malformed"):
            self.assertIn(why, reasons)
        malformed = [e for e in refused if e["details"]["reason"] == "malformed"]
        self.assertEqual(len(malformed), 1, "at most one a minute per reason")

        # Polling untouched: every seq arrived, the readings of one meter keep their interval.
        self.sim.stop()
        time.sleep(2)
        deadline = time.monotonic() + 30
        while not uc.drained(self.h) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.sub.collect()
        seqs, readings = uc.check_delivery(self, self.h, self.sub.messages)
        con = uc.db(self.h)
        ts = [r[0] for r in con.execute(
            "SELECT r.ts_ms FROM readings r JOIN meters m ON m.id = r.meter "
            "WHERE m.name = 'm-a' ORDER BY r.ts_ms")]
        con.close()
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        self.assertLess(max(gaps), 1000, f"a poll was held up: {max(gaps)} ms")
        print(f"commands: {seqs} messages, {readings} readings, longest poll gap {max(gaps)} ms")

    def test_export_arrives_in_chunks_that_verify(self):
        time.sleep(3)  # a few committed batches in the chain
        now = time.time()
        nonce, _, r = self.send("export", {"from": rfc3339(now - 3600), "to": rfc3339(now + 60)},
                                timeout=60)
        self.assertTrue(r["ok"], r)
        self.assertGreater(r["result"]["readings"], 0, r)
        topic = f"{ROOT}/cmd/export/{nonce}"
        chunks = [json.loads(p) for _, t, p in self.sub.collect() if t == topic]
        self.assertEqual(len(chunks), r["result"]["chunks"])
        self.assertEqual(sorted(c["i"] for c in chunks), list(range(len(chunks))))
        out = self.h.path("bundle")
        for c in chunks:
            path = os.path.join(out, c["file"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "ab") as f:
                pass
            with open(path, "r+b") as f:
                f.seek(c["offset"])
                f.write(base64.b64decode(c["data"]))
        self.assertTrue(os.path.exists(os.path.join(out, "manifest.json")))
        # Pinned to the gateway's own key: an unpinned bundle is never a pass (exit 3).
        v = subprocess.run([binary("sealwatch"), "verify", out, "--config", self.cfg],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertIn("INTACT", v.stdout)
        self.sub.wait_for(lambda t, p: t.endswith("/event") and
                          json.loads(p)["type"] == "command", 10)
        done = [json.loads(p) for _, t, p in self.sub.collect()
                if t.endswith("/event") and json.loads(p)["type"] == "command"]
        self.assertEqual(done[0]["details"]["verb"], "export")
        self.assertEqual(done[0]["details"]["result"]["chunks"], len(chunks))
        # The gateway's working folder is gone again.
        self.assertEqual(os.listdir(os.path.join(self.h.path("data"), "exports")), [])

    def test_nonce_remembered_across_a_restart(self):
        nonce, payload, r = self.send("ping")
        self.assertTrue(r["ok"], r)
        self.agent.stop()
        self.agent = self.h.agent(self.cfg, name="agent2")
        self.sub.wait_for(lambda t, p: t.endswith("/status") and '"online":true' in p and
                          p != "", 15)
        time.sleep(2)
        self.publish("ping", payload)
        again = self.reply(lambda r: r["nonce"] == nonce and not r["ok"], 15)
        self.assertEqual(again["reason"], "replayed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
