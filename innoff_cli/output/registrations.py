"""Registrations: import reports, participants (one column list for every format), a person, counts."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from innoff_cli import participant_fields
from innoff_cli.i18n import N_, _, ngettext
from innoff_cli.output import (
    RICH_MOST_ROWS,
    Column,
    console,
    page,
    plain_table,
    rich_table,
    spreadsheet_safe,
    write_csv,
    write_in_blocks,
    write_json,
    write_json_list,
    write_json_texts,
)
from innoff_cli.terminal import visible

PROGRESS_FROM_BYTES = 5 * 1024 * 1024


@contextmanager
def import_progress(path: Path):
    """A progress bar on stderr for a large file when stderr is a terminal; else nothing."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size < PROGRESS_FROM_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"Importing {path.name}", total=size)
        yield lambda done, total: bar.update(task, completed=done, total=total)


PLAN_USES = {"events": "events", "status": "status: rows not coming are rejected",
             "extra": "kept as extra"}  # fmt: skip


def plan_line(column: dict) -> str:
    """'E-post → email (kari@example.org)': one column of the plan, with a sample value."""
    from innoff_cli.registration_exports.text import shown

    use = column["use"]
    if use.startswith("event:"):
        use = f"registered for {use[6:]} ({column.get('reading', 'yes/no')})"
    use = PLAN_USES.get(use, use)
    sample = f" ({shown(column['sample'], 40)})" if column["sample"] else ""
    return f"{shown(column['column'])} → {use}{sample}"


def render_imports(reports: list, fmt: str) -> None:
    if fmt == "json":
        write_json([report.as_dict() for report in reports])
        return
    # Lines, not a table: typer's styled echo does (and leaves rich unloaded).
    import os

    import typer

    color = False if os.environ.get("NO_COLOR") else None

    def line(text: str, **style: Any) -> None:
        typer.secho(visible(text), color=color, **style)

    for report in reports:
        line(
            _("{file}: {rows} rows ({encoding}, {delimiter})").format(
                file=report.file, rows=report.rows, encoding=report.encoding,
                delimiter=report.delimiter,
            ),
            bold=True,
        )  # fmt: skip
        line(
            "  "
            + _(
                "new {new} · updated {updated} · unchanged {unchanged}"
                " · duplicates in file {duplicates} · rejected {rejected}"
            ).format(
                new=report.new, updated=report.updated, unchanged=report.unchanged,
                duplicates=report.duplicates, rejected=report.rejected,
            )
        )  # fmt: skip
        skipped = (
            " " + _("({n} rows above it skipped)").format(n=report.skipped_before_header)
            if report.skipped_before_header
            else ""
        )
        line("  " + _("header on line {line}").format(line=report.header_line) + skipped, dim=True)
        for column in report.plan:
            line(f"  {plan_line(column)}", dim=True)
        if report.stopped_at:
            line(
                f"  stopped at line {report.stopped_at}: a block of people who are not registrants"
            )
        if report.not_coming:
            said = ", ".join(f"{status} {n}" for status, n in report.not_coming.items())
            line(f"  not coming, registered nobody: {said}")
        if report.rejected:
            line("  " + _("rejected:"))
            for rejected in report.rejected_lines:
                line(f"    {rejected}")
            if report.rejected > len(report.rejected_lines):
                more = report.rejected - len(report.rejected_lines)
                line("    " + _("... and {n} more (see --rejects FILE)").format(n=more))
        for note in report.warnings:
            line("  " + _("note: {note}").format(note=note), fg="yellow")
        if report.dry_run:
            line("  " + _("Dry run: nothing was written."), bold=True)
        elif report.not_read_again:
            line(
                "  "
                + _(
                    "Nothing changed: imported with the same options on {when}, and nothing"
                    " has changed since (not read again)."
                ).format(when=report.previously_imported),
                bold=True,
            )
        elif not report.written:
            seen = (
                " " + _("(imported before on {when})").format(when=report.previously_imported)
                if report.previously_imported
                else ""
            )
            line("  " + _("Nothing changed") + seen + ".", bold=True)


def _text(value: object) -> str:
    """A field's value as a cell: a list joined, answers as 'event: answer'."""
    if type(value) is str:  # most cells: returned first, as every row has nine
        return value
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


def participant_columns(keys: Iterable[str]) -> list[Column]:
    """The columns of participant_fields.FIELDS named by `keys`, in that order, as
    text read from a participant as `participant_fields.public` gives it."""
    fields = {field.key: field for field in participant_fields.FIELDS}
    return [
        Column(key, fields[key].header, lambda p, key=key: _text(p[key]))
        for key in keys
    ]  # fmt: skip


# `registrations list --format csv` and `show`: everything but the answers
# before a change, name first.
PARTICIPANT_COLUMNS = participant_columns(
    ("name", "email", "organisation", "role", "municipality", "phone", "registered_at",
     "events", "rsvp")
)  # fmt: skip


def csv_tail(
    keys: tuple[str, ...], delimiter: str = ",", line_end: str = "\n"
) -> Callable[[list, dict, dict], str]:
    """What write_csv (or an export) writes of the fields `keys` of a participant
    with these events, answers and attendance: the end of their line."""
    import csv
    import io

    def tail(events: list, answers: dict, attended: dict) -> str:
        fields = participant_fields.tail_fields(events, answers, attended)
        line = io.StringIO()
        csv.writer(line, delimiter=delimiter, lineterminator=line_end).writerow(
            [spreadsheet_safe(_text(fields[key])) for key in keys]
        )
        return line.getvalue()

    return tail


def _answers_short(person: dict) -> str:
    """'accepted, -' in the order of the Events column; 'accepted?' for an answer
    given before the event changed, which is to be confirmed again."""
    before = person["rsvp_before_change"]
    return ", ".join(
        f"{before[event]}?" if event in before else ("-" if answer == "none" else answer)
        for event, answer in person["rsvp"].items()
    )


def _people_time(iso: str | None) -> str:
    """'17.11.2020 10:01' of an ISO 8601 time, in its own offset ('' for none)."""
    if not iso:
        return ""
    return f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]} {iso[11:16]}"


def _registered_short(person: dict) -> str:
    """'12.11.2020 10:01' for people; JSON and CSV keep the full ISO 8601 time."""
    at = person["registered_at"]
    return f"{at[8:10]}.{at[5:7]}.{at[0:4]} {at[11:16]}" if at else ""


# The table leaves out what makes it too wide to read; csv and json have everything.
PARTICIPANT_TABLE_COLUMNS = [
    Column("registered_at", "Registered", _registered_short)
    if column.key == "registered_at"
    else Column("rsvp", "Answers", _answers_short)
    if column.key == "rsvp"
    else column
    for column in PARTICIPANT_COLUMNS
    if column.key not in ("role", "phone")
]


def _participants(count: int) -> str:
    return ngettext("{n} participant", "{n} participants", count).format(n=count)


def render_participants(people: Iterable[dict], fmt: str) -> None:
    """Participants as they come: JSON and CSV are written row by row."""
    if fmt == "json":
        write_json_list(people)
    elif fmt == "csv":
        write_csv(people, PARTICIPANT_COLUMNS)
    else:
        _table(people, PARTICIPANT_TABLE_COLUMNS)


def _table(rows: Iterable, columns: list[Column]) -> None:
    """A few rows as Rich draws a table; more as plain lines, streamed, paged."""
    rows = iter(rows)
    first = list(itertools.islice(rows, RICH_MOST_ROWS + 1))
    if len(first) <= RICH_MOST_ROWS:
        out = console()
        out.print(rich_table(first, columns))
        out.print(_participants(len(first)), style="dim")
        return
    counted = [0]

    def counting():
        for row in itertools.chain(first, rows):
            counted[0] += 1
            yield row

    page(plain_table(counting(), columns), lambda: _participants(counted[0]))


# What store.listings.participants_cells gives of each person for the table,
# and what it leaves to table_tail.
TABLE_HEAD_KEYS = ("name", "email", "organisation", "municipality", "registered_at")
_TABLE_ROW_COLUMNS = [
    Column(column.key, column.header, itemgetter(place))
    for place, column in enumerate(PARTICIPANT_TABLE_COLUMNS)
]


def table_tail(events: list, answers: dict, attended: dict) -> tuple[str, str]:
    """The table's Events and Answers cells of a participant with these events,
    answers and attendance."""
    fields = participant_fields.tail_fields(events, answers, attended)
    return _text(fields["events"]), _answers_short(fields)


def write_participants(texts: Iterable, fmt: str) -> None:
    """Participants already written (store.listings): JSON items, CSV lines
    under PARTICIPANT_COLUMNS' header, or a table's rows of cells."""
    if fmt == "table":
        _table(texts, _TABLE_ROW_COLUMNS)
        return
    if fmt == "json":
        write_json_texts(texts)
        return
    items = iter(texts)
    first = next(items, None)  # an unknown event is said before the header
    write = sys.stdout.write
    write(",".join(column.key for column in PARTICIPANT_COLUMNS) + "\n")
    write_in_blocks(write, itertools.chain([first] if first is not None else [], items))


def render_person(person: dict, fmt: str) -> None:
    if fmt == "json":
        write_json(person)
        return
    # People read one form of date (17.11.2020 10:01); --format json keeps ISO 8601.
    shown = {"registered_at": _registered_short}
    rows = [
        (_(column.header), shown.get(column.key, column.get)(person))
        for column in PARTICIPANT_COLUMNS
    ]
    rows += [
        (_("{key} (extra)").format(key=key), str(value)) for key, value in person["extra"].items()
    ]
    rows += [
        (
            _("Imported from"),
            _("{file} line {line}, {when}").format(
                file=source["file_name"],
                line=source["line"],
                when=_people_time(participant_fields.local_time(source["imported_at"])),
            ),
        )
        for source in person["imports"]
    ]
    pairs = [Column("field", "Field", lambda r: r[0]), Column("value", "Value", lambda r: r[1])]
    console().print(rich_table(rows, pairs))


# The words of `registrations stats` (its JSON keys), for the catalogue.
STATS_WORDS = (
    N_("participants"), N_("events"), N_("answers per event"), N_("answers per organisation kind"),
    N_("organisation kinds"), N_("municipalities"), N_("attendance per event"),
    N_("attendance per organisation kind"), N_("attendance by answer"), N_("total"),
    N_("municipality or county"), N_("research and higher education"), N_("public agency"),
    N_("other"), N_("(not given)"), N_("accepted"), N_("tentative"), N_("declined"),
    N_("delegated"), N_("none"), N_("registered"), N_("attended"), N_("no-show"),
    N_("walk-ins"),
)  # fmt: skip


def _named(key: str) -> str:
    """A row's name: 'studio: accepted' has its answer translated, a kind itself."""
    event, colon, answer = key.rpartition(": ")
    return f"{event}: {_(answer)}" if colon else _(key)


def render_stats(stats: dict[str, dict[str, int]], fmt: str) -> None:
    if fmt == "json":
        write_json(stats)
        return
    from rich.text import Text

    out = console()
    # Sections, kinds of organisation and answers in the user's language (the
    # JSON keeps its keys); event slugs and municipalities pass as they are.
    label = Column("what", "", lambda r: _named(r[0]))
    columns = [label, Column("count", "Count", lambda r: str(r[1]))]
    for section, counts in stats.items():
        out.print(Text(_(section).capitalize(), style="bold"))
        first = next(iter(counts.values()), None)
        if isinstance(first, dict):  # a row of counts per key: the answers
            wide = [label] + [
                Column(kind, _(kind).capitalize(), lambda r, kind=kind: str(r[1][kind]))
                for kind in first
            ]
            out.print(rich_table(list(counts.items()), wide))
        else:
            out.print(rich_table(list(counts.items()), columns))
