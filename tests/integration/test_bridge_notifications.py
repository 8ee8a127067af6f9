"""Issue 11: a gateway behind a plant-side mosquitto bridge (the example in
firmware/mosquitto/sealwatch-bridge.conf, as shipped but for addresses and TLS) and what the
county broker shows when the agent goes down and when the bridge goes down. Real mosquitto
twice (plant and county), real sealwatchd polling sealwatch-sim.

- agent down (kill -9): its will, on the plant broker, is bridged out: P/status online:false,
  P/bridge stays "1";
- the link down and back (county broker restarted): P/bridge ends "1" again, not a stale "0";
- bridge down (plant broker kill -9): the county broker publishes the bridge's will, P/bridge
  "0", while P/status still says online: the agent's will never gets out."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE, Broker, Harness, Subscriber, free_port  # noqa: E402
import uplink_common as uc  # noqa: E402

ROOT = "sealwatch/v1/plant-it/gw-it"


class PlantBroker(Broker):
    """The firmware's bridge example with this test's addresses, plain MQTT to the county."""

    def __init__(self, harness, county_port):
        self.h = harness
        self.name = "plant"
        self.port = free_port()
        self.dir = harness.path("plant")
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(SOURCE, "firmware/mosquitto/sealwatch-bridge.conf")) as f:
            text = f.read()
        text = (text.replace("listener 1883 127.0.0.1", f"listener {self.port} 127.0.0.1")
                .replace("/var/lib/mosquitto/", f"{self.dir}/")
                .replace("<county-broker.example.gov.cn>:8883", f"127.0.0.1:{county_port}")
                .replace("<site>", "plant-it").replace("<gateway id>", "gw-it")
                .replace("restart_timeout 5 300", "restart_timeout 1 2"))
        lines = [line for line in text.splitlines() if not line.startswith("bridge_")
                 or line.startswith("bridge_protocol_version")]
        if os.geteuid() == 0:
            lines.insert(0, "user root")
        self.conf = harness.write("plant.conf", "\n".join(lines) + "\n")
        self.proc = None
        self.start()


class BridgeNotifications(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.county = Broker(self.h, "county")
        self.plant = PlantBroker(self.h, self.county.port)
        self.sub = Subscriber(self.h, self.county, topic=f"{ROOT}/#")
        self.sim, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp",
                                         "127.0.0.1:0")
        self.cfg = self.h.write("sw.toml", uc.config(self.h, listening["tcp"][0],
                                                     self.plant.port))

    def retained(self, topic):
        """The retained payload on the county broker now, or None."""
        r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.county.port),
                            "-t", topic, "-C", "1", "-W", "2", "-q", "1"],
                           capture_output=True, text=True, timeout=10)
        return r.stdout.strip() or None

    def wait_retained(self, topic, want, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.retained(topic)
            if want(got):
                return got
            time.sleep(0.5)
        self.fail(f"{topic} on the county broker: {self.retained(topic)!r} after {timeout}s")

    def online(self):
        payload = self.retained(f"{ROOT}/status")
        return payload is not None and json.loads(payload)["online"]

    def test_county_tells_bridge_down_from_agent_down(self):
        agent = self.h.agent(self.cfg)
        self.sub.wait_for(lambda t, p: t == f"{ROOT}/telemetry", 30)
        self.assertEqual(self.wait_retained(f"{ROOT}/bridge", lambda p: p == "1", 10), "1")
        self.assertTrue(self.online())

        # Agent down: its will reaches the county through the bridge, which stays up.
        agent.signal(signal.SIGKILL)
        self.sub.wait_for(lambda t, p: t == f"{ROOT}/status" and
                          not json.loads(p)["online"], 30)
        self.assertEqual(self.retained(f"{ROOT}/bridge"), "1")

        self.h.agent(self.cfg, name="agent2")
        self.wait_retained(f"{ROOT}/status", lambda p: p and json.loads(p)["online"], 30)

        # The link down and back: the county sees "1" again and it stays so (the plant broker's
        # own "0" of the outage is not sent after it).
        self.county.stop()
        time.sleep(2)
        self.county.start()
        self.wait_retained(f"{ROOT}/bridge", lambda p: p == "1", 30)
        time.sleep(3)
        self.assertEqual(self.retained(f"{ROOT}/bridge"), "1")

        # Bridge down: the county broker publishes the bridge's will; the agent's status, stuck
        # on the plant side, still says online.
        self.plant.proc.signal(signal.SIGKILL)
        self.wait_retained(f"{ROOT}/bridge", lambda p: p == "0", 30)
        self.assertTrue(self.online())


if __name__ == "__main__":
    unittest.main(verbosity=2)
