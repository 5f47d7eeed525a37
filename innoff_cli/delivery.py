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

from innoff_cli.errors import InnoffError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT_SECONDS = 30.0
RETRIES = 3  # after the first try: waits of BACKOFF, 2 x BACKOFF, 4 x BACKOFF
BACKOFF_SECONDS = 2.0


class Refused(Exception):
    """The server refused this message permanently; str() is its reply."""


class Stopped(Exception):
    """The server cannot take more messages now; str() says why."""


class SmtpSettings(NamedTuple):
    host: str
    port: int
    security: str
    user: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never the password, not even in a traceback
        return f"SmtpSettings({self.host!r}, {self.port}, {self.security!r})"


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(f"{code} {text}".split())


class SmtpTransport:
    """One SMTP connection for the run, opened again when the server drops it."""

    def __init__(self, settings: SmtpSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.via = f"smtp:{settings.host}:{settings.port}"
        self.sleep = sleep
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connect and log in; InnoffError for what the user must fix."""
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            self._connect()
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            raise InnoffError(
                f"the SMTP server at {where} refused the login ({_reply(error.smtp_code, error.smtp_error)})"
                " - check INNOFF_SMTP_USER and INNOFF_SMTP_PASSWORD; nothing was sent"
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            self.close()
            raise InnoffError(
                f"the SMTP server at {where} does not offer {error} - choose another"
                " --smtp-security (ssl, or none for a server on this machine); nothing was sent"
            ) from None
        except ssl.SSLError as error:
            self.close()
            raise InnoffError(
                f"no secure connection to the SMTP server at {where} ({error.reason or error})"
                " - check --smtp-security and --smtp-port; nothing was sent"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise InnoffError(
                f"cannot reach the SMTP server at {where} ({reason})"
                " - check --smtp-host and --smtp-port; nothing was sent"
            ) from None

    def _connect(self) -> None:
        settings = self.settings
        context = ssl.create_default_context()
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        self.smtp = smtp
        smtp.ehlo()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("STARTTLS")
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")

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
                if code >= 500:
                    raise Refused(_reply(code, text)) from None
                reason = _reply(code, text)
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
                if error.smtp_code >= 500:
                    raise Refused(_reply(error.smtp_code, error.smtp_error)) from None
                reason = _reply(error.smtp_code, error.smtp_error)
            except smtplib.SMTPNotSupportedError as error:
                # An address outside ASCII to a server without SMTPUTF8.
                raise Refused(f"the server cannot take this address ({error})") from None
            except smtplib.SMTPAuthenticationError as error:
                raise Stopped(
                    f"the server refused the login ({_reply(error.smtp_code, error.smtp_error)})"
                ) from None
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException,
                    OSError) as error:  # fmt: skip
                reason = str(error) or type(error).__name__
                self._drop()
            if self.smtp is not None:
                try:
                    self.smtp.rset()  # a clean envelope for the retry
                except (smtplib.SMTPException, OSError):
                    self._drop()
        raise Stopped(reason)

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
                f"cannot use {self.folder} as a Maildir ({error.strerror}) - choose a folder you can write to"
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
