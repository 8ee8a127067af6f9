"""Shared by the benchmark scripts in tests/bench: processes, /proc accounting, the 32-meter
simulator scenario, a local mosquitto, the agent's config. Standard library only.

Every process started here is stopped by Bench.close() (TERM, then KILL after 10 s), by its own
PID, also when the script fails. Everything listens on 127.0.0.1 only.
"""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "../.."))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def build_dir():
    return os.environ.get("SEALWATCH_BUILD", os.path.join(SOURCE, "build/release"))


def binary(name):
    path = os.path.join(build_dir(), "bin", name)
    if not os.access(path, os.X_OK):
        sys.exit(f"{path} not built: cmake --preset release && cmake --build --preset release -j2")
    return path


# ------------------------------------------------------------------ /proc accounting
def cpu_ticks(pid):
    """utime + stime of the whole process (all threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[11]) + int(rest[12])


def cpu_seconds(pid):
    return cpu_ticks(pid) / CLK_TCK


def schedstat_seconds(pid):
    """Sum of the threads' on-CPU time from /proc/PID/task/*/schedstat (ns): finer than ticks."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9


def status_numbers(pid):
    """Every numeric field of /proc/PID/status (VmRSS, RssAnon, VmHWM... in KiB; Threads)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            first = value.split()[:1]
            if first and first[0].isdigit():
                out[key] = int(first[0])
    return out


def status_kb(pid, key):
    return status_numbers(pid).get(key)


def io_counters(pid):
    out = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k.strip()] = int(v)
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, kernel {os.uname().release}"


def spread(values):
    """'median (min-max, n=N)' of a list of numbers."""
    v = sorted(values)
    if not v:
        return "n/a"
    n = len(v)
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return {"median": med, "min": v[0], "max": v[-1], "n": n}


# ------------------------------------------------------------------ processes
class Proc:
    def __init__(self, args, name, workdir, stdout=None):
        self.name = name
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self._err = open(self.stderr_path, "wb")
        self._out = open(self.stdout_path, "wb") if stdout is None else stdout
        self.p = subprocess.Popen(args, stdout=self._out, stderr=self._err,
                                  stdin=subprocess.DEVNULL)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def wait_stdout(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.stdout_path, "rb") as f:
                for line in f.read().decode("utf-8", "replace").splitlines():
                    if predicate(line):
                        return line
            if not self.alive():
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name}: no expected output in {timeout}s; stderr:\n"
                           + open(self.stderr_path, errors="replace").read()[-3000:])

    def stop(self, timeout=10):
        if self.alive():
            self.p.terminate()
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        for f in (self._err, self._out):
            if hasattr(f, "close"):
                f.close()
        return self.p.returncode


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


class Bench:
    """A work folder and the processes started in it."""

    def __init__(self, keep=False, prefix="sealwatch-bench-"):
        self.dir = tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("BENCH_TMP"))
        self.keep = keep or bool(os.environ.get("SEALWATCH_KEEP_BENCH_DIR"))
        self.procs = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def start(self, args, name, stdout=None):
        p = Proc(args, name, self.dir, stdout)
        self.procs.append(p)
        return p

    def sim(self, meters=32, profile="eastron-sdm630", verbose=False):
        """sealwatch-sim serving `meters` unit ids on one TCP port; returns (proc, port)."""
        path = self.write("scenario.toml", sim_scenario(meters, profile))
        args = [binary("sealwatch-sim"), "--scenario", path, "--tcp", "127.0.0.1:0"]
        if verbose:
            args.append("-v")
        p = self.start(args, "sim")
        line = p.wait_stdout(lambda l: l.startswith("listening tcp"), 20)
        p.wait_stdout(lambda l: l == "ready", 20)
        return p, int(line.rsplit(":", 1)[1])

    def broker(self, pki=None):
        """A local mosquitto (no persistence); returns (proc, port). With pki (make_pki): TLS
        only, client certificates required."""
        if not shutil.which("mosquitto"):
            sys.exit("mosquitto not installed")
        port = free_port()
        lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false",
                 "set_tcp_nodelay true", "max_queued_messages 0"]
        if pki:
            lines += [f"cafile {pki['ca']}", f"certfile {pki['server_cert']}",
                      f"keyfile {pki['server_key']}", "require_certificate true"]
        if os.geteuid() == 0:
            lines.append("user root")
        conf = self.write("mosquitto.conf", "\n".join(lines) + "\n")
        p = self.start(["mosquitto", "-c", conf], "mosquitto")
        wait_port(port)
        return p, port

    def close(self):
        for p in reversed(self.procs):
            p.stop()
        if self.keep:
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def make_pki(folder):
    """A CA, a server certificate for 127.0.0.1 and a client certificate (openssl CLI, RSA 2048):
    paths as ca, server_cert, server_key, client_cert, client_key."""
    os.makedirs(folder, exist_ok=True)

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=bench-ca",
            "-keyout", "ca.key", "-out", "ca.pem")
    with open(os.path.join(folder, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, extra in (("server", ["-extfile", "san.ext"]), ("client", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout",
                f"{name}.key", "-out", f"{name}.csr")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", *extra)
    return {k: os.path.join(folder, v) for k, v in {
        "ca": "ca.pem", "server_cert": "server.pem", "server_key": "server.key",
        "client_cert": "client.pem", "client_key": "client.key"}.items()}


def with_tls(config, pki):
    """An agent_config() text made to use TLS with the client certificate of make_pki()."""
    return (config.replace("insecure = true\n", "", 1)
            + f'\n[uplink.tls]\nca_file = "{pki["ca"]}"\ncert_file = "{pki["client_cert"]}"\n'
            f'key_file = "{pki["client_key"]}"\n')


def with_assets(config, assets, meters_each=2):
    """An agent_config() text with `assets` operating assets of `meters_each` meters (m01, m02,
    ...): detection on for those meters."""
    for a in range(assets):
        ids = ", ".join(f'"m{a * meters_each + i + 1:02d}"' for i in range(meters_each))
        config += f'\n[[asset]]\nid = "a{a + 1:02d}"\nstate = "operating"\nmeters = [{ids}]\n'
    return config


def sim_scenario(meters, profile):
    out = "[sim]\nseed = 7\n"
    for u in range(1, meters + 1):
        out += (f'\n[[meter]]\nid = "sim-{u:02d}"\nunit = {u}\nprofile = "{profile}"\n'
                f"serial = {630000 + u}\ne_imp_kwh = {1000 * u}\nnoise_w = 20\n"
                f'program = [{{ at = "0s", p_w = {1000 + 100 * u} }}]\n')
    return out


def agent_config(data_dir, sim_port, mqtt_port, meters=32, interval_ms=1000,
                 profile="eastron-sdm630", uplink_extra="", storage_extra=""):
    text = (f'[gateway]\nid = "gw-bench"\nsite = "plant-bench"\ndata_dir = "{data_dir}"\n'
            f'timezone = "UTC"\n\n[uplink]\nhost = "127.0.0.1"\nport = {mqtt_port}\n'
            f"insecure = true\n{uplink_extra}\n")
    if storage_extra:
        text += f"[storage]\n{storage_extra}\n"
    text += (f'\n[[bus]]\nid = "lan"\nkind = "tcp"\nhost = "127.0.0.1"\nport = {sim_port}\n'
             f"timeout_ms = 800\n")
    for u in range(1, meters + 1):
        text += (f'\n[[meter]]\nid = "m{u:02d}"\nbus = "lan"\nunit = {u}\nprofile = "{profile}"\n'
                 f"interval_ms = {interval_ms}\n")
    return text


def db_query(path, sql, args=()):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def emit(result, out=None):
    line = json.dumps(result)
    print(line, flush=True)
    if out:
        with open(out, "a") as f:
            f.write(line + "\n")
