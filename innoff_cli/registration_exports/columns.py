"""Which row is the header, and what each column is: a field, an event, a status, extra.

Pure. Headers are read by meaning, with the words of `vocabulary`; where headers
are ambiguous, the values in the first rows decide.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.models import Event
from innoff_cli.programme import normalise_name
from innoff_cli.registration_exports.dates import _AM_PM, DateReader, _month_first, header_zone
from innoff_cli.registration_exports.text import shown
from innoff_cli.registration_exports.vocabulary import (
    BUYER_WORDS,
    EVERY_EVENT,
    FIELDS,
    FINISHED_HEADERS,
    HEADER_NAMES,
    MAP_TARGETS,
    NOT_REGISTERED_AT,
    PERSONAL,
    PLACEHOLDERS,
    SIDELINED,
    STATUS_HEADERS,
    TIME_WORDS,
    US_DATE_HEADERS,
    WORKPLACE_WORDS,
    yes_or_no,
)  # fmt: skip

_LIST_SPLIT = re.compile(r"\s*(?:[;,/|+&\n]|\bog\b|\band\b)\s*", re.IGNORECASE)


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
    first, last = _header_rows(seen, index)
    line = seen[first][0]
    header = _joined([seen[i][1] for i in range(first, last + 1)])
    after = last + 1
    while after < len(seen) and _metadata(seen[after][1]):  # Qualtrics' ImportId row
        after += 1
    return line, header, first, itertools.chain(seen[after:], numbered)


def _header_rows(seen: list[tuple[int, list[str]]], index: int) -> tuple[int, int]:
    """(first, last) index in `seen` of the rows that make the header: the header
    row, and the rows right above and below it that continue it (SurveyMonkey's
    question row over its sub-field row, Qualtrics' codes over its texts), at most
    three in all."""
    first = last = index
    while first > 0 and last - first < 2 and _continues(seen[first - 1], seen[first]):
        first -= 1
    while last + 1 < len(seen) and last - first < 2 and _continues(seen[last + 1], seen[last]):
        last += 1
    return first, last


def _continues(row: tuple[int, list[str]], header: tuple[int, list[str]]) -> bool:
    """Whether `row`, next to the header row, is more of the header: on the line
    next to it, no address and no number-only cell in it (no person's row), at least
    two cells, and it names columns itself or fills cells the header leaves empty."""
    (line, cells), (header_line, header_cells) = row, header
    if abs(line - header_line) != 1 or _metadata(cells):
        return False
    filled = [cell.strip() for cell in cells if cell.strip()]
    if len(filled) < 2 or any("@" in cell or _NUMBERS.fullmatch(cell) for cell in filled):
        return False
    fills_gap = any(
        cell.strip() and (i >= len(header_cells) or not header_cells[i].strip())
        for i, cell in enumerate(cells)
    )
    return fills_gap or is_header(cells)


_NUMBERS = re.compile(r"[\d\s.,:/+-]+")


def _metadata(cells: Sequence[str]) -> bool:
    """Qualtrics' third header row: {"ImportId":"QID3_TEXT"} in every cell."""
    filled = [cell for cell in cells if cell.strip()]
    return bool(filled) and all(cell.lstrip().startswith('{"ImportId"') for cell in filled)


def _joined(rows: list[list[str]]) -> list[str]:
    """One header from rows of it: each column's words from the top down, joined
    with ' / '; a question that spans several columns (its cell, then empty ones
    over sub-fields) heads each of them."""
    if len(rows) == 1:
        return rows[0]
    width = max(len(row) for row in rows)
    padded = [[*row, *[""] * (width - len(row))] for row in rows]
    for upper, lower in zip(padded, padded[1:]):
        spanning = ""
        for i in range(width):
            if upper[i].strip():
                spanning = upper[i]
            elif lower[i].strip() and spanning:
                upper[i] = spanning
            else:
                spanning = ""
    header = []
    for i in range(width):
        parts: list[str] = []
        for row in padded:
            part = row[i].strip()
            if part and part not in parts:
                parts.append(part)
        header.append(" / ".join(parts))
    return header


def _listed(header: Sequence[str], most: int = 12) -> str:
    """Header cells for a one-line message: each escaped and cut short, at most `most`."""
    names = [shown(name, 30) for name in header[:most]]
    return ", ".join(names) + (f" and {len(header) - most} more" if len(header) > most else "")


def is_header(cells: Sequence[str]) -> bool:
    """Whether a row names columns: an e-mail column, or two other known ones."""
    folded = [normalise_name(cell) for cell in cells if cell.strip()]
    if any(name in HEADER_NAMES["email"] for name in folded):
        return True
    known = {name for names in HEADER_NAMES.values() for name in names}
    return sum(1 for name in folded if name in known) >= 2


# A yes/no question exported as its label numbers, in the usual order (Ja first).
CODED_YES_NO = {"1": True, "2": False}


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
    finished: int | None = None  # a column whose false rows are unfinished answers (extra too)
    zone: str | None = None  # the zone the time column's header names ('Submit Date (UTC)')
    # Yes/no columns answered in codes: column -> {code: yes?} (Enalyzer's 1 = ja, 2 = nei).
    codes: dict[int, dict[str, bool]] = field(default_factory=dict)
    # Columns that name an event but whose answers are no yes/no innoff can read.
    unread_events: tuple[tuple[int, str], ...] = ()

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
            row = {"position": index + 1, "column": name, "use": use, "sample": value}
            if index in self.codes:  # how its codes were read: '1 = ja, 2 = nei'
                row["reading"] = _reading(self.codes[index])
            rows.append(row)
        return rows

    def describe(self) -> list[str]:
        """'E-post → email' lines for the import summary."""
        used = [f"{self.header[i]} → {name}" for name, i in self.fields.items()]
        used += [
            f"{self.header[i]} → registered for {slug} ({_reading(self.codes.get(i))})"
            for i, slug in self.event_flags
        ]
        used += [f"{self.header[i]} → events" for i in self.event_lists]
        if self.status is not None:
            used.append(f"{self.header[self.status]} → status: rows not coming are rejected")
        if self.extra:
            used.append("kept as extra: " + ", ".join(self.header[i] for i in self.extra))
        return used


def _reading(codes: dict[str, bool] | None) -> str:
    """How a yes/no column was read: 'yes/no', or its codes ('1 = ja, 2 = nei')."""
    if not codes:
        return "yes/no"
    said = ", ".join(f"{code} = {'ja' if yes else 'nei'}" for code, yes in codes.items())
    return said if not all(codes.values()) else f"{said}, anything else = nei"


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
    yes_values: Sequence[str] | None = None,
) -> ColumnPlan:
    """Decide what each column is from its header and, where headers are ambiguous, its values.

    `overrides` maps a header (as written, case-insensitive) to a field, 'events',
    'event:SLUG' or 'extra', and always wins. The passes, in order: overrides,
    what each header names, the best column per field, the buyer's columns
    dropped, e-mail by values, events, status, how dates are written.
    """
    columns = _Columns(_unique_names(header), sample, event_names(events))
    _apply_overrides(columns, overrides or {}, {event.slug for event in events})
    exact, loose = _header_fields(columns)
    _best_per_field(columns, exact, loose)
    _drop_buyer_columns(columns)
    _email_by_values(columns)
    _event_columns(columns)
    if yes_values:  # --yes-values: these answers are yes in every yes/no column, the rest no
        for index, slug in columns.unread:  # a column naming an event is read so too
            columns.flags.append((index, slug))
            columns.claim(index)
        columns.unread.clear()
        yes = {value.strip().casefold(): True for value in yes_values if value.strip()}
        columns.codes = {index: dict(yes) for index, _ in columns.flags}
    status = columns.first_free(STATUS_HEADERS)
    finished = columns.first_free(FINISHED_HEADERS)
    month_first, zone = _date_reading(columns)
    return ColumnPlan(
        header=columns.header,
        fields=columns.fields,
        event_flags=tuple(columns.flags),
        event_lists=tuple(columns.lists),
        extra=tuple(i for i in range(len(columns.header)) if i not in columns.taken),
        month_first=month_first,
        status=status,
        finished=finished,
        zone=zone,
        codes=columns.codes,
        unread_events=tuple(columns.unread),
    )


@dataclass
class _Columns:
    """What plan_columns knows so far; each pass reads it and claims columns."""

    header: tuple[str, ...]
    sample: Sequence[Sequence[str]]
    names: dict[str, str]  # event name or alias, folded -> slug
    fields: dict[str, int] = field(default_factory=dict)  # field -> column
    flags: list[tuple[int, str]] = field(default_factory=list)  # (column, slug): yes/no
    codes: dict[int, dict[str, bool]] = field(default_factory=dict)  # coded yes/no columns
    unread: list[tuple[int, str]] = field(default_factory=list)  # named an event, not read
    lists: list[int] = field(default_factory=list)  # columns that list events
    taken: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.folded = [normalise_name(cell) for cell in self.header]

    def first_free(self, names: Sequence[str]) -> int | None:
        """The first column not yet taken whose header is one of `names` (folded)."""
        return next(
            (i for i, name in enumerate(self.folded) if i not in self.taken and name in names), None
        )

    def values(self, index: int) -> list[str]:
        """The column's non-empty values in the sample rows."""
        return [
            row[index].strip() for row in self.sample if index < len(row) and row[index].strip()
        ]

    def score(self, name: str, index: int) -> float:
        """The share of the column's values that look like field `name`."""
        cells = self.values(index)
        if not cells:
            return 0.0
        if name == "email":
            good = sum(1 for cell in cells if "@" in cell)
        elif name == "registered_at":
            # The quick look first: most dates have digits and dots or dashes.
            good = sum(
                1 for cell in cells if _looks_dated(cell) or DateReader.guess_format(cell, False)
            )
        else:
            good = sum(1 for cell in cells if cell.casefold() not in PLACEHOLDERS)
        return good / len(cells)

    def claim(self, index: int) -> None:
        self.taken.add(index)


def _apply_overrides(columns: _Columns, overrides: dict[str, str], slugs: set[str]) -> None:
    """--map HEADER=TARGET: the column is what the user says, whatever else it looks like."""
    for wanted, target in overrides.items():
        matches = [i for i, name in enumerate(columns.folded) if name == normalise_name(wanted)]
        if not matches:
            raise InnoffError(
                _("--map: no column called '{wanted}' - the columns are: {header}").format(
                    wanted=shown(wanted), header=_listed(columns.header)
                )
            )
        index = matches[0]
        columns.claim(index)
        if target in FIELDS:
            columns.fields[target] = index
        elif target == "events":
            columns.lists.append(index)
        elif target.startswith("event:") and target[6:] in slugs:
            columns.flags.append((index, target[6:]))
        elif target != "extra":
            raise InnoffError(
                _("--map: unknown field '{target}' - use one of {value}, or event:SLUG").format(
                    target=shown(target), value=", ".join(MAP_TARGETS)
                )
            )


def _header_fields(columns: _Columns) -> tuple[dict[int, str], dict[int, str]]:
    """What each header names: exactly a known name (strong), or one it contains
    ("Din e-postadresse"; weaker).

    A header that contains several is what it ends with, as a compound's last
    word says what it is ("Deltakers e-post" is an e-mail, not a name), and of
    those the longest ("First Name" is a first name). Words in parentheses are
    examples, not the question: "Arbeidssted (kommune, universitet ...)" asks
    for the workplace.
    """
    exact: dict[int, str] = {}
    loose: dict[int, str] = {}
    for index, text in enumerate(columns.header):
        if index in columns.taken:
            continue
        subject = normalise_name(re.sub(r"\(.*?\)|\[.*?\]", " ", text)) or columns.folded[index]
        found = next((name for name in FIELDS if subject in HEADER_NAMES[name]), None)
        if found:
            exact[index] = found
        elif found := _loose_field(subject):
            loose[index] = found
    return exact, loose


def _best_per_field(columns: _Columns, exact: dict[int, str], loose: dict[int, str]) -> None:
    """Of the columns whose header names a field, the best one takes it.

    Real values before placeholders ('anonymous', empty); the participant's
    column before the buyer's; for times, a submission before a start; the
    form's own question before Microsoft Forms' account columns; then an exact
    header, the column more rows fill, the better values, the leftmost. An
    exact header is taken even when its values are poor (the rows are rejected
    with reasons); a loose one must hold something.
    """
    account = _forms_account_columns(columns.folded)

    def rank(name: str, index: int) -> tuple:
        value = columns.score(name, index)
        return (
            value > (0 if index in exact else 0.05),
            not (name in PERSONAL and _about_buyer(columns.folded[index])),
            _time_rank(columns.folded[index]) if name == "registered_at" else 0,
            index not in account,
            index in exact,
            len(columns.values(index)),
            value,
            -index,
        )

    for name in FIELDS:
        candidates = [
            i for i in (*exact, *loose)
            if i not in columns.taken and (exact.get(i) or loose.get(i)) == name
        ]  # fmt: skip
        if name in columns.fields or not candidates:
            continue
        best = max(candidates, key=lambda i: rank(name, i))
        if best in exact or columns.score(name, best) > 0.05:
            columns.fields[name] = best
            columns.claim(best)


# Microsoft Forms' own first columns, in English and Norwegian: after them come
# its account columns (who was signed in: 'anonymous' or blank for everyone else).
_FORMS_START = (
    ("id",),
    ("starttime", "starttidspunkt"),
    ("completiontime", "fullforingstidspunkt"),
)
_FORMS_ACCOUNT = {"email", "epost", "name", "navn"}


def _forms_account_columns(folded: Sequence[str]) -> set[int]:
    """Where a Microsoft Forms export's account columns (Email, Name) are: the
    respondent's sign-in, not the answers a form's own questions asked for."""
    if len(folded) < 5 or any(folded[i] not in names for i, names in enumerate(_FORMS_START)):
        return set()
    return {i for i in (3, 4) if folded[i] in _FORMS_ACCOUNT}


# Fields that stand in for each other: a buyer's name is dropped when the
# participant has a first or last name of their own.
_KIN = ({"name", "first_name", "last_name"},)


def _drop_buyer_columns(columns: _Columns) -> None:
    """The buyer's columns never stand in for the participant's own."""
    for name, index in list(columns.fields.items()):
        if name not in PERSONAL or not _about_buyer(columns.folded[index]):
            continue
        kin = next((group for group in _KIN if name in group), {name})
        if any(
            not _about_buyer(columns.folded[columns.fields[other]])
            for other in kin
            if other in columns.fields
        ):
            del columns.fields[name]
            columns.taken.discard(index)


def _email_by_values(columns: _Columns) -> None:
    """No header says e-mail: take the column whose values are addresses, or refuse."""
    if "email" in columns.fields:
        return
    scored = sorted(
        (
            (columns.score("email", i), -i, i)
            for i in range(len(columns.header))
            if i not in columns.taken
        ),
        reverse=True,
    )
    if not scored or scored[0][0] < 0.5:
        raise InnoffError(
            _(
                "no e-mail column found - name it with --map 'HEADER=email' (the columns are: {header})"
            ).format(header=_listed(columns.header))
        )
    columns.fields["email"] = scored[0][2]
    columns.claim(scored[0][2])


def _event_columns(columns: _Columns) -> None:
    """A column named for an event whose values are all yes or no is that event's
    flag, and so is one answered in a yes/no question's codes (1 = yes, 2 = no:
    the label numbers of Enalyzer and most survey tools; 1/0 is yes/no already);
    one whose values all name events lists them. A column that names an event
    and is neither is noted, never silently kept as extra."""
    for index, name in enumerate(columns.folded):
        if index in columns.taken:
            continue
        cells = columns.values(index)
        named = next((slug for key, slug in columns.names.items() if key in name), None)
        if named and all(yes_or_no(cell) is not None for cell in cells):
            columns.flags.append((index, named))
            columns.claim(index)
        elif named and cells and set(cells) <= set(CODED_YES_NO) and "2" in cells:
            columns.flags.append((index, named))
            columns.codes[index] = dict(CODED_YES_NO)
            columns.claim(index)
        elif cells and all(match_events(cell, columns.names)[0] for cell in cells):
            columns.lists.append(index)
            columns.claim(index)
        elif named and cells:
            columns.unread.append((index, named))


def _date_reading(columns: _Columns) -> tuple[bool, str | None]:
    """(month first, the zone the header names) for the registration time column.

    Slashed dates are day-first (the Norwegian way) unless the header is one of
    Microsoft Forms' own or the clock has AM/PM; either way, values that can
    only be read one way (11/17/2020, 17/11/2020) decide, as they would for a
    person reading them.
    """
    if "registered_at" not in columns.fields:
        return False, None
    index = columns.fields["registered_at"]
    times = columns.values(index)
    month_first = columns.folded[index] in US_DATE_HEADERS
    # A 12-hour clock (11/03/2020 12:06:52 PM) is the American way: month first.
    month_first |= any(_AM_PM.search(value) for value in times)
    return _month_first(times, month_first), header_zone(columns.header[index])


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
