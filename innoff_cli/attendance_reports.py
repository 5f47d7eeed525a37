"""Attendance reports of meeting platforms -> who was there, and when. Pure.

Read through the registration reader's seams (encoding with UTF-16 and Mac
Roman, delimiter, numbered rows), then in blocks, as the platforms lay them out:

- Microsoft Teams: sections `1. Summary`, `2. Participants` (a row per person:
  first join, last leave, in-meeting duration, e-mail, UPN, role) and
  `3. In-Meeting Activities` (a row per join and leave), in UTF-16 with tabs
  or as a comma file, with titles and headers in the organiser's language;
- Zoom: the participants report (a row per join: a rejoin is a new row), after
  an optional meeting summary; the webinar attendee report (summary, host and
  panelist blocks, then attendees with Attended Yes/No);
- Google Meet's attendance sheet (first and last name, e-mail, duration, joined, exited).

Columns are known by a vocabulary (vocabulary below; add a language there) and,
where a header is not in it, by what the column holds (addresses, durations,
times). A block titled for hosts or panelists is not attendees; a summary
block is skipped. Times are read in the zone their column's header names
('UTC Event Timestamp' of Teams' live events, 'First Join (UTC)'), else as
the event's local times; a date written with slashes is read month- or
day-first, whichever lands on the event's day. An unreadable duration is
unknown (None), never zero.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from innoff_cli.programme import normalise_name
from innoff_cli.registration_exports.dates import header_zone, zone_of

# Headers, folded by normalise_name (case, accents, punctuation, spaces gone).
COLUMNS = {
    "name": ("name", "fullname", "navn", "fulltnavn", "nameoriginalname", "usernameoriginalname",
             "nom", "nomcomplet", "nombre", "namn", "naam", "nome", "nimi", "imie",
             "username", "participant", "participantname", "deltaker", "deltakernavn",
             "displayname", "visningsnavn", "attendee", "attendeename"),
    "first": ("firstname", "fornavn", "givenname"),
    "last": ("lastname", "etternavn", "surname", "familyname"),
    "email": ("email", "emailaddress", "useremail", "epost", "epostadresse", "mail",
              "courriel", "adressemail", "correoelectronico", "correo", "emailadresse",
              "attendeeemail", "participantemail"),
    "upn": ("participantidupn", "upn", "participantid", "deltakeridupn", "deltaker-id(upn)",
            "userprincipalname"),
    "join": ("firstjoin", "jointime", "joined", "timejoined", "firstjointime", "join",
             "forsteinnlogging", "forstedeltakelse", "forsteblemed", "blemed",
             "tidspunktblemed", "innlogget", "startet", "tilkoblet", "forstetilkobling",
             # a row per join and per leave (its action says which): Teams' 2020
             # list, and its live events' attendee report ('UTC Event Timestamp')
             "timestamp", "utceventtimestamp", "eventtimestamp", "tidsstempel",
             "tidsstempelforutchendelse"),
    "leave": ("lastleave", "leavetime", "left", "timeexited", "exited", "lastleavetime",
              "leave", "sisteutlogging", "sisteavreise", "forlot", "forlotsist", "utlogget",
              "sistforlatt", "sistegangforlatt", "sistforlot", "forlatt", "frakoblet",
              "sistetilkobling"),
    "duration": ("inmeetingduration", "duration", "durationminutes", "timeinsessionminutes",
                 "timeinsession", "varighet", "varighetimotet", "varighetminutter",
                 "tidimotet", "tidiokten", "attendanceduration", "totalduration"),
    "role": ("role", "rolle", "userrole", "participantrole", "rol", "roll", "ruolo", "funktion"),
    "attended": ("attended", "deltok", "motte", "present"),
    "guest": ("guest", "isguest", "gjest"),
    # Zoom (2023 on): a row of time spent in the waiting room, not in the meeting.
    "waiting": ("inwaitingroom", "waitingroom", "iventerommet", "iventerom", "venterom"),
    "action": ("useraction", "action", "handling", "aktivitet"),
}  # fmt: skip
_COLUMN_OF = {word: use for use, words in COLUMNS.items() for word in words}

# Titles of blocks (and Teams' numbered sections), folded, by the first word that
# says what the block is. Attendees' blocks are read; others are not.
SUMMARY_WORDS = ("summary", "sammendrag", "oppsummering", "meeting", "topic", "webinar",
                 "reportgenerated", "mote", "motedetaljer")  # fmt: skip
SIDELINED_WORDS = ("host", "panelist", "panellist", "presenter", "vert", "paneldeltaker",
                   "presentator", "organizer", "arrangor")  # fmt: skip
ACTIVITY_WORDS = ("inmeetingactivities", "activities", "aktiviteter", "aktiviteterimotet",
                  "joinsandleaves")  # fmt: skip
ATTENDEE_WORDS = ("participants", "deltakere", "attendee", "attendees", "attendeedetails",
                  "participantdetails", "deltakerdetaljer", "othersattended")  # fmt: skip
# Roles that run a meeting rather than attend it.
RUNNING_ROLES = {"organizer", "organiser", "coorganizer", "presenter", "host", "cohost",
                 "panelist", "panellist", "arrangor", "medarrangor", "presentator", "vert",
                 "medvert", "paneldeltaker", "alternativevert", "alternativehost",
                 # Teams live events: the producer runs it (Norwegian: produsent)
                 "producer", "produsent", "presentor",
                 # the same in Teams' other languages (folded: accents gone)
                 "organisator", "mitorganisator", "referent", "referentin", "moderator",
                 "organisateur", "organisatrice", "coorganisateur", "presentateur",
                 "presentatrice", "organizador", "organizadora", "coorganizador",
                 "presentador", "presentadora", "organisatoer", "presentatoer",
                 "medorganisator", "organizzatore", "coorganizzatore", "relatore",
                 "presentatore", "organisaattori", "esittaja"}  # fmt: skip
# What a display name may carry after the name: "(Guest)", "(Gjest)", "(Extern)".
_NAME_TAIL = re.compile(
    r"\s*\((?:guest|gjest|gast|gäst|gæst|invité|invitée|invitado|invitada|ospite|vieras"
    r"|external|ekstern|extern|externe|externo|unverified|ikke bekreftet|nicht verifiziert"
    r"|via [^)]*)\)\s*$",
    re.I,
)

# A name with single spaces, no brackets and no comma: shown as it is.
_PLAIN_NAME = re.compile(r"[^\s(),]+(?: [^\s(),]+)*")

_MOMENT = re.compile(
    r"(\d{1,4})[./-](\d{1,2})[./-](\d{2,4})[,\s]*(?:kl\.?\s*)?[T\s]?"
    r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:[.,]\d+)?\s*([AaPp])?\.?\s*[Mm]?\.?"
)
# "Nov 17, 2020 09:55 AM" (Zoom's webinar reports), "17 Nov 2020 09:55".
_MONTHS = {name: number for number, names in enumerate(
    (("jan",), ("feb",), ("mar",), ("apr",), ("may", "mai"), ("jun",), ("jul",), ("aug",),
     ("sep",), ("oct", "okt"), ("nov",), ("dec", "des")), 1) for name in names}  # fmt: skip
_NAMED_MONTH = re.compile(
    r"(?:([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})|(\d{1,2})\.?\s+([A-Za-z]{3})[a-z]*\.?),?\s+(\d{4})"
    r"[,\s]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([AaPp])?\.?\s*[Mm]?\.?"
)
# A time of day alone ("9:58 AM", Google Meet's sheet): on the event's day.
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*(?:([AaPp])\.?\s*[Mm]\.?)?")
# Cells that say "none" in a time or duration column.
_NOTHING = {"", "-", "--", "n/a", "na", "none", "ingen"}
# Durations as Teams writes them in its users' languages: "1h 27m 51s", "1 t 27 m",
# "1 Std. 27 Min. 51 Sek.", "1 h 27 min 51 s", "1 tim 27 min" (units by their
# first letter: hours h/t, minutes m, seconds s; "Std." and "uur" are hours too).
_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(hours?|hrs?|h|heures?|horas?|hora|ore|ora|timer|timmar|time|tim|t"
    r"|std|stunden|stunde|uur|u|minutes?|mins?|minutter|minutt|minuten|minuter|minutos|minuti|m"
    r"|seconds?|secs?|secondes|segundos|secondi|sekunder|sekunden|sekund|sek|s)\b\.?",
    re.I,
)
_HOURS = ("h", "t", "o", "u")  # first letters of hour units (std: 'st')
# What may stand between the parts of a duration: spaces, commas, "and".
_BETWEEN = re.compile(r"[\s,.]*(?:(?:og|and|und|et|y|och|en|e)\b[\s,.]*)?")
_DIGIT = re.compile(r"\d")
_CLOCK_DURATION = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})")


class Presence(NamedTuple):
    """One row of attendance: a join and leave, or a person's whole time (`total`).
    (A tuple: a report has a hundred thousand of them.)"""

    key: str  # whose: the address, folded, or "name:" and the name, folded
    name: str
    email: str
    role: str  # as written (stripped where it is read)
    join: datetime | None
    leave: datetime | None
    attended: bool | None = None  # a webinar's Attended Yes/No
    total: bool = False  # Teams' participants section: the whole time, not one stretch
    duration: str = ""  # the row's own duration as written; read only where it is needed
    # (Role and duration are as the cell holds them: most rows never need them read.)


@dataclass
class ReportShape:
    """What the reader found, for the summary."""

    platform: str = "report"
    plan: list[tuple[str, str]] = field(default_factory=list)  # (header, use)
    sidelined: int = 0  # rows in host or panelist blocks
    waiting: int = 0  # rows of time in the waiting room
    unreadable_times: int = 0


def read_rows(
    rows: Iterator[list[str]], tz: ZoneInfo, day: date, shape: ReportShape,
    people: dict[str, Person] | None = None,
) -> Iterator[Presence]:  # fmt: skip
    """Presence rows of a report's rows; `shape` is filled in as it goes.

    Written for reports of a hundred thousand rows: a person's row (its first
    two cells filled, a digit in it) goes straight to `_Row`; only the others
    are asked whether they are a title or a header. Given `people` (what
    `gather` folds the rows into), a plain stretch of someone already met is
    folded into them here, and not yielded (`_Row.stretch`).
    """
    block = "attendees"  # what the rows under the next header are
    columns: dict[str, int] | None = None
    reader: _Row | None = None
    numbered_people = False  # Teams' "2." section: a row per person, the whole time
    seen = _Seen(day)  # names, addresses and times read, for every block
    lane = None  # the block's _Row.stretch, once its first row is read
    for cells in rows:
        if lane is not None and lane(cells):
            continue
        person_like = (
            reader is not None and len(cells) > 2 and cells[0].strip() and cells[1].strip()
            and (cells[1][0].isdigit() or _DIGIT.search(cells[1]) or _DIGIT.search(cells[2]))
        )  # fmt: skip
        if not person_like:
            filled = [cell.strip() for cell in cells if cell.strip()]
            if not filled:
                continue
            if len(filled) == 1 or _is_section_title(filled[0]) and len(filled) <= 2:
                kind = _block_kind(filled[0])
                if kind is not None:
                    block, columns, reader, lane = kind, None, None, None
                    numbered_people = kind == "attendees" and filled[0].startswith("2.")
                    _platform(shape, filled[0])
                    continue
                if columns is None or "@" not in filled[0]:
                    continue  # a title row (above a header, or one innoff does not know)
            # A header: where a block has none yet, after a summary (Zoom's
            # participants follow its meeting line), or a row without a digit.
            found = (
                _header(cells)
                if columns is None or block == "summary" or not _DIGIT.search("".join(filled))
                else None
            )
            if found is not None:
                columns, plan = found
                reader = lane = None
                if _is_summary_header(cells):
                    block = "summary"  # Zoom's meeting line before its participants
                elif block == "summary":
                    block = "attendees"  # a header after a summary starts the people
                if block in ("attendees", "activities"):
                    shape.plan = plan
                    # A row per person (first join, last leave, the whole time), or
                    # a row per stretch (join, leave) or per join or leave (action).
                    whole = numbered_people or bool(_folded(cells) & WHOLE_TIME_HEADERS)
                    whole = whole and block == "attendees"
                    reader = _Row(columns, shape, tz, day, whole, seen, people, header=cells)
                _platform_of_header(shape, cells, block)
                if block == "sidelined":
                    reader = None
                continue
        if block == "sidelined" and columns is not None:
            shape.sidelined += 1
            continue
        if reader is None:
            continue
        presence = reader.read(cells)
        if lane is None:
            lane = reader.lane
        if presence is not None:
            yield presence


def _is_section_title(text: str) -> bool:
    return bool(re.match(r"^\d{1,2}\.\s*\S", text))


# Teams numbers its sections the same in every language: 1. the summary,
# 2. the participants, 3. the joins and leaves.
NUMBERED_SECTIONS = {"1": "summary", "2": "attendees", "3": "activities"}


def _block_kind(title: str) -> str | None:
    number = re.match(r"^(\d{1,2})\.\s*\S", title)
    words = normalise_name(re.sub(r"^\d{1,2}\.\s*", "", title))
    if not words:
        return None
    if number and not any(
        words.startswith(word) for word in (*ACTIVITY_WORDS, *ATTENDEE_WORDS, *SUMMARY_WORDS)
    ):
        return NUMBERED_SECTIONS.get(number[1])
    if any(words.startswith(word) for word in ACTIVITY_WORDS):
        return "activities"
    if any(words.startswith(word) for word in SIDELINED_WORDS):
        return "sidelined"
    if any(words.startswith(word) for word in ATTENDEE_WORDS):
        return "attendees"
    if any(words.startswith(word) for word in SUMMARY_WORDS):
        return "summary"
    return None


def _platform(shape: ReportShape, title: str) -> None:
    words = normalise_name(title)
    if re.match(r"^\d\.", title.strip()):
        shape.platform = "Microsoft Teams"
    elif "attendeereport" in words or "attendeedetails" in words:
        shape.platform = "Zoom webinar"


def _platform_of_header(shape: ReportShape, cells: list[str], block: str) -> None:
    folded = {normalise_name(cell) for cell in cells}
    if shape.platform != "report":
        return
    if folded & {"nameoriginalname", "usernameoriginalname", "timeinsessionminutes"}:
        shape.platform = "Zoom webinar" if "attended" in folded else "Zoom"
    elif "participantidupn" in folded or "inmeetingduration" in folded:
        shape.platform = "Microsoft Teams"
    elif "utceventtimestamp" in folded:
        shape.platform = "Microsoft Teams live event"
    elif folded & {"timejoined", "timeexited"}:
        shape.platform = "Google Meet"


def _is_summary_header(cells: list[str]) -> bool:
    folded = {normalise_name(cell) for cell in cells}
    return bool(folded & {"meetingid", "topic", "webinarid", "meetingtitle", "motetittel",
                          "participants", "antalldeltakere", "totalnumberofparticipants"})  # fmt: skip


def _header(cells: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]] | None:
    """(use -> column, the plan) when `cells` is a header row: two or more known
    columns, one of them a name or an address."""
    columns: dict[str, int] = {}
    plan = []
    for index, cell in enumerate(cells):
        use = _COLUMN_OF.get(normalise_name(cell))
        if use is None:
            folded = normalise_name(cell)
            use = next(
                (u for word, u in _COLUMN_OF.items() if len(word) > 5 and folded.startswith(word)),
                None,
            )
        if use is not None and use not in columns:
            columns[use] = index
            plan.append((cell.strip(), use))
        else:  # one entry a cell, so a column found by its values can be named
            plan.append((cell.strip(), "not read"))
    has_person = {"name", "email", "first", "upn"} & columns.keys()
    if len(columns) >= 2 and has_person:
        return columns, plan
    return None


# What _Row reads of each row, in this order.
_READ = ("name", "first", "last", "email", "upn", "join", "leave", "action", "role",
         "attended", "duration", "waiting")  # fmt: skip


class _Row:
    """Reads a block's rows into Presence, the block's columns looked up once.
    The first row also names the columns the header did not (by their values).

    The hot path of a report of a hundred thousand rows: one C call takes a
    row's cells apart, and names and times are each read once per text."""

    def __init__(self, columns: dict[str, int], shape: ReportShape, tz: ZoneInfo, day: date,
                 whole: bool = False, seen: _Seen | None = None,
                 people: dict[str, Person] | None = None, header: list[str] | None = None):  # fmt: skip
        self.columns, self.shape, self.tz, self.day = columns, shape, tz, day
        self.whole = whole  # each row is a person's whole time, not one stretch
        self.first = True
        self.people = people
        self.header = header or []
        self.lane = None  # _stretch's lane, where the block's columns allow it
        # What the report's blocks read before (Teams names everyone twice).
        self.seen = _Seen(day) if seen is None else seen
        self.names, self.addresses = self.seen.names, self.seen.addresses
        # Zoom's 'Name (Original Name)': a renamed person's account name in brackets.
        self.original_in_brackets = bool(
            _folded(self.header) & {"nameoriginalname", "usernameoriginalname"}
        )

    def read(self, cells: list[str]) -> Presence | None:
        if self.first:
            _columns_by_values(cells, self.columns, self.shape, self.tz, self.day)
            self.first = False
            # Times in the zone the join or leave header names, else local ones.
            self.moments = self.seen.moments_in(self._zone())
            self.width = max(self.columns.values()) + 1
            # Each use's column; one the block lacks reads the '' put after each row.
            self.take = itemgetter(*(self.columns.get(use, -1) for use in _READ))
            columns = self.columns
            if (
                self.people is not None and not self.whole
                and {"email", "join", "leave"} <= columns.keys()
                and not {"action", "attended", "waiting"} & columns.keys()
            ):  # fmt: skip
                self.lane = self._stretch(
                    itemgetter(columns["email"], columns["join"], columns["leave"]),
                    columns.get("role"),
                )
        cells.append("")
        if len(cells) <= self.width:  # a short row: the missing cells are empty
            cells.extend([""] * (self.width + 1 - len(cells)))
        raw, first, last, email, upn, join, leave, action, role, attended, duration, waiting = (
            self.take(cells)
        )
        if waiting and _ATTENDED.get(waiting.strip().casefold()):
            self.shape.waiting += 1  # let in later (a row of its own), or never
            return None
        name = self.names.get(raw)
        if name is None:
            text = raw.strip()
            if text or not (first or last):
                name = _display_name(text, self.original_in_brackets)
                if len(self.names) < 100_000:
                    self.names[raw] = name
            else:  # Google Meet: first and last name (not kept: they vary apart)
                name = _display_name(" ".join(p for p in (first.strip(), last.strip()) if p))
        address = self.addresses.get(email)  # (address, key) of a cell read before
        if address is not None:
            email, key = address
        else:
            cell = email
            email = email.strip()
            if "@" in email:
                key = email.casefold()
                if len(self.addresses) < 100_000:
                    self.addresses[cell] = (email, key)
            else:
                upn = upn.strip()
                email = upn if "@" in upn else ""
                if email:
                    key = email.casefold()
                elif name:
                    key = "name:" + normalise_name(name)
                else:
                    return None
        # Each cell's text read once: a moment, None for none, or _UNREADABLE.
        read = self.moments.cells.get
        if (join := read(join, join)).__class__ is str:
            join = self.moments.cell(join)
        if (leave := read(leave, leave)).__class__ is str:
            leave = self.moments.cell(leave)
        if join is _UNREADABLE or leave is _UNREADABLE:
            self.shape.unreadable_times += (join is _UNREADABLE) + (leave is _UNREADABLE)
            join = None if join is _UNREADABLE else join
            leave = None if leave is _UNREADABLE else leave
        if action and join is not None and leave is None and _LEFT.match(action):
            join, leave = None, join  # Teams' oldest report: a row per join and per leave
        # (tuple.__new__: a NamedTuple's own __new__ is a Python call per row)
        return _presence(Presence, (
            key, name, email, role, join, leave,
            _ATTENDED.get(attended.strip().casefold()) if attended else None, self.whole,
            duration,
        ))  # fmt: skip

    def _zone(self) -> tzinfo:
        """The zone the join or leave column's header names, else the event's."""
        for use in ("join", "leave"):
            index = self.columns.get(use)
            if index is not None and index < len(self.header):
                named = header_zone(self.header[index])
                if named is not None:
                    return zone_of(named)
        return self.tz

    def _stretch(self, at: itemgetter, role_at: int | None) -> Callable[[list[str]], bool]:
        """The block's lane: stretch(cells) folds a row straight into its person
        when it is a plain stretch (a join and a leave that read as times, an
        address read before) of someone already met by name and address, and
        `read` then `gather` would fold it alike; False: the row takes that
        way. Most rows of a report of joins and leaves are such rows. (A
        closure: what it uses is in its own names, not looked up on self.)"""
        width, addresses, people = self.width, self.addresses.get, self.people.get
        seen, read_time = self.moments.cells.get, self.moments.cell

        def stretch(cells: list[str]) -> bool:
            if len(cells) < width:
                return False
            email, join, leave = at(cells)
            address = addresses(email)
            if address is None:
                return False
            person = people(address[1])
            if person is None:
                return False
            if person.rows:
                person.fold()  # the rows before it first, as gather does
            if not person.name or not person.email:
                return False
            # Each time read once, as `read` reads it (and remembers it for `read`).
            if (join := seen(join, join)).__class__ is str:
                join = read_time(join)
            if (leave := seen(leave, leave)).__class__ is str:
                leave = read_time(leave)
            if join is None or leave is None or join is _UNREADABLE or leave is _UNREADABLE:
                return False  # none, or unreadable: the careful way says which
            if role_at is not None and (role := cells[role_at]) and role not in person.roles:
                person.roles.append(role)
            person.stretches.append((join, leave if leave > join else join))
            if person.first_join is None or join < person.first_join:
                person.first_join = join
            if person.last_leave is None or leave > person.last_leave:
                person.last_leave = leave
            return True

        return stretch


_presence = tuple.__new__
_UNREADABLE = object()  # a time cell that holds something, but no time innoff can read
_ATTENDED = {"yes": True, "ja": True, "no": False, "nei": False}
# An action that says the person left (Teams' oldest report: "Joined", "Left").
_LEFT = re.compile(r"(?i)\s*(left|forlot|verlassen|a quitté|salió|lämnade|forlod)")
# Headers of a row per person: first join, last leave, time in the meeting.
WHOLE_TIME_HEADERS = {"firstjoin", "lastleave", "inmeetingduration", "forstedeltakelse",
                      "sistegangforlatt", "varighetimotet", "forsteinnlogging", "sisteutlogging",
                      "firstjointime", "lastleavetime"}  # fmt: skip


def _folded(cells: list[str]) -> set[str]:
    return {normalise_name(cell) for cell in cells}


def cell_text(raw: str) -> str:
    """A time or duration cell's text, stripped, or '' for one that says there is none ('--')."""
    text = raw.strip()
    return "" if len(text) < 5 and text.casefold() in _NOTHING else text


@lru_cache(maxsize=256)
def runs_meetings(role: str) -> bool:
    """A role (as written, in any of Teams' and Zoom's languages) that runs a meeting."""
    return normalise_name(role) in RUNNING_ROLES


class _Seen:
    """What a report's blocks have read, each text once: display name -> name,
    e-mail cell -> (address, key), and time cells (`_Moments`, one per zone
    the blocks' times are in)."""

    def __init__(self, day: date):
        self.day = day
        self.names: dict[str, str] = {}
        self.addresses: dict[str, tuple[str, str]] = {}
        self.zones: dict[tzinfo, _Moments] = {}

    def moments_in(self, tz: tzinfo) -> _Moments:
        moments = self.zones.get(tz)
        if moments is None:
            moments = self.zones[tz] = _Moments(tz, self.day)
        return moments


class _Moments:
    """`_moment` with each cell's text read once (a meeting of hours has only so
    many seconds: its joins and leaves repeat) and the dates of a report once."""

    def __init__(self, tz: ZoneInfo, day: date):
        self.tz, self.day = tz, day
        self.dates: dict[tuple, tuple[int, int, int] | None] = {}
        self.cells: dict[str, object] = {"": None}  # a cell as it is -> what `cell` said

    def cell(self, raw: str) -> object:
        """A time cell: its moment, None when it says there is none ('', '--'),
        or _UNREADABLE."""
        text = cell_text(raw)
        moment = (self._read(text) or _UNREADABLE) if text else None
        if len(self.cells) < 200_000:
            self.cells[raw] = moment
        return moment

    def _read(self, text: str) -> datetime | None:
        found = _MOMENT.match(text)
        if found is None or len(found[1]) == 4 or found.end() != len(text.rstrip()):
            return _moment(text, self.tz, self.day)
        key = (found[1], found[2], found[3], "." in text[: found.end(3)])
        ymd = self.dates.get(key)
        if key not in self.dates:
            best = _moment(text, self.tz, self.day)
            ymd = self.dates[key] = (best.year, best.month, best.day) if best else None
        if ymd is None:
            return None
        hour = _hour(int(found[4]), found[7])
        minute, second = int(found[5]), int(found[6] or 0)
        if hour is None or minute > 59 or second > 59:
            return None
        return datetime(*ymd, hour, minute, second, tzinfo=self.tz)


def _columns_by_values(cells, columns, shape, tz, day) -> None:
    """Columns whose header is not in the vocabulary (another Teams language),
    named by what the block's first row holds in them: an address, two times
    (join, then leave), a duration with units."""
    known = set(columns.values())
    for index, cell in enumerate(cells):
        text = cell.strip()
        if index in known or not text:
            continue
        use = None
        if "email" not in columns and "@" in text and " " not in text:
            use = "email"
        elif "join" not in columns and _moment(text, tz, day) is not None:
            use = "join"
        elif "leave" not in columns and "join" in columns and _moment(text, tz, day) is not None:
            use = "leave"
        elif (
            "duration" not in columns and not text.isdigit() and duration_minutes(text) is not None
        ):
            use = "duration"
        if use is not None:
            columns[use] = index
            shape.plan = [
                (header, f"{use} (by its values)") if position == index else (header, old)
                for position, (header, old) in enumerate(shape.plan)
            ]


def _display_name(name: str, original_in_brackets: bool = False) -> str:
    """'Nordmann, Kari (Guest)' -> 'Kari Nordmann'. Under Zoom's 'Name (Original
    Name)' a renamed person's brackets hold the account's name ('Kari N (Kari
    Nordmann)'); what else people put in brackets after their name is not
    their name: pronouns ('she/her', 'hun/henne'), a workplace ('NTNU')."""
    if _PLAIN_NAME.fullmatch(name):  # most names: nothing to take off or turn round
        return name
    name = _NAME_TAIL.sub("", " ".join(name.split()))
    bracketed = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", name)
    if bracketed:
        shown_name, inside = bracketed[1], bracketed[2].strip()
        name = inside if original_in_brackets and _is_original_name(inside) else shown_name
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if first and last:
            name = f"{first} {last}"
    return name


def _is_original_name(inside: str) -> bool:
    """Whether Zoom's brackets hold a person's name: two words or more, no
    pronouns, no digits, no workplace innoff knows ('Bergen kommune')."""
    from innoff_cli.organisations import KINDS, organisation_kind

    if len(inside.split()) < 2 or "/" in inside or any(ch.isdigit() for ch in inside):
        return False
    return organisation_kind(inside) == KINDS[-1]  # 'other': no workplace it knows


@lru_cache(maxsize=4096)  # a report's durations repeat (Teams' participants section)
def duration_minutes(text: str) -> float | None:
    """'1h 27m 51s', '27 min', '01:27:51', '1 t 5 min', '87' (minutes where the
    header says so) -> minutes; None when it cannot be read."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):  # Zoom's "Duration (Minutes)"
        return float(text.replace(",", "."))
    clock = _CLOCK_DURATION.fullmatch(text)
    if clock:
        hours, minutes, seconds = int(clock[1] or 0), int(clock[2]), int(clock[3])
        return hours * 60 + minutes + seconds / 60
    total, end = 0.0, 0
    for part in _DURATION_PART.finditer(text):
        if not _BETWEEN.fullmatch(text[end : part.start()]):
            return None  # words between the parts: not a duration
        amount, unit = float(part[1].replace(",", ".")), part[2].lower()
        hours = unit[0] in _HOURS or unit.startswith("st")
        total += amount * (60 if hours else 1 / 60 if unit[0] == "s" else 1)
        end = part.end()
    return total if end and not text[end:].strip() else None


def _moment(text: str, tz: ZoneInfo, day: date) -> datetime | None:
    """A join or leave time; slashed dates read the way that lands nearest `day`."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is not None:
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    found = _MOMENT.search(text)
    if not found:
        return _named_month(text, tz) or _clock_on(text, tz, day)
    a, b, c = found[1], found[2], found[3]
    hour, minute, second = int(found[4]), int(found[5]), int(found[6] or 0)
    hour = _hour(hour, found[7])
    if hour is None:
        return None
    if len(a) == 4:
        candidates = [(int(a), int(b), int(c))]
    else:
        year = int(c) + (2000 if len(c) == 2 else 0)
        day_first, month_first = (year, int(b), int(a)), (year, int(a), int(b))
        # A dot is the Norwegian way: day first. Slashes: whichever is a date
        # nearest the event (7/22/26 is 22 July; 11/5/2020 for an event on 5 November).
        candidates = [day_first] if "." in text[: found.end(3)] else [month_first, day_first]
    best = None
    for year, month, dom in candidates:
        try:
            moment = datetime(year, month, dom, hour, minute, second, tzinfo=tz)
        except ValueError:
            continue
        if best is None or abs((moment.date() - day).days) < abs((best.date() - day).days):
            best = moment
    return best


def _hour(hour: int, half: str | None) -> int | None:
    if not half:
        return hour if hour < 24 else None
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if half.lower() == "p" else 0)


def _named_month(text: str, tz: ZoneInfo) -> datetime | None:
    found = _NAMED_MONTH.fullmatch(text.strip())
    if not found:
        return None
    month = _MONTHS.get((found[1] or found[4]).lower())
    dom = int(found[2] or found[3])
    hour = _hour(int(found[6]), found[9])
    if month is None or hour is None:
        return None
    try:
        return datetime(
            int(found[5]), month, dom, hour, int(found[7]), int(found[8] or 0), tzinfo=tz
        )
    except ValueError:
        return None


def _clock_on(text: str, tz: ZoneInfo, day: date) -> datetime | None:
    found = _CLOCK.fullmatch(text.strip())
    if not found:
        return None
    hour = _hour(int(found[1]), found[4])
    if hour is None or int(found[2]) > 59:
        return None
    return datetime(
        day.year, day.month, day.day, hour, int(found[2]), int(found[3] or 0), tzinfo=tz
    )


def span_minutes(stretches: list[tuple[datetime, datetime]]) -> float:
    """Minutes covered by the stretches, overlaps counted once (two devices, a
    rejoin before the old line dropped)."""
    total = timedelta()
    end = None
    for start, stop in sorted(stretches):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total.total_seconds() / 60


class Person:
    """One person's rows of a report, folded. A report holds a hundred thousand
    rows: each is put on its person's `rows` (an append), and folded in batches
    (`fold`, on local names), so memory grows with people, not with rows."""

    __slots__ = ("name", "email", "roles", "rows", "stretches", "totals", "wholes",
                 "said_attended", "unreadable", "pending", "first_join", "last_leave")  # fmt: skip
    BATCH = 16  # rows kept before they are folded

    def __init__(self) -> None:
        self.name = self.email = ""
        self.roles: list[str] = []  # as written: a few per report, folded when asked
        self.rows: list[Presence] = []
        self.stretches: list[tuple[datetime, datetime]] = []
        self.totals: list[float] = []  # durations of rows without a time
        # Whole times (Teams' participants section), the same minutes again
        # where the rows of joins and leaves are there too: used when those
        # say nothing.
        self.wholes: list[float] = []
        self.said_attended: list[bool] = []
        self.unreadable = 0  # durations that could not be read
        self.pending: datetime | None = None  # a join not yet closed by a leave
        self.first_join: datetime | None = None
        self.last_leave: datetime | None = None

    def fold(self) -> None:
        """The rows so far, in the report's order, into stretches (join to
        leave), whole times (`totals`), first join and last leave."""
        stretches, totals, said, roles = (
            self.stretches, self.totals, self.said_attended, self.roles
        )  # fmt: skip
        pending, first, last = self.pending, self.first_join, self.last_leave
        for row in self.rows:
            join, leave, total = row.join, row.leave, row.total
            if not self.name and row.name:
                self.name = row.name
            if not self.email and row.email:
                self.email = row.email
            if row.role and row.role not in roles:
                roles.append(row.role)
            if row.attended is not None:
                said.append(row.attended)
            if leave and not join and pending is not None:  # a leave after its join
                join, pending = pending, None
            if join and leave and not total:
                stretches.append((join, leave if leave > join else join))
            elif duration := cell_text(row.duration):
                # times missing, or a whole time: the report's duration
                minutes = duration_minutes(duration)
                if minutes is None:
                    self.unreadable += 1  # no time: `minutes` stays unknown, not zero
                elif total:
                    self.wholes.append(minutes)
                elif join and not leave:
                    stretches.append((join, join + timedelta(minutes=minutes)))
                elif leave and not join:  # Teams leaves the join out for some
                    stretches.append((leave - timedelta(minutes=minutes), leave))
                else:
                    totals.append(minutes)
            elif join and not leave and not total:
                pending = join  # a join whose leave may follow on a row of its own
            if join and (first is None or join < first):
                first = join
            if leave and (last is None or leave > last):
                last = leave
        self.pending, self.first_join, self.last_leave = pending, first, last
        self.rows = []

    def absorb(self, other: Person) -> None:
        """Take in `other`'s folded rows: the same person, met under another key."""
        self.stretches += other.stretches
        self.totals += other.totals
        self.wholes += other.wholes
        self.said_attended += other.said_attended
        self.unreadable += other.unreadable
        self.roles += [role for role in other.roles if role not in self.roles]
        self.name = self.name or other.name
        if self.pending is None:
            self.pending = other.pending
        joins = [t for t in (self.first_join, other.first_join) if t is not None]
        leaves = [t for t in (self.last_leave, other.last_leave) if t is not None]
        self.first_join = min(joins, default=None)
        self.last_leave = max(leaves, default=None)

    @property
    def minutes(self) -> float | None:
        """The stretches (overlaps once), else the rows' durations, else the
        whole time: one of them, never two added (Teams says each person's
        time twice, in its participants section and in the joins and leaves)."""
        if self.pending is not None and not (self.stretches or self.totals or self.wholes):
            return None  # joined, and the report never says when they left
        if self.stretches:
            return round(span_minutes(self.stretches), 2)
        if self.totals or self.wholes:
            return round(sum(self.totals or self.wholes), 2)
        return None

    @property
    def runs_the_meeting(self) -> bool:
        return any(map(runs_meetings, self.roles))


def gather(
    presences: Iterable[Presence], people: dict[str, Person] | None = None
) -> dict[str, Person]:
    """Each person's rows of a report, folded: key -> Person (into `people`,
    which read_rows may be folding plain stretches into as well). A row waits
    on its person, and is folded with the others in batches (memory grows
    with people, not with rows)."""
    people = {} if people is None else people
    batch = Person.BATCH
    for row in presences:
        person = people.get(row[0])  # (by index: a Presence's names cost a call)
        if person is None:
            person = people[row[0]] = Person()
        kept = person.rows
        kept.append(row)
        if len(kept) == batch:
            person.fold()
    for person in people.values():
        person.fold()
    return people


def merge_named(people: dict[str, Person]) -> None:
    """Fold each person a report gives without an address into the one person
    of that name it gives an address for: Teams' activities may leave out the
    addresses its participants section has, and its people are still one
    each. A name two of the report's addressed people have stays apart."""
    named = [key for key in people if key.startswith("name:")]
    if not named:
        return
    by_name: dict[str, list[str]] = {}
    for key, person in people.items():
        if not key.startswith("name:") and person.name:
            by_name.setdefault(normalise_name(person.name), []).append(key)
    for key in named:
        found = by_name.get(key[len("name:") :], [])
        if len(found) == 1:
            people[found[0]].absorb(people.pop(key))


def read_people(
    rows: Iterator[list[str]], tz: ZoneInfo, day: date, shape: ReportShape
) -> dict[str, Person]:
    """A report's people, every row read and folded: gather(read_rows(...)),
    with read_rows folding the plain stretches itself."""
    people: dict[str, Person] = {}
    return gather(read_rows(rows, tz, day, shape, people), people)
