#!/usr/bin/env python3
"""Load for the county side (issue 12, item 4): many simulated gateways publishing the contract's
messages over MQTT 3.1.1 (QoS 1) to a broker or to the nodes of a RabbitMQ cluster, and the
check of what `sealwatch-county` recorded against what was sent. Not a timed test.

    county_load.py send --ports 1883[,1884,...] --gateways 1000 --seconds 120 --out sent.json
    county_load.py check sent.json --county BIN --config county.toml

`send`: each gateway is its own MQTT client (client id `load-<site>-<gateway>`, clean session)
on one of the ports (round robin), with its own seq counter over telemetry and events, as an
agent: first a retained online status, then a message every `--interval-s` (jittered), a
telemetry batch of `--readings` readings (two meters) or, one message in `--event-every`, an
event (a `meter_offline` raised, then cleared by the next event). Deliberate faults, recorded in
the output:
- a gap: one seq in `--gap-every` is never sent (so the county must report exactly these);
- a QoS duplicate: one message in `--dup-every` is published twice (the second with the DUP
  flag and the same packet id, as a client re-sending after a lost PUBACK; same content).
It waits for every PUBACK (what the broker took responsibility for) and writes, per gateway, the
last seq and the gaps, plus the figures: messages and readings per second, PUBACK latency.

`check`: `sealwatch-county gaps --json` must show, for every gateway, exactly the deliberate gaps
and the last seq sent: every other seq accounted for, nothing else missing. Exit 1 otherwise.

Standard library only: a minimal MQTT 3.1.1 publisher over selectors (one socket per gateway).
"""
import argparse
import json
import random
import selectors
import socket
import struct
import subprocess
import sys
import time

PREFIX = "sealwatch/v1"


def varint(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(text):
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def packet(first_byte, body):
    return bytes([first_byte]) + varint(len(body)) + body


def connect_packet(client_id):
    # protocol "MQTT" level 4, clean session, keepalive 0 (the run is shorter than any timeout)
    return packet(0x10, utf8("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0) + utf8(client_id))


def publish_packet(topic, payload, pid, retain=False, dup=False):
    first = 0x32 | (0x01 if retain else 0) | (0x08 if dup else 0)
    return packet(first, utf8(topic) + struct.pack("!H", pid) + payload)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


class Gateway:
    def __init__(self, index, port, args, rng):
        self.site = f"site-{index // 100:03d}"
        self.gateway = f"gw-{index:05d}"
        self.port = port
        self.args = args
        self.rng = rng
        self.seq = 0
        self.gaps = []
        self.duplicates = 0
        self.pid = 0
        self.inflight = {}  # pid -> sent at (monotonic)
        self.buffer = b""
        self.sock = None
        self.e_kwh = rng.uniform(100, 100000)
        self.open_alarm = None
        self.next_at = 0.0

    def topic(self, kind):
        return f"{PREFIX}/{self.site}/{self.gateway}/{kind}"

    def next_pid(self):
        self.pid = self.pid % 65535 + 1
        return self.pid

    def open(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(connect_packet(f"load-{self.site}-{self.gateway}"))
        ack = b""
        while len(ack) < 4:
            chunk = s.recv(4 - len(ack))
            if not chunk:
                raise ConnectionError(f"{self.gateway}: connection closed before CONNACK")
            ack += chunk
        if ack[0] != 0x20 or ack[3] != 0:
            raise ConnectionError(f"{self.gateway}: CONNACK {ack.hex()}")
        s.setblocking(False)
        self.sock = s

    def send(self, data):
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def publish(self, kind, payload, retain=False):
        pid = self.next_pid()
        self.inflight[pid] = time.monotonic()
        self.send(publish_packet(self.topic(kind), payload, pid, retain))
        return pid

    def status(self):
        body = {"online": True, "ts": rfc3339(time.time()), "version": "load", "boot": 1}
        self.publish("status", json.dumps(body).encode(), retain=True)

    def message(self):
        """The next message of the gateway's stream: (kind, payload bytes, readings in it)."""
        self.seq += 1
        now = time.time()
        if self.seq % self.args.event_every == 0:
            if self.open_alarm is None:
                self.open_alarm = f"{self.gateway}:meter_offline:m2:{int(now * 1000)}"
                state, started = "raised", now
            else:
                state, started = "cleared", now - self.args.interval_s
            body = {"seq": self.seq, "id": self.open_alarm, "type": "meter_offline",
                    "state": state, "severity": "major", "asset": "", "meter": "m2",
                    "ts": rfc3339(now), "started": rfc3339(started), "details": {}}
            if state == "cleared":
                self.open_alarm = None
            return "event", json.dumps(body).encode(), 0
        readings = []
        for i in range(self.args.readings):
            meter = "m1" if i % 2 == 0 else "m2"
            p_w = self.rng.uniform(0, 50000)
            self.e_kwh += p_w / 3600000
            readings.append({"meter": meter, "ts": rfc3339(now - (self.args.readings - i) * 0.5),
                             "values": {"p_w": round(p_w, 1), "e_imp_kwh": round(self.e_kwh, 3),
                                        "u_l1_v": round(self.rng.uniform(225, 235), 1)}})
        return "telemetry", json.dumps({"seq": self.seq, "readings": readings}).encode(), \
            len(readings)

    def read_acks(self, latencies):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        if not data:
            raise ConnectionError(f"{self.gateway}: the broker closed the connection")
        self.buffer += data
        while len(self.buffer) >= 4:
            if self.buffer[0] != 0x40:
                raise ConnectionError(f"{self.gateway}: unexpected packet {self.buffer[:4].hex()}")
            pid = struct.unpack("!H", self.buffer[2:4])[0]
            self.buffer = self.buffer[4:]
            sent = self.inflight.pop(pid, None)
            if sent is not None:
                latencies.append(time.monotonic() - sent)


def send(args):
    rng = random.Random(args.seed)
    ports = [int(p) for p in args.ports.split(",")]
    gateways = [Gateway(i, ports[i % len(ports)], args, random.Random(rng.random()))
                for i in range(args.gateways)]
    t0 = time.monotonic()
    for g in gateways:
        g.open()
        g.status()
    connect_s = time.monotonic() - t0
    sel = selectors.DefaultSelector()
    for g in gateways:
        sel.register(g.sock, selectors.EVENT_READ, g)
        g.next_at = time.monotonic() + rng.uniform(0, args.interval_s)
    latencies, messages, readings, sent_bytes = [], 0, 0, 0
    start = time.monotonic()
    end = start + args.seconds
    while time.monotonic() < end:
        now = time.monotonic()
        for g in gateways:
            if g.next_at > now:
                continue
            g.next_at = now + args.interval_s * rng.uniform(0.8, 1.2)
            kind, payload, n = g.message()
            if args.gap_every and g.seq % args.gap_every == 0:
                g.gaps.append(g.seq)  # never sent
                continue
            pid = g.publish(kind, payload)
            if args.dup_every and g.seq % args.dup_every == 0:
                g.send(publish_packet(g.topic(kind), payload, pid, dup=True))
                g.duplicates += 1
            messages += 1
            readings += n
            sent_bytes += len(payload)
        for key, _ in sel.select(timeout=0.01):
            key.data.read_acks(latencies)
    publish_s = time.monotonic() - start
    deadline = time.monotonic() + args.ack_timeout_s
    while any(g.inflight for g in gateways) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.1):
            key.data.read_acks(latencies)
    unacked = sum(len(g.inflight) for g in gateways)
    for g in gateways:
        g.send(packet(0xE0, b""))
        g.sock.close()
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) \
            if latencies else None

    summary = {
        "gateways": args.gateways, "ports": ports, "seconds": round(publish_s, 1),
        "connect_s": round(connect_s, 1), "messages": messages, "readings": readings,
        "bytes": sent_bytes, "messages_per_s": round(messages / publish_s, 1),
        "readings_per_s": round(readings / publish_s, 1),
        "puback_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0)},
        "unacknowledged": unacked,
        "duplicates": sum(g.duplicates for g in gateways),
        "deliberate_gaps": sum(len(g.gaps) for g in gateways),
        "per_gateway": {f"{g.site}/{g.gateway}": {"last_seq": g.seq, "gaps": g.gaps}
                        for g in gateways},
    }
    with open(args.out, "w") as f:
        json.dump(summary, f)
    brief = {k: v for k, v in summary.items() if k != "per_gateway"}
    print(json.dumps(brief))
    return 0 if unacked == 0 else 1


def ranges(seqs):
    """[3, 4, 9] -> [[3, 4], [9, 9]]"""
    out = []
    for s in sorted(seqs):
        if out and out[-1][1] == s - 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def check(args):
    with open(args.sent) as f:
        sent = json.load(f)["per_gateway"]
    r = subprocess.run([args.county, "gaps", "--json", "--config", args.config],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        return 2
    got = {f'{g["site"]}/{g["gateway"]}': g for g in json.loads(r.stdout)}
    wrong = []
    for name, want in sent.items():
        # A gap at the very end of a stream is not a gap yet: nothing after it arrived.
        gaps = [s for s in want["gaps"] if s < want["last_seq"]]
        last = want["last_seq"] if want["last_seq"] not in want["gaps"] else \
            max([s for s in range(1, want["last_seq"] + 1) if s not in want["gaps"]], default=0)
        have = got.get(name)
        if have is None:
            wrong.append(f"{name}: unknown to the county")
        elif have["last_seq"] != last or have["missing"] != ranges(s for s in gaps if s < last):
            wrong.append(f"{name}: county last_seq {have['last_seq']} missing {have['missing']}, "
                         f"sent last {last} gaps {ranges(gaps)}")
    extra = sorted(set(got) - set(sent))
    for line in wrong[:20]:
        print(line)
    print(json.dumps({"gateways": len(sent), "wrong": len(wrong), "unknown_to_sender": extra[:5]}))
    return 1 if wrong else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("send")
    s.add_argument("--ports", required=True, help="MQTT ports on 127.0.0.1, comma-separated")
    s.add_argument("--gateways", type=int, default=1000)
    s.add_argument("--seconds", type=float, default=60)
    s.add_argument("--interval-s", type=float, default=5.0, help="per gateway")
    s.add_argument("--readings", type=int, default=10, help="per telemetry message")
    s.add_argument("--event-every", type=int, default=50)
    s.add_argument("--gap-every", type=int, default=97)
    s.add_argument("--dup-every", type=int, default=31)
    s.add_argument("--ack-timeout-s", type=float, default=60)
    s.add_argument("--seed", type=int, default=12)
    s.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("sent")
    c.add_argument("--county", required=True, help="the sealwatch-county binary")
    c.add_argument("--config", required=True)
    args = ap.parse_args()
    return send(args) if args.verb == "send" else check(args)


if __name__ == "__main__":
    sys.exit(main())
