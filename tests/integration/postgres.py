"""A real PostgreSQL server for an integration test, owned by its Harness: started in the test's
folder by tests/support/pg-instance.sh (a unix socket there, no TCP port), stopped when the
harness closes. Missing PostgreSQL skips the test (a failure in CI, run_one.py)."""
import os
import subprocess
import unittest

from harness import SOURCE

SCRIPT = os.path.join(SOURCE, "tests/support/pg-instance.sh")
NOT_INSTALLED = 77


class Postgres:
    def __init__(self, harness, name="pg"):
        self.name = name
        self.dir = harness.path(name)
        self.conninfo = self._run("start")
        harness.procs.insert(0, self)  # closed after everything started later (reverse order)
        # The same server as a libpq URI, the form docs/county.md shows: the socket's folder
        # goes in the query, as a path cannot be the URI's host.
        self.url = f"postgresql://sealwatch@/postgres?host={self.dir}&port=5432"

    def _run(self, verb):
        r = subprocess.run([SCRIPT, verb, self.dir], capture_output=True, text=True, timeout=60)
        if r.returncode == NOT_INSTALLED:
            raise unittest.SkipTest(r.stderr.strip())
        if r.returncode != 0:
            raise AssertionError(f"pg-instance.sh {verb}: {r.stdout}{r.stderr}")
        return r.stdout.strip()

    def stop(self):
        self._run("stop")

    def start(self):
        self._run("start")

    def psql(self, sql):
        r = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.conninfo,
                            "-c", sql], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError(f"psql {sql}: {r.stderr}")
        return r.stdout.strip()

    # The Harness stops its processes at close with stop() and reads their stderr for sanitizer
    # reports; the server has none of its own here.
    def stderr(self):
        return ""
