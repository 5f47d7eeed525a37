"""Rendering: table | json | csv | markdown from one column definition.

This module holds what every record shares (Column, the writers, tables, the
pager); a room per command group renders its records: `agenda`,
`registrations`, `invites` (sending, status and replies).

Data goes to stdout; JSON and CSV never pass through Rich (it would wrap long
lines). Rich is imported only when a table is drawn, and user text is wrapped
in `Text` so "[Workshop]" prints as written.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal, NamedTuple

from innoff_cli.i18n import _
from innoff_cli.terminal import visible

Format = Literal["table", "json", "csv", "markdown"]


def minutes_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


class Column(NamedTuple):
    """One column: `key` names it in CSV, `header` in tables; `get` reads a row."""

    key: str
    header: str
    get: Callable[[Any], str]


# --- generic writers -------------------------------------------------------------


def write_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def write_json_list(items: Iterable[Any]) -> None:
    """A JSON list written item by item, laid out as write_json() lays out a list."""
    write_json_texts(indented_json(item, 1) for item in items)


def write_json_streamed(fields: dict) -> None:
    """write_json(fields), to the byte, with each value that is not a list,
    dict, text or number (a spools.Spool) written item by item as a list."""
    write = sys.stdout.write
    if not fields:
        write("{}\n")
        return
    write("{")
    separator = "\n  "
    for key, value in fields.items():
        write(separator + _string(key) + ": ")
        separator = ",\n  "
        if isinstance(value, (list, tuple, dict, str, int, float, bool)) or value is None:
            write(indented_json(value, 1))
        else:
            _write_list(write, (indented_json(item, 2) for item in value), 1)
    write("\n}\n")


def write_json_texts(texts: Iterable[str]) -> None:
    """write_json_list of items already written as JSON at its first level."""
    write = sys.stdout.write
    _write_list(write, texts, 0)
    write("\n")


def _write_list(write: Callable[[str], Any], texts: Iterable[str], level: int) -> None:
    """A JSON list, `level` deep, of items already written a level deeper, laid
    out as indented_json lays one out; a few hundred items to a write call."""
    inside = "\n" + "  " * (level + 1)
    items = iter(texts)
    first = next(items, None)
    if first is None:
        write("[]")
        return
    write("[" + inside)
    write_in_blocks(write, itertools.chain([first], items), "," + inside)
    write("\n" + "  " * level + "]")


def write_in_blocks(write: Callable[[str], Any], texts: Iterable[str], joint: str = "") -> int:
    """Each of `texts`, `joint` between them, a few hundred to a write call
    (not one call a text, nor all of them held); how many there were."""
    count, separator = 0, ""
    items = iter(texts)
    while block := list(itertools.islice(items, 512)):
        write(separator + joint.join(block))
        separator = joint
        count += len(block)
    return count


def indented_json(value: Any, level: int = 0) -> str:
    """json.dumps(value, ensure_ascii=False, indent=2), nested `level` deep, to the
    byte (a test compares the two): with an indent the json module encodes in
    pure Python, a generator a value; this writes the shapes a listing has, with
    the C string encoder, several times faster."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = "\n" + "  " * (level + 1)
        return (
            "{" + inner
            + ("," + inner).join(
                _string(key if type(key) is str else _key(key)) + ": " + indented_json(item, level + 1)
                for key, item in value.items()
            )
            + "\n" + "  " * level + "}"
        )  # fmt: skip
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = "\n" + "  " * (level + 1)
        return (
            "[" + inner + ("," + inner).join(indented_json(item, level + 1) for item in value)
            + "\n" + "  " * level + "]"
        )  # fmt: skip
    return json.dumps(value, ensure_ascii=False)  # numbers, booleans, null: as json does


def _key(key: Any) -> str:
    """A dict key that is not text (1, True, None), as the text json.dumps makes of it."""
    return next(iter(json.loads(json.dumps({key: 0}))))


_string = json.encoder.encode_basestring  # the C encoder, as json.dumps uses it here


# A cell starting with one of these is a formula to a spreadsheet ('=HYPERLINK(...)').
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A leading apostrophe keeps Excel from running '=HYPERLINK(...)' as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(rows: Iterable[Any], columns: list[Column], stream: Any = None) -> None:
    """CSV for people and their spreadsheets: every cell that would run as a formula is guarded."""
    import csv

    writer = csv.writer(stream or sys.stdout, lineterminator="\n")
    writer.writerow([column.key for column in columns])
    for row in rows:
        writer.writerow([spreadsheet_safe(column.get(row)) for column in columns])


def markdown_table(rows: Iterable[Any], columns: list[Column]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(_(column.header) for column in columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell(column.get(row)) for column in columns) + " |")
    return "\n".join(lines)


def rich_table(
    rows: Iterable[Any], columns: list[Column], style: Callable[[Any], str] | None = None
):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        # Headers are never folded mid-word ("Organisati/on"); in the user's language.
        header = _(column.header)
        table.add_column(header, overflow="fold", min_width=len(header))
    for row in rows:
        table.add_row(
            *(Text(visible(column.get(row))) for column in columns),
            style=(style(row) or None) if style else None,
        )
    return table


def console():
    # Created at render time, not import, so COLUMNS and redirection are honoured.
    from rich.console import Console

    # emoji=False: names are printed as written, and the emoji table is not loaded.
    return Console(highlight=False, emoji=False)


# Rich measures and wraps every cell: right for a screenful, slow for thousands.
RICH_MOST_ROWS = 200
PLAIN_CELL_MOST = 40  # characters of a cell in a plain table; the rest is cut with "…"
WIDTH_SAMPLE = 1000  # rows the column widths are taken from


def plain_table(rows: Iterable, columns: list[Column]) -> Iterator[str]:
    """An aligned table without Rich: widths from the first rows, long cells cut; streams."""

    def cell(text: str) -> str:
        text = visible(text)
        return text if len(text) <= PLAIN_CELL_MOST else text[: PLAIN_CELL_MOST - 1] + "…"

    rows = iter(rows)
    first = list(itertools.islice(rows, WIDTH_SAMPLE))
    headers = [_(column.header) for column in columns]
    widths = [len(header) for header in headers]
    for row in first:
        for index, column in enumerate(columns):
            widths[index] = max(widths[index], len(cell(column.get(row))))
    yield "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()
    yield "  ".join("-" * w for w in widths)
    for row in itertools.chain(first, rows):
        yield "  ".join(
            cell(column.get(row))[:width].ljust(width) for column, width in zip(columns, widths)
        ).rstrip()


def page(lines: Iterable[str], footer: Callable[[], str]) -> None:
    """Lines to stdout as they come; through a pager when stdout is a terminal that
    they overflow (as git does). `footer` is asked for the last line at the end."""
    import shutil

    if sys.stdout.isatty():
        screen = shutil.get_terminal_size().lines - 1
        lines = iter(lines)
        head = list(itertools.islice(lines, screen + 1))
        if len(head) > screen:
            import click

            # Click's pager takes a generator and writes it to the pager as it
            # comes (pydoc's wants the whole text first): memory stays flat.
            # PAGER is obeyed; without `less` (Windows) Click uses `more`.
            def text() -> Iterator[str]:
                for line in itertools.chain(head, lines):
                    yield line + "\n"
                yield footer() + "\n"

            click.echo_via_pager(text())
            return
        lines = head
    write = sys.stdout.write
    for line in lines:
        write(line + "\n")
    write(footer() + "\n")
