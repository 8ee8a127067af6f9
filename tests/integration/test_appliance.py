"""Issue 6: the agent as a gateway appliance, on the sim board (board/src/sim.cpp: the watchdog,
tamper switch, LED and clock are files in a folder this test owns).

- sd_notify: READY=1, WATCHDOG=1 and STOPPING=1 arrive on a test NOTIFY_SOCKET;
- the sim watchdog is fed while polling progresses, stops being fed when the bus thread hangs
  (the thread is frozen with ptrace, nothing in the agent is faked) and resumes after;
- a dead meter (simulator stopped) is not a stall: feeding goes on;
- kill -9 then restart gives power_restored with the downtime; a clean stop gives none and
  disarms the watchdog;
- a faked wall-clock jump gives clock_jump; the tamper file gives enclosure_open raised/cleared.
"""
import ctypes
import json
import os
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, agent_config, binary, wait  # noqa: E402

SCENARIO = """
[[meter]]
id = "a"
unit = 1
profile = "eastron-sdm120"
serial = 120001
e_imp_kwh = 10
program = [{ at = "0s", p_w = 200 }]
"""

PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207


class NotifySocket:
    """A NOTIFY_SOCKET as systemd offers it: a unix datagram socket; messages are collected."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def wait_for(self, text, timeout, after=0.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, m in list(self.messages):
                if t >= after and text in m.split("\n"):
                    return t
            time.sleep(0.05)
        raise AssertionError(f"no {text} on NOTIFY_SOCKET in {timeout}s; got {self.messages[-5:]}")

    def close(self):
        self._stop = True
        self.sock.close()


def feeds(sim_dir):
    try:
        with open(os.path.join(sim_dir, "watchdog")) as f:
            parts = f.read().split()
    except FileNotFoundError:
        return ("none", 0)
    return (parts[0], int(parts[1]))


def led(sim_dir):
    with open(os.path.join(sim_dir, "led")) as f:
        return f.read().strip()


def events(proc, etype, timeout):
    """The first event line of this type the agent prints (--print-readings prints events)."""
    line = proc.wait_line(lambda l: l.startswith("{") and f'"type":"{etype}"' in l, timeout)
    return json.loads(line)


class Appliance(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
        self.sim_dir = self.h.path("board")
        os.mkdir(self.sim_dir)
        self.meter, listening = self.h.sim(self.h.write("m.toml", SCENARIO), "--tcp", "127.0.0.1:0")
        board = (f'[board]\nname = "sim"\nsim_dir = "{self.sim_dir}"\nstall_s = 3\n'
                 f'alive_every_s = 1\nclock_jump_ms = 2000\n')
        self.cfg = self.h.write("sw.toml", agent_config(
            self.h.path("data"),
            [{"id": "lan", "kind": "tcp", "host": "127.0.0.1", "port": listening["tcp"][0],
              "timeout_ms": 300}],
            [{"id": "m1", "bus": "lan", "unit": 1, "profile": "eastron-sdm120",
              "interval_ms": 200, "backoff_max_ms": 1000}],
            extra=board))

    def agent(self, name="agent", env=None):
        return self.h.start([binary("sealwatchd"), "--config", self.cfg, "--print-readings"],
                            name, env=env)

    def test_notify_socket_ready_watchdog_stopping(self):
        ns = NotifySocket(self.h.path("notify.sock"))
        self.addCleanup(ns.close)
        env = dict(os.environ, NOTIFY_SOCKET=ns.path, WATCHDOG_USEC="2000000")
        a = self.agent(env=env)
        t_ready = ns.wait_for("READY=1", 20)
        ns.wait_for("WATCHDOG=1", 5, after=t_ready)
        a.signal(signal.SIGTERM)
        ns.wait_for("STOPPING=1", 10)
        self.assertEqual(a.p.wait(15), 0)
        self.assertEqual(feeds(self.sim_dir)[0], "disarmed")

    def test_watchdog_stops_when_polling_hangs(self):
        a = self.agent()
        wait(lambda: feeds(self.sim_dir)[1] >= 3, 20, "the watchdog to be fed")
        # A dead meter is not a stall: stop the simulator, feeding goes on.
        self.meter.signal(signal.SIGSTOP)
        n0 = feeds(self.sim_dir)[1]
        time.sleep(5)
        self.assertGreater(feeds(self.sim_dir)[1], n0 + 2, "fed while the meter is dead")
        self.meter.signal(signal.SIGCONT)
        # Freeze only the bus thread (the rest of the agent runs on).
        tid = self.bus_thread(a.p.pid, "sw-bus-lan")
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
            raise unittest.SkipTest(f"ptrace not permitted here (errno {ctypes.get_errno()})")
        try:
            self.assertEqual(libc.ptrace(PTRACE_INTERRUPT, tid, None, None), 0)
            os.waitpid(tid, 0x40000000)  # __WALL: wait until the thread has stopped
            t_stop = time.monotonic()
            # stall_s = 3: feeding stops within about 3-4 s and stays stopped.
            time.sleep(5)
            n1 = feeds(self.sim_dir)[1]
            time.sleep(3)
            self.assertEqual(feeds(self.sim_dir)[1], n1, "still fed with the bus thread hung")
            self.assertIn("health: polling: the thread of bus lan", a.stderr())
            self.assertEqual(led(self.sim_dir), "alarm")
            self.assertLess(time.monotonic() - t_stop, 15)
        finally:
            libc.ptrace(PTRACE_DETACH, tid, None, None)
        wait(lambda: feeds(self.sim_dir)[1] > n1 + 2, 10, "feeding to resume")
        self.assertIn("health: progress again", a.stderr())

    @staticmethod
    def bus_thread(pid, name):
        def find():
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    if f.read().strip() == name:
                        return int(tid)
            return None
        return wait(find, 10, f"thread {name}")

    def test_power_restored_after_kill9_and_not_after_clean_stop(self):
        a = self.agent("agent-1")
        wait(lambda: feeds(self.sim_dir)[1] >= 3, 20, "the agent to run")
        time.sleep(1.5)  # an alive stamp is written every second
        a.signal(signal.SIGKILL)
        a.p.wait(10)
        t_kill = time.monotonic()
        time.sleep(2)
        b = self.agent("agent-2")
        e = events(b, "power_restored", 20)
        away = time.monotonic() - t_kill
        self.assertEqual(e["state"], "info")
        self.assertEqual(e["details"]["restart"], "process")
        self.assertEqual(e["details"]["estimate"], "monotonic")
        d = e["details"]["downtime_s"]
        self.assertGreaterEqual(d, 2.0)  # at least the 2 s it was away ...
        self.assertLessEqual(d, away + 1.5)  # ... plus at most one alive interval
        self.assertTrue(e["id"].startswith("gw-it:power_restored:gateway:"))
        # A clean stop: no power_restored on the next start.
        b.signal(signal.SIGTERM)
        self.assertEqual(b.p.wait(15), 0)
        c = self.agent("agent-3")
        wait(lambda: feeds(self.sim_dir)[0] == "armed", 20, "the third run")
        time.sleep(2)
        self.assertFalse([l for _, l in c.all_lines if '"power_restored"' in l])

    def test_clock_jump_and_tamper(self):
        a = self.agent()
        wait(lambda: feeds(self.sim_dir)[1] >= 2, 20, "the agent to run")
        with open(os.path.join(self.sim_dir, "clock_offset_ms"), "w") as f:
            f.write("3600000\n")
        e = events(a, "clock_jump", 10)
        self.assertAlmostEqual(e["details"]["jump_ms"], 3600000, delta=1500)
        self.assertEqual(e["severity"], "minor")
        with open(os.path.join(self.sim_dir, "clock_offset_ms"), "w") as f:
            f.write("0\n")
        e = events(a, "clock_jump", 10)
        self.assertLess(e["details"]["jump_ms"], -3590000)
        self.assertEqual(e["severity"], "major")

        with open(os.path.join(self.sim_dir, "tamper"), "w") as f:
            f.write("1\n")
        raised = events(a, "enclosure_open", 10)
        self.assertEqual(raised["state"], "raised")
        self.assertEqual(raised["severity"], "critical")
        wait(lambda: led(self.sim_dir) == "alarm", 5, "LED alarm")
        with open(os.path.join(self.sim_dir, "tamper"), "w") as f:
            f.write("0\n")
        cleared = events(a, "enclosure_open", 10)
        self.assertEqual(cleared["state"], "cleared")
        self.assertEqual(cleared["id"], raised["id"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
