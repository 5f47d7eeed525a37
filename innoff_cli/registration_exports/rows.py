"""Cells -> participant rows, one hot loop: the fields, the events, the rejects.

Pure: rows come in as (line, cells) and go out as plain tuples for SQLite.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from innoff_cli.addresses import _EMAIL, check_email
from innoff_cli.collation import norwegian_order
from innoff_cli.models import Event
from innoff_cli.programme import normalise_name
from innoff_cli.registration_exports.columns import (
    ColumnPlan,
    _title,
    event_names,
    is_header,
    match_events,
)
from innoff_cli.registration_exports.dates import DateReader, zone_of
from innoff_cli.registration_exports.vocabulary import (
    NOT_ANSWERS,
    NOT_COMING,
    PLACEHOLDERS,
    TOTALS,
    UNFINISHED,
    yes_or_no,
)

_SEVERAL_ADDRESSES = re.compile(r"[\s,;/|]+")


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
    # The name's place in the Norwegian order (collation.norwegian_order), made
    # here with the name: in SQLite it would be a call back into Python a row.
    sort_key: str


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


def _totals(cells: list[str]) -> bool:
    """A row under a hand-made list that counts it: 'Sum påmeldte', then numbers."""
    filled = [cell.strip() for cell in cells if cell.strip()]
    if len(filled) < 2 or not normalise_name(filled[0]).startswith(TOTALS):
        return False
    return all(cell.replace(" ", "").isdigit() for cell in filled[1:])


# UTF-8 read as Windows-1252 (Ã¸ for ø), or Mac Roman read so (¿ ¾ Œ between
# letters): a name no one types.
_GARBLED = re.compile(r"Ã[\u0080-\u00bf]|(?<=\w)[¿¾Œ®¯](?=\w)")
# A character _GARBLED needs: a search for one of them is a fifth of its cost
# (its look-behind is tried at every letter), and most names have none.
_MAYBE_GARBLED = re.compile("[Ã¿¾Œ®¯]")
GARBLED = (
    "names that look garbled (the wrong encoding?), pass --encoding (utf-8, cp1252, mac-roman)"
)


# What a status column says of a person who is not coming or not admitted.
NOT_COMING_KIND = "not coming"

# Why a row whose answers say no to every event registers nobody.
NO_EVENT = "answered no to every event"


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
        self.status_cache: dict[str, str] = {}
        self.stopped: list[tuple[int, str]] = []  # (line, title) where a later block began
        for index, slug in plan.unread_events:
            self.warnings.add(
                "columns that name an event but hold no yes/no innoff can read, kept as extra"
                " (say what they are with --map 'HEADER=event:SLUG')",
                f"{plan.header[index]} ({slug})",
            )

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
        SQLite's module binds a plain tuple faster than a NamedTuple.

        The hot loop of an import (tests/bench/import_speed.py times it): one
        generator with everything it uses in locals, rather than a method call
        a row.
        """
        header_width = self.width
        pick = self.pick
        extra_columns = self.extra
        dates = self.dates
        # DateReader.read's own steps, in line: the hour and the tail, the cache, the rest.
        utc_hours, tails, date_cache = dates.utc_hours, dates.tails, dates.cache
        read_date = dates.read_new
        event_cells, event_cache = self.event_cells, self.event_cache
        default_events = self.default_events
        email_match = _EMAIL.fullmatch
        strip = str.strip
        in_order = norwegian_order
        status = self.plan.status
        finished = self.plan.finished
        compact = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        # A row of one cell and no address may be a block's title ("Panelist
        # Details"): it waits for the next row, and a header there ends the
        # participants' block. Only rows without an address pay for this.
        held: Rejected | None = None
        for line, cells in numbered:
            if held is not None:
                if is_header(cells):
                    self.stopped.append((held.line, held.cells[0].strip()))
                    return
                reject(held)
                held = None
            width = len(cells)
            # Every field the file has no column for reads the empty cell
            # appended at `header_width`; short rows are padded up to it.
            padded = (
                cells + [""] * (header_width - width + 1) if width < header_width else [*cells, ""]
            )
            joined = "".join(cells)
            if "  " in joined or "\n" in joined or "\t" in joined or "\r" in joined:
                values = map(tidy, pick(padded))
            else:
                values = map(strip, pick(padded))
            (
                email_cell,
                name_cell,
                first_cell,
                last_cell,
                org_cell,
                role_cell,
                muni_cell,
                phone_cell,
                date_cell,
            ) = values
            several = False
            # The usual address, cleared in well under a microsecond (and within
            # RFC 5321's lengths: the checks beyond are the slow path's).
            if email_match(email_cell) and len(email_cell) <= 254 and email_cell.find("@") <= 64:
                if email_cell.islower():  # the commonest: nothing to fold (the regex is ASCII)
                    address = key = email_cell
                else:
                    local, _, domain = email_cell.rpartition("@")
                    address = f"{local}@{domain.lower()}"
                    key = address.casefold()
            else:
                if not joined.strip():
                    continue  # a blank row
                address, problem = check_email(email_cell)
                if address is None and email_cell.count("@") > 1:
                    address = self._first_of_several(line, email_cell)
                    several = address is not None
                if address is None:
                    if _totals(cells):
                        problem = "a totals row, not a person"
                    rejected = Rejected(line, tuple(cells), problem or "no e-mail address")
                    title = _title(cells)
                    if title is not None and "@" not in title:
                        held = rejected
                    else:
                        reject(rejected)
                    continue
                key = address.casefold()
            if status is not None and (kind := self._status_kind(padded[status])):
                said = f"{self.plan.header[status]}: {padded[status].strip()}"
                counted = said if kind == NOT_COMING_KIND else ""  # no answer is no one coming
                reject(Rejected(line, tuple(cells), f"{kind} ({said})", counted))
                continue
            if (
                finished is not None
                and yes_or_no(padded[finished]) is False
                and padded[finished].strip()
            ):
                said = f"{self.plan.header[finished]}: {padded[finished].strip()}"
                reject(Rejected(line, tuple(cells), f"an answer left unfinished ({said})"))
                continue
            if name_cell and name_cell.casefold() in PLACEHOLDERS:
                name_cell = ""
            if not name_cell and (first_cell or last_cell):
                # "Kari Nordmann" typed as the first name, "Nordmann" as the last.
                if (
                    last_cell
                    and " " in first_cell
                    and first_cell.casefold().endswith(" " + last_cell.casefold())
                ):
                    name_cell = first_cell
                else:
                    name_cell = f"{first_cell} {last_cell}".strip()
            if (
                not name_cell.isascii()
                and _MAYBE_GARBLED.search(name_cell)
                and _GARBLED.search(name_cell)
            ):
                self.warnings.add(GARBLED, f"line {line}: {name_cell}")
            if "," in name_cell or name_cell.isupper() or name_cell.islower():
                name_cell = self._tidy_name(line, name_cell)
            extra = {}
            if extra_columns:
                for i, header in extra_columns:
                    if value := padded[i].strip():
                        extra[header] = value
            if several:  # the other addresses are kept, under the column's name
                extra[self.plan.header[self.columns[0]]] = email_cell
            registered = None
            if date_cell:
                cut = dates.cut  # changes when another format is chosen
                registered = utc_hours.get(date_cell[:cut])
                if registered is not None and (tail := tails.get(date_cell[cut:])) is not None:
                    registered += tail
                else:
                    registered = date_cache.get(date_cell) or read_date(date_cell)
                if registered is None:
                    self.warnings.add(UNREAD_DATES, f"line {line}: {date_cell}")
                    extra[self.plan.header[self.columns[8]]] = date_cell
            if width > header_width:  # cells beyond the header are kept too
                for i in range(header_width, width):
                    if value := cells[i].strip():
                        extra[f"column {i + 1}"] = value
            if event_cells is None:
                events = default_events
            else:
                events = event_cache.get(event_cells(padded))
                if events is None:
                    events = self._cached_events(line, padded)
                if not events:  # no to every event: not a registration (one before stays)
                    reject(Rejected(line, tuple(cells), NO_EVENT, NO_EVENT))
                    continue
            yield (
                line,
                key,
                address,
                name_cell,
                org_cell,
                role_cell,
                muni_cell,
                phone_cell,
                registered,
                # Compact like SQLite's json_patch() writes it, so a re-import compares equal.
                compact.encode(extra) if extra else "{}",
                events,
                in_order(name_cell),
            )  # fmt: skip
        if held is not None:
            reject(held)

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

    def _status_kind(self, value: str) -> str:
        """What a status cell says of the row, per value: 'not coming' (or not
        admitted), 'not an answer' (a survey's test run, spam), 'an answer left
        unfinished', or '' (it stands)."""
        found = self.status_cache.get(value)
        if found is None:
            folded = normalise_name(value)
            found = self.status_cache[value] = (
                NOT_COMING_KIND if folded in NOT_COMING
                else "not an answer" if folded in NOT_ANSWERS
                else "an answer left unfinished" if folded in UNFINISHED
                else ""
            )  # fmt: skip
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
            codes = plan.codes.get(index)
            value = (
                codes.get(cells[index].strip().casefold(), False)
                if codes
                else yes_or_no(cells[index])
            )
            if value and slug not in chosen:
                chosen.append(slug)
            elif value is None:
                self.warnings.add(
                    "yes/no answers not understood, read as no", f"line {line}: {cells[index]}"
                )
        return tuple(chosen)
