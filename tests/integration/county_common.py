"""Shared by the tests of `sealwatch-county run` (test_county.py, test_county_postgres.py): start
`run` and wait for its broker connection, call a reading verb, wait for a condition. A mixin for
a unittest.TestCase that has `self.h` (a Harness) and `self.cfg` (the county config's path), and
sets `self.county` (the running `run`)."""
import json
import subprocess
import time

from harness import binary


class CountyVerbs:
    def start_county(self, name="county"):
        proc = self.h.start([binary("sealwatch-county"), "run", "--config", self.cfg], name)
        deadline = time.monotonic() + 10
        while "connected" not in proc.stderr():
            self.assertIsNone(proc.p.poll(), proc.stderr())
            self.assertLess(time.monotonic(), deadline, proc.stderr())
            time.sleep(0.05)
        return proc

    def county_verb(self, *args):
        r = subprocess.run([binary("sealwatch-county"), *args, "--config", self.cfg],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def status(self):
        return {g["gateway"]: g for g in json.loads(self.county_verb("status", "--json"))}

    def gaps(self):
        return {g["gateway"]: g for g in json.loads(self.county_verb("gaps", "--json"))}

    def wait(self, what, check, timeout):
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            if time.monotonic() > deadline:
                self.fail(f"{what}: not within {timeout} s; status {self.status()}\n"
                          f"county stderr:\n{self.county.stderr()[-3000:]}")
            time.sleep(0.3)
