"""`innoff invites replies`: read the answers calendars send back and record them.

Read (mailboxes + reply_messages, no database), then match and record in one
`store.writing()`: an error, a refused IMAP login or Ctrl-C leaves the
database as it was, and the write lock is held only for the recording, not
while a slow IMAP server is read.

Matching follows RFC 5546 3.2.3 as real calendars bend it: the UID names the
invite, the ATTENDEE the person (compared case-insensitively); where the
ATTENDEE is missing or names no one innoff invited (an alias, a forwarding
address), the From address decides and the report says so. An answer counts
only when it is the person's own (`_not_theirs`): written by them, not found
forged by the receiving server, and to a SEQUENCE innoff sent them. ORGANIZER is not
required (outlook.com leaves it out). Per person and UID the answer with the
highest (SEQUENCE, DTSTAMP) stands; one to an older SEQUENCE than the person
was last sent is reported as stale and never replaces a current one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from innoff_cli import clock, mailboxes, reply_messages, store
from innoff_cli.addresses import matching_keys
from innoff_cli.errors import InnoffError
from innoff_cli.reply_messages import PARTSTATS, Answer, NotMail, ReadMessage
from innoff_cli.spools import Spool
from innoff_cli.terminal import shown

SHOWN_MOST = 20  # of each list in the table summary; JSON has them all


@dataclass
class ReplyReport:
    """What a run read and did. Its lists are Spools: a mailbox of a hundred
    thousand answers is reported in full (JSON) without holding them all."""

    sources: list[str]
    messages: int = 0
    recorded: Spool[dict] = field(default_factory=Spool)
    answers: dict[str, int] = field(default_factory=dict)  # accepted -> n, of those recorded
    already_read: int = 0
    superseded: int = 0  # older than the answer already stored
    stale: Spool[dict] = field(default_factory=Spool)
    counters: Spool[dict] = field(default_factory=Spool)
    matched_by_from: Spool[dict] = field(default_factory=Spool)
    # Answers that do not speak for the person they name: not from them, failed
    # the receiving server's check of the sender, or to a SEQUENCE never sent.
    not_applied: Spool[dict] = field(default_factory=Spool)
    ignored: Spool[dict] = field(default_factory=Spool)
    errors: Spool[dict] = field(default_factory=Spool)
    other_mail: int = 0  # no calendar answer in it: ordinary mail, invites, cancellations
    # innoff's own messages found in a sent folder with the Message-ID Exchange
    # gave them (X-Microsoft-Original-Message-ID), newly noted in the outbox.
    server_ids: int = 0
    before_since: int = 0
    dry_run: bool = False
    written: bool = False

    def as_dict(self) -> dict:
        """Every field, a Spool as it is (output.write_json_streamed writes it
        item by item)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def close(self) -> None:
        for value in self.as_dict().values():
            if isinstance(value, Spool):
                value.close()


def read_replies(
    db_path: Path,
    sources: list[str],
    *,
    since: date | None = None,
    dry_run: bool = False,
    password: Callable[[str], str] | None = None,
    imap_auth: str | None = None,
    imap_token: Callable[[], str] | None = None,
    now: Callable[[], datetime] = clock.now,
    on_wait: store.OnWait = None,
) -> ReplyReport:
    report = ReplyReport(sources=[_label(s) for s in sources], dry_run=dry_run)
    found: Spool[ReadMessage] = Spool()  # read now, recorded after: not all in memory
    renamed: list[tuple[str, str]] = []  # (Message-ID we gave, the one Exchange gave)
    try:
        for source in sources:
            found_in = mailboxes.messages(
                source, since=since, password=password, auth=imap_auth, token=imap_token
            )
            _read_all(found_in, since, report, found, renamed)
        read_utc = now().astimezone(UTC).isoformat(timespec="seconds")
        _record(db_path, found, renamed, report, read_utc, on_wait)
    finally:
        found.close()  # its file, if it needed one, goes
    return report


def _read_all(found_in, since, report: ReplyReport, found: Spool, renamed: list) -> None:
    """The answers in one source's messages onto `found`; the rest counted or
    listed in `report`."""
    for item in found_in:
        if isinstance(item, mailboxes.Unreadable):
            report.errors.append({"where": item.label, "reason": item.reason})
            continue
        report.messages += 1
        label, data = item
        try:
            read = reply_messages.read_message(data)
        except NotMail as error:
            report.errors.append({"where": label, "reason": str(error)})
            continue
        except Exception as error:  # noqa: BLE001 - one bad message costs one message
            report.errors.append({"where": label, "reason": _cannot_read(error)})
            continue
        if since and read.date_utc and read.date_utc[:10] < since.isoformat():
            report.before_since += 1
            continue
        if not read.answers:
            if read.calendar_errors:
                report.errors.append(
                    {
                        "where": f"{label} <{read.message_id}>",
                        "reason": "its calendar does not parse: " + read.calendar_errors[0],
                    }
                )
            else:
                report.other_mail += 1
                if read.original_id:
                    # As the outbox writes them: with the <>.
                    renamed.append((f"<{read.original_id}>", f"<{read.message_id}>"))
            continue
        found.append(read)


def _cannot_read(error: Exception) -> str:
    """A short reason for a message the reader could not take apart: the kind of
    failure, and the start of what it said, on one line."""
    said = shown(" ".join(str(error).split()), 80)
    return f"cannot be read ({type(error).__name__}{': ' + said if said else ''})"


def _label(source: str) -> str:
    if mailboxes.is_imap(source):
        from innoff_cli import imap_folders

        try:
            return imap_folders.parse_imap(source).label()
        except InnoffError:  # reading it says what is wrong with it
            return "imap"
    return source


def _record(db_path: Path, found, renamed, report: ReplyReport, read_utc: str, on_wait) -> None:
    conn = store.connect(db_path, on_wait)
    try:
        events = store.outbox.invite_events(conn)
        with store.writing(conn, on_wait=on_wait, keep=not report.dry_run):
            seen: set[str] = set()
            counts: Counter[str] = Counter()
            for read in found:
                # Both its Message-IDs: Exchange's, and the sender's it replaced
                # (the same answer read from an export and from the mailbox).
                ids = [read.message_id, *([read.original_id] if read.original_id else [])]
                if any(i in seen or store.replies.was_read(conn, i) for i in ids):
                    report.already_read += 1
                    continue
                seen.update(ids)
                kept = False
                for answer in read.answers:
                    kept |= _apply(conn, report, counts, events, read, answer, read_utc)
                if kept:
                    for message_id in ids:
                        store.replies.mark_read(conn, message_id, read_utc)
            report.server_ids = store.outbox.note_server_ids(conn, renamed)
            report.answers = {k.lower(): counts[k] for k in PARTSTATS if counts[k]}
        report.written = not report.dry_run
    finally:
        conn.close()


def _who(conn, read: ReadMessage, answer: Answer) -> tuple[str, str, object, bool] | None:
    """(email key, PARTSTAT, what was sent, by From) of the person who answers."""
    with_state = [a for a in answer.attendees if a.partstat] or list(answer.attendees)
    for attendee in with_state:
        for key in matching_keys(attendee.address) if attendee.address else ():
            sent = store.outbox.sent_to(conn, key, answer.uid)
            if sent:
                return key, attendee.partstat, (sent, attendee), False
    for sender in matching_keys(read.sender) if read.sender else ():
        sent = store.outbox.sent_to(conn, sender, answer.uid)
        if sent:
            attendee = with_state[0] if with_state else None
            return sender, attendee.partstat if attendee else "", (sent, attendee), True
    return None


def _not_theirs(read: ReadMessage, answer: Answer, email: str, attendee, by_from: bool,
                top: int) -> str:  # fmt: skip
    """Why an answer for `email` does not count as theirs; '' when it does.

    Trust follows the author: the mail must come from the person it answers
    for (From, Sender or Reply-To), or from whoever handed the invite on to
    them; the receiving server must not have found the sender's domain forged
    (DMARC or DKIM, its topmost Authentication-Results); and it must answer a
    SEQUENCE innoff sent them, not one above anything it sent.
    """
    if read.unauthenticated:
        return f"the sender failed authentication ({read.unauthenticated})"
    delegators = {
        key
        for d in (attendee.delegated_from if attendee else "").split(",")
        if d.strip()
        for key in matching_keys(d.strip())
    }
    if not by_from and email not in read.authors and not (delegators & read.authors):
        # The author's address may be written another way (A-labels, %-encoded).
        authors = {key for author in read.authors for key in matching_keys(author)}
        if email not in authors and not (delegators & authors):
            return f"not from the person it answers for (from {read.sender or 'no one'})"
    if answer.sequence > top:
        return f"answers SEQUENCE {answer.sequence}, above the {top} innoff sent"
    return ""


def _apply(conn, report, counts, events, read: ReadMessage, answer: Answer, read_utc) -> bool:
    """Match one answer and record it; True when it was for someone invited."""
    base = {"message_id": read.message_id, "from": read.sender, "uid": answer.uid}
    event = events.get(answer.uid)
    if event is None:
        report.ignored.append({**base, "reason": "no invite of innoff has this UID"})
        return False
    who = _who(conn, read, answer)
    if who is None:
        attendee = answer.attendees[0].address if answer.attendees else ""
        report.ignored.append(
            {**base, "attendee": attendee, "event": event, "reason": "never invited"}
        )
        return False
    email, partstat, ((method, top), attendee), by_from = who
    refusal = _not_theirs(read, answer, email, attendee, by_from, top)
    if refusal:
        report.not_applied.append(
            {**base, "attendee": email, "event": event, "reason": refusal}
        )  # fmt: skip
        return False
    if by_from:
        report.matched_by_from.append(
            {**base, "event": event, "attendee": attendee.address if attendee else ""}
        )
    if method == "CANCEL":
        report.ignored.append(
            {**base, "event": event, "reason": "no longer invited (was sent a cancellation)"}
        )
        return False
    if not store.registrations.is_participant(conn, email):
        # Erased: nothing of theirs is stored, and the report names no one.
        report.ignored.append({"message_id": read.message_id, "from": "", "uid": answer.uid,
                               "event": event, "reason": "not a participant (erased)"})  # fmt: skip
        return False
    if answer.method == "COUNTER":
        proposal = {
            "email": email, "uid": answer.uid, "event": event, "message_id": read.message_id,
            "sequence": answer.sequence, "dtstamp_utc": answer.dtstamp_utc,
            "start": answer.start, "end": answer.end, "tzid": answer.start_tzid,
            "comment": answer.comment, "read_utc": read_utc,
        }  # fmt: skip
        store.replies.save_counter(conn, proposal)
        report.counters.append(proposal)
        return True
    if partstat not in PARTSTATS:
        report.ignored.append(
            {**base, "event": event, "reason": f"no answer in it (PARTSTAT {partstat or 'none'})"}
        )
        return False
    if answer.sequence < top:
        report.stale.append(
            {**base, "email": email, "event": event, "answer": partstat.lower(),
             "sequence": answer.sequence, "last_sent": top}
        )  # fmt: skip
    moment = answer.dtstamp_utc or read.date_utc or ""
    stored = store.replies.stored_reply(conn, email, answer.uid)
    if stored is not None and (answer.sequence, moment) <= (
        stored["sequence"],
        stored["dtstamp_utc"] or stored["sent_utc"] or "",
    ):
        report.superseded += 1
        return True
    store.replies.save_reply(
        conn,
        {
            "email": email, "uid": answer.uid, "event": event, "partstat": partstat,
            "delegated_to": attendee.delegated_to if attendee else "",
            "sequence": answer.sequence, "dtstamp_utc": answer.dtstamp_utc,
            "message_id": read.message_id, "sent_utc": read.date_utc, "read_utc": read_utc,
        },
    )  # fmt: skip
    counts[partstat] += 1
    report.recorded.append(
        {"email": email, "event": event, "answer": partstat.lower(), "sequence": answer.sequence,
         "current": answer.sequence >= top, "message_id": read.message_id,
         "delegated_to": attendee.delegated_to if attendee else ""}
    )  # fmt: skip
    return True
