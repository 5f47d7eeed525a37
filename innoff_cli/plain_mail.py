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

`deliver` sends them through the mailings outbox (store.mailings): queued with
their Message-IDs before anything goes, then sent or failed one by one, each
in a transaction of its own, as `invites.deliver` does for invites.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import format_datetime, make_msgid
from functools import partial
from pathlib import Path

from innoff_cli import clock, ical, imip, invites, store
from innoff_cli.addresses import ascii_address
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.store.mailings import Mailing
from innoff_cli.terminal import shown


class PlainTemplate:
    """One mail's shared parts; `render` adds the person."""

    def __init__(self, subject: str, text: str, page: str, stamp: datetime,
                 attachment: tuple[str, str] | None = None, greet: bool = True):  # fmt: skip
        self.subject, self.text, self.page = subject, text, page
        self.greet = greet  # 'Hei NAME,' before the text (a text may greet people itself)
        self.date = format_datetime(stamp)
        self.attachment = attachment  # (file name, calendar text)
        self.sender = ""
        self.skeleton = b""

    def prepare(self, sender: str) -> None:
        """Build what everyone's mail shares; an `email` error when it cannot be one."""
        if sender != self.sender or not self.skeleton:
            greeting = imip._GREETING if self.greet else ""
            skeleton = self._assemble(sender, imip._TO, imip._ID, greeting).as_bytes()
            self.sender, self.skeleton = sender, skeleton

    def render(self, address: str, name: str, sender: str, message_id: str) -> bytes:
        """The mail to one person as bytes to send (CRLF line ends); ValueError for
        an address a header cannot hold."""
        name = " ".join(name.split())[: imip.NAME_ROOM].strip()
        to = ascii_address(address)
        header = imip.to_header(name, to or address, utf8=to is None)
        greeting = imip._greeting(name) if self.greet else ""
        if to is None:  # a local part outside ASCII: SMTPUTF8, built whole
            imip._address(name, address)
            whole = self._assemble(sender, imip._TO, message_id, greeting)
            return whole.as_bytes(policy=SMTPUTF8).replace(
                imip._TO.encode(), header.encode("utf-8"), 1
            )
        self.prepare(sender)
        imip._address(name, to)
        return imip.personal(self.skeleton, header, message_id, greeting)

    def _assemble(self, sender: str, to: str, message_id: str, greeting: str) -> EmailMessage:
        mail = imip.greeted(
            sender, to, self.subject, self.date, message_id, greeting, self.text, self.page
        )
        # Automatic mail from a system, not a conversation (RFC 3834): no
        # out-of-office answers back.
        mail["Auto-Submitted"] = "auto-generated"
        if self.attachment:
            file_name, calendar = self.attachment
            mail.add_attachment(
                calendar.encode("utf-8"), maintype="text", subtype="calendar", cte="base64",
                filename=file_name, params={"charset": "utf-8", "method": "PUBLISH"},
            )  # fmt: skip
        return mail


@dataclass
class Batch:
    """Mail of one occasion: who gets it, and each one's mail (shared or their own)."""

    key: str  # the occasion stored with each mail ('1d@...', 'no-show:...')
    people: list[Mailing]
    template: Callable[[Mailing], PlainTemplate]


def deliver(
    db_path: Path, kind: str, batches: list[Batch], organizer: ical.Organizer, transport, *,
    sender: str | None, rate: int, now: datetime, progress: Callable[[], None] | None,
    record: bool, on_wait: store.OnWait, again: str,
) -> invites.SendReport:  # fmt: skip
    """Queue every batch's mail, then send each and record it as the server answers.
    `again` completes "run ... to send the rest" in what a stop says."""
    report = invites.SendReport(transport.via)
    people = [(batch, mail) for batch in batches for mail in batch.people]
    if not people:
        return report
    from_header, envelope = invites.sender_from(organizer, sender)
    domain = imip.message_domain(envelope)
    for batch in batches:  # what everyone's mail shares must build, before anything is queued
        if batch.people:
            try:
                batch.template(batch.people[0]).prepare(from_header)
            except (ValueError, TypeError, MessageError) as error:
                raise InnoffError(
                    _(
                        "cannot build the mail ({value}); nothing was sent or queued - give the event a one-line title"
                    ).format(value=shown(str(error), 120))
                ) from None
    transport.open()  # before anything is queued: a refused login leaves no trace
    conn = None
    try:
        conn = store.connect(db_path, on_wait) if record else None
        if conn is None:
            slots = [(0, make_msgid(domain=domain)) for _ in people]
        else:
            slots = []
            with store.writing(conn, on_wait=on_wait):
                for batch in batches:
                    slots += store.mailings.queue(
                        conn, kind, batch.key, batch.people, lambda: make_msgid(domain=domain),
                        _iso(now),
                    )  # fmt: skip
        _send_each(conn, people, slots, transport, report, from_header, envelope,
                   invites.Pace(rate), progress, on_wait, again)  # fmt: skip
    except KeyboardInterrupt:
        raise invites.interrupted(report, len(people), again, record) from None
    finally:
        if conn is not None:
            conn.close()
        transport.close()
    return report


def _send_each(conn, people, slots, transport, report, from_header, envelope, pace, progress,
               on_wait, again) -> None:  # fmt: skip
    for (batch, mail), (row_id, message_id) in zip(people, slots):
        reason = invites.send_one(
            transport, pace,
            partial(batch.template(mail).render, mail.address, mail.name, from_header, message_id),
            envelope, mail.address, report, len(people), again,
        )  # fmt: skip
        if conn is not None:
            state = "sent" if reason is None else "failed"
            store.mailings.mark(
                conn, row_id, state, transport.via, reason or "", _iso(clock.now()), on_wait
            )
        if reason is None:
            report.sent += 1
        else:
            report.failed.append((mail.address, reason))
        if progress:
            progress()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
