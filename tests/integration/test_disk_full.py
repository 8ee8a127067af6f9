"""Issue 15: the data folder on a small real file system (a 4 MiB tmpfs mounted by the test; needs
root) is filled by other data mid-run. The agent keeps polling and detecting — a sealed furnace
comes alive while the disk is full — says so in `sealwatch status` (exit 3, STORAGE FULL) and in
a storage_full event, and when space returns stores what waited in memory: the storage_full
raised and cleared events and the reenergized alarm all reach the subscriber, seq has no gap and
every stored reading arrives. test_storage_budget.py covers the agent's own budget; this is the
file system running out under it."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber, binary  # noqa: E402
import uplink_common as uc  # noqa: E402

ASSET = ('[[asset]]\nid = "furnace"\nkind = "induction_furnace"\nstate = "sealed"\n'
         'meters = ["m-a"]\nstandby_w = 20000\n')


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


class DiskFull(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("mounting a tmpfs needs root")
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.data = self.h.path("data")
        os.makedirs(self.data)
        r = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", self.data)
        if r.returncode != 0:
            raise unittest.SkipTest(f"cannot mount a tmpfs: {r.stderr.strip()}")
        self.addCleanup(lambda: run("umount", "-l", self.data))

    def fill(self):
        """Fills the file system with other data; returns the filler's path."""
        path = os.path.join(self.data, "filler")
        with open(path, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        try:
            with open(path, "ab") as f:  # the last few blocks too
                while True:
                    f.write(b"\0" * 512)
                    f.flush()
        except OSError:
            pass
        return path

    def test_disk_full_mid_run(self):
        broker = Broker(self.h)
        sub = Subscriber(self.h, broker)
        sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        cfg = self.h.write("sw.toml", uc.config(self.h, listening["tcp"][0], broker.port,
                                                interval_ms=200, extra=ASSET))
        agent = self.h.agent(cfg, "--print-readings")
        sub.wait_for(lambda t, p: t.endswith("/telemetry"), 15)
        time.sleep(2)
        filler = self.fill()
        full_at = time.monotonic()
        deadline = full_at + 10
        while "the disk is full" not in agent.stderr():
            self.assertLess(time.monotonic(), deadline, "the agent did not notice the full disk")
            time.sleep(0.2)
        st = run(binary("sealwatch"), "status", "-c", cfg)
        self.assertEqual(st.returncode, 3, st.stdout + st.stderr)
        self.assertIn("STORAGE FULL", st.stdout)

        # Polling and detecting go on: the furnace ramps past its standby at about 20 s.
        printed_before = len(agent.all_lines)
        agent.wait_line(lambda l: '"reenergized"' in l and '"raised"' in l, 45)
        self.assertGreater(len(agent.all_lines), printed_before + 50, "polling went on")
        self.assertIn("the disk is full", agent.stderr())
        full_for = time.monotonic() - full_at
        os.remove(filler)

        sub.wait_for(lambda t, p: t.endswith("/event") and '"storage_full"' in p
                     and '"cleared"' in p, 20)
        sub.wait_for(lambda t, p: t.endswith("/event") and '"reenergized"' in p, 10)
        self.assertIn("writing again", agent.stderr())
        st = run(binary("sealwatch"), "status", "-c", cfg)
        self.assertEqual(st.returncode, 0, st.stdout + st.stderr)
        sim.stop()
        time.sleep(1.5)  # the last readings polled are flushed (1 s on a new database) and sent
        uc.wait_drained(self, self.h, 30)
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)
        time.sleep(1)
        sub.collect()
        seqs, readings = uc.check_delivery(self, self.h, sub.messages)
        events = [json.loads(p) for _, t, p in sub.messages if t.endswith("/event")]
        full = [e for e in events if e["type"] == "storage_full"]
        self.assertEqual([e["state"] for e in full], ["raised", "cleared"], full)
        self.assertEqual(full[0]["id"], full[1]["id"])
        print(f"disk full for {full_for:.1f} s: {seqs} messages, {readings} readings delivered; "
              f"storage_full {full[1]['details']}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
