#!/usr/bin/env python3
"""Issue 12's load test (item 4), on this machine: county_load.py's simulated gateways into
either path, and the county's record checked against what was sent. Not a timed test.

    python3 tests/bench/bench_county_cluster.py cluster  [--gateways 1000 --seconds 120]
    python3 tests/bench/bench_county_cluster.py embedded [--gateways 1000 --seconds 120]

cluster:  three RabbitMQ nodes (tests/cluster/rabbit-cluster.sh), the gateways spread over the
          MQTT listeners of rabbit1 and rabbit2, two `sealwatch-county run` consuming over AMQP
          (one starting on rabbit1, one on rabbit3) into one PostgreSQL (pg-instance.sh).
          Midway rabbit3 is stopped, then the instance on rabbit1 is killed with SIGKILL and
          started again 8 s later.
embedded: one mosquitto and one `run` on SQLite (the default), the same load.

Beside the simulated gateways, three real `sealwatchd` (gw-real-1..3, site plant-it) poll a
sealwatch-sim's two meters every 500 ms, started with the integration tests' helpers
(county_common.county_gateway), and publish over MQTT with TLS and client certificates
(test_uplink_tls.make_pki's CA): to the TLS listeners of rabbit1, rabbit2, rabbit1, or to the
embedded mosquitto's TLS listener. They are stopped cleanly (SIGTERM) after the sender ends.

Then it waits until `county_load.py check` passes (every deliberate gap reported, nothing
else missing) and every seq each real agent had delivered (given out and no longer in its
outbox) is in the county's ledger with no gap, and prints one JSON line: the sender's figures,
the real agents' seqs, how long after the last publish the county had everything (the
consumer's lag at the end), and CPU seconds and peak RSS per part. Everything runs in a
temporary folder and is stopped at the end.
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests/integration"))
from county_common import county_gateway  # noqa: E402
from harness import Harness  # noqa: E402
from test_uplink_tls import make_pki  # noqa: E402
import uplink_common as uc  # noqa: E402

BIN = os.environ.get("SEALWATCH_BIN", os.path.join(SOURCE, "build/dev/bin"))
COUNTY = os.path.join(BIN, "sealwatch-county")
CLUSTER = os.path.join(SOURCE, "tests/cluster/rabbit-cluster.sh")
PG = os.path.join(SOURCE, "tests/support/pg-instance.sh")
LOAD = os.path.join(HERE, "county_load.py")
REAL = ["gw-real-1", "gw-real-2", "gw-real-3"]


def proc_stat(pid):
    """(CPU seconds, RSS MiB) of a process and its children still alive, from /proc."""
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                   text=True).stdout.split()]
    cpu, rss = 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        rss += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return round(cpu, 1), round(rss, 1)


class Bench:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="sealwatch-bench-county-")
        self.procs = {}  # name -> Popen
        self.cleanups = []
        self.parts = {}  # name -> pid to measure
        self.killed = {}  # name -> (CPU s, peak RSS) measured just before a kill or a stop
        self.h = Harness()  # the real agents and their simulator
        self.pki = make_pki(self.h.path("pki"))
        self.agents = {}  # gateway id -> harness Proc

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, name, args):
        log = open(self.path(f"{name}.stderr"), "wb")
        self.procs[name] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
        self.parts[name] = self.procs[name].pid
        return self.procs[name]

    def county(self, name, cfg):
        p = self.start(name, [COUNTY, "run", "--config", cfg])
        deadline = time.monotonic() + 30
        while b"connected" not in open(self.path(f"{name}.stderr"), "rb").read():
            if time.monotonic() > deadline or p.poll() is not None:
                raise SystemExit(f"{name} did not connect: {self.path(name + '.stderr')}")
            time.sleep(0.1)
        return p

    def config(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(f'[county]\ndata_dir = "{self.path("county")}"\n' + text)
        return self.path(name)

    def cluster(self):
        rabbit = self.path("rabbit")
        tls = {"RABBIT_TLS_CA": self.pki["ca"], "RABBIT_TLS_CERT": self.pki["cert"],
               "RABBIT_TLS_KEY": self.pki["key"]}
        subprocess.run([CLUSTER, "start", rabbit], check=True, stdout=subprocess.DEVNULL,
                       timeout=300, env={**os.environ, **tls})
        self.cleanups.append(lambda: subprocess.run([CLUSTER, "stop", rabbit], timeout=120))
        env = dict(line.strip().split("=", 1) for line in open(os.path.join(rabbit, "cluster.env")))
        for n in (1, 2, 3):
            with open(os.path.join(rabbit, f"rabbit{n}", "beam.pid")) as f:
                self.parts[f"rabbit{n}"] = int(f.read())
        pg = self.path("pg")
        subprocess.run([PG, "start", pg], check=True, stdout=subprocess.DEVNULL, timeout=120)
        self.cleanups.append(lambda: subprocess.run([PG, "stop", pg], timeout=120))
        with open(os.path.join(pg, "data", "postmaster.pid")) as f:
            self.parts["postgresql"] = int(f.readline())
        store = f'[store]\nkind = "postgresql"\nurl = "postgresql://sealwatch@/postgres?host={pg}"\n'

        def cfg(name, first):
            order = [first] + [n for n in (1, 2, 3) if n != first]
            urls = ", ".join(f'"amqp://127.0.0.1:{env[f"AMQP_PORT_{n}"]}"' for n in order)
            return self.config(name, store + f'[broker]\nport = {env["MQTT_PORT_1"]}\n'
                               f'insecure = true\n[source]\nkind = "amqp"\nurls = [{urls}]\n')
        self.cfg = cfg("county-1.toml", 1)
        cfg3 = cfg("county-3.toml", 3)
        self.county("county-1", self.cfg)
        self.county("county-3", cfg3)
        ports = f'{env["MQTT_PORT_1"]},{env["MQTT_PORT_2"]}'
        self.real_agents([int(env[f"MQTTS_PORT_{n}"]) for n in (1, 2, 1)])

        def midway():
            subprocess.run([CLUSTER, "stop-node", rabbit, "3"], check=True, timeout=120)
            self.parts.pop("rabbit3")
            events = [f"rabbit3 stopped at {time.monotonic() - self.t0:.0f} s"]
            time.sleep(5)
            self.killed["county-1 (until killed)"] = proc_stat(self.parts.pop("county-1"))
            self.procs["county-1"].send_signal(signal.SIGKILL)
            self.procs["county-1"].wait()
            events.append(f"county-1 killed at {time.monotonic() - self.t0:.0f} s")
            time.sleep(8)
            self.county("county-1-again", self.cfg)
            return events
        return ports, midway

    def embedded(self):
        import socket
        socks = [socket.socket() for _ in range(2)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        port, tls_port = (s.getsockname()[1] for s in socks)
        for s in socks:
            s.close()
        conf = self.path("mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
                    f"persistence true\npersistence_location {self.dir}/\n" +
                    ("user root\n" if os.geteuid() == 0 else "") +
                    f"listener {tls_port} 127.0.0.1\ncafile {self.pki['ca']}\n"
                    f"certfile {self.pki['cert']}\nkeyfile {self.pki['key']}\n"
                    "require_certificate true\n")
        self.start("mosquitto", ["mosquitto", "-c", conf])
        time.sleep(0.5)
        self.cfg = self.config("county.toml", f'[broker]\nport = {port}\ninsecure = true\n')
        self.county("county", self.cfg)
        self.real_agents([tls_port] * len(REAL))
        return str(port), lambda: []

    def real_agents(self, ports):
        """The three real agents, gw-real-N publishing over TLS to ports[N-1]."""
        _, listening = self.h.sim(self.h.write("m.toml", uc.SCENARIO), "--tcp", "127.0.0.1:0")
        tls = (self.pki["ca"], self.pki["client_cert"], self.pki["client_key"])
        for gw, port in zip(REAL, ports):
            self.agents[gw] = county_gateway(self.h, gw, listening["tcp"][0], port, tls=tls)
            self.parts[gw] = self.agents[gw].p.pid

    def stop_real_agents(self):
        """Stops the agents cleanly; {gateway: (last seq given out, seqs still in its outbox)}."""
        out = {}
        for gw, agent in self.agents.items():
            self.killed[f"{gw} (until stopped)"] = proc_stat(self.parts.pop(gw))
            if agent.stop(30) != 0:
                raise SystemExit(f"{gw} did not stop cleanly: {agent.stderr()[-2000:]}")
            con = sqlite3.connect(os.path.join(self.h.path(f"data-{gw}"), "sealwatch.db"))
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            outbox = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
            con.close()
            out[gw] = (int(meta.get("next_seq", 1)) - 1, outbox)
        return out

    def real_agents_complete(self, delivered):
        """{gateway: (received, last seq)} once every seq the agents delivered is in the
        county's ledger with nothing missing; None while not."""
        r = subprocess.run([COUNTY, "gaps", "--json", "--config", self.cfg],
                           capture_output=True, text=True, timeout=300)
        gaps = {g["gateway"]: g for g in json.loads(r.stdout)} if r.returncode == 0 else {}
        got = {}
        for gw, (last, unacked) in delivered.items():
            g = gaps.get(gw)
            if g is None or g["missing"] or g["last_seq"] < last - unacked:
                return None
            got[gw] = {"last_seq": g["last_seq"], "given_out": last, "left_in_outbox": unacked}
        return got

    def run(self):
        ports, midway = self.cluster() if self.args.path == "cluster" else self.embedded()
        sent = self.path("sent.json")
        self.t0 = time.monotonic()
        sender = subprocess.Popen(
            [sys.executable, LOAD, "send", "--ports", ports, "--gateways", str(self.args.gateways),
             "--seconds", str(self.args.seconds), "--interval-s", str(self.args.interval_s),
             "--gap-every", str(self.args.gap_every), "--dup-every", str(self.args.dup_every),
             "--out", sent], stdout=subprocess.PIPE, text=True)
        time.sleep(self.args.seconds / 2)
        events = midway()
        out, _ = sender.communicate(timeout=self.args.seconds * 3 + 300)
        sent_at = time.monotonic()
        delivered = self.stop_real_agents()
        figures = json.loads(out.strip().splitlines()[-1])
        deadline = sent_at + self.args.drain_timeout_s
        while True:
            r = subprocess.run([sys.executable, LOAD, "check", sent, "--county", COUNTY,
                                "--config", self.cfg], capture_output=True, text=True)
            real = self.real_agents_complete(delivered) if r.returncode == 0 else None
            if real:
                break
            if time.monotonic() > deadline:
                print(r.stdout + r.stderr, delivered, file=sys.stderr)
                raise SystemExit("the county did not have everything in time")
            time.sleep(1)
        figures.update({
            "path": self.args.path, "complete_after_last_publish_s":
                round(time.monotonic() - sent_at, 1), "real_agents": real,
            "midway": events, "check": json.loads(r.stdout.strip().splitlines()[-1]),
            "cpu_s_and_peak_rss_mib": {**{n: proc_stat(p) for n, p in self.parts.items()},
                                       **self.killed},
        })
        print(json.dumps(figures))

    def close(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
                p.wait(30)
        self.h.close()
        for cleanup in reversed(self.cleanups):
            cleanup()
        if os.environ.get("SEALWATCH_KEEP_TEST_DIR"):
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", choices=["cluster", "embedded"])
    ap.add_argument("--gateways", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--interval-s", type=float, default=5.0)
    ap.add_argument("--gap-every", type=int, default=11)
    ap.add_argument("--dup-every", type=int, default=7)
    ap.add_argument("--drain-timeout-s", type=float, default=600)
    bench = Bench(ap.parse_args())
    try:
        bench.run()
    finally:
        bench.close()


if __name__ == "__main__":
    main()
