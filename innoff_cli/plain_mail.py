"""Plain mail to one person (a reminder; later a follow-up): not iTIP, so no
calendar reads it as an invite or an update. Pure, as `imip` is.

    multipart/mixed
      multipart/alternative
        text/plain                        what a person reads
        text/html                         the same, with links
      text/calendar; name=<event>.ics     the event (METHOD:PUBLISH), when given

The message is built once by the `email` package with stand-ins for the
person, then each person's bytes are those with their address, Message-ID and
greeting put in, as `imip.Template` does for invites (the tests parse what
comes out with `email`).
"""

from __future__ import annotations

import html
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime

from innoff_cli import imip
from innoff_cli.addresses import ascii_address


class PlainTemplate:
    """One mail's shared parts; `render` adds the person."""

    def __init__(self, subject: str, text: str, page: str, stamp: datetime,
                 attachment: tuple[str, str] | None = None):  # fmt: skip
        self.subject, self.text, self.page = subject, text, page
        self.date = format_datetime(stamp)
        self.attachment = attachment  # (file name, calendar text)
        self.sender = ""
        self.skeleton = b""

    def prepare(self, sender: str) -> None:
        """Build what everyone's mail shares; an `email` error when it cannot be one."""
        if sender != self.sender or not self.skeleton:
            skeleton = self._assemble(sender, imip._TO, imip._ID, imip._GREETING).as_bytes()
            self.sender, self.skeleton = sender, skeleton

    def render(self, address: str, name: str, sender: str, message_id: str) -> bytes:
        """The mail to one person as bytes to send (CRLF line ends); ValueError for
        an address a header cannot hold."""
        name = " ".join(name.split())[: imip.NAME_ROOM].strip()
        to = ascii_address(address)
        header = imip.to_header(name, to or address, utf8=to is None)
        greeting = imip._greeting(name)
        if to is None:  # a local part outside ASCII: SMTPUTF8, built whole
            imip._address(name, address)
            whole = self._assemble(sender, imip._TO, message_id, greeting)
            return whole.as_bytes(policy=SMTPUTF8).replace(
                imip._TO.encode(), header.encode("utf-8"), 1
            )
        self.prepare(sender)
        imip._address(name, to)
        return (
            self.skeleton.replace(imip._TO.encode(), header.encode("ascii"), 1)
            .replace(imip._ID.encode(), message_id.encode("ascii"), 1)
            .replace(imip._GREETING.encode(), imip._qp(greeting), 1)
            .replace(imip._HTML_GREETING.encode(), imip._qp(html.escape(greeting)), 1)
        )

    def _assemble(self, sender: str, to: str, message_id: str, greeting: str) -> EmailMessage:
        mail = EmailMessage(policy=SMTP)
        mail["From"] = sender
        mail["To"] = to
        mail["Subject"] = self.subject
        mail["Date"] = self.date
        mail["Message-ID"] = message_id
        # Automatic mail from a system, not a conversation (RFC 3834): no
        # out-of-office answers back.
        mail["Auto-Submitted"] = "auto-generated"
        html_greeting = imip._HTML_GREETING if greeting == imip._GREETING else html.escape(greeting)
        mail.set_content(f"{greeting}\n\n{self.text}", charset="utf-8", cte="quoted-printable")
        mail.add_alternative(
            f"<p>{html_greeting}</p>\n{self.page}", subtype="html", charset="utf-8",
            cte="quoted-printable",
        )  # fmt: skip
        if self.attachment:
            file_name, calendar = self.attachment
            mail.add_attachment(
                calendar.encode("utf-8"), maintype="text", subtype="calendar", cte="base64",
                filename=file_name, params={"charset": "utf-8", "method": "PUBLISH"},
            )  # fmt: skip
        return mail
