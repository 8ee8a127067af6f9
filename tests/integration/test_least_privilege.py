"""Issue 15, least privilege: the county broker's ACL example (firmware/mosquitto/
county-acl.example) lets a gateway publish only under its own P and read only its own P/cmd/#;
the agent refuses a world-readable private key or a world-readable config holding a broker
password, naming the file; and a reload (SIGHUP) that leaves [uplink] alone keeps the MQTT
session: the county office sees no offline blip (while a reload that changes [uplink] does
reconnect, so the check can fail)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE, Broker, Harness, Subscriber, binary  # noqa: E402
import uplink_common as uc  # noqa: E402

P = "sealwatch/v1/plant-it/gw-it"
OTHER = "sealwatch/v1/plant-it/gw-other"


def acl_for(gateways):
    """The example's blocks, rendered for (site, gateway) pairs, plus the county's."""
    with open(os.path.join(SOURCE, "firmware/mosquitto/county-acl.example")) as f:
        text = f.read()
    block = re.search(r"^user gw-001\n(?:topic .*\n)+", text, re.M).group(0)
    county = re.search(r"^user county\n(?:topic .*\n)+", text, re.M).group(0)
    out = ""
    for site, gw in gateways:
        out += block.replace("gw-001", gw).replace("plant-03", site) + "\n"
    return out + county


class LeastPrivilege(unittest.TestCase):
    def setUp(self):
        if not shutil.which("mosquitto_passwd"):
            raise unittest.SkipTest("mosquitto_passwd not installed")
        self.h = Harness()
        self.addCleanup(self.h.close)

    def broker_with_acl(self):
        pw = self.h.path("passwd")
        open(pw, "w").close()
        for user in ("gw-it", "gw-other", "county"):
            subprocess.run(["mosquitto_passwd", "-b", pw, user, f"pw-{user}"], check=True,
                           capture_output=True)
        os.chmod(pw, 0o600)
        acl = self.h.write("acl", acl_for([("plant-it", "gw-it"), ("plant-it", "gw-other")]))
        broker = Broker(self.h)
        broker.stop()
        with open(broker.conf) as f:
            conf = f.read().replace("allow_anonymous true", "allow_anonymous false")
        with open(broker.conf, "w") as f:
            f.write(conf + f"password_file {pw}\nacl_file {acl}\n")
        broker.start()
        return broker

    def agent_config(self, broker, sim_port, extra_uplink=""):
        text = uc.config(self.h, sim_port, broker.port).replace(
            "insecure = true\n", f'insecure = true\nusername = "gw-it"\npassword = "pw-gw-it"\n'
                                 f"{extra_uplink}")
        path = self.h.write("sw.toml", text)
        os.chmod(path, 0o640)
        return path

    def test_acl_keeps_each_gateway_under_its_own_topics(self):
        broker = self.broker_with_acl()
        county = Subscriber(self.h, broker, topic="sealwatch/v1/#", name="county",
                            extra=["-u", "county", "-P", "pw-county"])
        # gw-other, connected with its own credentials, tries to read gw-it's commands and
        # everything else of gw-it's.
        spy = Subscriber(self.h, broker, topic=f"{P}/#", name="spy",
                         extra=["-u", "gw-other", "-P", "pw-gw-other"])
        _, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        agent = self.h.agent(self.agent_config(broker, listening["tcp"][0]))
        county.wait_for(lambda t, p: t == f"{P}/telemetry", 15)
        # gw-other forges an event under gw-it's P, and writes a command to gw-it.
        forged = json.dumps({"seq": 999999, "id": "forged", "type": "reenergized"})
        for topic in (f"{P}/event", f"{P}/cmd/ping"):
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                            "-u", "gw-other", "-P", "pw-gw-other", "-t", topic, "-m", forged],
                           check=True, timeout=10, capture_output=True)
        # Its own P is allowed: the broker takes that one.
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                        "-u", "gw-other", "-P", "pw-gw-other", "-t", f"{OTHER}/event", "-m",
                        "{}"], check=True, timeout=10, capture_output=True)
        county.wait_for(lambda t, p: t == f"{OTHER}/event", 10)
        time.sleep(1)
        county.collect()
        spy.collect()
        self.assertFalse([m for m in county.messages if "forged" in m[2]],
                         "a forged event under another gateway's P was delivered")
        self.assertEqual(spy.messages, [], "a gateway read another gateway's topics")
        self.assertNotIn("cmd/ping", agent.stderr())
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)

    def test_world_readable_secrets_are_refused(self):
        broker = Broker(self.h)
        cfg = self.agent_config(broker, 1)
        os.chmod(cfg, 0o644)  # holds the broker password
        r = subprocess.run([binary("sealwatchd"), "--config", cfg], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{cfg}: the config holds the broker password and is readable by every "
                      "user (mode 0644)", r.stderr)
        os.chmod(cfg, 0o600)
        key = self.h.write("client.key", "-----BEGIN PRIVATE KEY-----\n")
        os.chmod(key, 0o644)
        with open(cfg) as f:
            text = f.read().replace("insecure = true\n", "")
        with open(cfg, "w") as f:
            f.write(text.replace("[[bus]]", f'[uplink.tls]\nca_file = "{key}"\ncert_file = '
                                            f'"{key}"\nkey_file = "{key}"\n\n[[bus]]', 1))
        r = subprocess.run([binary("sealwatchd"), "--config", cfg], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{key}: the TLS client key ([uplink.tls] key_file) is readable by every "
                      "user (mode 0644); refused", r.stderr)

    def test_reload_keeps_the_session(self):
        broker = Broker(self.h)
        status = Subscriber(self.h, broker, topic=f"{P}/status", name="status")
        _, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        cfg = self.h.write("sw.toml", uc.config(self.h, listening["tcp"][0], broker.port))
        agent = self.h.agent(cfg)
        status.wait_for(lambda t, p: '"online":true' in p, 15)
        time.sleep(1)
        for _ in range(3):
            agent.signal(signal.SIGHUP)
            time.sleep(1.5)
        status.collect()
        offline = [m for m in status.messages if '"online":false' in m[2]]
        self.assertEqual(offline, [], "a reload with [uplink] unchanged showed an offline blip")
        self.assertEqual(agent.stderr().count("the broker link is unchanged and kept"), 3)
        self.assertEqual(agent.stderr().count("uplink: connected"), 1)
        # Changing [uplink] does reconnect: the same check sees that blip.
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(text.replace("insecure = true\n", "insecure = true\nkeepalive_s = 20\n"))
        agent.signal(signal.SIGHUP)
        status.wait_for(lambda t, p: '"online":false' in p, 10)
        status.wait_for(lambda t, p: '"online":true' in p and
                        sum('"online":true' in m[2] for m in status.messages) >= 2, 10)
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
