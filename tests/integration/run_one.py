#!/usr/bin/env python3
"""How ctest runs one integration test script: python3 run_one.py test_x.py

The same tests as `python3 test_x.py`, with a skipped test made visible. A test skips when a tool
it drives is missing (mosquitto, socat, openssl, Chromium, a program not built); unittest then
exits 0 and ctest would count the script as passed.
- Outside CI the script exits SKIP_EXIT, which ctest shows as "Skipped" (SKIP_RETURN_CODE in
  tests/CMakeLists.txt), so a developer without mosquitto sees what did not run.
- In CI (CI=true) a skip is a failure naming what is missing: toolchains/install-deps.sh installs
  every tool, so a CI machine without one tests less than it claims.
"""
import importlib.util
import os
import sys
import unittest

SKIP_EXIT = 77


def in_ci():
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def load(script):
    """The script as a module named after its file, so test names read test_x.Class.test_y."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    name = os.path.splitext(os.path.basename(script))[0]
    spec = importlib.util.spec_from_file_location(name, script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main(script):
    suite = unittest.defaultTestLoader.loadTestsFromModule(load(script))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    if not result.skipped:
        return 0
    for test, reason in result.skipped:
        print(f"skipped: {test.id()}: {reason}", file=sys.stderr)
    if in_ci():
        print(f"CI=true: {len(result.skipped)} skipped test(s) count as failed; "
              "install what is missing (toolchains/install-deps.sh)", file=sys.stderr)
        return 1
    return SKIP_EXIT


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: run_one.py tests/integration/test_x.py")
    sys.exit(main(sys.argv[1]))
