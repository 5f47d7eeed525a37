"""`innoff invites ...`: plan what each person needs, queue it, deliver it, show it.

The outbox (store) records every message: queued with its Message-ID and
DTSTAMP before it is sent, sent the moment the server accepts it (a
transaction of its own), or failed with the server's reason. A run that is
stopped at any point leaves the rest queued; the next run sends what was not
accepted, as the same messages. What each person last received decides what
they need next (`itip`); the messages are `imip`'s, the transports `delivery`'s.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.utils import make_msgid
from functools import partial
from pathlib import Path

from innoff_cli import clock, ical, imip, invite_plans, itip, store
from innoff_cli.addresses import ascii_address
from innoff_cli.errors import InnoffError, Interrupted, OptionError
from innoff_cli.i18n import _
from innoff_cli.terminal import shown


@dataclass
class Outgoing:
    """What a run would send: the plan, and what the summary says about it."""

    plan: itip.InvitePlan
    no_link: list[str] = field(default_factory=list)  # events without a join link
    queued_before: int = 0  # messages a stopped run left queued, that go out again

    @property
    def messages(self) -> list[itip.Message]:
        return self.plan.messages

    def counts(self) -> dict[str, dict[str, int]]:
        return itip.counts(self.plan.messages)


def plan_send(
    db_path: Path,
    *,
    event: str | None = None,
    to: list[str] | None = None,
    organizer: str | None = None,
    retry_failed: bool = False,
    again: bool = False,
) -> Outgoing:
    """What `invites send` would send now; reads only. `again` (with `to`): the
    people named get their current invites once more, as well as anything new."""
    if again and not to:
        raise OptionError(
            "--again", _("sends the current invites again to the people named: add --to EMAIL")
        )
    conn = store.connect(db_path)
    try:
        return _plan_send(conn, event, to, organizer, retry_failed, again)
    finally:
        conn.close()


def _plan_send(conn, event, to, organizer, retry_failed, again=False) -> Outgoing:
    refused = frozenset() if retry_failed else store.outbox.refused(conn)
    plan = invite_plans.plan_invites(
        conn, event=event, to=to, organizer=organizer, refused=refused, again=again
    )
    queued = store.outbox.waiting(conn)
    sending = {message.event for message in plan.messages}
    return Outgoing(
        plan,
        no_link=[
            e.slug for e in plan.events if not e.join_url and not e.cancelled and e.slug in sending
        ],
        queued_before=sum((m.email, m.uid) in queued for m in plan.messages),
    )


def check_links(outgoing: Outgoing, require_link: bool) -> list[str]:
    """The events being sent that have no join link (their invites carry none);
    with `require_link`, refuse to send while there is one."""
    if require_link and outgoing.no_link:
        slug = outgoing.no_link[0]
        raise InnoffError(
            _(
                "{slug} has no join link - set it with `innoff agenda event {slug} --join-url URL`"
            ).format(slug=slug)
        )
    return outgoing.no_link


def check_security(host: str | None, security: str) -> None:
    """Mail in the clear goes only to a server on this machine."""
    from innoff_cli.mail_servers import is_loopback

    if security == "none" and host and not is_loopback(host):
        raise OptionError(
            "--smtp-security",
            _("none sends in the clear: only to a server on this machine (127.0.0.1, localhost)"),
        )


def transport_for(
    maildir: Path | None,
    host: str | None,
    port: int | None,
    security: str,
    user: str | None,
    password: Callable[[], str],
    rate: int,
    *,
    auth: str | None = None,
    token: Callable[[], str] | None = None,
    identity: str = "",
):
    """(transport, messages a minute): a Maildir (no sending limit: a folder on
    this machine), or the SMTP server, signed in by `auth`: a password for
    `user` (asked of `password()`), or a fresh `token()` for `user`,
    or else `identity` (the sender's address: a shared mailbox signs in as itself)."""
    from innoff_cli import delivery, sign_in

    if maildir is not None:
        return delivery.MaildirTransport(maildir), 0
    check_security(host, security)
    if not host:
        raise InnoffError(
            _(
                "no SMTP server - pass --smtp-host or set INNOFF_SMTP_HOST (or --maildir DIR to write the messages into a folder)"
            )
        )
    port = port or delivery.DEFAULT_PORTS[security]
    auth = auth or "password"
    if auth in sign_in.TOKEN_MECHANISMS:
        if token is None:
            raise InnoffError(
                _(
                    "--smtp-auth {auth} signs in with a token - run `innoff mail login microsoft` (or google), or set INNOFF_SMTP_TOKEN_CMD to a command that prints one (see {OAUTH_SECTION})"
                ).format(auth=auth, OAUTH_SECTION=delivery.OAUTH_SECTION)
            )
        settings = delivery.SmtpSettings(host, port, security, user or identity, None, auth, token)
    else:
        secret = password() if user else None
        settings = delivery.SmtpSettings(host, port, security, user, secret)
    return delivery.SmtpTransport(settings), rate


@dataclass
class SendReport:
    via: str
    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, reason)

    @property
    def total(self) -> int:
        return self.sent + len(self.failed)


class Pace:
    """At most `rate` messages a minute (0: no limit), without sleeping before the first."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):  # fmt: skip
        self.interval = 60.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next = None

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self.next is not None and now < self.next:
            self.sleep(self.next - now)
            now = self.next
        self.next = now + self.interval


def deliver(
    db_path: Path,
    outgoing: Outgoing,
    transport,
    *,
    sender: str | None = None,
    rate: int = 30,
    alarm: timedelta | None = None,
    now: Callable[[], datetime] = clock.now,
    progress: Callable[[], None] | None = None,
    pace: Pace | None = None,
    record: bool = True,
    on_wait: store.OnWait = None,
) -> SendReport:
    """Queue `outgoing` and send it through `transport`, recording each message as it goes.

    With `record` False (a look at the messages in a Maildir), nothing is
    queued or recorded.
    """
    report = SendReport(transport.via)
    if not outgoing.messages:
        return report
    from_header, envelope = sender_from(outgoing.plan.organizer, sender)
    domain = imip.message_domain(envelope)
    _check_builds(outgoing, from_header, alarm, now().astimezone(UTC))
    transport.open()  # before anything is queued: a refused login leaves no trace
    conn = None
    try:
        conn = store.connect(db_path, on_wait) if record else None
        # DTSTAMP to the second, later than any message sent before: an update
        # sent within the second of the last one is still newer (RFC 5546 2.1.5).
        stamp = now().astimezone(UTC).replace(microsecond=0)
        last = store.outbox.latest_stamp(conn) if conn else None
        if last and datetime.fromisoformat(last) >= stamp:
            stamp = datetime.fromisoformat(last) + timedelta(seconds=1)
        stamp = stamp.isoformat()
        if conn is not None:
            with store.writing(conn, on_wait=on_wait):  # after any import that is writing
                invite_plans.save_versions(conn, outgoing.plan, outgoing.messages)
                store.outbox.drop_stale_queued(conn, outgoing.messages, outgoing.plan.scope)

        def slots(batch: list[itip.Message]) -> list[store.outbox.Slot]:
            """Each of `batch` queued (a transaction of its own) before any is sent."""
            if conn is None:
                return [store.outbox.Slot(0, make_msgid(domain=domain), stamp) for _ in batch]
            with store.writing(conn, on_wait=on_wait):
                return store.outbox.queue(conn, batch, lambda: make_msgid(domain=domain), stamp)

        _send_each(
            conn, outgoing, slots, transport, report, from_header, envelope, alarm, now,
            progress, pace or Pace(rate), on_wait,
        )  # fmt: skip
    except KeyboardInterrupt:
        raise interrupted(
            report, len(outgoing.messages), "`innoff invites send` again", record
        ) from None
    finally:
        if conn is not None:
            store.forget_old_pages(conn)  # an erased person's cancellation may have gone
            conn.close()
        transport.close()
    return report


def _send_each(conn, outgoing, slots, transport, report, from_header, envelope, alarm, now,
               progress, pace, on_wait) -> None:  # fmt: skip
    """Build, send and record each message in turn (`conn` None: record nothing),
    a batch at a time: `slots(batch)` queues a batch, then its messages go out.
    (A plan of a million is never queued, nor held, all at once.)"""
    messages = outgoing.messages
    templates: dict[tuple, imip.Template] = {}
    for message, (row_id, message_id, stamp_utc) in _in_batches(messages, slots):
        key = (message.uid, message.method, message.change, message.sequence, stamp_utc)
        template = templates.get(key)
        if template is None:
            if len(templates) > 64:  # versions of a long-stopped run: keep memory flat
                templates.clear()
            template = templates[key] = imip.Template(
                message, outgoing.plan.entries[message.uid], outgoing.plan.organizer,
                datetime.fromisoformat(stamp_utc), alarm,
            )  # fmt: skip
        reason = send_one(
            transport, pace, partial(template.render, message, from_header, message_id),
            envelope, message.address, report, len(messages), "`innoff invites send` again",
        )  # fmt: skip
        if reason is None:
            if conn is not None:
                store.outbox.mark_sent(conn, row_id, transport.via, _iso(now()), on_wait)
            report.sent += 1
        else:
            if conn is not None:
                store.outbox.mark_failed(conn, row_id, reason, _iso(now()), on_wait)
            report.failed.append((message.address, reason))
        if progress:
            progress()


def interrupted(report: SendReport, total: int, again: str, record: bool) -> Interrupted:
    """What a send stopped by Ctrl-C says (invites and plain mail alike); `again`
    completes "run ...". Not "queued": a run queues a batch at a time."""
    said = (
        _(
            "Interrupted: {sent} sent and recorded, {left} not sent yet (the one being sent"
            " may have gone out; if so it goes again as the same message) - run {again} to"
            " send the rest."
        )
        if record
        else _(
            "Interrupted: {sent} written (nothing is recorded), {left} not written yet - run"
            " {again} to write the rest."
        )
    )
    return Interrupted(said.format(sent=report.sent, left=total - report.total, again=again))


BATCH = 500  # messages queued in one transaction, then sent


def _in_batches(messages: Iterable, slots: Callable[[list], list]) -> Iterator[tuple]:
    """(message, its Slot), a batch queued before any of it is sent."""
    items = iter(messages)
    while batch := list(itertools.islice(items, BATCH)):
        yield from zip(batch, slots(batch), strict=True)


def send_one(transport, pace: Pace, build: Callable[[], bytes], envelope: str, address: str,
             report: SendReport, total: int, again: str) -> str | None:  # fmt: skip
    """Build and send one message: None when the server took it, else why not (the
    server refused it for good, or no header can hold the address). A refusal of
    the sender, or a server that stops taking mail, ends the run (InnoffError)
    with the rest left queued; `again` completes "run ..." in what it says."""
    from innoff_cli.delivery import Refused, SenderRefused, Stopped

    try:
        data = build()
    except (ValueError, TypeError, MessageError) as error:
        return f"cannot write this address into a message ({error})"
    pace.wait()
    try:
        # RCPT TO as the To header has it: A-labels where that makes it ASCII.
        transport.send(data, envelope, ascii_address(address) or address)
        return None
    except Refused as refused:
        return str(refused)
    except SenderRefused as refused:
        raise InnoffError(
            _(
                "the mail server refused the sender, not the recipients ({refused}) after {sent} sent - nothing was marked failed and {value} are not sent yet; {hint}, then run {again}"
            ).format(
                refused=refused,
                sent=report.sent,
                value=total - report.total,
                hint=refused.hint,
                again=again,
            )
        ) from None
    except Stopped as stopped:
        raise InnoffError(
            _(
                "the mail server stopped taking messages ({stopped}) after {sent} sent - {value} not sent yet; run {again} to send them"
            ).format(stopped=stopped, sent=report.sent, value=total - report.total, again=again)
        ) from None


def _check_builds(outgoing, from_header: str, alarm, stamp: datetime) -> None:
    """Stop before anything is queued or sent when what a message shares with
    everyone's (the event's text, the sender) cannot be built: that is nobody's
    address, so nobody may be marked failed for it, and no message may go out
    without it. One build for each kind of message in the run."""
    seen = set()
    for message in outgoing.messages:
        key = (message.uid, message.method, message.change, message.sequence)
        if key in seen:
            continue
        seen.add(key)
        try:
            imip.Template(
                message, outgoing.plan.entries[message.uid], outgoing.plan.organizer, stamp, alarm
            ).prepare(from_header)
        except (ValueError, TypeError, MessageError) as error:
            raise InnoffError(
                _(
                    "cannot build the messages for {event} ({value}); nothing was sent or queued - give the event a one-line title and place (`innoff agenda event {event} --title ...`), then run it again"
                ).format(event=message.event, value=shown(str(error), 120))
            ) from None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sender_from(organizer: ical.Organizer, sender: str | None) -> tuple[str, str]:
    """(From header, envelope address): `sender` ("Name <address>") or `organizer`.

    The envelope sender is the From address, as CalConnect advises, so bounces
    and calendar replies reach the same mailbox.
    """
    from email.utils import parseaddr

    from innoff_cli.addresses import check_email

    if sender is None:
        return (
            f"{organizer.name} <{organizer.email}>" if organizer.name else organizer.email
        ), organizer.email
    address = parseaddr(sender)[1] if sender.isprintable() else ""
    if not address or check_email(address)[0] is None:
        raise InnoffError(
            _("bad --from '{sender}' - write it as \"Name <address>\"").format(
                sender=shown(sender, 80)
            )
        )
    return sender.strip(), address


def status(db_path: Path, *, event: str | None = None) -> list[dict]:
    """Per person and event: the newest message in the outbox, and what is pending."""
    conn = store.connect(db_path)
    try:
        outgoing = _plan_send(conn, event, None, None, False)
        slugs = [e.slug for e in outgoing.plan.events]
        rows = {(r["email"], r["uid"]): r for r in store.outbox.newest_per_person(conn, slugs)}
        names = {email: name for email, _, name, _ in store.registrations.invitees(conn, slugs)}
        answers = store.replies.answers_of(conn, slugs)
        mailed = store.mailings.per_person(conn, slugs)
    finally:
        conn.close()
    pending = {(m.email, m.uid): m for m in outgoing.messages}
    out = []
    for key in sorted(set(rows) | set(pending), key=lambda k: (k[1], k[0])):
        row, need = rows.get(key), pending.get(key)
        answer = answers.get(key, {})
        counter = answer.get("counter")
        out.append(
            {
                "email": key[0],
                "name": names.get(key[0], ""),
                "event": row["event"] if row else need.event,
                "uid": key[1],
                "method": row["method"] if row else None,
                "sequence": row["sequence"] if row else None,
                "state": row["state"] if row else None,
                "time": row["done_utc"] if row else None,
                "via": row["via"] if row else None,
                "message_id": row["message_id"] if row else None,
                # Exchange's own for it, once its copy in Sent Items was read.
                "server_message_id": row["server_message_id"] if row else None,
                "reason": row["reason"] if row else "",
                "pending": (
                    f"{need.change} (SEQUENCE {need.sequence})" if need else ""
                ),  # fmt: skip
                # Their answer as it stands ('to confirm:accepted' after a change),
                # and the latest other time they proposed (COUNTER), never applied.
                "answer": answer.get("now"),
                "answer_sequence": answer.get("sequence"),
                "answer_message_id": answer.get("message_id"),
                "delegated_to": answer.get("delegated_to") or "",
                "counter": f"{counter['start']} - {counter['end']} {counter['tzid']}".strip()
                if counter
                else None,
                # Plain mail besides the invites: reminders ('1d@<start>'), follow-ups.
                "mailings": mailed.get((key[0], row["event"] if row else need.event), []),
            }
        )
    return out
