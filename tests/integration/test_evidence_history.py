"""Issue 5, export and verify of a long history, bounded for CI: a week of 1-minute readings of
32 meters (322 560 readings, ~10 000 chain entries) written through the store API by
gen_evidence_store, exported in full and for one asset, verified, and a value changed deep in
the file is found. The year (16.8 M readings) is measured by hand: docs/performance.md. Times
are printed, not asserted (CI machines vary); the limits are only against a hang."""
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, binary  # noqa: E402

DAYS = int(os.environ.get("SEALWATCH_EVIDENCE_DAYS", "7"))


def config(data_dir):
    lines = ['[gateway]', 'id = "gw-bench"', 'site = "plant-03"', f'data_dir = "{data_dir}"',
             'timezone = "Asia/Shanghai"', '', '[uplink]', 'host = "127.0.0.1"', 'port = 1883',
             'insecure = true', '', '[[bus]]', 'id = "tcp-1"', 'kind = "tcp"',
             'host = "127.0.0.1"', 'port = 1502', '']
    for m in range(1, 33):
        lines += ['[[meter]]', f'id = "m{m}"', 'bus = "tcp-1"', f'unit = {m}',
                  'profile = "eastron-sdm630"', 'interval_ms = 60000', '']
    lines += ['[[asset]]', 'id = "furnace-1"', 'kind = "induction_furnace"', 'state = "sealed"',
              'meters = ["m1"]', 'standby_w = 300', '']
    return "\n".join(lines)


class History(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def timed(self, *args, timeout=600):
        t = time.monotonic()
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        return r, time.monotonic() - t

    def test_week_of_32_meters(self):
        gen = os.path.join(os.environ.get("SEALWATCH_BIN", ""), "gen_evidence_store")
        if not os.access(gen, os.X_OK):
            self.skipTest("gen_evidence_store not built (SEALWATCH_BENCH=OFF)")
        data = self.h.path("data")
        os.makedirs(data)
        cfg = self.h.write("sw.toml", config(data))
        r, t_gen = self.timed(gen, "--db", os.path.join(data, "sealwatch.db"), "--days", str(DAYS))
        self.assertEqual(r.returncode, 0, r.stderr)
        r, _ = self.timed(binary("sealwatchd"), "--init-key", "--config", cfg)
        self.assertEqual(r.returncode, 0, r.stderr)
        bundle = self.h.path("bundle")
        r, t_exp = self.timed(binary("sealwatch"), "export", "-c", cfg, "--from",
                              "2026-01-01T00:00:00Z", "--to", "2027-01-01T00:00:00Z", "--out",
                              bundle)
        self.assertEqual(r.returncode, 0, r.stderr)
        readings = DAYS * 1440 * 32
        self.assertIn(f"{readings} reading(s)", r.stdout)
        pub = os.path.join(data, "gateway.pub")
        r, t_ver = self.timed(binary("sealwatch"), "verify", bundle, "--pubkey", pub)
        self.assertEqual(r.returncode, 0, r.stdout)
        print(f"\n{DAYS} day(s) x 32 meters, {readings} readings: generate {t_gen:.1f} s, "
              f"export {t_exp:.1f} s, verify {t_ver:.1f} s", file=sys.stderr)

        asset = self.h.path("asset")
        r, _ = self.timed(binary("sealwatch"), "export", "-c", cfg, "--from",
                          "2026-01-02T00:00:00Z", "--to", "2026-01-03T00:00:00Z", "--out", asset,
                          "--asset", "furnace-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        r, _ = self.timed(binary("sealwatch"), "verify", asset, "--pubkey", pub)
        self.assertEqual(r.returncode, 0, r.stdout)

        # One digit changed near the end of the file is found, and named.
        path = os.path.join(bundle, "readings.csv")
        with open(path, "r+b") as f:
            f.seek(-300, os.SEEK_END)
            tail = f.read()
            i = tail.index(b",230")
            f.seek(-300 + i + 1, os.SEEK_END)
            f.write(b"3")
        r, _ = self.timed(binary("sealwatch"), "verify", bundle, "--pubkey", pub)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("readings.csv lines", r.stdout)
        shutil.rmtree(bundle)


if __name__ == "__main__":
    unittest.main(verbosity=2)
