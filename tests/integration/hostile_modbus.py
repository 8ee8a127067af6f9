"""A Modbus TCP peer that answers wrongly on purpose, one kind of wrong per unit id, for
tests/integration/test_hostile_modbus.py. Standard library only; loopback only.

What each unit does to every request it gets (the honest answer's registers are all 0):"""
import socket
import threading
import time

HONEST_SPLIT = 1        # the honest answer, split over many writes with delays: must be read
WRONG_TRANSACTION = 2
WRONG_UNIT = 3          # another meter's answer, as a confused TCP-to-RTU gateway gives it
MBAP_LENGTH_FFFF = 4
WRONG_FUNCTION = 5
BYTE_COUNT_LIES = 6
TRUNCATED_THEN_SILENT = 7
JUNK_64K = 8
CLOSED_MID_FRAME = 9

# Not a wrong frame but wrong values: every f32 register pair reads 230.0 — a fine voltage,
# current, power or frequency, but a power factor of 230 that no meter can measure.
IMPLAUSIBLE_PF = 10

MODES = {
    HONEST_SPLIT: "honest, split",
    WRONG_TRANSACTION: "wrong transaction id",
    WRONG_UNIT: "wrong unit id",
    MBAP_LENGTH_FFFF: "MBAP length 0xFFFF",
    WRONG_FUNCTION: "wrong function code",
    BYTE_COUNT_LIES: "byte count that lies",
    TRUNCATED_THEN_SILENT: "truncated frame, then silence",
    JUNK_64K: "64 KB of junk",
    CLOSED_MID_FRAME: "connection closed mid-frame",
}


def honest(request, registers=None):
    count = int.from_bytes(request[10:12], "big")
    data = registers(count) if registers else bytes(2 * count)
    pdu = bytes([request[7], 2 * count]) + data
    return request[0:4] + (len(pdu) + 1).to_bytes(2, "big") + request[6:7] + pdu


def f32_230(count):
    """`count` registers from an even address: 230.0 as big-endian f32 in every pair."""
    return (b"\x43\x66\x00\x00" * ((count + 1) // 2))[:2 * count]


class HostilePeer:
    """Listens on 127.0.0.1 (a free port); `mute=True`: accepts and never reads nor answers."""

    def __init__(self, mute=False):
        self.mute = mute
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.connections = 0
        self.held = []  # mute connections, kept open
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        self.stopping.set()
        self.sock.close()
        for c in self.held:
            c.close()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            if self.mute:
                self.held.append(conn)
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            try:
                while not self.stopping.is_set():
                    request = b""
                    while len(request) < 12:
                        part = conn.recv(12 - len(request))
                        if not part:
                            return
                        request += part
                    if not self._answer(conn, request):
                        return
            except OSError:
                return

    def _answer(self, conn, request):
        """Answers one request per its unit's mode; False when the connection is to end."""
        unit = request[6]
        good = honest(request)
        if unit == HONEST_SPLIT:
            for i in range(0, len(good), 4):
                conn.sendall(good[i:i + 4])
                time.sleep(0.01)
        elif unit == WRONG_TRANSACTION:
            conn.sendall(bytes([good[0] ^ 0x5A]) + good[1:])
        elif unit == WRONG_UNIT:
            conn.sendall(good[:6] + bytes([(unit + 100) & 0xFF]) + good[7:])
        elif unit == MBAP_LENGTH_FFFF:
            conn.sendall(good[:4] + b"\xff\xff" + good[6:])
        elif unit == WRONG_FUNCTION:
            conn.sendall(good[:7] + bytes([good[7] ^ 7]) + good[8:])
        elif unit == BYTE_COUNT_LIES:
            conn.sendall(good[:8] + bytes([max(good[8] - 2, 0)]) + good[9:])
        elif unit == IMPLAUSIBLE_PF:
            conn.sendall(honest(request, f32_230))
        elif unit == TRUNCATED_THEN_SILENT:
            conn.sendall(good[:len(good) // 2])
        elif unit == JUNK_64K:
            conn.sendall(bytes((i * 37 + 11) & 0xFF for i in range(64 * 1024)))
        elif unit == CLOSED_MID_FRAME:
            conn.sendall(good[:5])
            return False
        return True
