"""What sending (`delivery`) and reading (`imap_folders`) mail share about servers.

Mail and passwords go in the clear only to a server on this machine: a test
server, or a local relay that encrypts onwards. And no server may hold a run
up by never finishing an answer (`AnswerDeadline`).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def is_loopback(host: str) -> bool:
    """Whether `host` (a name, an IPv4 or a bracketed IPv6 address) is this machine."""
    if host.casefold().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AnswerDeadline:
    """A deadline on a server's whole answer, not only on each read of it.

    A server that keeps an answer going a byte at a time passes every socket
    timeout. One watcher thread a connection looks at the deadline of the
    answer being read (a thread an answer would cost more than the answer) and
    shuts the socket down when it has passed, so that the blocked read returns
    at once; `late` then says why. The watcher ends with the connection.
    """

    def __init__(self, sock: Callable[[], socket.socket | None]):
        self._sock = sock
        self._deadline: float | None = None
        self._watcher: threading.Thread | None = None
        self.late = False

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        self.late = False
        self._deadline = time.monotonic() + seconds
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, args=(seconds,), daemon=True)
            self._watcher.start()
        try:
            yield
        finally:
            self._deadline = None

    def _watch(self, seconds: float) -> None:
        pause = min(0.25, seconds / 5)
        while (sock := self._sock()) is not None and sock.fileno() != -1:
            deadline = self._deadline
            if deadline is not None and time.monotonic() > deadline:
                self.late = True
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:  # closed meanwhile
                    pass
                return
            time.sleep(pause)
