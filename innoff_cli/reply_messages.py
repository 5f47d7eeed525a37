"""Mail that may carry a calendar answer -> the answers in it (iTIP REPLY, COUNTER). Pure.

Calendars answer an invite in every layout there is: a `text/calendar` part
with or without `method=REPLY`, an `application/ics` part, an attachment named
`*.ics` labelled `application/octet-stream`, in base64, quoted-printable or
8bit, in whatever charset. Google sends the same calendar twice (inline and as
`invite.ics`); outlook.com leaves out ORGANIZER; Outlook's "propose new time"
is a COUNTER. Every calendar part is read, and the answers are the distinct
ones among them.

The calendar is read by a small RFC 5545 reader of its own: only the few
properties an answer has are needed, and a full parser (and its time zone
work) would cost more than the mail parsing around it.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

ANSWER_METHODS = ("REPLY", "COUNTER")
PARTSTATS = ("ACCEPTED", "TENTATIVE", "DECLINED", "DELEGATED")
CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics")
# Headers of which a message has at least one: else it is not mail.
MAIL_HEADERS = ("from", "to", "date", "message-id", "subject", "mime-version", "received")


class NotMail(ValueError):
    """The bytes are not an e-mail message."""


class BadCalendar(ValueError):
    """A calendar part that does not parse."""


@dataclass(frozen=True)
class Attendee:
    address: str  # as written (mailto: taken off)
    partstat: str  # upper case, '' when the line has none
    delegated_to: str = ""
    name: str = ""
    delegated_from: str = ""  # who handed the invite on to this attendee


@dataclass(frozen=True)
class Answer:
    """One VEVENT of a REPLY or COUNTER."""

    method: str
    uid: str
    sequence: int
    dtstamp_utc: str | None  # ISO 8601 in UTC, None when the reply has none
    attendees: tuple[Attendee, ...]
    organizer: str  # '' when the reply has none (outlook.com)
    recurrence_id: str = ""
    start: str = ""  # a COUNTER's proposed time, as written ('20201117T103000Z')
    end: str = ""
    start_tzid: str = ""
    comment: str = ""
    product: str = ""


@dataclass
class ReadMessage:
    message_id: str  # without <>; a hash of the bytes for a message without one
    sender: str  # the From address, '' if none
    date_utc: str | None
    # The Message-ID its sender gave it, where Exchange Online replaced it
    # (X-Microsoft-Original-Message-ID); '' otherwise.
    original_id: str = ""
    # Who wrote it: every address in From, Sender and Reply-To, folded (Nextcloud
    # sends from a no-reply address, the attendee in Reply-To).
    authors: frozenset[str] = frozenset()
    # Why the receiving server's check of the sender failed ('DMARC fail for
    # x.no'), from the topmost Authentication-Results; '' when it did not.
    unauthenticated: str = ""
    answers: list[Answer] = field(default_factory=list)
    calendar_errors: list[str] = field(default_factory=list)


def read_message(data: bytes) -> ReadMessage:
    """Every answer a message holds; NotMail when the bytes are not mail."""
    message = email.message_from_bytes(data)
    if not any(header in message for header in MAIL_HEADERS):
        raise NotMail("not an e-mail message (no mail headers)")
    authors = _author_values(message)
    sender = _sender(authors)
    read = ReadMessage(
        message_id=message_id_of(message, data),
        original_id=_original_id(message),
        sender=sender,
        date_utc=_date(message.get("Date")),
        authors=_authors(authors),
        unauthenticated=_authentication_failure(message.get("Authentication-Results"), sender),
    )
    seen: set[Answer] = set()
    payloads: set[bytes] = set()
    for part in message.walk():
        if part.is_multipart() or not _is_calendar(part):
            continue
        try:
            payload = part.get_payload(decode=True)
            if not payload or payload in payloads:  # Google's second copy: read once
                continue
            payloads.add(payload)
            text = _text_of(part, payload)
            # The part's method= only where the calendar has no METHOD of its own.
            hint = "" if _HAS_METHOD.search(text) else _param(part, "method")
            method, answers = parse_calendar(text, hint)
        except BadCalendar as error:
            read.calendar_errors.append(str(error))
            continue
        if method not in ANSWER_METHODS:  # REQUEST, CANCEL...: no answer
            continue
        for answer in answers:
            if answer not in seen:
                seen.add(answer)
                read.answers.append(answer)
    if read.answers:
        read.calendar_errors.clear()  # a copy that parsed is enough
    return read


_ANGLED_ID = re.compile(r"<([^<>\s]+)>")  # '<id@host>' in a Message-ID header


def message_id_of(message: Message, data: bytes) -> str:
    raw = message.get("Message-ID") or message.get("Message-Id") or ""
    found = _ANGLED_ID.search(str(raw))
    if found:
        return found[1]
    if str(raw).strip():
        return str(raw).strip()
    return "sha256:" + hashlib.sha256(data).hexdigest()[:32]


def _original_id(message: Message) -> str:
    found = _ANGLED_ID.search(str(message.get("X-Microsoft-Original-Message-ID") or ""))
    return found[1] if found else ""


_PLAIN_FROM = re.compile(r'(?:[^<>",@]*<)?([^<>"\s,@]+@[^<>"\s,@]+)>?\s*')


def _addresses(value) -> list[str]:
    """The addresses a From, Sender or Reply-To value names."""
    text = str(value)
    if not text.isascii():
        # SMTPUTF8 mail has headers in UTF-8, which the parser kept as escaped bytes.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    plain = _PLAIN_FROM.fullmatch(text)
    if plain:  # 'a@b.no' or 'Name <a@b.no>': most senders, without the full parser
        return [plain[1]]
    return [address for _, address in getaddresses([text]) if "@" in address]


_AUTHOR_HEADERS = ("from", "sender", "reply-to")


def _author_values(message: Message) -> dict[str, list[str]]:
    """From, Sender and Reply-To, each value as stored, in one pass: get() would
    turn the UTF-8 of SMTPUTF8 mail into U+FFFD; the stored value keeps it (as
    escaped bytes, which _addresses decodes)."""
    values: dict[str, list[str]] = {name: [] for name in _AUTHOR_HEADERS}
    for key, value in message.raw_items():
        found = values.get(key.lower())
        if found is not None:
            found.append(value)
    return values


def _sender(values: dict[str, list[str]]) -> str:
    """The first address of From, else Sender, else Reply-To; '' if none."""
    for header in _AUTHOR_HEADERS:
        for value in values[header][:1]:
            addresses = _addresses(value)
            if addresses:
                return addresses[0]
    return ""


def _authors(values: dict[str, list[str]]) -> frozenset[str]:
    """Every address in every From, Sender and Reply-To, folded."""
    return frozenset(
        address.casefold()
        for header in _AUTHOR_HEADERS
        for value in values[header]
        for address in _addresses(value)
    )


_RESULT = re.compile(r"^\s*([a-z0-9-]+)\s*=\s*([a-z]+)\b(.*)$", re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r"\b(header\.(?:from|d|i))\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


def _authentication_failure(header, sender: str) -> str:
    """What the receiving server's topmost Authentication-Results (RFC 8601) says
    failed for the From domain: DMARC, or DKIM with no passing signature of that
    domain; '' when nothing did (or there is no such header)."""
    if header is None or "@" not in sender:
        return ""
    domain = sender.rpartition("@")[2].casefold()
    text = re.sub(r"\([^()]*\)", " ", str(header))  # comments say nothing we read
    dkim: dict[str, set[str]] = {"pass": set(), "fail": set()}
    for part in text.split(";")[1:]:  # the first is the server's own name
        found = _RESULT.match(part)
        if not found:
            continue
        method, result = found[1].casefold(), found[2].casefold()
        props = {
            k.casefold(): v.casefold().rpartition("@")[2] for k, v in _PROPERTY.findall(found[3])
        }
        if method == "dmarc" and result == "fail" and props.get("header.from", domain) == domain:
            return f"DMARC fail for {domain}"
        if method == "dkim" and result in ("pass", "fail", "permerror"):
            signer = props.get("header.d") or props.get("header.i") or ""
            if signer == domain or signer.endswith("." + domain):
                dkim["pass" if result == "pass" else "fail"].add(signer)
    if dkim["fail"] and not dkim["pass"]:
        return f"DKIM fail for {domain}"
    return ""


def _date(value) -> str | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # no date, or one outside what a datetime holds


def _param(part: Message, name: str) -> str:
    value = part.get_param(name, header="content-type")
    if isinstance(value, tuple):  # RFC 2231
        value = email.utils.collapse_rfc2231_value(value)
    return str(value or "").strip().upper()


def _is_calendar(part: Message) -> bool:
    kind = part.get_content_type()
    if kind in CALENDAR_TYPES:
        return True
    if kind.startswith("text/") and "content-disposition" not in part:
        return False  # a message's own text or HTML, not an attached file
    filename = part.get_filename() or part.get_param("name") or ""
    if isinstance(filename, tuple):
        filename = email.utils.collapse_rfc2231_value(filename)
    return str(filename).strip().lower().endswith((".ics", ".ical", ".ifb", ".vcs"))


def _text_of(part: Message, payload: bytes) -> str:
    """The decoded part as text: its charset, else UTF-8, else Windows-1252."""
    charset = part.get_content_charset() or "utf-8"
    if payload.startswith(b"\xef\xbb\xbf"):
        payload, charset = payload[3:], "utf-8"
    elif payload.startswith((b"\xff\xfe", b"\xfe\xff")):
        charset = "utf-16"
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeError, ValueError):  # no such codec, or not its text
            continue
    return payload.decode("latin-1")


# --- the calendar ----------------------------------------------------------------

_UNFOLD = re.compile(r"\r?\n[ \t]")
# The properties an answer needs, found by the regex engine in one pass over the
# unfolded text (a reply's VTIMEZONE and Microsoft's X- lines are most of it).
_READ = "BEGIN|END|METHOD|PRODID|ATTENDEE|DTSTART|DTEND|UID|SEQUENCE|DTSTAMP|ORGANIZER|RECURRENCE-ID|COMMENT"
_WANTED = re.compile(rf"^[ \t]*({_READ})([;:][^\r\n]*)", re.MULTILINE | re.IGNORECASE)
# A line that is not blank and is no content line (NAME followed by ; or :).
# Names are read liberally, as libical, icalendar and ical.js read them: an
# x-name outside RFC 5545's token set (Outlook for Mac's X-ENTOURAGE_UUID) is
# a line to pass over, not a broken calendar.
_NOT_A_LINE = re.compile(r'^(?![ \t]*[^\s;:"]+[;:])[^\r\n]*\S', re.MULTILINE)
_HAS_METHOD = re.compile(r"^[ \t]*METHOD[;:]", re.MULTILINE | re.IGNORECASE)
_PARAM = re.compile(r';([A-Za-z0-9-]+)=((?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)')


def _content_line(line: str) -> tuple[str, dict[str, str], str]:
    """'ATTENDEE;PARTSTAT=ACCEPTED;CN="Ås, Kari":mailto:k@x' -> name, params, value."""
    head = re.match(r"[A-Za-z0-9-]+", line)
    if head is None:
        raise BadCalendar(f"not a content line: {line[:40]!r}")
    name = head[0].upper()
    params: dict[str, str] = {}
    at = head.end()
    while at < len(line) and line[at] == ";":
        match = _PARAM.match(line, at)
        if match is None:
            raise BadCalendar(f"bad parameter in {name}")
        params[match[1].upper()] = match[2]
        at = match.end()
    if at >= len(line) or line[at] != ":":
        raise BadCalendar(f"{name} has no value")
    return name, params, line[at + 1 :]


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _text_value(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def _address(value: str) -> str:
    value = _unquote(value.strip())
    if value[:7].lower() == "mailto:":
        value = value[7:]
    return value.strip()


_STAMP = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z?")


def _utc_stamp(value: str) -> str | None:
    """'20201105T123001Z' -> '2020-11-05T12:30:01+00:00'; None when it is no such time.
    (The numbers from a regex: strptime costs far more.)"""
    match = _STAMP.fullmatch(value.strip())
    if not match:
        return None
    try:
        moment = datetime(*map(int, match.groups()), tzinfo=UTC)
    except ValueError:
        return None
    return moment.isoformat()


def parse_calendar(text: str, method_hint: str = "") -> tuple[str, list[Answer]]:
    """(METHOD, the answers) of one calendar; BadCalendar when it does not parse.

    METHOD is the calendar's own, or the MIME part's `method=` when the calendar
    leaves it out. Only VEVENTs are answers; VTIMEZONEs and alarms are skipped.
    Unfold, check the frame, read, tolerate what clients do, then the answers.
    """
    unfolded = _UNFOLD.sub("", text) if "\n " in text or "\n\t" in text else text
    found = _checked(unfolded)
    method, product, events = _read(found)
    method = tolerate(method, method_hint, events)
    return method, [_answer(method, product, event) for event in events]


def _checked(unfolded: str) -> list[tuple[str, str]]:
    """(NAME, the rest) of each line an answer needs; BadCalendar when the text is
    not a whole calendar, or has a line that is no content line."""
    found = [(m[1].upper(), m[2]) for m in _WANTED.finditer(unfolded)]
    if (
        not found
        or unfolded.lstrip()[:6].upper() != "BEGIN:"  # the first line, whatever it is
        or (found[0][0], found[0][1].strip().upper()) != ("BEGIN", ":VCALENDAR")
    ):
        raise BadCalendar("no BEGIN:VCALENDAR")
    if not any(name == "END" and rest.strip().upper() == ":VCALENDAR" for name, rest in found):
        raise BadCalendar("no END:VCALENDAR (cut short?)")
    stray = _NOT_A_LINE.search(unfolded)
    if stray:
        raise BadCalendar(f"not a content line: {stray[0].strip()[:40]!r}")
    return found


def _read(found: list[tuple[str, str]]) -> tuple[str, str, list[dict]]:
    """(METHOD, PRODID, each top-level VEVENT's properties as written).

    A VEVENT is a dict of its first UID, SEQUENCE, DTSTAMP, ORGANIZER,
    RECURRENCE-ID, COMMENT, DTSTART and DTEND (with DTSTART's TZID as 'tzid'),
    and 'attendees', a list of (value, parameters).
    """
    method, product = "", ""
    events: list[dict] = []
    stack: list[str] = []
    event: dict | None = None
    for name, rest in found:
        if rest[0] == ":":  # no parameters: most lines
            params, value = {}, rest[1:]
        else:
            name, params, value = _content_line(name + rest.rstrip())
        if name == "BEGIN":
            stack.append(value.strip().upper())
            if stack[-1] == "VEVENT" and len(stack) == 2:
                event = {"attendees": []}
        elif name == "END":
            if not stack or stack[-1] != value.strip().upper():
                raise BadCalendar(
                    f"END:{value.strip()} does not close {stack[-1] if stack else 'anything'}"
                )
            closed = stack.pop()
            if closed == "VEVENT" and event is not None and len(stack) == 1:
                events.append(event)
                event = None
        elif len(stack) == 1:
            if name == "METHOD":
                method = value.strip().upper()
            elif name == "PRODID":
                product = value.strip()
        elif event is not None and len(stack) == 2:
            if name == "ATTENDEE":
                event["attendees"].append((value, params))
            elif name in ("DTSTART", "DTEND"):
                event[name] = value.strip()
                if name == "DTSTART":
                    event["tzid"] = _unquote(params.get("TZID", ""))
            else:
                event.setdefault(name, value)
    if stack:
        raise BadCalendar(f"BEGIN:{stack[-1]} is never closed")
    return method, product, events


def tolerate(method: str, method_hint: str, events: list[dict]) -> str:
    """Where a client's calendar bends RFC 5545/5546 and its answer is still plain,
    take it as meant: one line a quirk, each with a fixture in
    tests/fixtures/replies/ (as khal's `sanitize()` keeps its clients' quirks in
    one place). Returns the METHOD; the events are mended in place.
    """
    # A calendar without METHOD: the MIME part's method= says it (RFC 6047 2.4).
    method = method or method_hint
    for event in events:
        # outlook.com leaves ORGANIZER out of its replies (RFC 5546 requires it).
        event.setdefault("ORGANIZER", "")
        # A SEQUENCE with no value: none was meant, and none is 0.
        event["SEQUENCE"] = event.get("SEQUENCE", "").strip() or "0"
        # Apple: the ATTENDEE's value is a urn:uuid:, its address in EMAIL=.
        event["attendees"] = [
            (params["EMAIL"], params)
            if value.strip()[:7].lower() != "mailto:" and "EMAIL" in params
            else (value, params)
            for value, params in event["attendees"]
        ]
    return method


def _answer(method: str, product: str, event: dict) -> Answer:
    uid = event.get("UID", "").strip()
    if not uid:
        raise BadCalendar("a VEVENT without UID")
    try:
        sequence = int(event["SEQUENCE"])
    except ValueError:
        raise BadCalendar(f"SEQUENCE is not a number: {event['SEQUENCE'][:20]!r}") from None
    return Answer(
        method=method,
        uid=uid,
        sequence=sequence,
        dtstamp_utc=_utc_stamp(event.get("DTSTAMP", "")),
        attendees=tuple(
            Attendee(
                address=_address(value),
                partstat=_unquote(params.get("PARTSTAT", "")).upper(),
                delegated_to=", ".join(
                    _address(v) for v in params.get("DELEGATED-TO", "").split(",") if v
                ),
                delegated_from=", ".join(
                    _address(v) for v in params.get("DELEGATED-FROM", "").split(",") if v
                ),
                name=_unquote(params.get("CN", "")),
            )
            for value, params in event["attendees"]
        ),
        organizer=_address(event["ORGANIZER"]),
        recurrence_id=event.get("RECURRENCE-ID", "").strip(),
        start=event.get("DTSTART", ""),
        end=event.get("DTEND", ""),
        start_tzid=event.get("tzid", ""),
        comment=_text_value(event.get("COMMENT", "")).strip(),
        product=product,
    )
