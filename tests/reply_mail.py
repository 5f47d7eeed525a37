"""Replies built from the invites innoff sent, as a calendar would answer them.

The calendar is taken from the invite with `icalendar` (not innoff's code) and
turned into an iTIP REPLY (RFC 5546 3.2.3): the same UID and SEQUENCE, the
replier's ATTENDEE alone with their PARTSTAT, a new DTSTAMP.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import icalendar


def invite_calendar(data: bytes) -> icalendar.Calendar:
    message = email.message_from_bytes(data, policy=email.policy.default)
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def reply(
    invite: bytes,
    partstat: str,
    *,
    method: str = "REPLY",
    attendee: str | None = None,
    sender: str | None = None,
    sequence: int | None = None,
    stamp: datetime | None = None,
    organizer: bool = True,
    uid: str | None = None,
    delegated_to: str | None = None,
    message_id: str | None = None,
    start: datetime | None = None,
    layout: str = "inline",
) -> bytes:
    """The answer to one invite: `layout` 'inline' (a text/calendar part in
    multipart/alternative), 'attachment' (only an .ics file labelled
    application/octet-stream) or 'bare' (the message is the calendar)."""
    invited = invite_calendar(invite)
    (event,) = invited.walk("VEVENT")
    who = attendee or str(event["ATTENDEE"]).removeprefix("mailto:")
    cal = icalendar.Calendar()
    cal.add("prodid", "-//innoff tests//replies//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    answer = icalendar.Event()
    answer.add("uid", uid or str(event["UID"]))
    answer.add("sequence", int(event["SEQUENCE"]) if sequence is None else sequence)
    answer.add("dtstamp", stamp or datetime.now(UTC))
    answer.add("dtstart", start or event.decoded("DTSTART"))
    answer.add("dtend", event.decoded("DTEND"))
    answer.add("summary", str(event["SUMMARY"]))
    if organizer:
        answer.add("organizer", event["ORGANIZER"])
    params = {"PARTSTAT": partstat}
    if delegated_to:
        params["DELEGATED-TO"] = f"mailto:{delegated_to}"
    answer.add("attendee", f"mailto:{who}", parameters=params)
    if delegated_to:
        answer.add(
            "attendee", f"mailto:{delegated_to}",
            parameters={"PARTSTAT": "NEEDS-ACTION", "DELEGATED-FROM": f"mailto:{who}"},
        )  # fmt: skip
    cal.add_component(answer)
    data = cal.to_ical()

    message = EmailMessage()
    message["From"] = sender or who
    message["To"] = str(event["ORGANIZER"]).removeprefix("mailto:")
    message["Subject"] = f"{partstat.title()}: {event['SUMMARY']}"
    message["Date"] = format_datetime(stamp or datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain="replies.example")
    if layout == "bare":
        message.set_content(data, maintype="text", subtype="calendar", params={"method": method})
    elif layout == "attachment":
        message.set_content(f"{who} answered {partstat}.\n")
        message.add_attachment(
            data, maintype="application", subtype="octet-stream", filename="reply.ics"
        )
    else:
        message.set_content(f"{who} answered {partstat}.\n")
        message.add_alternative(
            data, maintype="text", subtype="calendar", params={"method": method}
        )
    # An address outside ASCII goes as SMTPUTF8 mail does: headers in UTF-8.
    utf8 = not (sender or who).isascii()
    return message.as_bytes(policy=email.policy.SMTPUTF8) if utf8 else message.as_bytes()
