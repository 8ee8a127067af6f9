"""Real processes for integration tests: sealwatch-sim, socat pty pairs, sealwatchd.

Standard library only. Every process started here is stopped by the Harness (TERM, then KILL),
also when a test fails. Nothing listens outside 127.0.0.1.
"""
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

BIN = os.environ.get("SEALWATCH_BIN", os.path.join(os.path.dirname(__file__), "../../build/dev/bin"))
SOURCE = os.environ.get("SEALWATCH_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))


# The first line of an AddressSanitizer, LeakSanitizer or UBSan report in a program's stderr.
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error: ")


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} not built")
    return path


class Proc:
    """A child process whose stdout lines are collected with their arrival time."""

    def __init__(self, args, name, workdir, env=None):
        self.name = name
        self.args = args
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr,
                                  stdin=subprocess.DEVNULL, env=env)
        self.lines = queue.Queue()
        self.all_lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.p.stdout:
            item = (time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n"))
            self.all_lines.append(item)
            self.lines.put(item)

    def wait_line(self, predicate, timeout):
        """Next stdout line matching predicate, or raise after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no matching line in {timeout}s; "
                                     f"stderr:\n{self.stderr()[-3000:]}")
            try:
                _, line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.p.poll() is not None and self.lines.empty():
                    raise AssertionError(f"{self.name} exited with {self.p.returncode}; "
                                         f"stderr:\n{self.stderr()[-3000:]}")
                continue
            if predicate(line):
                return line

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def signal(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def stop(self, timeout=10):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self._reader.join(timeout=5)
        if self.p.stdout:
            self.p.stdout.close()
        self._stderr.close()
        return self.p.returncode


class Harness:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sealwatch-it-")
        self.procs = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, args, name, env=None):
        proc = Proc(args, name, self.dir, env)
        self.procs.append(proc)
        return proc

    def sim(self, scenario_path, *extra, name="sim"):
        """Starts sealwatch-sim; returns (proc, {"tcp": [ports], "rtu": [devices],
        "rtu_tcp": [ports], "dlt645": [ports or devices]})."""
        proc = self.start([binary("sealwatch-sim"), "--scenario", scenario_path, *extra], name)
        listening = {"tcp": [], "rtu": [], "rtu_tcp": [], "dlt645": []}
        while True:
            line = proc.wait_line(lambda l: l.startswith("listening") or l == "ready", 20)
            if line == "ready":
                return proc, listening
            parts = line.split()
            if parts[1] == "dlt645":  # "listening dlt645 DEVICE" or "listening dlt645 tcp H:P"
                listening["dlt645"].append(int(parts[3].rsplit(":", 1)[1]) if parts[2] == "tcp"
                                           else parts[2])
            elif parts[1] == "tcp":
                listening["tcp"].append(int(parts[2].rsplit(":", 1)[1]))
            elif parts[1:3] == ["rtu", "tcp"]:  # RTU frames over TCP, as a DTU carries them
                listening["rtu_tcp"].append(int(parts[3].rsplit(":", 1)[1]))
            else:
                listening["rtu"].append(parts[2])

    def pty_pair(self, name="tty"):
        """A socat pseudo-terminal pair: (agent side, simulator side)."""
        if not shutil.which("socat"):
            raise unittest.SkipTest("socat not installed")
        a, b = self.path(f"{name}-agent"), self.path(f"{name}-sim")
        self.start(["socat", "-d", "-d", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                   f"socat-{name}")
        deadline = time.monotonic() + 10
        while not (os.path.exists(a) and os.path.exists(b)):
            if time.monotonic() > deadline:
                raise AssertionError("socat did not create the pty pair")
            time.sleep(0.05)
        return a, b

    def agent(self, config_path, *extra, name="agent"):
        return self.start([binary("sealwatchd"), "--config", config_path, *extra], name)

    def close(self):
        for proc in reversed(self.procs):
            proc.stop()
        report = self.sanitizer_report()
        if os.environ.get("SEALWATCH_KEEP_TEST_DIR"):
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if report:
            raise AssertionError(f"a sanitizer reported: {report}")

    def sanitizer_report(self):
        """The first sanitizer report in a program's stderr, or None. Under the asan preset a
        report fails the test even when the program went on or exited as asked: a leak is
        reported only at exit, after every assertion passed."""
        for proc in self.procs:
            text = proc.stderr()
            for mark in SANITIZER_REPORTS:
                if mark in text:
                    return f"{proc.name}:\n{text[text.find(mark):][:3000]}"
        return None


def wait(predicate, timeout, what):
    """predicate()'s first true value, polled every 0.1 s; fails naming `what` after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def readings(proc, seconds):
    """Collects the agent's JSON lines for `seconds`: list of (arrival, object)."""
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            t, line = proc.lines.get(timeout=0.2)
        except queue.Empty:
            if proc.p.poll() is not None:
                raise AssertionError(f"agent exited with {proc.p.returncode}:\n{proc.stderr()[-3000:]}")
            continue
        try:
            out.append((t, json.loads(line)))
        except json.JSONDecodeError:
            raise AssertionError(f"agent printed a line that is not JSON: {line!r}")
    return out


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    """A real mosquitto on a loopback port, with persistence so that a restart keeps the
    subscriber's session (the county office's subscriber must not miss what arrived while the
    broker was restarting)."""

    def __init__(self, harness, name="broker", tls=None):
        if not shutil.which("mosquitto"):
            raise unittest.SkipTest("mosquitto not installed")
        self.h = harness
        self.name = name
        self.port = free_port()
        self.dir = harness.path(name)
        os.makedirs(self.dir, exist_ok=True)
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "persistence true",
                 f"persistence_location {self.dir}/", "autosave_interval 1",
                 "max_queued_messages 0", "set_tcp_nodelay true"]
        if os.geteuid() == 0:
            # mosquitto started as root drops to user "mosquitto", who cannot read the test's
            # private temp folder and keys.
            lines.append("user root")
        if tls:
            lines += [f"cafile {tls['ca']}", f"certfile {tls['cert']}", f"keyfile {tls['key']}",
                      "require_certificate true", "use_identity_as_username true"]
        self.conf = harness.write(f"{name}.conf", "\n".join(lines) + "\n")
        self.proc = None
        self.start()

    def start(self):
        self.proc = self.h.start(["mosquitto", "-c", self.conf], self.name)
        deadline = time.monotonic() + 10
        import socket
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"mosquitto did not start:\n{self.proc.stderr()}")

    def stop(self):
        self.proc.stop()


class Subscriber:
    """mosquitto_sub with a persistent session (QoS 1): collects (topic, payload) lines."""

    def __init__(self, harness, broker, topic="sealwatch/#", name="sub", extra=()):
        self.h = harness
        self.broker = broker
        self.args = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic, "-v",
                     "-q", "1", "-c", "-i", f"it-{name}-{os.getpid()}", *extra]
        self.name = name
        self.messages = []  # (arrival, topic, payload)
        self.proc = None
        self.start()

    def start(self):
        self.proc = self.h.start(self.args, self.name)
        # mosquitto_sub prints nothing until a message comes: give it a moment to subscribe.
        time.sleep(0.3)

    def stop(self):
        self.collect()
        self.proc.stop()
        self.collect()

    def collect(self):
        while True:
            try:
                t, line = self.proc.lines.get_nowait()
            except queue.Empty:
                return self.messages
            topic, _, payload = line.partition(" ")
            self.messages.append((t, topic, payload))

    def readings(self):
        """The reading objects of every telemetry message collected so far, in arrival order."""
        out = []
        for _, topic, payload in self.collect():
            if topic.endswith("/telemetry"):
                out += json.loads(payload).get("readings", [])
        return out

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.collect():
                if predicate(m[1], m[2]):
                    return m
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: nothing matched in {timeout}s; got {len(self.messages)} messages")


def dlt645_scenario(sim_tty, meters):
    """A sealwatch-sim scenario of DL/T 645-2007 meters behind two listeners: "line", the
    simulator's side of a pty pair (sim_tty), and "dtu", a transparent DTU on a free TCP port.
    meters: (id, 12-digit address, listener or None for both, the meter's own TOML lines)."""
    text = (f'[[listener]]\nid = "line"\nrtu = "{sim_tty}"\nprotocol = "dlt645"\n\n'
            '[[listener]]\nid = "dtu"\ntcp = "127.0.0.1:0"\nprotocol = "dlt645"\n')
    for meter_id, address, listener, own in meters:
        text += f'\n[[meter]]\nid = "{meter_id}"\naddress = "{address}"\nprofile = "dlt645-2007"\n'
        if listener:
            text += f'listener = "{listener}"\n'
        text += own
    return text


def sealed_furnace(meter, asset="furnace-2"):
    """The [detect] and [[asset]] tables of a sealed induction furnace on `meter`, tuned to raise
    within seconds (two samples in a row, one second on, two off), for agent_config's extra."""
    return (f'\n[detect]\nmin_samples = 2\n\n[[asset]]\nid = "{asset}"\n'
            f'kind = "induction_furnace"\nstate = "sealed"\nmeters = ["{meter}"]\n'
            'standby_w = 300\nmin_on_s = 1\nmin_off_s = 2\n')


def agent_config(data_dir, buses, meters, mqtt_port=None, extra="", tuned=True):
    """A sealwatch.toml as text. buses/meters: lists of dicts rendered as [[bus]]/[[meter]].
    tuned=False: the contract's keys and nothing else (no uplink tuning), for the
    tests that prove a promise on the defaults."""
    def render(table, items):
        out = ""
        for item in items:
            out += f"\n[[{table}]]\n"
            for k, v in item.items():
                out += f"{k} = {json.dumps(v)}\n"
        return out
    text = (f'[gateway]\nid = "gw-it"\nsite = "plant-it"\ndata_dir = "{data_dir}"\n'
            f'timezone = "UTC"\n\n[uplink]\nhost = "127.0.0.1"\nport = {mqtt_port or 1}\n'
            f'insecure = true\n' + ('batch_max_delay_ms = 200\n' if tuned else ''))
    return text + extra + render("bus", buses) + render("meter", meters)
