"""Shared by the tests of `sealwatch-county run` (test_county.py, test_county_postgres.py,
test_county_web.py, test_county_rabbitmq.py): start `run` and wait for its broker connection,
call a reading verb, wait for a condition (a failure shows the stderr of every process of the
harness named county…); a real gateway of the county tests (county_gateway). A mixin for a
unittest.TestCase that has `self.h` (a Harness) and `self.cfg` (the county config's path), and
sets `self.county` (the running `run`) when it uses start_county."""
import json
import subprocess
import time

from harness import agent_config, binary
from uplink_common import with_tls


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
                logs = "".join(f"{p.name} stderr:\n{p.stderr()[-3000:]}\n" for p in self.h.procs
                               if p.name.startswith("county"))
                self.fail(f"{what}: not within {timeout} s; status {self.status()}\n{logs}")
            time.sleep(0.3)


def county_gateway(h, gw, sim_port, mqtt_port, sealed=False, tls=None):
    """A gateway of the county tests, started: sealwatchd as `gw` (site plant-it, data in
    data-<gw>) polling the scenario's m-a and m-b every 500 ms. With sealed=True its furnace-2
    on m-a is sealed (standby 100 W), so the scenario's 5 kW raises reenergized. tls: (ca,
    client cert, client key) for a broker that speaks only TLS."""
    standby = 100 if sealed else 1000000
    extra = ('[[asset]]\nid = "furnace-2"\nkind = "induction_furnace"\nstate = "sealed"\n'
             f'meters = ["m-a"]\nstandby_w = {standby}\n')
    meters = [{"id": "m-a", "bus": "lan", "unit": 1, "profile": "eastron-sdm630",
               "interval_ms": 500},
              {"id": "m-b", "bus": "lan", "unit": 2, "profile": "eastron-sdm120",
               "interval_ms": 500}]
    bus = [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": sim_port,
            "timeout_ms": 300}]
    text = agent_config(h.path(f"data-{gw}"), bus, meters, mqtt_port, extra)
    text = text.replace('id = "gw-it"', f'id = "{gw}"', 1)
    if tls:
        text = with_tls(text, *tls)
    return h.agent(h.write(f"{gw}.toml", text), name=gw)
