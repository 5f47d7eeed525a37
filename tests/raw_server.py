"""A bare TCP server on 127.0.0.1 for the tests that need a server to misbehave
in ways a real one will not (trickle, never end, announce a flood).

Each connection is handed to `talk(conn, stop, ends)` in a thread of its own;
`ends` is when it must stop by itself, and every test that starts one stops it.
"""

from __future__ import annotations

import socket
import threading
import time

CONNECTION_SECONDS = 10.0


class RawServer:
    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:  # a timeout: look at stop again
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                self.talk(conn, conn.makefile("rb"), time.monotonic() + CONNECTION_SECONDS)
            except OSError:
                return

    def talk(self, conn: socket.socket, lines, ends: float) -> None:
        raise NotImplementedError

    def dribble(self, conn: socket.socket, piece: bytes, ends: float) -> None:
        """Send `piece` every 50 ms until stopped or `ends`."""
        while not self.stop.is_set() and time.monotonic() < ends:
            conn.sendall(piece)
            time.sleep(0.05)
