"""Issue 13: sealwatch-sim serves DL/T 645-2007 over a socat pty pair and over TCP, from a
scenario file: values at the profile's identifiers, the meter's own event counts advancing when
the scenario says, the read-address command, and its line faults. The client here is written
from the standard in a few lines of Python, independent of the C++ codec it checks."""
import os
import select
import socket
import sys
import termios
import time
import tty
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, dlt645_scenario  # noqa: E402



def scenario(sim_tty):
    return dlt645_scenario(sim_tty, [
        ("furnace", "000012345678", "line",
         'u_v = 220.1\nprogram = [{ at = "0s", p_w = 1500 }]\n'
         'faults = [{ meter_event = "meter_cover_opened", at = "2s" }]\n'),
        ("mute", "000000000002", "line", "faults = [{ no_answer = true }]\n"),
        ("behind-dtu", "000000000003", "dtu",
         'faults = [{ wrong_address = true, from = "0s", until = "1h" }]\n'),
    ])


def address(digits):
    return bytes(int(digits[10 - 2 * i:12 - 2 * i], 16) for i in range(6))


def frame(addr, control, data):
    body = bytes([0x68]) + addr + bytes([0x68, control, len(data)]) + bytes(
        (b + 0x33) & 0xFF for b in data)
    return b"\xfe\xfe\xfe\xfe" + body + bytes([sum(body) & 0xFF, 0x16])


def read_request(addr, di):
    return frame(addr, 0x11, di.to_bytes(4, "little"))


def parse(buf):
    """(address, control, data) of the first whole frame in buf, or None."""
    i = buf.find(b"\x68")
    while i >= 0 and len(buf) >= i + 12:
        n = buf[i + 9]
        if buf[i + 7] == 0x68 and len(buf) >= i + 12 + n:
            body = buf[i:i + 10 + n]
            if sum(body) & 0xFF == buf[i + 10 + n] and buf[i + 11 + n] == 0x16:
                return body[1:7], body[8], bytes((b - 0x33) & 0xFF for b in body[10:])
        i = buf.find(b"\x68", i + 1)
    return None


def exchange(read, write, request, timeout=1.0):
    write(request)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = read(deadline - time.monotonic())
        if chunk:
            buf += chunk
            got = parse(buf)
            if got:
                return got
    return None


def bcd(data):
    return int("".join(f"{b:02x}" for b in reversed(data)))


class SimDlt645Test(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)

    def start(self):
        agent_tty, sim_tty = self.h.pty_pair()
        _, listening = self.h.sim(self.h.write("meters.toml", scenario(sim_tty)))
        fd = os.open(agent_tty, os.O_RDWR | os.O_NOCTTY)
        self.addCleanup(os.close, fd)
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)

        def read(left):
            r, _, _ = select.select([fd], [], [], max(left, 0))
            return os.read(fd, 256) if r else b""

        return (read, lambda b: os.write(fd, b)), listening

    def test_serial_line(self):
        (read, write), _ = self.start()
        furnace = address("000012345678")
        got = exchange(read, write, read_request(furnace, 0x02010100))
        self.assertIsNotNone(got, "no reply to a voltage read")
        addr, control, data = got
        self.assertEqual(addr, furnace)
        self.assertEqual(control, 0x91)
        self.assertEqual(data[:4], (0x02010100).to_bytes(4, "little"))
        self.assertEqual(bcd(data[4:]) / 10, 220.1)

        # Power 1500 W = 1.5000 kW, XX.XXXX.
        _, _, data = exchange(read, write, read_request(furnace, 0x02030000))
        self.assertEqual(bcd(data[4:]), 15000)

        # The cover is opened at 2 s of simulated time (speed 1): the count goes 0 -> 1.
        time.sleep(2.2)
        _, _, data = exchange(read, write, read_request(furnace, 0x03300D00))
        self.assertEqual(bcd(data[4:]), 1)

        # The other family: "no such data".
        _, control, data = exchange(read, write, read_request(furnace, 0x10010001))
        self.assertEqual((control, data), (0xD1, b"\x02"))

        # A mute meter and an address nobody has: silence; noise on the line does not confuse
        # the meter's side (it answers the next good request).
        self.assertIsNone(exchange(read, write, read_request(address("000000000002"), 0x02010100),
                                   0.5))
        self.assertIsNone(exchange(read, write, read_request(address("999999999999"), 0x02010100),
                                   0.5))
        write(b"\x68\x00\x13\x68\x68\x55" * 4)
        got = exchange(read, write, read_request(furnace, 0x02010100))
        self.assertIsNotNone(got, "no reply after line noise")

    def test_tcp_like_a_dtu(self):
        _, listening = self.start()
        port = listening["dlt645"][1]
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        self.addCleanup(s.close)

        def read(left):
            s.settimeout(max(left, 0.01))
            try:
                return s.recv(256)
            except socket.timeout:
                return b""

        # The lone meter behind the DTU tells its address (wildcard, control 13) ...
        addr, control, data = exchange(read, s.sendall, frame(b"\xaa" * 6, 0x13, b""))
        self.assertEqual((control, data), (0x93, address("000000000003")))
        # ... but its readings come back under another address (its fault), which a master
        # must reject.
        addr, _, _ = exchange(read, s.sendall, read_request(address("000000000003"), 0x02010100))
        self.assertNotEqual(addr, address("000000000003"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
