"""Issue 15: TLS under churn. The broker (TLS, client certificates) is restarted RESTARTS times
while the agent sends, once of them with a renewed server certificate (a new key, the same CA):
the agent reconnects every time and nothing is lost — every seq arrives, a re-sent seq is
byte-identical, every stored reading arrives (libmosquitto-based clients elsewhere have been
seen to stop reconnecting after TLS errors). And hostname verification is on by default: a
server certificate for another name, from the trusted CA, is refused.

SEALWATCH_TLS_RESTARTS sets the number of restarts (default 20; CI may run fewer)."""
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import uplink_common as uc  # noqa: E402
from test_uplink_tls import openssl, tls_config, tls_setup  # noqa: E402

RESTARTS = int(os.environ.get("SEALWATCH_TLS_RESTARTS", "20"))


def server_cert(d, name, san):
    """Another server certificate from the same CA, with its own key."""
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={san}\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout",
            f"{name}.key", "-out", f"{name}.csr", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile", ext, cwd=d)
    return os.path.join(d, f"{name}.pem"), os.path.join(d, f"{name}.key")


def use_cert(broker, cert, key):
    with open(broker.conf) as f:
        lines = [l for l in f.read().splitlines()
                 if not l.startswith("certfile ") and not l.startswith("keyfile ")]
    with open(broker.conf, "w") as f:
        f.write("\n".join(lines + [f"certfile {cert}", f"keyfile {key}"]) + "\n")


class TlsChurn(unittest.TestCase):
    def setUp(self):
        tls_setup(self)
        self.sub.stop()  # each test starts its own
        self.cfg = self.h.write("sw.toml", tls_config(
            self.h, self.sim_port, self.broker.port, self.pki["ca"], self.pki["client_cert"],
            self.pki["client_key"]))

    def test_restarts_and_a_renewed_certificate(self):
        rng = random.Random(int(os.environ.get("SEALWATCH_SEED", "20")))
        sub = self.sub
        sub.start()
        agent = self.h.agent(self.cfg)
        sub.wait_for(lambda t, p: t.endswith("/telemetry"), 15)
        renewed = server_cert(self.h.path("pki"), "server-renewed", "IP:127.0.0.1")
        renew_at = RESTARTS // 2
        started = time.monotonic()
        for i in range(RESTARTS):
            connects = agent.stderr().count("uplink: connected")
            sub.stop()
            self.broker.stop()
            if i == renew_at:
                use_cert(self.broker, *renewed)
            time.sleep(rng.uniform(0.1, 1.0))
            self.broker.start()
            sub.start()
            deadline = time.monotonic() + 20
            while agent.stderr().count("uplink: connected") <= connects:
                self.assertLess(time.monotonic(), deadline,
                                f"restart {i}: the agent did not reconnect\n"
                                f"{agent.stderr()[-2000:]}")
                time.sleep(0.1)
            time.sleep(rng.uniform(0.2, 1.0))  # sending between restarts
        churn_s = time.monotonic() - started
        self.sim.stop()
        time.sleep(1.5)  # the last readings polled are flushed (1 s on a new database) and sent
        uc.wait_drained(self, self.h, 30)
        agent.signal(15)
        self.assertEqual(agent.p.wait(15), 0)
        time.sleep(1)
        sub.stop()
        seqs, readings = uc.check_delivery(self, self.h, sub.messages)
        reconnects = agent.stderr().count("uplink: connected") - 1
        self.assertGreaterEqual(reconnects, RESTARTS)
        print(f"TLS churn: {RESTARTS} broker restarts (one with a renewed certificate) in "
              f"{churn_s:.0f} s, {reconnects} reconnects, {seqs} messages, {readings} readings, "
              "nothing lost")

    def test_hostname_is_verified(self):
        # A certificate from the trusted CA, but for another host: refused.
        self.broker.stop()
        use_cert(self.broker, *server_cert(self.h.path("pki"), "elsewhere",
                                           "DNS:broker.elsewhere.example"))
        self.broker.start()
        agent = self.h.agent(self.cfg)
        time.sleep(4)
        log = agent.stderr()
        self.assertIn("uplink: cannot connect", log)
        self.assertNotIn("uplink: connected", log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
