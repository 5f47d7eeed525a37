"""The listing room: `registrations list` as JSON and CSV, written mostly by SQLite.

Each person comes out as the text Python's writers make of them, to the byte
(tests/test_list_bytes.py compares the two on hostile data): SQLite writes the
fields before the registration time (json_quote escapes as Python's json module
does; CSV cells are guarded and quoted as output.spreadsheet_safe and the csv
module do); the time is shown in the home zone by participant_fields.LocalTimes
(each hour of them worked out once: in SQL, a date function a row cost more
than all the other fields); the rest (events, answers, attendance) is written
in Python from list_query's JSON, once per distinct combination, which few
people do not share.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from innoff_cli.store.registrations import list_query, tails_held

# The fields up to the registration time, as public() names and reads them.
_FIELDS = {
    "email": "coalesce(nullif(p.address, ''), p.email)",
    "name": "p.name",
    "organisation": "p.organisation",
    "role": "p.role",
    "municipality": "p.municipality",
    "phone": "p.phone",
}
# Cell starts a spreadsheet would run as a formula (output.FORMULA_STARTS).
# (A GLOB class: '-' last is itself, not a range.)
_FORMULA = "'[=+@' || char(9) || char(13) || '-]*'"


def participants_json(
    conn: sqlite3.Connection, event: str | None = None, by_name: bool = False
) -> Iterator[str]:
    """The participants as `registrations list --format json` writes each of
    them at a list's first level (output.indented_json(public(person), 1))."""
    from innoff_cli.participant_fields import LocalTimes, json_tail

    local = LocalTimes()

    def time(stored: str | None) -> str:
        shown = local(stored)
        return "null" if shown is None else f'"{shown}"'  # ISO 8601: nothing to escape

    values = [f"json_quote({value})" for value in _FIELDS.values()]
    layout = "{" + "".join(f'\n    "{key}": %s,' for key in _FIELDS) + '\n    "registered_at": '
    yield from _listing(conn, event, by_name, _printf(layout, values), time, json_tail, "")


def participants_csv(
    conn: sqlite3.Connection,
    event: str | None,
    by_name: bool,
    head_keys: tuple[str, ...],
    tail: Callable[[list, dict, dict], str],
    delimiter: str = ",",
    line_end: str = "\n",
) -> Iterator[str]:
    """The participants as CSV lines (without the header), as the csv module
    writes them with `delimiter` and `line_end`: the cells of `head_keys` (the
    fields up to and with the registration time, which comes last) by SQLite,
    guarded as output.spreadsheet_safe guards them; `tail` writes the rest of
    the line from events, answers and attendance, `line_end` included."""
    assert head_keys[-1] == "registered_at"
    quote_when = _csv_quote_when(delimiter, line_end)

    def cell(value: str) -> str:
        # Written out in place, not as a subquery per cell: SQLite does not
        # flatten those, and a column is cheaper to read twice. A guard's
        # apostrophe never needs quoting, so the value itself says whether to.
        guarded = f"CASE WHEN {value} GLOB {_FORMULA} THEN '''' || {value} ELSE {value} END"
        return (
            f"CASE WHEN {quote_when.format(s=value)} THEN '\"' || replace({guarded}, '\"', '\"\"')"
            f" || '\"' ELSE {guarded} END"
        )

    from innoff_cli.participant_fields import LocalTimes

    cells = [cell(f"coalesce({_FIELDS[key]}, '')") for key in head_keys[:-1]]
    # A time is digits, dashes, colons and a sign: nothing to guard or quote.
    local = LocalTimes()

    def time(stored: str | None) -> str:
        return local(stored) or ""

    between = delimiter.replace("%", "%%")
    layout = "".join(f"%s{between}" for _ in cells)
    head = _printf(layout, cells) if cells else "''"
    yield from _listing(conn, event, by_name, head, time, tail, delimiter)


def participants_cells(
    conn: sqlite3.Connection,
    event: str | None,
    by_name: bool,
    head_keys: tuple[str, ...],
    tail: Callable[[list, dict, dict], tuple],
) -> Iterator[tuple]:
    """The participants as a table's rows of text: the fields `head_keys` (up to
    and with the registration time, last, as '17.11.2020 10:01') by SQLite,
    then the cells `tail` makes of events, answers and attendance."""
    from innoff_cli.participant_fields import LocalTimes

    assert head_keys[-1] == "registered_at"
    cells = [f"coalesce({_FIELDS[key]}, '')" for key in head_keys[:-1]]
    local = LocalTimes()
    query, parameters = _query(conn, event, by_name, ", ".join([*cells, "p.registered_utc"]))
    ends = _Ends(conn, tail)
    width = len(head_keys) - 1
    for row in conn.execute(query, parameters):
        at = local(row[width])
        # As output.registrations._registered_short writes it (people read this form).
        short = f"{at[8:10]}.{at[5:7]}.{at[:4]} {at[11:16]}" if at else ""
        yield (*row[:width], short, *ends.of(*row[width + 1 :]))


def _listing(conn, event, by_name, head: str, time: Callable, tail: Callable,
             joint: str) -> Iterator[str]:  # fmt: skip
    """head (SQL) + time(registered_utc) + joint + tail(events, answers,
    attended) of each person."""
    query, parameters = _query(conn, event, by_name, f"{head}, p.registered_utc")
    ends = _Ends(conn, tail)
    for head_text, stored, events, answers, attended in conn.execute(query, parameters):
        yield head_text + time(stored) + joint + ends.of(events, answers, attended)


def _printf(layout: str, values: list[str]) -> str:
    """SQL: `layout` (innoff's own text, each %s a value) filled in with the SQL
    `values`. One printf() builds a line at once, where a chain of || copies it
    at each step (half the cost of the fields)."""
    quoted = layout.replace("'", "''")
    return f"printf('{quoted}', {', '.join(values)})"


def _query(conn, event: str | None, by_name: bool, head: str) -> tuple[str, list]:
    """list_query's people (those of `event`), `head` (SQL) first, then their
    events (in the order of their slugs), answers and attendance as JSON."""
    where, parameters = "", []
    if event:
        where = "WHERE p.email IN (SELECT email FROM registrations WHERE event = ?)"
        parameters.append(event)
    query = list_query(where, by_name, events_in_order=False, **tails_held(conn)).replace(
        "SELECT p.*,", f"SELECT {head},", 1
    )
    return query, parameters


class _Ends:
    """What `tail` makes of a person's events (put in programme order), answers
    and attendance, made once per distinct combination (most people share one)."""

    def __init__(self, conn: sqlite3.Connection, tail: Callable) -> None:
        self.tail = tail
        self.made: dict[tuple[str, str, str], Any] = {}
        self.programme = {
            slug: place
            for place, (slug,) in enumerate(conn.execute("SELECT slug FROM events ORDER BY start_utc, slug"))
        }  # fmt: skip

    def of(self, events: str, answers: str, attended: str):
        made = self.made.get((events, answers, attended))
        if made is None:
            # In programme order, and only the programme's events (as list_query's join).
            order = self.programme
            in_order = sorted((e for e in json.loads(events) if e in order), key=order.__getitem__)
            made = self.tail(in_order, json.loads(answers), json.loads(attended))
            if len(self.made) < 10_000:
                self.made[events, answers, attended] = made
        return made


def _csv_quote_when(delimiter: str, line_end: str) -> str:
    """SQL, with {s} for the cell: whether the csv module quotes it
    (QUOTE_MINIMAL: the delimiter, a quote or a line end in it). Which
    characters make it quote is asked of the running Python's csv module:
    versions differ on a lone CR."""
    import csv
    import io

    def quotes(character: str) -> bool:
        probe = io.StringIO()
        csv.writer(probe, delimiter=delimiter, lineterminator=line_end).writerow(
            [f"a{character}b", "x"]
        )
        return probe.getvalue().startswith('"')

    candidates = {delimiter, '"', "\r", "\n", *line_end}
    quoting = sorted(c for c in candidates if quotes(c))
    if any(c in "]^-[" for c in quoting):  # a GLOB class would read these otherwise
        return " OR ".join(f"instr({{s}}, char({ord(c)}))" for c in quoting)
    # One GLOB with a class of them: one call a cell, where instr() was one a character.
    return f"{{s}} GLOB '*[' || {' || '.join(f'char({ord(c)})' for c in quoting)} || ']*'"
