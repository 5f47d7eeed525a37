"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the tests, and what it received.

Started and stopped by the tests; it listens on loopback only, on a port the
system picks, and every test that starts one stops it.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Handler:
    """Keeps every message; refuses the addresses in `refuse` with 550; answers
    451 to the first `busy` messages; can run `after_each(count, smtp)` once a
    message is in, before the server answers (to drop the line, or kill the sender)."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    busy: int = 0  # answer 451 to this many messages first
    after_each: Callable[[int, object], None] | None = None  # (count, aiosmtpd's SMTP)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.casefold() in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.busy:
            self.busy -= 1
            return "451 4.3.0 Try again later"
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            count = len(self.received)
        if self.after_each:
            self.after_each(count, server)
        return "250 Message accepted"


class SmtpServer:
    """with SmtpServer() as server: ... server.port, server.handler.received."""

    def __init__(self, user: str | None = None, password: str | None = None,
                 smtputf8: bool = False):  # fmt: skip
        self.handler = Handler()
        self.port = free_port()
        kwargs: dict = {"enable_SMTPUTF8": smtputf8}
        if user:

            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                ) == (user, password)
                return AuthResult(success=ok, handled=False)

            kwargs.update(authenticator=authenticate, auth_require_tls=False, auth_required=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def env(self) -> dict[str, str]:
        return {
            "INNOFF_SMTP_HOST": "127.0.0.1",
            "INNOFF_SMTP_PORT": str(self.port),
            "INNOFF_SMTP_SECURITY": "none",
        }
