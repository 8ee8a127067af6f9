"""Issue 3: MQTT over TLS with server verification and client certificates (mTLS), against a
real mosquitto, certificates made with openssl at test time. A wrong CA or a wrong client
certificate is refused and logged clearly, data keeps buffering, and once the config is fixed
and reloaded (SIGHUP) everything is delivered."""
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Broker, Harness, Subscriber  # noqa: E402
import uplink_common as uc  # noqa: E402


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d):
    """Two CAs; a server cert for 127.0.0.1 and a client cert from the good one; a client cert
    from the other."""
    os.makedirs(d, exist_ok=True)
    for ca in ("ca", "rogue-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                f"/CN={ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.pem", cwd=d)
    ext = os.path.join(d, "san.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, ca, extra in (("server", "ca", ["-extfile", ext]), ("client", "ca", []),
                            ("rogue-client", "rogue-ca", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout",
                f"{name}.key", "-out", f"{name}.csr", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", *extra, cwd=d)
    return {k: os.path.join(d, v) for k, v in {
        "ca": "ca.pem", "rogue_ca": "rogue-ca.pem", "cert": "server.pem", "key": "server.key",
        "client_cert": "client.pem", "client_key": "client.key",
        "rogue_cert": "rogue-client.pem", "rogue_key": "rogue-client.key"}.items()}


def tls_config(h, sim_port, broker_port, ca, cert, key):
    return uc.with_tls(uc.config(h, sim_port, broker_port), ca, cert, key)


def tls_setup(test):
    """The TLS tests' setUp (also test_tls_churn.py): a harness, the PKI, a TLS broker with
    client certificates, its subscriber and the simulator, as test.h, .pki, .broker, .sub,
    .sim, .sim_port."""
    if not shutil.which("openssl"):
        raise unittest.SkipTest("openssl not installed")
    test.h = Harness()
    test.addCleanup(test.h.close)
    test.pki = make_pki(test.h.path("pki"))
    test.broker = Broker(test.h, tls={"ca": test.pki["ca"], "cert": test.pki["cert"],
                                      "key": test.pki["key"]})
    test.sub = Subscriber(test.h, test.broker, extra=[
        "--cafile", test.pki["ca"], "--cert", test.pki["client_cert"], "--key",
        test.pki["client_key"]])
    test.sim, listening = test.h.sim(test.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
    test.sim_port = listening["tcp"][0]


class Tls(unittest.TestCase):
    def setUp(self):
        tls_setup(self)

    def fixed_after_reload(self, bad_ca, bad_cert, bad_key, expect_in_log):
        cfg = self.h.write("sw.toml", tls_config(self.h, self.sim_port, self.broker.port,
                                                 bad_ca, bad_cert, bad_key))
        agent = self.h.agent(cfg)
        time.sleep(4)
        log = agent.stderr()
        self.assertIn("uplink: cannot connect", log)
        self.assertIn(expect_in_log, log)
        self.assertEqual(log.count("uplink: cannot connect"), 1, "logged once, not per retry")
        self.sub.collect()
        self.assertFalse([m for m in self.sub.messages if "/telemetry" in m[1]])
        con = uc.db(self.h)
        buffered = con.execute("SELECT count(*) FROM readings").fetchone()[0]
        con.close()
        self.assertGreater(buffered, 20, "readings keep buffering while refused")

        self.h.write("sw.toml", tls_config(self.h, self.sim_port, self.broker.port, self.pki["ca"],
                                           self.pki["client_cert"], self.pki["client_key"]))
        agent.signal(signal.SIGHUP)
        time.sleep(2)
        self.sim.stop()
        time.sleep(1)
        uc.wait_drained(self, self.h, 30)
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.p.wait(15), 0)
        time.sleep(1)
        self.sub.collect()
        uc.check_delivery(self, self.h, self.sub.messages)
        self.assertIn("uplink: connected", agent.stderr())

    def test_wrong_ca_refused_then_fixed(self):
        self.fixed_after_reload(self.pki["rogue_ca"], self.pki["client_cert"],
                                self.pki["client_key"], "certificate verify failed")

    def test_wrong_client_certificate_refused_then_fixed(self):
        self.fixed_after_reload(self.pki["ca"], self.pki["rogue_cert"], self.pki["rogue_key"],
                                "alert unknown ca")


if __name__ == "__main__":
    unittest.main(verbosity=2)
