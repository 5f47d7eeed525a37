"""Where messages go: an SMTP server, or a Maildir folder. One transport a run.

A transport opens before anything is sent (a wrong password or an unreachable
server stops the run there), then takes one message at a time:

- `Refused(reason)`: the server refused this message for good (5xx); the run
  goes on with the next;
- `Stopped(reason)`: the server cannot take more now (timeouts, 4xx, dropped
  connections, each retried a few times with backoff); the run stops and what
  is left stays queued.

The password is passed in, used for the login and never kept, shown or logged.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from innoff_cli import sign_in
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.mail_servers import AnswerDeadline

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT_SECONDS = 30.0
RETRIES = 3  # after the first try: waits of BACKOFF, 2 x BACKOFF, 4 x BACKOFF
BACKOFF_SECONDS = 2.0


class _NoSignIn(Exception):
    """The server does not offer the sign-in asked for; str() says so."""


class Refused(Exception):
    """The server refused this message permanently; str() is its reply."""


class Stopped(Exception):
    """The server cannot take more messages now; str() says why."""


class SenderRefused(Stopped):
    """The server refused the sender or the session (no login, a login it does not
    take, not allowed to send as this address), not the recipient: nothing is to
    be recorded against anyone; str() is its reply, `hint` what to do."""

    def __init__(self, reply: str, hint: str):
        super().__init__(reply)
        self.hint = hint


class SmtpSettings(NamedTuple):
    host: str
    port: int
    security: str
    user: str | None = None  # the login, or a token's identity
    password: str | None = None
    auth: str = "password"  # or xoauth2, oauthbearer (sign_in.MECHANISMS)
    token: Callable[[], str] | None = None  # for the token mechanisms: a fresh one each call

    def __repr__(self) -> str:  # never the password, not even in a traceback
        return f"SmtpSettings({self.host!r}, {self.port}, {self.security!r})"

    @property
    def uses_token(self) -> bool:
        return self.auth in sign_in.TOKEN_MECHANISMS


REPLY_MOST = 200  # characters of a server's reply kept and shown: its start, one line


def _said(error: Exception) -> str:
    """What went wrong, in words: the server's reply (an SMTP exception's str()
    is a Python repr, "(454, b'...')"), the system's, or the kind of failure."""
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error.smtp_code, error.smtp_error)
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    said = " ".join(f"{code} {text}".split())
    return said if len(said) <= REPLY_MOST else said[: REPLY_MOST - 1] + "…"


# Replies about the sender or the session, whatever command they answer: no
# login, a login refused, basic authentication switched off (Exchange Online),
# not allowed to send as this address. (5.7.1 on RCPT TO is about a recipient.)
_SENDER_CODES = ("5.7.0", "5.7.8", "5.7.30", "5.7.57", "5.7.60", "5.7.708", "5.2.252", "5.2.0")
_SENDER_WORDS = ("sendasdenied", "authentication required", "not authenticated",
                 "must authenticate", "authentication is required")  # fmt: skip
OAUTH_SECTION = "the README's section 'Signing in with OAuth'"


def about_sender(code: int, text: str) -> bool:
    """Whether a refusal is about the sender or the session rather than a recipient."""
    if code in (530, 535):
        return True
    words = text.casefold()
    parts = words.split()
    enhanced = parts[1] if len(parts) > 1 else ""
    return enhanced in _SENDER_CODES or any(word in words for word in _SENDER_WORDS)


def basic_authentication_off(reply: str) -> bool:
    """Exchange Online's answer to a password once basic authentication is off."""
    return "5.7.30" in reply or "basic authentication" in reply.casefold()


def sender_hint(reply: str, token: bool) -> str:
    """What to do about a refusal of the sender: one clause for the Error: line."""
    words = reply.casefold()
    if basic_authentication_off(reply):
        return (
            "this server takes no password: sign in with a token, --smtp-auth xoauth2"
            f" (see {OAUTH_SECTION})"
        )
    if words.startswith("535") and token:
        return (
            "the server refused the token: check that the mailbox may send by SMTP (Microsoft"
            " 365: the SMTP.Send permission and the mailbox's SMTP AUTH switch)"
        )
    if words.startswith(("530", "535")) or "authenticat" in words:
        return "pass --smtp-user (and INNOFF_SMTP_PASSWORD), or --smtp-auth xoauth2 with a token"
    if "sendas" in words or "5.7.60" in words or "5.7.708" in words or "5.2.0" in words:
        return "the account may not send as this address: pass --from with one it may send as"
    return "check --from, --smtp-user and the account's right to send"


# However an answer trickles in (each byte within the socket's timeout), it must
# be whole within this: a server that keeps one going is cut off, and the run
# treats it as a timeout, with the message still queued.
COMMAND_SECONDS = 120.0


class _Deadline:
    """smtplib's client with a deadline on each whole answer (mail_servers.AnswerDeadline)."""

    _answers: AnswerDeadline | None = None

    def getreply(self):
        if self._answers is None:
            self._answers = AnswerDeadline(lambda: self.sock)
        try:
            with self._answers.within(COMMAND_SECONDS):
                return super().getreply()
        except smtplib.SMTPServerDisconnected:
            if self._answers.late:
                raise smtplib.SMTPServerDisconnected(
                    f"no whole answer within {COMMAND_SECONDS:g} s"
                ) from None
            raise


class _SMTP(_Deadline, smtplib.SMTP):
    pass


class _SMTPSSL(_Deadline, smtplib.SMTP_SSL):
    pass


class SmtpTransport:
    """One SMTP connection for the run, opened again when the server drops it."""

    def __init__(self, settings: SmtpSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.via = f"smtp:{settings.host}:{settings.port}"
        self.sleep = sleep
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connect and sign in; InnoffError for what the user must fix."""
        where = f"{self.settings.host}:{self.settings.port}"
        token = self.settings.uses_token
        try:
            self._connect()
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            said = _reply(error.smtp_code, error.smtp_error)
            if token or basic_authentication_off(said):
                hint = sender_hint(said, token)
            else:
                hint = "check INNOFF_SMTP_USER and INNOFF_SMTP_PASSWORD"
            raise InnoffError(
                _(
                    "the SMTP server at {where} refused the {value} ({said}) - {hint}; nothing was sent"
                ).format(where=where, value="token" if token else "login", said=said, hint=hint)
            ) from None
        except _NoSignIn as error:
            self.close()
            raise InnoffError(
                _("the SMTP server at {where} {error}; nothing was sent").format(
                    where=where, error=error
                )
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            self.close()
            raise InnoffError(
                _(
                    "the SMTP server at {where} does not offer {error} - choose another --smtp-security (ssl, or none for a server on this machine); nothing was sent"
                ).format(where=where, error=error)
            ) from None
        except ssl.SSLError as error:
            self.close()
            raise InnoffError(
                _(
                    "no secure connection to the SMTP server at {where} ({value}) - check --smtp-security and --smtp-port; nothing was sent"
                ).format(where=where, value=error.reason or error)
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise InnoffError(
                _(
                    "cannot reach the SMTP server at {where} ({error}) - check --smtp-host and --smtp-port; nothing was sent"
                ).format(where=where, error=_said(error))
            ) from None

    def _connect(self) -> None:
        settings = self.settings
        context = ssl.create_default_context()
        if settings.security == "ssl":
            smtp = _SMTPSSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            smtp = _SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        self.smtp = smtp
        smtp.ehlo()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("STARTTLS")
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.uses_token:
            self._token_sign_in(smtp)
        elif settings.user:
            if not smtp.has_extn("auth"):
                raise _NoSignIn(
                    "offers no sign-in (no AUTH) - leave out --smtp-user for a server that"
                    " takes mail without one"
                )
            smtp.login(settings.user, settings.password or "")

    def _token_sign_in(self, smtp: smtplib.SMTP) -> None:
        """AUTH XOAUTH2 or OAUTHBEARER (sign_in.with_fresh_tokens)."""
        settings = self.settings
        mechanism = settings.auth.upper()
        offered = (smtp.esmtp_features.get("auth") or "").upper().split()
        if mechanism not in offered:
            raise _NoSignIn(
                f"does not offer {mechanism} sign-in (it offers {' '.join(offered) or 'none'})"
                " - choose another --smtp-auth"
            )
        sign_in.with_fresh_tokens(
            lambda answer: smtp.auth(mechanism, answer),
            lambda: sign_in.initial_response(
                settings.auth, settings.user or "", settings.token(), settings.host, settings.port
            ),
            smtplib.SMTPAuthenticationError,
        )

    def send(self, message: bytes, sender: str, recipient: str) -> None:
        """Send one message (bytes with CRLF line ends) to one recipient."""
        options = () if recipient.isascii() and sender.isascii() else ("SMTPUTF8",)
        for attempt in range(RETRIES + 1):
            if attempt:
                self.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            try:
                if self.smtp is None:
                    self._connect()
                self.smtp.sendmail(sender, [recipient], message, mail_options=options)
                return
            except smtplib.SMTPRecipientsRefused as error:
                code, text = next(iter(error.recipients.values()))
                said = _reply(code, text)
                if about_sender(code, said):  # 530 to RCPT TO: no login, whoever it is to
                    raise self._sender_refused(said) from None
                if code >= 500:
                    raise Refused(said) from None
                reason = said
            except smtplib.SMTPSenderRefused as error:
                # MAIL FROM refused, for whatever reason: about the sender, never
                # a recipient's failure, and a retry would be refused alike.
                said = _reply(error.smtp_code, error.smtp_error)
                raise self._sender_refused(said) from None
            except smtplib.SMTPDataError as error:
                said = _reply(error.smtp_code, error.smtp_error)
                if about_sender(error.smtp_code, said):
                    raise self._sender_refused(said) from None
                if error.smtp_code >= 500:
                    raise Refused(said) from None
                reason = said
            except smtplib.SMTPNotSupportedError as error:
                # An address outside ASCII to a server without SMTPUTF8.
                raise Refused(f"the server cannot take this address ({error})") from None
            except smtplib.SMTPAuthenticationError as error:
                said = _reply(error.smtp_code, error.smtp_error)
                raise self._sender_refused(said) from None
            except _NoSignIn as error:
                raise SenderRefused(str(error), "check --smtp-auth") from None
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException,
                    OSError) as error:  # fmt: skip
                reason = _said(error)
                self._drop()
            if self.smtp is not None:
                try:
                    self.smtp.rset()  # a clean envelope for the retry
                except (smtplib.SMTPException, OSError):
                    self._drop()
        raise Stopped(reason)

    def _sender_refused(self, said: str) -> SenderRefused:
        return SenderRefused(said, sender_hint(said, self.settings.uses_token))

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
        self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (TimeoutError, smtplib.SMTPException, OSError):
                pass
            self._drop()


class MaildirTransport:
    """Each message as a file in a Maildir's new/ folder (0600, in 0700 folders)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.via = f"maildir:{folder.resolve()}"
        self.box = None

    def open(self) -> None:
        import mailbox

        try:
            self.box = mailbox.Maildir(self.folder, create=True)
        except OSError as error:
            raise InnoffError(
                _(
                    "cannot use {folder} as a Maildir ({strerror}) - choose a folder you can write to"
                ).format(folder=self.folder, strerror=error.strerror)
            ) from None

    def send(self, message: bytes, sender: str, recipient: str) -> None:
        mask = os.umask(0o077)  # the files hold names and addresses
        try:
            self.box.add(message.replace(b"\r\n", b"\n"))  # a Maildir file has LF line ends
        except OSError as error:
            raise Stopped(f"cannot write to {self.folder} ({error.strerror})") from None
        finally:
            os.umask(mask)

    def close(self) -> None:
        self.box = None
