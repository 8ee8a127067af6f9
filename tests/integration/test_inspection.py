"""Issue 16: an inspector's USB stick instead of a login. A real mosquitto, sealwatch-sim and
sealwatchd on the sim board, whose stick is the folder board/usb (a plain folder, or a symlink to
a tmpfs this test mounts: a small one for a full stick, one remounted read-only, one unmounted
halfway). The request is made by `sealwatch-county request` with a key the gateway trusts.

- a good request: the bundle on the stick verifies with the gateway's pinned key, an `inspection`
  event (with the manifest's hash) is in the chain, SAFE-TO-REMOVE.txt and the LED say done; the
  same request on a second stick is refused as replayed and nothing is written;
- a forged and an expired request: `inspection_refused`, the stick is left as it was;
- a full stick and a read-only stick: nothing written, an event, and the same request works once
  the stick has room / is writable (a failed attempt does not use the request up);
- a stick pulled halfway (the folder removed; a tmpfs unmounted): no crash, `inspection_failed`
  with reason `pulled`, nothing written beneath the mount point, polling goes on."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, binary, wait  # noqa: E402
import uplink_common as uc  # noqa: E402

ROOT = "sealwatch/v1/plant-it/gw-it"
REQUEST = "sealwatch-request.json"


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def run(*args, timeout=60):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)


def listing(folder):
    out = []
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            out.append(os.path.relpath(os.path.join(base, name), folder))
    return sorted(out)


class County:
    """A county office: a key from `sealwatch-county keygen` and a config naming it."""

    def __init__(self, h, name):
        self.h = h
        key = h.path(f"{name}.pem")
        made = run(binary("sealwatch-county"), "keygen", "--out", key)
        assert made.returncode == 0, made.stderr
        self.command_key = made.stdout  # the [[command_key]] table for the gateway
        self.config = h.write(f"{name}.toml",
                              f'[county]\ndata_dir = "{h.path(name + "-data")}"\n\n'
                              '[broker]\nhost = "127.0.0.1"\nport = 1\ninsecure = true\n\n'
                              f'[[command_key]]\nid = "county-1"\nprivate_key_file = "{key}"\n')

    def request(self, out, issued=None, expires=None, **extra):
        now = time.time()
        args = [binary("sealwatch-county"), "request", "--config", self.config,
                "--gateway", "gw-it", "--from", rfc3339(now - 3600), "--to", rfc3339(now + 3600),
                "--inspector", "Li Wei (county industry office)",
                "--expires", rfc3339(expires if expires is not None else now + 3600),
                "--out", out]
        if issued is not None:
            args += ["--issued", rfc3339(issued)]
        for k, v in extra.items():
            args += [f"--{k}", v]
        r = run(*args)
        assert r.returncode == 0, r.stderr
        return out


class Inspection(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.broker = Broker(self.h)
        self.sub = Subscriber(self.h, self.broker, topic="sealwatch/#")
        self.county = County(self.h, "county")
        self.sim, self.cfg, self.agent = uc.commanded_gateway(
            self.h, self.broker, self.sub, self.county.command_key)
        self.board = self.h.path("board")
        self.stick = os.path.join(self.board, "usb")
        self.data = self.h.path("data")
        self.n = 0

    # --- the stick ---

    def new_stick(self, request=None):
        """A folder with a request in it (a copy of `request`, or a fresh one)."""
        self.n += 1
        folder = self.h.path(f"stick-{self.n}")
        os.mkdir(folder)
        if request:
            shutil.copy(request, os.path.join(folder, REQUEST))
        else:
            self.county.request(os.path.join(folder, REQUEST))
        return folder

    def plug(self, folder):
        """Plugged at once: a symlink renamed onto board/usb (the agent never sees half)."""
        link = self.stick + ".new"
        os.symlink(folder, link)
        os.rename(link, self.stick)

    def pull(self):
        """Removed, and seen removed (the LED leaves the stick's patterns within a second)."""
        os.unlink(self.stick)
        wait(lambda: not self.led().startswith("stick_"), 10, "the agent to see the pull")

    def tmpfs(self, size):
        """A small filesystem of its own, as a stick is (skips where mounting is impossible)."""
        self.n += 1
        mnt = self.h.path(f"tmpfs-{self.n}")
        os.mkdir(mnt)
        r = run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt)
        if r.returncode != 0:
            raise unittest.SkipTest(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        self.addCleanup(lambda: run("umount", "-l", mnt))
        return mnt

    def led(self):
        try:
            with open(os.path.join(self.board, "led")) as f:
                return f.read().strip()
        except FileNotFoundError:
            return ""

    # --- what the agent said ---

    def events(self, type_):
        return [json.loads(p) for _, t, p in self.sub.collect()
                if t == f"{ROOT}/event" and json.loads(p)["type"] == type_]

    def event(self, type_, timeout=20):
        self.sub.wait_for(lambda t, p: t == f"{ROOT}/event" and json.loads(p)["type"] == type_,
                          timeout)
        return self.events(type_)[-1]

    def assert_still_polling(self):
        n = len([1 for _, t, _ in self.sub.collect() if t == f"{ROOT}/telemetry"])
        wait(lambda: len([1 for _, t, _ in self.sub.collect() if t == f"{ROOT}/telemetry"]) > n,
             10, "telemetry to go on")
        self.assertIsNone(self.agent.p.poll(), "the agent is running")

    def bundle(self, folder):
        return os.path.join(folder, f"sealwatch-gw-it-{self.nonce(folder)}")

    def nonce(self, folder):
        with open(os.path.join(folder, REQUEST)) as f:
            return json.loads(json.loads(f.read())["body"])["nonce"]

    # --- the cases ---

    def test_bundle_verifies_event_in_chain_and_replay_refused(self):
        t0 = time.monotonic()
        stick = self.new_stick()
        self.plug(stick)
        wait(lambda: self.led() == "stick_done", 30, "the LED to say done")
        done = time.monotonic() - t0
        safe = os.path.join(stick, "SAFE-TO-REMOVE.txt")
        self.assertTrue(os.path.exists(safe))
        with open(safe) as f:
            self.assertIn("You can remove the stick now", f.read())
        bundle = self.bundle(stick)
        self.assertEqual(sorted(os.listdir(stick)),
                         sorted([REQUEST, "SAFE-TO-REMOVE.txt", os.path.basename(bundle)]))
        # The bundle checks out offline against the key pinned when the gateway was installed.
        pub = os.path.join(self.data, "gateway.pub")
        r = run(binary("sealwatch"), "verify", bundle, "--pubkey", pub)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        e = self.event("inspection")
        d = e["details"]
        with open(os.path.join(bundle, "manifest.json"), "rb") as f:
            self.assertEqual(d["manifest_sha256"], hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(d["inspector"], "Li Wei (county industry office)")
        self.assertEqual(d["nonce"], self.nonce(stick))
        self.assertEqual(d["folder"], os.path.basename(bundle))
        self.assertGreater(d["readings"], 0)
        self.assertIn("safe to remove", self.agent.stderr())

        # The inspection is an entry of the chain: a later export holds it and verifies.
        later = self.h.path("later")
        r = run(binary("sealwatch"), "export", "--config", self.cfg, "--from",
                rfc3339(time.time() - 3600), "--to", rfc3339(time.time() + 60), "--out", later)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(later, "events.jsonl")) as f:
            ids = [json.loads(line)["id"] for line in f if line.strip()]
        self.assertIn(e["id"], ids)
        self.assertEqual(run(binary("sealwatch"), "verify", later, "--pubkey", pub).returncode, 0)

        self.pull()  # the LED is the gateway's own again

        # The same request on another stick: a replay, nothing written.
        again = self.new_stick(os.path.join(stick, REQUEST))
        self.plug(again)
        refused = self.event("inspection_refused")
        self.assertEqual(refused["details"]["reason"], "replayed")
        self.assertEqual(refused["severity"], "major")
        wait(lambda: self.led() == "stick_refused", 10, "the LED to say refused")
        self.assertEqual(listing(again), [REQUEST])
        self.assert_still_polling()
        print(f"\nplug to LED done: {done:.1f} s, bundle {d['bytes']} bytes", file=sys.stderr)

    def test_forged_request_is_refused(self):
        forger = County(self.h, "forger")  # its key is named county-1 too, but is not trusted
        stick = self.h.path("forged")
        os.mkdir(stick)
        forger.request(os.path.join(stick, REQUEST))
        self.plug(stick)
        e = self.event("inspection_refused")
        self.assertEqual(e["details"]["reason"], "bad_signature")
        self.assertEqual(e["details"]["file"], REQUEST)
        wait(lambda: self.led() == "stick_refused", 10, "the LED to say refused")
        self.assertEqual(listing(stick), [REQUEST])
        self.assert_still_polling()

    def test_expired_request_is_refused(self):
        stick = self.h.path("expired")
        os.mkdir(stick)
        now = time.time()
        self.county.request(os.path.join(stick, REQUEST), issued=now - 7200, expires=now - 3600)
        self.plug(stick)
        e = self.event("inspection_refused")
        self.assertEqual(e["details"]["reason"], "expired")
        self.assertEqual(listing(stick), [REQUEST])

        # What the gateway would refuse, `request` refuses before signing anything (exit 2).
        base = [binary("sealwatch-county"), "request", "--config", self.county.config,
                "--gateway", "gw-it", "--from", rfc3339(now - 3600), "--to", rfc3339(now),
                "--inspector", "Li"]
        for extra, says in [
                (["--expires", rfc3339(now + 3600), "--out", self.h.path("request.json")],
                 "sealwatch-request"),
                (["--expires", rfc3339(now + 25 * 3600), "--out", self.h.path(REQUEST)], "24 h"),
                (["--expires", rfc3339(now - 60), "--out", self.h.path(REQUEST)], "after"),
                (["--expires", rfc3339(now + 3600), "--out", self.h.path(REQUEST), "--asset",
                  "a b"], "'asset'")]:
            r = run(*base, *extra)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(says, r.stderr)
            self.assertFalse(os.path.exists(self.h.path(REQUEST)))

    def test_full_stick_writes_nothing_and_the_request_still_works(self):
        mnt = self.tmpfs("48k")
        self.county.request(os.path.join(mnt, REQUEST))
        self.plug(mnt)
        e = self.event("inspection_failed")
        self.assertEqual(e["details"]["reason"], "stick_full", e)
        self.assertEqual(listing(mnt), [REQUEST])
        wait(lambda: self.led() == "stick_refused", 10, "the LED to say nothing written")
        self.pull()
        # The inspector frees room (here: a bigger stick) and plugs it again: not a replay.
        self.assertEqual(run("mount", "-o", "remount,size=16m", mnt).returncode, 0)
        self.plug(mnt)
        self.event("inspection")
        self.assertEqual(run(binary("sealwatch"), "verify", self.bundle(mnt), "--pubkey",
                             os.path.join(self.data, "gateway.pub")).returncode, 0)
        self.pull()

        # Room enough when plugged, full halfway (something else filled it): the write fails
        # with ENOSPC, the partial folder is removed, nothing else is left.
        with open(os.path.join(self.board, "usb_write_ms"), "w") as f:
            f.write("700\n")
        small = self.tmpfs("512k")
        self.county.request(os.path.join(small, REQUEST))
        self.plug(small)
        partial = self.bundle(small) + ".incomplete"
        wait(lambda: os.path.isdir(partial), 30, "the partial bundle")
        with open(os.path.join(small, "filler"), "wb") as f:
            try:
                f.write(b"\0" * (1024 * 1024))
            except OSError:
                pass  # full now
        e = wait(lambda: [x for x in self.events("inspection_failed") if
                          x["details"]["nonce"] == self.nonce(small)], 30, "the failure")[0]
        self.assertEqual(e["details"]["reason"], "stick_full", e)
        self.assertIn("removed", e["details"]["left"])
        self.assertEqual(listing(small), sorted([REQUEST, "filler"]))

    def test_read_only_stick_writes_nothing_and_the_request_still_works(self):
        mnt = self.tmpfs("16m")
        self.county.request(os.path.join(mnt, REQUEST))
        self.assertEqual(run("mount", "-o", "remount,ro", mnt).returncode, 0)
        self.plug(mnt)
        e = self.event("inspection_refused")
        self.assertEqual(e["details"]["reason"], "read_only")
        self.assertEqual(listing(mnt), [REQUEST])
        self.pull()
        self.assertEqual(run("mount", "-o", "remount,rw", mnt).returncode, 0)
        self.plug(mnt)
        self.event("inspection")
        self.assertTrue(os.path.isdir(self.bundle(mnt)))

    def test_stick_pulled_halfway(self):
        # A slow stick (sim board: each 64 KiB piece takes this long), pulled while it is written.
        with open(os.path.join(self.board, "usb_write_ms"), "w") as f:
            f.write("700\n")
        stick = self.new_stick()
        self.plug(stick)
        partial = self.bundle(stick) + ".incomplete"
        wait(lambda: os.path.isdir(partial), 30, "the partial bundle")
        shutil.rmtree(stick)
        self.pull()
        e = self.event("inspection_failed")
        self.assertEqual(e["details"]["reason"], "pulled", e)
        self.assert_still_polling()

        # A filesystem unmounted halfway: the writes fail, none lands beneath the mount point.
        mnt = self.tmpfs("16m")
        self.county.request(os.path.join(mnt, REQUEST))
        nonce = self.nonce(mnt)
        self.plug(mnt)
        wait(lambda: os.path.isdir(os.path.join(mnt, f"sealwatch-gw-it-{nonce}.incomplete")), 30,
             "the partial bundle on the tmpfs")
        self.pull()
        self.assertEqual(run("umount", "-l", mnt).returncode, 0)
        wait(lambda: len(self.events("inspection_failed")) >= 2, 20, "the second failure")
        self.assertEqual(self.events("inspection_failed")[-1]["details"]["reason"], "pulled")
        self.assertEqual(os.listdir(mnt), [], "nothing written beneath the mount point")
        self.assertEqual(self.events("inspection"), [])
        self.assert_still_polling()


if __name__ == "__main__":
    unittest.main()
