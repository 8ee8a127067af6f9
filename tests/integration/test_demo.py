"""README's first command stays true: tests/demo/demo.sh, as it is, shows the sealed furnace's
`reenergized` alarm arriving at the broker (the agent at its default detection settings), the
county office's program recording it (status online, the alarm open, no gap), and a signed
command answered by the gateway."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE, binary  # noqa: E402


class Demo(unittest.TestCase):
    def test_demo_shows_the_alarm_at_the_county(self):
        build = os.path.dirname(os.path.dirname(binary("sealwatchd")))
        r = subprocess.run([os.path.join(SOURCE, "tests", "demo", "demo.sh")],
                           env=dict(os.environ, BUILD_DIR=build, DEMO_SECONDS="20"),
                           capture_output=True, text=True, timeout=180)
        out = r.stdout
        self.assertEqual(r.returncode, 0, out + r.stderr)
        after_switch = out.split("switches the sealed furnace-2 on", 1)
        self.assertEqual(len(after_switch), 2, out)
        self.assertRegex(after_switch[1], r"sealwatch/v1/plant-03/gw-demo/event .*\"reenergized\"")
        county = out.split("== the county office: sealwatch-county status, alarms, gaps:", 1)
        self.assertEqual(len(county), 2, out)
        self.assertRegex(county[1], r"gw-demo\s+plant-03\s+online")
        self.assertRegex(county[1], r"reenergized")
        self.assertNotRegex(county[1].split("signed ping", 1)[0], r"\[\[\d+, *\d+\]\]")  # no gap
        self.assertRegex(out.split("signed ping:", 1)[1], r"gw-demo \(plant-03\) ping: ok")


if __name__ == "__main__":
    unittest.main()
