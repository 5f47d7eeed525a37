"""Registration exports -> participant rows and row problems.

Pure: no database, no terminal, no clock. `participants.py` feeds it a file
as a stream of rows and stores what comes out, so memory stays flat however
large the export is.

The exports come from whatever ran the NEON registration form: a Norwegian
registration service, Eventbrite, Microsoft or Google Forms, or a sheet
re-saved from Excel on a Norwegian PC. They differ in encoding, delimiter,
header names and date format; everything here is about reading them all.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import itertools
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from innoff_cli.errors import InnoffError
from innoff_cli.models import Event
from innoff_cli.programme import normalise_name

# --- what the columns are called --------------------------------------------------

# Header names, folded by normalise_name ("E-post" -> "epost", "Påmeldt" -> "pameldt").
# A header that is exactly one of these is a strong match; one that contains a
# name of four letters or more ("Din e-postadresse") is a weaker one.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "email": (
        "epost", "epostadresse", "email", "emailadresse", "emailaddress", "mail",
        "mailadresse", "epostjobb", "eposttil", "attendeeemail",
    ),
    "name": (
        "navn", "fulltnavn", "name", "fullname", "fullnavn", "deltaker", "deltakernavn",
        "attendeename", "ditnavn", "hvaheterdu", "whatsyourname", "whatisyourname", "yourname",
        "navnpabillett", "ticketholder", "ticketholdername", "billettinnehaver",
    ),
    "first_name": ("fornavn", "firstname", "givenname", "forename"),
    "last_name": ("etternavn", "lastname", "surname", "familyname"),
    "organisation": (
        "organisasjon", "virksomhet", "arbeidsgiver", "company", "organization",
        "organisation", "arbeidssted", "firma", "institusjon", "employer", "bedrift",
        "hvorjobberdu", "wheredoyouwork", "workplace", "arbeidsplass", "navnpavirksomhet",
        "companyname", "organisationname", "organizationname",
    ),
    "role": ("stilling", "tittel", "stillingstittel", "jobtitle", "role", "rolle", "title", "position"),
    "municipality": ("kommune", "municipality", "hjemkommune", "bostedskommune"),
    "phone": (
        "telefon", "mobil", "phone", "telefonnummer", "mobilnummer", "mobiltelefon",
        "phonenumber", "cellphone", "mobilephone", "tlf",
    ),
    "registered_at": (
        "pameldt", "pameldingsdato", "registrert", "tidsmerke", "timestamp", "orderdate",
        "completiontime", "registrationdate", "registreringsdato", "pameldingstidspunkt",
        "registrerttidspunkt", "created", "createdat", "dato", "date",
        # Microsoft Forms' completion time in Norwegian; other form services' "submitted".
        "fullforingstidspunkt", "submitdate", "submissiondate", "submittedat", "innsendt",
        # Zoom, ticket systems: when the registration or the purchase was made.
        "registrationtime", "purchasedat", "purchased", "purchasedate", "kjopt", "kjoptdato",
        "kjopsdato", "ordredato", "bestillingsdato", "bestilt", "ordertime", "submittime",
        "completedat", "completed",
    ),
}  # fmt: skip
FIELDS = tuple(HEADER_NAMES)
# Words in a header about whoever placed the order rather than the participant
# ("Bestiller navn", "Kjøper", "Buyer email", "Ordered by").
BUYER_WORDS = ("bestiller", "kjoper", "buyer", "purchaser", "orderer", "ordercontact",
               "orderedby", "bestiltav", "ordername", "orderemail", "orderphone")  # fmt: skip
# Fields that say who someone is: the participant's own columns for these always
# win, and a buyer's column fills one only where the participant's columns lack it.
PERSONAL = ("email", "name", "first_name", "last_name", "organisation", "role", "municipality",
            "phone")  # fmt: skip
# Dates a header may name that are not when the person registered.
NOT_REGISTERED_AT = ("fodsel", "fodt", "birth", "endret", "endring", "modified", "oppdatert",
                     "updated")  # fmt: skip
# Of several times, the one that says the registration was sent wins: words in
# a header, best first; a start time comes last (a form started is not sent).
TIME_WORDS = (
    ("submit", "innsendt", "fullfor", "complet", "sent"),
    ("registr", "pamld", "pameld", "purchas", "kjop", "ordre", "order", "bestill", "tidsmerke",
     "timestamp"),
)  # fmt: skip
# Microsoft Forms writes its own times month-first (11/2/20 9:01:12) under these headers.
US_DATE_HEADERS = {"completiontime", "starttime", "lastmodifiedtime", "fullforingstidspunkt",
                   "starttidspunkt", "tidspunktforsisteendring"}  # fmt: skip
# A header naming kinds of workplace besides a municipality asks for the organisation.
WORKPLACE_WORDS = ("organisasjon", "virksomhet", "arbeidssted", "arbeidsgiver", "universitet",
                   "institutt", "bedrift", "firma", "organization", "organisation", "company",
                   "employer", "institusjon", "hogskole", "skole", "etat")  # fmt: skip
# What --map accepts besides the fields: a column of event names, or one to leave as extra.
MAP_TARGETS = (*FIELDS, "events", "extra")

YES = {"ja", "j", "yes", "y", "x", "1", "true", "sant", "deltar", "kommer", "✓", "✔", "☑"}
NO = {"", "nei", "n", "no", "0", "false", "usant", "deltarikke", "kommerikke", "-"}


# A column saying whether a registration stands (Eventbrite's "Attendee
# Status", Zoom's "Approval Status", a Norwegian service's "Status"), and the
# values that say the person is not coming or not admitted.
STATUS_HEADERS = ("status", "pameldingsstatus", "deltakerstatus", "attendeestatus",
                  "registrationstatus", "orderstatus", "billettstatus", "ticketstatus",
                  "approvalstatus", "godkjenningsstatus", "approval", "godkjenning")  # fmt: skip
NOT_COMING = {
    "avmeldt", "avbestilt", "kansellert", "annullert", "trukket", "trukketseg", "avlyst",
    "cancelled", "canceled", "refunded", "notattending", "deleted", "declined", "withdrawn",
    "denied", "rejected", "pending", "pendingapproval", "awaitingapproval", "notapproved",
    "waitlist", "waitlisted", "waitinglist", "onwaitinglist", "onthewaitinglist", "onwaitlist",
    "venteliste", "paventeliste", "ventende", "venter", "avslatt", "avvist", "ikkegodkjent",
    "ikkegodkjend", "refundert", "tilbakebetalt", "slettet", "utmeldt",
}  # fmt: skip


# An answer that names every event ("Begge", "Both").
EVERY_EVENT = {"begge", "beggedeler", "both", "alle", "all", "allearrangementene", "bothevents"}


def answer(text: str) -> str:
    """A yes/no cell folded for YES and NO: 'Deltar ikke' -> 'deltarikke', '✓' stays."""
    return "".join(text.split()).casefold()


_FIRST_WORD = re.compile(r"\s*(\w+)\W")


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no (a blank is no), None when the answer says neither.

    A whole answer is looked up first ('Deltar ikke' is no); failing that, a
    leading ja/nei/yes/no decides, as a person reading 'Ja, digitalt' or
    'Nei takk' would.
    """
    folded = answer(text)
    if folded in YES:
        return True
    if folded in NO:
        return False
    first = _FIRST_WORD.match(text.casefold())
    if first and first[1] in ("ja", "yes"):
        return True
    if first and first[1] in ("nei", "no"):
        return False
    return None


# Values that forms write where a person would have written nothing.
PLACEHOLDERS = {"anonymous", "anonym", "n/a", "na", "-", "none", "null"}

_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_SEVERAL_ADDRESSES = re.compile(r"[\s,;/|]+")
_ANGLE_ADDRESS = re.compile(r"<([^<>]+)>\s*$")
_LIST_SPLIT = re.compile(r"\s*(?:[;,/|+&\n]|\bog\b|\band\b)\s*", re.IGNORECASE)


# --- bytes -> text ----------------------------------------------------------------


def detect_encoding(chunks: Iterable[bytes]) -> tuple[str, str]:
    """(encoding, sha256 hex) of a file read in chunks, in one pass and flat memory.

    UTF-8 (with or without BOM) when every byte decodes as UTF-8, UTF-16 when
    it starts with a UTF-16 BOM (Excel's "Unicode text"), else Windows-1252,
    what Excel writes on a Norwegian PC.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding: str | None = None
    first = True
    for chunk in chunks:
        digest.update(chunk)
        if first:
            first = False
            if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                encoding = "utf-16"
            elif chunk.startswith(codecs.BOM_UTF8):
                encoding = "utf-8-sig"
        if encoding in (None, "utf-8-sig"):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                encoding = "cp1252"
    if encoding in (None, "utf-8-sig"):
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "cp1252"
    return encoding or "utf-8", digest.hexdigest()


def sniff_delimiter(sample: str) -> str:
    """The delimiter among ; , tab | that splits the first lines into the most steady columns.

    Excel's own hint, a first line "sep=;", is obeyed.
    """
    hint = re.match(r"\ufeff?sep=(.)\r?\n", sample)
    if hint:
        return hint.group(1)
    # Split on line feeds only: str.splitlines() would also break at \x85 and
    # friends, which are text inside a cell. The last line may be cut short.
    raw_lines = sample.split("\n")
    lines = [line for line in raw_lines[:-1] or raw_lines if line.strip()]
    text = "\n".join(lines[:40])
    best, best_score = ",", 0.0
    for delimiter in (";", ",", "\t", "|"):
        try:
            # newline="" as for the file itself: a bare \r ends a record, not the sniff.
            stream = io.StringIO(text, newline="")
            rows = [row for row in csv.reader(stream, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        # Rows of one cell say nothing about the delimiter: a bare \r in a cell
        # (which some writers leave unquoted) breaks a row into such pieces.
        split = [row for row in rows if len(row) > 1]
        steady = sum(1 for row in split if len(row) == width) / len(split)
        score = width * steady
        if steady >= 0.6 and score > best_score:
            best, best_score = delimiter, score
    return best


# --- columns ------------------------------------------------------------------------


# Block titles in stacked reports (Zoom's "Host Details", "Panelist Details")
# above rows of people who are not registrants.
SIDELINED = ("host", "panelist", "panellist", "presenter", "vert", "paneldeltaker", "speaker",
             "foredragsholder", "arrangor", "organizer")  # fmt: skip


def shown(text: str, limit: int = 60) -> str:
    """A cell of a file as a message may quote it: one line, control characters
    escaped, cut short."""
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _title(cells: Sequence[str]) -> str | None:
    """The text of a row that holds one cell and nothing else (a block's title)."""
    if not cells or not cells[0].strip() or (len(cells) > 1 and any(c.strip() for c in cells[1:])):
        return None
    return cells[0].strip()


def header_strength(cells: Sequence[str]) -> int:
    """How many different fields a header row names."""
    named = set()
    for cell in cells:
        folded = normalise_name(re.sub(r"\(.*?\)", " ", cell)) or normalise_name(cell)
        found = next((f for f in FIELDS if folded in HEADER_NAMES[f]), None) or _loose_field(folded)
        if found:
            named.add(found)
        elif folded in STATUS_HEADERS:
            named.add("status")
    return len(named)


def find_header(
    numbered: Iterator[tuple[int, list[str]]], search: int
) -> tuple[int, list[str], int, Iterator[tuple[int, list[str]]]] | None:
    """(line, cells, rows skipped above it, the rows after it) of the header row.

    The header is the row among the first `search` non-blank ones that names
    the most participant columns, outside blocks titled for hosts or panelists
    (a report stacks a summary, host and panelist blocks, then the
    participants' block with its own header); between equals, the first. With
    no such row, the first non-blank row is the header.
    """
    seen: list[tuple[int, list[str]]] = []
    best: tuple[int, int] | None = None  # (strength, index in seen)
    title = ""
    for item in numbered:
        cells = item[1]
        if not any(cell.strip() for cell in cells):
            continue
        seen.append(item)
        heading = _title(cells)
        if heading is not None:
            title = heading
        elif is_header(cells):
            sidelined = any(word in normalise_name(title) for word in SIDELINED)
            strength = header_strength(cells)
            if not sidelined and (best is None or strength > best[0]):
                best = (strength, len(seen) - 1)
            title = ""
        if len(seen) >= search:
            break
    if not seen:
        return None
    index = best[1] if best else 0
    line, header = seen[index]
    return line, header, index, itertools.chain(seen[index + 1 :], numbered)


def until_next_block(
    numbered: Iterable[tuple[int, list[str]]], stopped: list[tuple[int, str]]
) -> Iterator[tuple[int, list[str]]]:
    """The rows of the participants' block: up to a title row followed by a new header.

    Where it stops, (line, title) goes into `stopped`.
    """
    rows = iter(numbered)
    for item in rows:
        cells = item[1]
        # Most rows have a second cell, so this costs one look at it.
        if len(cells) > 1 and cells[1] or not cells or not cells[0]:
            yield item
            continue
        heading = _title(cells)
        if heading is None or "@" in heading:
            yield item
            continue
        following = next(rows, None)
        if following is not None and is_header(following[1]):
            stopped.append((item[0], heading))
            return
        yield item
        if following is not None:
            yield following


def is_header(cells: Sequence[str]) -> bool:
    """Whether a row names columns: an e-mail column, or two other known ones."""
    folded = [normalise_name(cell) for cell in cells if cell.strip()]
    if any(name in HEADER_NAMES["email"] for name in folded):
        return True
    known = {name for names in HEADER_NAMES.values() for name in names}
    return sum(1 for name in folded if name in known) >= 2


@dataclass(frozen=True)
class ColumnPlan:
    """Which column is what: fields, event columns, and the rest kept as extra."""

    header: tuple[str, ...]
    fields: dict[str, int]
    event_flags: tuple[tuple[int, str], ...] = ()  # (column, event slug) of yes/no columns
    event_lists: tuple[int, ...] = ()  # columns whose values name events
    extra: tuple[int, ...] = ()
    month_first: bool = False
    status: int | None = None  # a column whose cancelled rows register nobody (kept as extra)
    zone: str | None = None  # the zone the time column's header names ('Submit Date (UTC)')

    def uses(self) -> list[str]:
        """What innoff made of each column: a field, an event, 'status' or 'extra'."""
        out = ["extra"] * len(self.header)
        for name, index in self.fields.items():
            out[index] = name
        for index, slug in self.event_flags:
            out[index] = f"event:{slug}"
        for index in self.event_lists:
            out[index] = "events"
        if self.status is not None:
            out[self.status] = "status"
        return out

    def table(self, sample: Sequence[Sequence[str]]) -> list[dict]:
        """Each column with its position, what it became and a sample value."""
        rows = []
        for index, (name, use) in enumerate(zip(self.header, self.uses())):
            value = next(
                (row[index].strip() for row in sample if index < len(row) and row[index].strip()),
                "",
            )
            rows.append({"position": index + 1, "column": name, "use": use, "sample": value})
        return rows

    def describe(self) -> list[str]:
        """'E-post → email' lines for the import summary."""
        used = [f"{self.header[i]} → {name}" for name, i in self.fields.items()]
        used += [
            f"{self.header[i]} → registered for {slug} (yes/no)" for i, slug in self.event_flags
        ]
        used += [f"{self.header[i]} → events" for i in self.event_lists]
        if self.status is not None:
            used.append(f"{self.header[self.status]} → status: rows not coming are rejected")
        if self.extra:
            used.append("kept as extra: " + ", ".join(self.header[i] for i in self.extra))
        return used


def event_names(events: Sequence[Event]) -> dict[str, str]:
    """Folded name -> slug for every slug, title and alias."""
    names = {}
    for event in events:
        for name in (event.slug, event.title, *event.aliases):
            folded = normalise_name(name)
            if folded:
                names.setdefault(folded, event.slug)
    return names


def match_events(value: str, names: dict[str, str]) -> tuple[list[str], list[str]]:
    """('INNOFF-studio; Årsmøte') -> (['studio', 'arsmote'], unmatched parts)."""
    slugs, unknown = [], []
    for part in _LIST_SPLIT.split(value):
        folded = normalise_name(part)
        if not folded:
            continue
        if folded in EVERY_EVENT:
            slugs += [slug for slug in dict.fromkeys(names.values()) if slug not in slugs]
            continue
        slug = names.get(folded) or next(
            (s for name, s in sorted(names.items(), key=lambda kv: -len(kv[0])) if name in folded),
            None,
        )
        if slug is None:
            unknown.append(part)
        elif slug not in slugs:
            slugs.append(slug)
    return slugs, unknown


def _unique_names(header: Sequence[str]) -> tuple[str, ...]:
    """Header cells trimmed; a blank one becomes 'column N', a repeated one gets '(column N)'.

    Extra columns are kept under their header, so every name must be there and differ.
    """
    names: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(header):
        name = cell.strip() or f"column {index + 1}"
        if name.casefold() in seen:
            name = f"{name} (column {index + 1})"
        seen.add(name.casefold())
        names.append(name)
    return tuple(names)


def plan_columns(
    header: Sequence[str],
    sample: Sequence[Sequence[str]],
    events: Sequence[Event],
    overrides: dict[str, str] | None = None,
) -> ColumnPlan:
    """Decide what each column is from its header and, where headers are ambiguous, its values.

    `overrides` maps a header (as written, case-insensitive) to a field, 'events',
    'event:SLUG' or 'extra', and always wins.
    """
    header = _unique_names(header)
    folded = [normalise_name(cell) for cell in header]
    names = event_names(events)
    slugs = {event.slug for event in events}

    def values(index: int) -> list[str]:
        return [row[index].strip() for row in sample if index < len(row) and row[index].strip()]

    fields: dict[str, int] = {}
    flags: list[tuple[int, str]] = []
    lists: list[int] = []
    taken: set[int] = set()

    for wanted, target in (overrides or {}).items():
        matches = [i for i, name in enumerate(folded) if name == normalise_name(wanted)]
        if not matches:
            raise InnoffError(
                f"--map: no column called '{wanted}' - the columns are: {', '.join(header)}"
            )
        index = matches[0]
        taken.add(index)
        if target in FIELDS:
            fields[target] = index
        elif target == "events":
            lists.append(index)
        elif target.startswith("event:") and target[6:] in slugs:
            flags.append((index, target[6:]))
        elif target != "extra":
            raise InnoffError(
                f"--map: unknown field '{target}' - use one of {', '.join(MAP_TARGETS)}, or event:SLUG"
            )

    def score(name: str, index: int) -> float:
        cells = values(index)
        if not cells:
            return 0.0
        if name == "email":
            good = sum(1 for cell in cells if "@" in cell)
        elif name == "registered_at":
            good = sum(
                1 for cell in cells if DateReader.guess_format(cell, False) or _looks_dated(cell)
            )
        else:
            good = sum(1 for cell in cells if cell.casefold() not in PLACEHOLDERS)
        return good / len(cells)

    # What each header names: exactly a known name (strong), or one it contains
    # ("Din e-postadresse"; weaker). A header that contains several is what it
    # ends with, as a compound's last word says what it is ("Deltakers e-post"
    # is an e-mail, not a name), and of those the longest ("First Name" is a
    # first name). Words in parentheses are examples, not the question:
    # "Arbeidssted (kommune, universitet ...)" asks for the workplace.
    exact: dict[int, str] = {}
    loose: dict[int, str] = {}
    for index, text in enumerate(header):
        if index in taken:
            continue
        subject = normalise_name(re.sub(r"\(.*?\)|\[.*?\]", " ", text)) or folded[index]
        found = next((name for name in FIELDS if subject in HEADER_NAMES[name]), None)
        if found:
            exact[index] = found
        elif found := _loose_field(subject):
            loose[index] = found

    def rank(name: str, index: int) -> tuple:
        # Real values before placeholders ('anonymous', empty); the participant's
        # column before the buyer's; for times, a submission before a start;
        # then an exact header, the better values, the leftmost.
        value = score(name, index)
        return (
            value > (0 if index in exact else 0.05),
            not (name in PERSONAL and _about_buyer(folded[index])),
            _time_rank(folded[index]) if name == "registered_at" else 0,
            index in exact,
            value,
            -index,
        )

    for name in FIELDS:
        candidates = [
            i for i in (*exact, *loose)
            if i not in taken and (exact.get(i) or loose.get(i)) == name
        ]  # fmt: skip
        if name in fields or not candidates:
            continue
        best = max(candidates, key=lambda i: rank(name, i))
        # An exact header is taken even when its values are poor (the rows are
        # rejected with reasons); a loose one must hold something.
        if best in exact or score(name, best) > 0.05:
            fields[name] = best
            taken.add(best)

    # The buyer's columns never stand in for the participant's own: a buyer's
    # name is dropped when the participant has a first or last name, and so on.
    groups = ({"name", "first_name", "last_name"},)
    for name, index in list(fields.items()):
        if name not in PERSONAL or not _about_buyer(folded[index]):
            continue
        kin = next((group for group in groups if name in group), {name})
        if any(not _about_buyer(folded[fields[other]]) for other in kin if other in fields):
            del fields[name]
            taken.discard(index)

    if "email" not in fields:
        # No header says e-mail: take the column whose values are addresses.
        scored = sorted(
            ((score("email", i), -i, i) for i in range(len(header)) if i not in taken), reverse=True
        )
        if scored and scored[0][0] >= 0.5:
            fields["email"] = scored[0][2]
            taken.add(scored[0][2])
        else:
            raise InnoffError(
                "no e-mail column found - name it with --map 'HEADER=email' "
                f"(the columns are: {', '.join(header)})"
            )

    for index, name in enumerate(folded):
        if index in taken:
            continue
        cells = values(index)
        named = next((slug for key, slug in names.items() if key in name), None)
        if named and all(yes_or_no(cell) is not None for cell in cells):
            flags.append((index, named))
            taken.add(index)
        elif cells and all(match_events(cell, names)[0] for cell in cells):
            lists.append(index)
            taken.add(index)

    status = next(
        (i for i, name in enumerate(folded) if i not in taken and name in STATUS_HEADERS), None
    )
    # Slashed dates are day-first (the Norwegian way) unless the header is one of
    # Microsoft Forms' own; either way, values that can only be read one way
    # (11/17/2020, 17/11/2020) decide, as they would for a person reading them.
    date_header = folded[fields["registered_at"]] if "registered_at" in fields else ""
    month_first = date_header in US_DATE_HEADERS
    zone = None
    if date_header:
        times = values(fields["registered_at"])
        # A 12-hour clock (11/03/2020 12:06:52 PM) is the American way: month first.
        month_first |= any(_AM_PM.search(value) for value in times)
        month_first = _month_first(times, month_first)
        zone = header_zone(header[fields["registered_at"]])
    return ColumnPlan(
        header=header,
        fields=fields,
        event_flags=tuple(flags),
        event_lists=tuple(lists),
        extra=tuple(i for i in range(len(header)) if i not in taken),
        month_first=month_first,
        status=status,
        zone=zone,
    )


_SLASHED_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{2,4}\b")
_AM_PM = re.compile(r"\d\s*[AaPp]\.?[Mm]\.?\s*$")
_HEADER_ZONE = re.compile(
    r"\b(UTC|GMT|Z|CET|CEST|EET|WET)(?:\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?)?(?![A-Za-z])"
)


def header_zone(header: str) -> str | None:
    """The zone a time column's header names: '(UTC)', '(GMT)', 'UTC+1', 'CET'.

    Returned as an offset '+01:00' or a zone name for ZoneInfo; None if it names none.
    """
    found = _HEADER_ZONE.search(header)
    if not found:
        return None
    name, sign, hours, minutes = found.groups()
    if name in ("CET", "CEST", "EET", "WET"):
        return name if not sign else None  # ZoneInfo knows them, summer time included
    if not sign:
        return "+00:00"
    return f"{sign}{int(hours):02d}:{minutes or '00'}"


def zone_of(name: str):
    """A tzinfo for header_zone()'s answer."""
    from datetime import timezone

    if name[0] in "+-":
        hours, minutes = int(name[1:3]), int(name[4:6])
        sign = -1 if name[0] == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return ZoneInfo(name)


def _month_first(values: Sequence[str], otherwise: bool) -> bool:
    """Whether slashed dates among `values` are month-first, or `otherwise` if they do not say."""
    day_first = month_first = False
    for value in values:
        found = _SLASHED_DATE.match(value)
        if found:
            day_first |= int(found[1]) > 12
            month_first |= int(found[2]) > 12
    return month_first if day_first != month_first else otherwise


def _about_buyer(folded_header: str) -> bool:
    """'Bestillers e-post', 'Buyer Email': the one who ordered, perhaps for others."""
    return any(word in folded_header for word in BUYER_WORDS)


def _loose_field(folded_header: str) -> str | None:
    """The field a header names by containing its name ('Din e-postadresse' -> email)."""
    found = [
        (folded_header.rfind(word) + len(word), len(word), name)
        for name, words in HEADER_NAMES.items()
        for word in words
        if len(word) >= 4 and word in folded_header
    ]
    field = max(found)[-1] if found else None
    if field == "registered_at" and any(w in folded_header for w in NOT_REGISTERED_AT):
        return None  # "Fødselsdato" holds a date, but not the one of the registration
    if field == "municipality" and any(w in folded_header for w in WORKPLACE_WORDS):
        # "Hvilken kommune/organisasjon representerer du?" asks where one works;
        # only a question for the municipality alone is the municipality.
        return "organisation"
    return field


def _time_rank(folded_header: str) -> int:
    """How surely a time column is when the registration was sent (higher is surer)."""
    for rank, words in enumerate(TIME_WORDS):
        if any(word in folded_header for word in words):
            return len(TIME_WORDS) - rank + 1
    return 0 if "start" in folded_header else 1


def _looks_dated(text: str) -> bool:
    return bool(re.search(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", text))


# --- dates ------------------------------------------------------------------------


class DateReader:
    """Registration times in whatever form the export wrote them, as UTC ISO text.

    The first value decides a strptime format that is then reused (50-70 us a
    call for dateutil against a few for strptime); a value that does not fit it
    goes to dateutil. Slashed dates are read day-first (17/11/2020, the Norwegian
    way) except under Microsoft Forms' own time headers, which are month-first.
    Times without an offset are local times in `tz`.
    """

    DAY_FIRST = (
        "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M", "%d.%m.%y",
        # Google Sheets and others in Norwegian: "02.11.2020 kl. 09.13.45".
        "%d.%m.%Y kl. %H.%M.%S", "%d.%m.%Y kl. %H:%M:%S", "%d.%m.%Y kl. %H.%M", "%d.%m.%Y kl. %H:%M",
        "%d.%m.%Y %H.%M.%S", "%d.%m.%Y %H.%M",
        "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d",
        "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %I:%M:%S %p",
        "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%y %H:%M:%S", "%d/%m/%y",
    )  # fmt: skip
    MONTH_FIRST = (
        "%m/%d/%y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M", "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%y", "%m/%d/%Y",
    )  # fmt: skip

    def __init__(self, month_first: bool, tz: ZoneInfo):
        self.month_first = month_first
        self.tz = tz
        self.format: str | None = None
        self.pattern: re.Pattern[str] | None = None
        self.guesses_left = 3
        self.offsets: dict[tuple[int, int, int, int], timedelta] = {}
        self.cache: dict[str, str | None] = {}

    @classmethod
    def guess_format(cls, text: str, month_first: bool) -> str | None:
        formats = (*cls.MONTH_FIRST, *cls.DAY_FIRST) if month_first else cls.DAY_FIRST
        for candidate in formats:
            try:
                datetime.strptime(text, candidate)
            except ValueError:
                continue
            return candidate
        return None

    def _use(self, fmt: str) -> None:
        self.format = fmt
        self.pattern = _format_pattern(fmt)

    def read(self, text: str) -> str | None:
        """UTC ISO 8601 text, or None when the value is not a date at all."""
        # Forms often stamp to the minute, so the same text comes back many times.
        cached = self.cache.get(text, _MISSING)
        if cached is not _MISSING:
            return cached
        if len(self.cache) >= 4096:  # bounded: memory must not grow with the file
            self.cache.clear()
        result = self.cache[text] = self._read(text)
        return result

    def _read(self, text: str) -> str | None:
        text = text.strip()
        if not text:
            return None
        if self.pattern is not None:
            match = self.pattern.fullmatch(text)
            if match:
                return self._utc_from_fields(match)
        moment = None
        if self.format:
            try:
                moment = datetime.strptime(text, self.format)
            except ValueError:
                pass
        if moment is None and self.guesses_left:
            guessed = self.guess_format(text, self.month_first)
            if guessed:
                self._use(guessed)
                moment = datetime.strptime(text, guessed)
            else:
                # A column no format fits (Google's "GMT+1") stops costing
                # twenty failed strptime calls a row.
                self.guesses_left -= 1
        if moment is None:
            moment = self._dateutil(text)
            if moment is None:
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment.astimezone(UTC).isoformat()

    def _utc_from_fields(self, match: re.Match[str]) -> str | None:
        """The fast path: numbers from the regex, the zone's offset cached per hour."""
        fields = match.groupdict()
        year = int(fields["Y"]) if fields.get("Y") else 2000 + int(fields["y"])
        try:
            local = datetime(
                year, int(fields["m"]), int(fields["d"]),
                int(fields.get("H") or 0), int(fields.get("M") or 0), int(fields.get("S") or 0),
            )  # fmt: skip
        except ValueError:
            return None
        key = (local.year, local.month, local.day, local.hour)
        offset = self.offsets.get(key)
        if offset is None:
            offset = self.offsets[key] = local.replace(tzinfo=self.tz).utcoffset() or timedelta(0)
        return (local - offset).isoformat() + "+00:00"

    def _dateutil(self, text: str) -> datetime | None:
        from dateutil import parser  # 60-70 ms to import: only for dates strptime cannot read

        # Google Forms writes "GMT+1" for one hour east; dateutil reads such
        # offsets POSIX-style (west), so spell it out as +01:00 first.
        cleaned = _GMT_OFFSET.sub(lambda m: f" {m[1]}{int(m[2]):02d}:{m[3] or '00'}", text)
        # A time written with dots, as Norwegians do: "2. nov. 2020 kl. 09.13".
        cleaned = _DOTTED_TIME.sub(lambda m: ":".join(part for part in m.groups() if part), cleaned)
        year_first = bool(re.match(r"\s*\d{4}\D", cleaned))  # 2020/11/02 is never day-first
        try:
            moment = parser.parse(
                cleaned,
                parserinfo=_norwegian_parserinfo(),
                dayfirst=not (self.month_first or year_first),
                yearfirst=year_first,
                default=_NO_DATE,  # what the text leaves out stays out, not "today"
            )
        except (ValueError, OverflowError):
            return None
        return None if moment.year == _NO_DATE.year else moment


_NO_DATE = datetime(1, 1, 1)
_DOTTED_TIME = re.compile(r"(?<=\s)(\d{1,2})\.(\d{2})(?:\.(\d{2}))?(?=\s*$)")


@functools.cache
def _norwegian_parserinfo():
    """dateutil's words, with the Norwegian names of months and weekdays and 'kl.'."""
    from dateutil import parser

    english = parser.parserinfo
    norwegian_months = (
        ("januar",), ("februar",), ("mars",), ("april",), ("mai",), ("juni",), ("juli",),
        ("august",), ("september",), ("okt", "oktober"), ("november",), ("des", "desember"),
    )  # fmt: skip
    norwegian_days = (
        ("man", "mandag"), ("tir", "tirsdag"), ("ons", "onsdag"), ("tor", "torsdag"),
        ("fre", "fredag"), ("lør", "lørdag"), ("søn", "søndag"),
    )  # fmt: skip

    class NorwegianParserInfo(english):
        JUMP = [*english.JUMP, "kl", "klokken", "den"]
        MONTHS = [(*ours, *theirs) for ours, theirs in zip(english.MONTHS, norwegian_months)]
        WEEKDAYS = [(*ours, *theirs) for ours, theirs in zip(english.WEEKDAYS, norwegian_days)]

    return NorwegianParserInfo()


_MISSING = object()
_DIRECTIVES = {
    "d": r"(?P<d>\d{1,2})", "m": r"(?P<m>\d{1,2})", "Y": r"(?P<Y>\d{4})", "y": r"(?P<y>\d{2})",
    "H": r"(?P<H>\d{1,2})", "M": r"(?P<M>\d{2})", "S": r"(?P<S>\d{2})",
}  # fmt: skip


def _format_pattern(fmt: str) -> re.Pattern[str] | None:
    """A regex for a strptime format made of plain numbers; None when it has more (%p, %z)."""
    parts, index = [], 0
    while index < len(fmt):
        if fmt[index] == "%":
            directive = fmt[index + 1]
            if directive not in _DIRECTIVES:
                return None
            parts.append(_DIRECTIVES[directive])
            index += 2
        else:
            parts.append(re.escape(fmt[index]))
            index += 1
    return re.compile("".join(parts))


_GMT_OFFSET = re.compile(r"\s*(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$")


# --- rows ---------------------------------------------------------------------------


class ParsedRow(NamedTuple):
    """One registration as innoff stores it.

    `email` is the key (folded to lower case: addresses compare
    case-insensitively); `address` is the address as the person wrote it, with
    only the domain in lower case. `events` is a bit mask over the programme's
    events (`RowReader.bits`). A tuple of plain values, so rows go to SQLite as
    they are (cheaper than a dataclass, or any copying, at a hundred thousand
    rows).
    """

    line: int
    email: str
    address: str
    name: str
    organisation: str
    role: str
    municipality: str
    phone: str
    registered_utc: str | None
    extra: str  # JSON object of the columns innoff does not know
    events: int  # one bit per event, see RowReader.bits


UNREAD_DATES = "dates not understood, kept as extra"


@dataclass(frozen=True)
class Rejected:
    line: int
    cells: tuple[str, ...]
    reason: str
    status: str = ""  # 'Approval Status: denied' when a status column said so


@dataclass
class Warnings:
    """Things worth telling that do not reject a row; a few examples and a count each."""

    examples: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, example: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        kept = self.examples.setdefault(kind, [])
        if len(kept) < 3:
            kept.append(example)

    def lines(self) -> list[str]:
        return [
            f"{kind}: {self.counts[kind]} ({'; '.join(self.examples[kind])})"
            for kind in self.counts
        ]


def check_email(text: str) -> tuple[str | None, str | None]:
    """(address, None) or (None, reason). Syntax only: nothing is looked up.

    The address keeps its local part as written and gets its domain in lower
    case (domains are case-insensitive; local parts, strictly, are not).
    """
    value = text.strip()
    angle = _ANGLE_ADDRESS.search(value)  # "Kari Nordmann <kari@example.org>"
    if angle:
        value = angle.group(1).strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if not value or value.casefold() in PLACEHOLDERS:
        return None, "no e-mail address"
    # The cheap check clears the usual address in about a microsecond; only the
    # rest pays for the full validator (50-85 us a call, and 70 ms to import).
    if _EMAIL.fullmatch(value) and ".." not in value:
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}", None
    # The commonest typos need no validator to explain (an @ inside a quoted
    # local part is refused by the validator too).
    if value.count("@") != 1:
        return None, f"bad e-mail address '{value}': it must have exactly one @"
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return None, f"bad e-mail address '{value}': {error}"
    return checked.normalized, None


def tidy(text: str) -> str:
    """Trim, and fold runs of white space (line breaks in a name) into one space."""
    text = text.strip()
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text


# Words a name keeps in lower case when innoff gives it capitals ("Anne van der Berg").
_NAME_PARTICLES = {"van", "von", "der", "den", "de", "da", "di", "du", "la", "le", "af", "av"}
# What may follow a comma in a name without being a first name ("Kari Nordmann, PhD").
_NAME_SUFFIXES = {"phd", "ph.d.", "dr", "dr.", "prof", "prof.", "jr", "jr.", "sr", "sr.",
                  "mba", "msc", "m.sc.", "ma", "ba", "md"}  # fmt: skip
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’.-][^\W\d_]*)*")
_LETTERS = re.compile(r"[^\W\d_]+")


def _names(text: str, cased: bool) -> bool:
    """One to three words of letters (with - ' . inside), as a given name or surname is.

    In a name written in mixed case each word starts with a capital, but for
    particles ("van der Berg"): "Kari Nordmann, Bergen kommune" is no surname
    followed by given names.
    """
    words = text.split()
    return (
        0 < len(words) <= 3
        and all(_NAME_WORD.fullmatch(word) for word in words)
        and (not cased or all(w[0].isupper() or w in _NAME_PARTICLES for w in words))
    )


def tidy_name(name: str) -> tuple[str, list[str]]:
    """A name as a careful person would type it, and what was changed (empty if nothing).

    'Nordmann, Kari' (how lists sorted by surname write it) becomes 'Kari
    Nordmann'; a name in capitals or in small letters only ('KARI NORDMANN')
    gets capitals where names have them. Anything else stays exactly as written.
    """
    changes = []
    one_case = name.isupper() or name.islower()
    if "," in name:
        last, _, first = (part.strip() for part in name.partition(","))
        cased = not one_case
        if _names(last, cased) and _names(first, cased) and first.casefold() not in _NAME_SUFFIXES:
            name = f"{first} {last}"
            changes.append("names written 'Last, First', turned around")
    if one_case:
        words = name.split()
        name = " ".join(
            word.lower() if index and word.lower() in _NAME_PARTICLES
            else _LETTERS.sub(lambda m: m[0].capitalize(), word.lower())
            for index, word in enumerate(words)
        )  # fmt: skip
        changes.append("names in capitals or small letters only, given capitals")
    return name, changes


class RowReader:
    """Turns the cells of one row into a ParsedRow, a Rejected, or None for a blank row."""

    def __init__(
        self,
        plan: ColumnPlan,
        events: Sequence[Event],
        default_event: str,
        tz: ZoneInfo,
    ):
        self.plan = plan
        self.names = event_names(events)
        # Events as bits, in programme order: a row's events are one integer.
        self.bits = {event.slug: 1 << index for index, event in enumerate(events)}
        self.default_event = default_event
        self.dates = DateReader(plan.month_first, zone_of(plan.zone) if plan.zone else tz)
        self.warnings = Warnings()
        get = plan.fields.get
        self.columns = [get(name) for name in ("email", "name", "first_name", "last_name",
                        "organisation", "role", "municipality", "phone", "registered_at")]  # fmt: skip
        self.extra = [(index, plan.header[index]) for index in plan.extra]
        self.width = len(plan.header)
        # C-speed column picking; a missing field reads the empty cell at `width`.
        self.pick = operator.itemgetter(*(-1 if i is None else i for i in self.columns))
        self.default_flag = any(slug == default_event for _, slug in plan.event_flags)
        event_indexes = [*plan.event_lists, *(index for index, _ in plan.event_flags)]
        # The answers that decide a row's events, as one key for the cache.
        self.event_cells = operator.itemgetter(*event_indexes) if event_indexes else None
        self.event_cache: dict[str | tuple[str, ...], int] = {}
        self.default_events = self.bits[default_event]
        self.status_cache: dict[str, bool] = {}

    def read(self, line: int, cells: list[str]) -> ParsedRow | Rejected | None:
        """One row; None for a blank one."""
        rejected: list[Rejected] = []
        row = next(self.rows([(line, cells)], rejected.append), None)
        if row is not None:
            return ParsedRow(*row)
        return rejected[0] if rejected else None

    def rows(
        self, numbered: Iterable[tuple[int, list[str]]], reject: Callable[[Rejected], None]
    ) -> Iterator[tuple]:
        """A row for each (line, cells) that is not blank; the rest go to `reject`.

        The rows are plain tuples with ParsedRow's fields, in its order:
        SQLite's module binds a plain tuple half again as fast as a NamedTuple.

        The hot loop of an import, about 2 us a row: one generator with
        everything it uses in locals, rather than a method call a row.
        """
        width_ = self.width
        pick = self.pick
        extra_columns = self.extra
        date_cache = self.dates.cache
        read_date = self.dates.read
        event_cells, event_cache = self.event_cells, self.event_cache
        default_events = self.default_events
        email_match = _EMAIL.fullmatch
        strip = str.strip
        status = self.plan.status
        compact = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        for line, cells in numbered:
            width = len(cells)
            # Every field the file has no column for reads the empty cell
            # appended at `width_`; short rows are padded up to it.
            padded = cells + [""] * (width_ - width + 1) if width < width_ else [*cells, ""]
            joined = "".join(cells)
            if "  " in joined or "\n" in joined or "\t" in joined or "\r" in joined:
                values = map(tidy, pick(padded))
            else:
                values = map(strip, pick(padded))
            email_at, name_at, first_at, last_at, org_at, role_at, muni_at, phone_at, date_at = (
                values
            )
            several = False
            if email_match(email_at):  # the usual address, cleared in well under a microsecond
                local, _, domain = email_at.rpartition("@")
                address = f"{local}@{domain.lower()}"
            else:
                if not joined.strip():
                    continue  # a blank row
                address, problem = check_email(email_at)
                if address is None and email_at.count("@") > 1:
                    address = self._first_of_several(line, email_at)
                    several = address is not None
                if address is None:
                    reject(Rejected(line, tuple(cells), problem or "no e-mail address"))
                    continue
            if status is not None and self._cancelled(padded[status]):
                said = f"{self.plan.header[status]}: {padded[status].strip()}"
                reject(Rejected(line, tuple(cells), f"not coming ({said})", said))
                continue
            if name_at and name_at.casefold() in PLACEHOLDERS:
                name_at = ""
            if not name_at and (first_at or last_at):
                # "Kari Nordmann" typed as the first name, "Nordmann" as the last.
                if (
                    last_at
                    and " " in first_at
                    and first_at.casefold().endswith(" " + last_at.casefold())
                ):
                    name_at = first_at
                else:
                    name_at = f"{first_at} {last_at}".strip()
            if "," in name_at or name_at.isupper() or name_at.islower():
                name_at = self._tidy_name(line, name_at)
            extra = {}
            if extra_columns:
                for i, header in extra_columns:
                    if value := padded[i].strip():
                        extra[header] = value
            if several:  # the other addresses are kept, under the column's name
                extra[self.plan.header[self.columns[0]]] = email_at
            registered = None
            if date_at:
                registered = date_cache.get(date_at) or read_date(date_at)
                if registered is None:
                    self.warnings.add(UNREAD_DATES, f"line {line}: {date_at}")
                    extra[self.plan.header[self.columns[8]]] = date_at
            if width > width_:  # cells beyond the header are kept too
                for i in range(width_, width):
                    if value := cells[i].strip():
                        extra[f"column {i + 1}"] = value
            if event_cells is None:
                events = default_events
            else:
                events = event_cache.get(event_cells(padded))
                if events is None:
                    events = self._cached_events(line, padded)
            yield (
                line,
                address.casefold(),
                address,
                name_at,
                org_at,
                role_at,
                muni_at,
                phone_at,
                registered,
                # Compact like SQLite's json_patch() writes it, so a re-import compares equal.
                compact.encode(extra) if extra else "{}",
                events,
            )  # fmt: skip

    def _first_of_several(self, line: int, cell: str) -> str | None:
        """The first valid address of a cell that holds several ('kari@x.no; kari@y.no')."""
        for part in _SEVERAL_ADDRESSES.split(cell):
            if "@" in part:
                address, _ = check_email(part)
                if address:
                    self.warnings.add(
                        "cells with several e-mail addresses, the first one used",
                        f"line {line}: {cell}",
                    )
                    return address
        return None

    def _cancelled(self, value: str) -> bool:
        """Whether a status cell says the person is not coming or not admitted (per value)."""
        found = self.status_cache.get(value)
        if found is None:
            found = self.status_cache[value] = normalise_name(value) in NOT_COMING
        return found

    def _tidy_name(self, line: int, name: str) -> str:
        tidied, changes = tidy_name(name)
        for change in changes:
            self.warnings.add(change, f"line {line}: {name}")
        return tidied

    def slugs(self, events: int) -> tuple[str, ...]:
        """The slugs of a row's events, in programme order."""
        return tuple(slug for slug, bit in self.bits.items() if events & bit)

    def _cached_events(self, line: int, cells: list[str]) -> int:
        """`_events` as bits, remembered per combination of answers (there are few: Ja, Nei, ...).

        `rows` looks in the cache first and calls this only for answers not in it.
        """
        key = self.event_cells(cells)
        noted = sum(self.warnings.counts.values())
        events = sum(self.bits[slug] for slug in self._events(line, cells))
        # Only answers that raised no warning are remembered, so each odd one is still reported.
        if sum(self.warnings.counts.values()) == noted and len(self.event_cache) < 1024:
            self.event_cache[key] = events
        return events

    def _events(self, line: int, cells: list[str]) -> tuple[str, ...]:
        """The events this row registers for; see the README's 'Which events' for the rule."""
        plan = self.plan
        listed: list[str] = []
        for index in plan.event_lists:
            if cells[index].strip():
                slugs, unknown = match_events(cells[index], self.names)
                listed += [slug for slug in slugs if slug not in listed]
                for part in unknown:
                    self.warnings.add("event names not recognised", f"line {line}: {part}")
        chosen = listed or ([] if self.default_flag else [self.default_event])
        for index, slug in plan.event_flags:
            value = yes_or_no(cells[index])
            if value and slug not in chosen:
                chosen.append(slug)
            elif value is None:
                self.warnings.add(
                    "yes/no answers not understood, read as no", f"line {line}: {cells[index]}"
                )
        if not chosen:
            self.warnings.add("registered for no event", f"line {line}")
        return tuple(chosen)
