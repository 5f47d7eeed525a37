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


def _initial(args: list[str]) -> str:
    """The initial response of an AUTH command, decoded."""
    import base64

    return base64.b64decode(args[1]).decode() if len(args) > 1 else ""


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
    mail_from_reply: str | None = None  # answer every MAIL FROM with this instead
    data_reply: str | None = None  # answer every message's DATA with this instead
    tokens: set[str] = field(default_factory=set)  # the tokens XOAUTH2/OAUTHBEARER take
    sign_ins: list[tuple[str, str, str]] = field(default_factory=list)  # (mechanism, who, token)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_from_reply:
            return self.mail_from_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def auth_XOAUTH2(self, server, args):
        fields = dict(part.split("=", 1) for part in _initial(args).split("\x01") if "=" in part)
        return await self._token(server, "XOAUTH2", fields.get("user", ""), fields.get("auth", ""))

    async def auth_OAUTHBEARER(self, server, args):
        text = _initial(args)
        header, _, rest = text.partition("\x01")
        fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
        who = header.split("a=", 1)[1].rstrip(",") if "a=" in header else ""
        return await self._token(server, "OAUTHBEARER", who, fields.get("auth", ""))

    async def _token(self, server, mechanism: str, who: str, auth: str):
        token = auth.removeprefix("Bearer ")
        self.sign_ins.append((mechanism, who, token))
        if token in self.tokens:
            return AuthResult(success=True, handled=False, auth_data=who)
        # Both mechanisms answer a bad token with a challenge holding the error,
        # which the client answers empty; then 535.
        await server.challenge_auth('{"status":"401","schemes":"Bearer"}')
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.casefold() in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
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
                 smtputf8: bool = False, tokens: set[str] | None = None):  # fmt: skip
        self.handler = Handler()
        self.port = free_port()
        kwargs: dict = {"enable_SMTPUTF8": smtputf8}
        if tokens is not None:
            # Tokens only: no password mechanism is offered, as Microsoft 365 and
            # Google do for OAuth-only accounts.
            self.handler.tokens = tokens
            kwargs.update(
                auth_require_tls=False, auth_required=True,
                auth_exclude_mechanism=["LOGIN", "PLAIN"],
                authenticator=lambda *args: AuthResult(success=False, handled=False),
            )  # fmt: skip
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
