"""Programme -> iCalendar text that strict readers accept (RFC 5545 and RFC 5546).

Pure: times, sequences and the export moment are parameters. The `ics` package
writes each VEVENT's own properties (text escaping, UTC times, alarms); this
module fills what `ics` 0.7 gets wrong, in one place:

- DTSTAMP and SEQUENCE in every VEVENT, METHOD before the components;
- ORGANIZER and ATTENDEE written here, with CN always quoted (RFC 6868 for a
  double quote), so no name can break or inject a line, and addresses as
  valid mailto: URIs;
- URL and RFC 7986 CONFERENCE as URIs (`ics` escapes them as TEXT, which
  breaks a link holding `,` or `;`), and VALARM after the event's own
  properties;
- lines folded at 75 octets without splitting a UTF-8 character, every line
  ending in CRLF, the last one too.

Invites are built for speed: an event is serialised once, and each invite only
adds its attendee line (building each file through `ics` would cost more than
writing it; tests/bench/export_speed.py measures it).
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from innoff_cli import __version__
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.models import Event
from innoff_cli.programme import norwegian_date

PRODID = f"-//INNOFF//innoff {__version__}//NO"
CRLF = "\r\n"
KIND_NAMES = {
    "welcome": "Velkommen", "introduction": "Introduksjon", "talk": "Innlegg",
    "showcase": "Eksempler", "panel": "Panelsamtale", "break": "Pause",
}  # fmt: skip


@dataclass(frozen=True)
class Organizer:
    name: str
    email: str


def parse_organizer(text: str) -> Organizer:
    """'INNOFF <post@innoff.no>' or a bare address."""
    match = re.fullmatch(r"\s*(.*?)\s*<\s*([^<>\s]+@[^<>\s]+)\s*>\s*", text)
    if match:
        return Organizer(match[1].strip().strip('"'), match[2])
    if re.fullmatch(r"[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+", text.strip()):
        return Organizer("", text.strip())
    raise InnoffError(
        _(
            'bad organiser \'{text}\' - write it as "Name <address>", e.g. "INNOFF <post@innoff.no>"'
        ).format(text=text)
    )


@dataclass(frozen=True)
class Entry:
    """One VEVENT: an event or a programme item, as the calendar will show it."""

    uid: str
    event: str  # slug of the event it belongs to
    item: str | None
    summary: str
    start: datetime
    end: datetime
    location: str = ""
    url: str = ""
    description: str = ""
    categories: tuple[str, ...] = ()
    join_url: str = ""  # CONFERENCE: the link for digital participation
    timezone: str = "Europe/Oslo"  # how messages about it write its times

    def feed_sequence_digest(self) -> str:
        """The public feed's SEQUENCE rule: what, when and where. A change here
        raises the UID's SEQUENCE in the published calendar (`calendars`)."""
        return _digest(self.summary, _utc(self.start), _utc(self.end), self.location)

    def attendee_sequence_digest(self) -> str:
        """An attendee's SEQUENCE rule: time and place, RFC 5546's significant
        changes. A change here raises the SEQUENCE of each person's invite
        (`itip`); a new title alone is an update at the same SEQUENCE."""
        return _digest(_utc(self.start), _utc(self.end), self.location)

    def content(self) -> str:
        """Everything an invite says: any change here is an update for those invited."""
        return _digest(
            self.summary, _utc(self.start), _utc(self.end), self.location, self.url,
            self.description, *self.categories, self.join_url,
        )  # fmt: skip

    def as_json(self) -> str:
        """The entry as text, to cancel it after its event is gone."""
        import json
        from dataclasses import asdict

        fields = asdict(self)
        fields.update(start=self.start.isoformat(), end=self.end.isoformat())
        fields["categories"] = list(self.categories)
        return json.dumps(fields, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Entry:
        import json

        fields = json.loads(text)
        fields.update(
            start=datetime.fromisoformat(fields["start"]),
            end=datetime.fromisoformat(fields["end"]),
            categories=tuple(fields["categories"]),
        )
        return cls(**fields)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


# Words that make an event's place a screen rather than a room.
_DIGITAL = ("digital", "online", "nett", "zoom", "teams", "webinar", "stream", "video")


def is_digital(location: str) -> bool:
    folded = location.casefold()
    return not folded.strip() or any(word in folded for word in _DIGITAL)


def uri(text: str) -> str:
    """A link as a URI value: characters outside ASCII and spaces percent-encoded."""
    return quote(text, safe="!#$%&'()*+,-./:;=?@[]_~")


def mailto(address: str) -> str:
    """'mailto:' and the address as people wrote it (RFC 6068 allows it in an IRI,
    and SabreDAV, libical and calendars match ATTENDEE so): letters outside ASCII
    kept, in the local part and the domain alike; only the ASCII characters a
    URI cannot hold percent-encoded."""
    if _PLAIN_ADDRESS.fullmatch(address):  # the usual address is a valid URI as it is
        return f"mailto:{address}"
    local, _, domain = address.rpartition("@")
    return f"mailto:{_iri(local, MAILTO_SAFE)}@{_iri(domain, '.-')}"


def _iri(text: str, safe: str) -> str:
    """`text` with what an IRI cannot hold percent-encoded: ASCII outside the
    unreserved characters and `safe`, and Unicode's controls and spaces."""
    return "".join(
        ch
        if (ch.isascii() and (ch.isalnum() or ch in "-._~" + safe))
        or (not ch.isascii() and ch.isprintable() and not ch.isspace())
        else quote(ch, safe="")
        for ch in text
    )


# RFC 6068 wants '=', '&' and '/' encoded too; they are left as typed, since
# calendars compare ATTENDEE with the address as a string.
MAILTO_SAFE = "!$&'()*+,;=:/"
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:/-]+@[A-Za-z0-9.-]+")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def uid_for(domain: str, event_slug: str, item_id: str | None = None) -> str:
    """Stable: the slugs and a domain, never row numbers, so re-exports never duplicate."""
    return f"{event_slug}.{item_id}@{domain}" if item_id else f"{event_slug}@{domain}"


def clean_text(text: str) -> str:
    """Line breaks as \\n only; other control characters dropped."""
    if text.isprintable():  # the usual name or title: no control character in it
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32 and ord(ch) != 127)


def programme_text(event: Event, tz: ZoneInfo) -> str:
    """The event's DESCRIPTION: the join link on the first line, then the programme."""
    start, end = event.start.astimezone(tz), event.end.astimezone(tz)
    lines = [event.join_url, ""] if event.join_url else []
    lines += [
        f"{event.title}" + (f" – del av {event.part_of}" if event.part_of else ""),
        f"{norwegian_date(start.date())}, {start:%H:%M}–{end:%H:%M} ({tz.key})",
    ]
    if event.description:
        lines += ["", event.description]
    if event.items:
        lines += ["", "Program:"]
        for item in event.items:
            who = "; ".join(s.describe() for s in item.speakers)
            times = f"{item.start.astimezone(tz):%H:%M}–{item.end.astimezone(tz):%H:%M}"
            lines.append(f"{times} {item.title}" + (f" – {who}" if who else ""))
    lines.append("")
    if event.join_url:
        lines.append(f"Lenke for digital deltakelse: {event.join_url}")
    if event.url:
        lines.append(f"Mer informasjon: {event.url}")
    if event.recording_url:
        lines.append(f"Opptak i etterkant: {event.recording_url}")
    elif event.recorded:
        lines.append("Sendingen kan også sees i etterkant.")
    if event.registration:
        lines.append(event.registration + ".")
    return "\n".join(lines).strip()


def place(event: Event) -> str:
    """LOCATION: for a digital event with a join link, the link (calendars make it
    a button); else the place as written."""
    if event.join_url and is_digital(event.location):
        return event.join_url
    return event.location


def event_entry(event: Event, domain: str) -> Entry:
    tz = ZoneInfo(event.timezone)
    return Entry(
        uid=uid_for(domain, event.slug),
        event=event.slug,
        item=None,
        summary=event.title,
        start=event.start,
        end=event.end,
        location=place(event),
        url=event.join_url or event.url,
        description=programme_text(event, tz),
        categories=tuple(c for c in ("INNOFF", event.part_of) if c),
        join_url=event.join_url,
        timezone=event.timezone,
    )


def item_entries(event: Event, domain: str, breaks: bool = True) -> list[Entry]:
    entries = []
    for item in event.items:
        if item.kind == "break" and not breaks:
            continue
        who = "; ".join(s.describe() for s in item.speakers)
        details = [f"{KIND_NAMES.get(item.kind, item.kind)} i {event.title}"]
        if who:
            details.append(who)
        if item.description:
            details.append(item.description)
        if event.join_url or event.url:
            details.append(event.join_url or event.url)
        entries.append(
            Entry(
                uid=uid_for(domain, event.slug, item.id),
                event=event.slug,
                item=item.id,
                summary=item.title,
                start=item.start,
                end=item.end,
                location=place(event),
                url=event.join_url or event.url,
                description="\n".join(details),
                categories=("INNOFF", KIND_NAMES.get(item.kind, item.kind)),
                join_url=event.join_url,
                timezone=event.timezone,
            )
        )
    return entries


# --- lines ------------------------------------------------------------------------


def fold(line: str) -> str:
    """Fold one content line at 75 octets (RFC 5545 3.1) without splitting a character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # inside a UTF-8 sequence
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # a continuation line starts with a space
    return (CRLF + " ").join(parts)


def param_value(text: str) -> str:
    """A quoted parameter value: no control characters, a double quote as RFC 6868's ^'."""
    text = " ".join(clean_text(text).split())
    return '"' + text.replace("^", "^^").replace('"', "^'") + '"'


def organizer_line(organizer: Organizer) -> str:
    cn = f";CN={param_value(organizer.name)}" if organizer.name else ""
    return fold(f"ORGANIZER{cn}:{mailto(organizer.email)}")


def attendee_line(email: str, name: str, rsvp: bool = True) -> str:
    cn = f";CN={param_value(name)}" if name.strip() else ""
    answer = ";PARTSTAT=NEEDS-ACTION;RSVP=TRUE" if rsvp else ""
    return fold(f"ATTENDEE{cn};CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT{answer}:{mailto(email)}")


def vevent_lines(
    entry: Entry, sequence: int, status: str | None, alarm: timedelta | None = None
) -> tuple[list[str], list[str]]:
    """The VEVENT's own properties, folded, without BEGIN/END lines; and its VALARM.

    `status` is CONFIRMED, CANCELLED (the whole event is off) or None (left
    out: RFC 5546 forbids it when one attendee is uninvited). The alarm's lines
    go after every other property of the event, ORGANIZER and ATTENDEE included.
    """
    import ics
    from ics.alarm import DisplayAlarm

    event = ics.Event(
        name=clean_text(entry.summary),
        begin=entry.start.astimezone(UTC),
        end=entry.end.astimezone(UTC),
        uid=entry.uid,
        description=clean_text(entry.description) or None,
        location=clean_text(entry.location) or None,
        categories={clean_text(c).replace(",", " ") for c in entry.categories} or None,
        status=status,
    )
    if alarm and status == "CONFIRMED":
        event.alarms.append(DisplayAlarm(trigger=-alarm, display_text=clean_text(entry.summary)))
    with warnings.catch_warnings():
        # ics 0.7 warns about its own str() of the alarm, which we never call.
        warnings.simplefilter("ignore", FutureWarning)
        text = event.serialize()
    lines = text.split(CRLF)[1:-1]  # drop BEGIN:VEVENT and END:VEVENT
    alarm_lines: list[str] = []
    if "BEGIN:VALARM" in lines:
        first, last = lines.index("BEGIN:VALARM"), lines.index("END:VALARM")
        alarm_lines, lines = lines[first : last + 1], lines[:first] + lines[last + 1 :]
    # ics writes CATEGORIES in set order; sort for files that do not change between runs.
    lines = [_sorted_categories(line) if line.startswith("CATEGORIES:") else line for line in lines]
    if entry.url:
        lines.append(f"URL:{uri(entry.url)}")
    if entry.join_url and status != "CANCELLED":
        label = param_value("Lenke for digital deltakelse")
        lines.append(f"CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL={label}:{uri(entry.join_url)}")
    lines.append(f"SEQUENCE:{sequence}")
    if status != "CANCELLED":
        lines.append("TRANSP:OPAQUE")
    return [fold(line) for line in lines], [fold(line) for line in alarm_lines]


def _sorted_categories(line: str) -> str:
    names = re.split(r"(?<!\\),", line[len("CATEGORIES:") :])
    return "CATEGORIES:" + ",".join(sorted(names))


def calendar(method: str, vevents: list[list[str]], stamp: datetime) -> str:
    """A whole VCALENDAR: properties first, then each VEVENT with its DTSTAMP."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
    ]
    for body in vevents:
        lines += ["BEGIN:VEVENT", f"DTSTAMP:{_utc(stamp)}", *body, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return CRLF.join(lines) + CRLF


class InviteTemplate:
    """One event's invite, serialised once; `render` adds one attendee.

    method REQUEST: ORGANIZER and the attendee, RSVP=TRUE, PARTSTAT=NEEDS-ACTION.
    method CANCEL: the attendee being uninvited, without STATUS; with
    `whole_event`, STATUS:CANCELLED (the event itself is off).
    """

    def __init__(self, entry: Entry, sequence: int, organizer: Organizer, method: str,
                 stamp: datetime, alarm: timedelta | None = None,
                 whole_event: bool = False):  # fmt: skip
        cancelled = method == "CANCEL"
        status = ("CANCELLED" if whole_event else None) if cancelled else "CONFIRMED"
        body, alarm_lines = vevent_lines(entry, sequence, status, alarm)
        head = calendar(method, [[*body, organizer_line(organizer), *alarm_lines]], stamp)
        # Everything up to the alarm (or END:VEVENT) is the same for every attendee.
        marker = "BEGIN:VALARM" if alarm_lines else "END:VEVENT"
        self.head, self.tail = head.rsplit(marker, 1)
        self.tail = marker + self.tail
        self.rsvp = not cancelled

    def render(self, email: str, name: str) -> str:
        return f"{self.head}{attendee_line(email, name, self.rsvp)}{CRLF}{self.tail}"
