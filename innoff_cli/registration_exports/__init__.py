"""Registration exports -> a column plan and a stream of participant rows. Pure.

The exports come from whatever ran the registration: NEON's form, Microsoft or
Google Forms, Typeform, Zoom, Checkin, TicketCo, Deltager, Eventbrite, or a
sheet re-saved from Excel on a Norwegian PC. They differ in encoding,
delimiter, layout, header names and date format; this package reads them all,
in one seam, as sqlite-utils' `rows_from_file` serves its CLI:

    export = read_export(stream, events, default_event, tz=...)
    export.plan          # which column is what (and export.plan.table(...) for people)
    export.rows(reject)  # plain tuples for SQLite, one at a time; rejects go to `reject`

The parts, each a module: `vocabulary` (the words of headers and answers, to
extend in one place), `text` (bytes and encodings), `columns` (the header and
what each column is), `dates`, `rows` (the one hot loop).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO
from zoneinfo import ZoneInfo

from innoff_cli.addresses import check_email
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.models import Event
from innoff_cli.registration_exports import workbooks
from innoff_cli.registration_exports.columns import (
    ColumnPlan,
    find_header,
    is_header,
    match_events,
    plan_columns,
)  # fmt: skip
from innoff_cli.registration_exports.dates import DateReader
from innoff_cli.registration_exports.rows import (
    UNREAD_DATES,
    ParsedRow,
    Rejected,
    RowReader,
    tidy_name,
)  # fmt: skip
from innoff_cli.registration_exports.text import detect_encoding, shown, sniff_delimiter
from innoff_cli.registration_exports.vocabulary import yes_or_no

__all__ = [
    "ColumnPlan", "DateReader", "Export", "ParsedRow", "Rejected", "RowReader", "UNREAD_DATES",
    "check_email", "detect_encoding", "is_header", "match_events", "plan_columns", "read_export",
    "shown", "sniff_delimiter", "tidy_name", "yes_or_no",
]  # fmt: skip

CHUNK = 1 << 20
SNIFF_CHARS = 64 * 1024
SAMPLE_ROWS = 200  # rows looked at to decide what the columns are
HEADER_SEARCH_ROWS = 80  # non-blank rows searched for the header (reports stack blocks first)


@dataclass
class Export:
    """An export opened for reading: what innoff found, and its rows to come."""

    name: str
    sha256: str
    encoding: str  # the codec's name
    delimiter: str
    header_line: int
    skipped: int  # non-blank rows above the header
    header: list[str]
    plan: ColumnPlan
    reader: RowReader
    sample: list[tuple[int, list[str]]]
    rest: Iterator[tuple[int, list[str]]]
    kind: str = "csv"  # or "workbook"
    sheet: str = ""  # a workbook's sheet that was read

    @property
    def stopped(self) -> list[tuple[int, str]]:
        """(line, title) where a later block (hosts, panelists) began, once the rows are read."""
        return self.reader.stopped

    def rows(self, reject: Callable[[Rejected], None]) -> Iterator[tuple]:
        """Every data row as a plain tuple (ParsedRow's fields); rejected ones go to `reject`.

        Raises InnoffError when the file turns out not to be text in its
        encoding, or not CSV, part-way through (the rows' source says so).
        """
        return self.reader.rows(itertools.chain(self.sample, self.rest), reject)


def read_export(
    stream: BinaryIO,
    events: Sequence[Event],
    default_event: str,
    *,
    tz: ZoneInfo,
    name: str = "the file",
    encoding: str | None = None,
    delimiter: str | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    yes_values: Sequence[str] | None = None,
) -> Export:
    """Open an export (a seekable binary stream): a CSV file or a workbook; its
    encoding and delimiter or its sheet, its header, the column plan.

    `encoding`, `delimiter` (CSV), `sheet` (workbooks) and `mapping` (header ->
    field) override what is detected. Memory stays flat for CSV: the file is
    read once to detect its encoding and hash, then streamed.
    """
    start = stream.read(8)
    stream.seek(0)
    if workbooks.is_workbook(start):
        if encoding or delimiter:
            raise InnoffError(
                _(
                    "{name} is a workbook: --encoding and --delimiter are for CSV files - leave them out"
                ).format(name=name)
            )
        sha256, sheet_name, numbered = workbooks.open_workbook(stream, name, sheet)
        # Rejects of a workbook are written as CSV, as Excel on a Norwegian PC opens it.
        source = Source("workbook", "utf-8-sig", ";", sheet_name)
    else:
        workbooks.refuse_non_export(start, name)
        if sheet is not None:
            raise InnoffError(
                _("{name} is not a workbook: --sheet is for .xlsx files - leave it out").format(
                    name=name
                )
            )
        sha256, source, numbered = csv_rows(stream, name, encoding, delimiter)
    try:
        found = find_header(numbered, HEADER_SEARCH_ROWS)
        if found is None:
            raise InnoffError(
                _("{name} has no rows - export the registrations again").format(name=name)
            )
        header_line, header, skipped, rest = found
        sample = list(itertools.islice(rest, SAMPLE_ROWS))
    except UnicodeError:  # the sniffed start; the rows' own errors are with_lines()'s
        raise _not_text(name, source.encoding) from None
    # The columns are judged by the rows of people: a totals row ('Sum', then
    # counts under the x columns) or a note under the list must not decide them.
    people = [cells for _, cells in sample if any("@" in cell for cell in cells)]
    plan = plan_columns(
        header, people or [cells for _, cells in sample], events, mapping, yes_values
    )
    return Export(
        name, sha256, source.encoding, source.delimiter, header_line, skipped, header, plan,
        RowReader(plan, events, default_event, tz), sample, rest, source.kind, source.sheet,
    )  # fmt: skip


@dataclass(frozen=True)
class Source:
    kind: str  # csv or workbook
    encoding: str  # the codec of the text (rejects are written in it)
    delimiter: str
    sheet: str = ""


def csv_rows(
    stream: BinaryIO, name: str, encoding: str | None, delimiter: str | None, numbered: bool = True
):
    """(sha256, Source, the numbered rows) of a CSV file; with `numbered` False,
    the rows alone (attendance reports, which name no line)."""
    detected, sha256 = detect_encoding(iter(lambda: stream.read(CHUNK), b""))
    stream.seek(0)
    encoding = encoding or detected
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError):  # no such codec, or a name with a NUL in it
        raise InnoffError(
            _("unknown encoding '{encoding}' - try utf-8 or cp1252").format(
                encoding=shown(encoding)
            )
        ) from None
    # base64, hex, rot13...: codecs Python has, but not for text (as io refuses them).
    if not getattr(info, "_is_text_encoding", True):
        raise InnoffError(
            _("'{encoding}' is not a text encoding - try utf-8 or cp1252").format(
                encoding=shown(encoding)
            )
        ) from None
    codec = info.name
    # Windows-1252 leaves five bytes undefined; a stray one must not stop the import.
    errors = "replace" if codec == "cp1252" else "strict"
    text = io.TextIOWrapper(stream, encoding=encoding, errors=errors, newline="")
    try:
        start = text.read(SNIFF_CHARS)
    except UnicodeError:
        raise _not_text(name, encoding) from None
    if "\x00" in start:
        raise InnoffError(
            _("{name} does not look like a CSV file - export the registrations as CSV").format(
                name=name
            )
        )
    delimiter = delimiter or sniff_delimiter(start)
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)

    def with_lines() -> Iterator[tuple[int, list[str]]]:
        """(line the row starts on, cells); a file that turns out not to be
        text, or not CSV, part-way through is an InnoffError."""
        line = 1
        try:
            for cells in reader:
                yield line, cells
                line = reader.line_num + 1
        except UnicodeError:
            raise _not_text(name, codec) from None
        except csv.Error as error:
            raise _not_csv(name, error) from None

    return sha256, Source("csv", codec, delimiter), (with_lines() if numbered else reader)


@contextmanager
def csv_errors(name: str, codec: str):
    """Around a loop over csv_rows(numbered=False)'s rows, which are the csv
    module's own (no generator between it and the loop): a file that turns out
    not to be text, or not CSV, part-way through is an InnoffError."""
    try:
        yield
    except UnicodeError:
        raise _not_text(name, codec) from None
    except csv.Error as error:
        raise _not_csv(name, error) from None


def _not_text(name: str, encoding: str) -> InnoffError:
    return InnoffError(
        _(
            "{name} is not valid {encoding} text - pass the right --encoding, e.g. cp1252 or utf-8"
        ).format(name=name, encoding=encoding)
    )


def _not_csv(name: str, error: csv.Error) -> InnoffError:
    return InnoffError(
        _(
            "{name} could not be read as CSV ({error}) - check the quoting or pass --delimiter"
        ).format(name=name, error=error)
    )
