"""Shared by the uplink tests: a fast meter scenario, the checks of seq and content."""
import json
import os
import signal
import sqlite3
import time

from harness import agent_config

SCENARIO = """
[[meter]]
id = "a"
unit = 1
profile = "eastron-sdm630"
serial = 630001
e_imp_kwh = 1000
program = [{ at = "0s", p_w = 5000 }, { at = "20s", ramp_to = 90000, over = "30s" }]

[[meter]]
id = "b"
unit = 2
profile = "eastron-sdm120"
serial = 120002
e_imp_kwh = 20
program = [{ at = "0s", p_w = 300 }]
"""


def config(h, sim_port, mqtt_port, interval_ms=200, extra=""):
    meters = [{"id": "m-a", "bus": "lan", "unit": 1, "profile": "eastron-sdm630", "interval_ms": interval_ms},
              {"id": "m-b", "bus": "lan", "unit": 2, "profile": "eastron-sdm120", "interval_ms": interval_ms}]
    bus = [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": sim_port, "timeout_ms": 300}]
    return agent_config(h.path("data"), bus, meters, mqtt_port, extra)


def kill_loop(h, cfg, broker, sub, rng, loops, uptime, *agent_args):
    """Starts the agent and kills it with SIGKILL after rng.uniform(*uptime) seconds, `loops`
    times; after each kill the broker goes down or up with probability 0.3. The broker is up at
    the end. Returns [(agent, wall-clock time of its kill)]."""
    runs = []
    broker_up = True
    for i in range(loops):
        agent = h.agent(cfg, *agent_args, name=f"agent-{i}")
        time.sleep(rng.uniform(*uptime))
        runs.append((agent, time.time()))
        agent.signal(signal.SIGKILL)
        agent.p.wait(10)
        if rng.random() < 0.3:  # the broker flips now and then
            if broker_up:
                sub.stop()
                broker.stop()
            else:
                broker.start()
                sub.start()
            broker_up = not broker_up
    if not broker_up:
        broker.start()
        sub.start()
    return runs


def clean_run(test, h, cfg, timeout=60):
    """A last, clean run of the agent (nothing new to poll) until everything stored has been
    delivered, then SIGTERM; it must exit 0."""
    agent = h.agent(cfg, name="agent-final")
    deadline = time.monotonic() + timeout
    while "uplink: connected" not in agent.stderr() or not drained(h):
        test.assertLess(time.monotonic(), deadline, "backlog did not drain")
        time.sleep(0.3)
    agent.signal(signal.SIGTERM)
    test.assertEqual(agent.p.wait(15), 0)
    time.sleep(1)


def db(h):
    return sqlite3.connect(os.path.join(h.path("data"), "sealwatch.db"), timeout=10)


def drained(h):
    """True when nothing is waiting: no outbox rows, every reading and event in a message."""
    try:
        con = db(h)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        outbox = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        last_reading = con.execute("SELECT coalesce(max(id), 0) FROM readings").fetchone()[0]
        last_event = con.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        con.close()
    except sqlite3.Error:
        return False
    return (outbox == 0 and int(meta.get("sent.readings", 0)) >= last_reading
            and int(meta.get("sent.events", 0)) >= last_event)


def wait_drained(test, h, timeout):
    """Waits until nothing stored waits to be sent (drained), failing the test after timeout s."""
    deadline = time.monotonic() + timeout
    while not drained(h):
        test.assertLess(time.monotonic(), deadline, "backlog did not drain")
        time.sleep(0.3)


def check_delivery(test, h, messages):
    """Every seq from 1 to the last one given out arrived; a repeated seq carried the same
    content; every reading committed to the database arrived in some telemetry message."""
    by_seq = {}
    received_readings = set()
    for _, topic, payload in messages:
        if not (topic.endswith("/telemetry") or topic.endswith("/event")):
            continue  # P/status, P/chain: outside the seq stream
        obj = json.loads(payload)
        seq = obj["seq"]
        if seq in by_seq:
            test.assertEqual(by_seq[seq], payload, f"seq {seq} re-sent with other content")
        by_seq[seq] = payload
        for r in obj.get("readings", []):
            received_readings.add((r["meter"], r["ts"]))
    con = db(h)
    next_seq = int(dict(con.execute("SELECT key, value FROM meta").fetchall()).get("next_seq", 1))
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    stored = con.execute(
        "SELECT m.name, r.ts_ms FROM readings r JOIN meters m ON m.id = r.meter").fetchall()
    con.close()
    test.assertEqual(integrity, "ok")
    test.assertGreater(next_seq, 1, "nothing was ever sent")
    missing = sorted(set(range(1, next_seq)) - set(by_seq))
    test.assertEqual(missing, [], f"seq gaps (of {next_seq - 1})")
    test.assertEqual(max(by_seq), next_seq - 1, "a seq beyond what the store gave out")

    import datetime
    def rfc3339(ms):
        t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    lost = [(m, ts) for m, ts in stored if (m, rfc3339(ts)) not in received_readings]
    test.assertEqual(lost[:5], [], f"{len(lost)} of {len(stored)} committed readings never arrived")
    return next_seq - 1, len(stored)


def with_tls(text, ca, cert, key):
    """An agent config's plain MQTT swapped for TLS with these files."""
    text = text.replace("insecure = true\n", "")
    return text.replace("[[bus]]", f'[uplink.tls]\nca_file = "{ca}"\ncert_file = "{cert}"\n'
                                   f'key_file = "{key}"\n\n[[bus]]', 1)


def commanded_gateway(h, broker, sub, command_keys, tls=None):
    """The gateway of the command tests: sealwatch-sim and sealwatchd (simulated board, asset
    furnace-2 sealed on meter m-a) trusting the [[command_key]] tables in `command_keys`, up and
    subscribed; over TLS with tls = (ca, cert, key). Returns (sim, config path, agent)."""
    sim, listening = h.sim(h.write("m.toml", SCENARIO), "--tcp", "127.0.0.1:0")
    board_dir = h.path("board")
    os.mkdir(board_dir)
    extra = (f'[board]\nname = "sim"\nsim_dir = "{board_dir}"\n\n{command_keys}\n'
             '[[asset]]\nid = "furnace-2"\nkind = "induction_furnace"\nstate = "sealed"\n'
             'meters = ["m-a"]\nstandby_w = 100000\n')
    text = config(h, listening["tcp"][0], broker.port, interval_ms=200, extra=extra)
    cfg = h.write("sw.toml", with_tls(text, *tls) if tls else text)
    agent = h.agent(cfg)
    sub.wait_for(lambda t, p: t.endswith("/telemetry"), 15)
    time.sleep(1)  # the agent's subscription is made right after its CONNACK
    return sim, cfg, agent
