"""Rendering: table | json | csv | markdown from one column definition.

Data goes to stdout; JSON and CSV never pass through Rich (it would wrap long
lines). Rich is imported only when a table is drawn, and user text is wrapped
in `Text` so "[Workshop]" prints as written.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from innoff_cli.models import Event, Item
from innoff_cli.programme import clock, current_item, norwegian_date
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
    write = sys.stdout.write
    separator = "[\n"
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=2)
        write(separator + "  " + text.replace("\n", "\n  "))
        separator = ",\n"
    write("[]\n" if separator == "[\n" else "\n]\n")


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
        "| " + " | ".join(column.header for column in columns) + " |",
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
        # Headers are never folded mid-word ("Organisati/on").
        table.add_column(column.header, overflow="fold", min_width=len(column.header))
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


# --- the agenda -------------------------------------------------------------------


class AgendaRow(NamedTuple):
    event: Event
    item: Item
    tz: ZoneInfo
    current: bool = False


def _who(row: AgendaRow) -> str:
    return "; ".join(speaker.describe() for speaker in row.item.speakers)


def _time_range(row: AgendaRow) -> str:
    marker = "▶ " if row.current else ""
    # ASCII on purpose: a dash outside Rich's single-width set makes it load its
    # Unicode width tables, 3 ms of every `agenda show`.
    return f"{marker}{clock(row.item.start, row.tz)}-{clock(row.item.end, row.tz)}"


_TITLE = Column("title", "Item", lambda r: r.item.title)
_WHO = Column("who", "Who", _who)
# People read a time range and a length; scripts get ISO times and whole minutes.
AGENDA_TABLE_COLUMNS = [
    Column("time", "Time", _time_range),
    Column("length", "Length", lambda r: minutes_text(r.item.minutes)),
    _TITLE,
    _WHO,
]
AGENDA_CSV_COLUMNS = [
    Column("event", "Event", lambda r: r.event.slug),
    Column("id", "Id", lambda r: r.item.id),
    Column("start", "Start", lambda r: r.item.start.astimezone(r.tz).isoformat()),
    Column("end", "End", lambda r: r.item.end.astimezone(r.tz).isoformat()),
    Column("minutes", "Minutes", lambda r: str(r.item.minutes)),
    Column("kind", "Kind", lambda r: r.item.kind),
    _TITLE,
    _WHO,
]


def agenda_rows(event: Event, tz: ZoneInfo, now: datetime | None) -> list[AgendaRow]:
    """Rows for one event; an event without items is one row of its own (for people only)."""
    items = event.items or (Item(event.slug, event.start, event.end, event.title, "talk"),)
    on_now = current_item(event, now) if now else None
    return [AgendaRow(event, item, tz, item == on_now) for item in items]


def event_heading(event: Event, tz: ZoneInfo) -> tuple[str, str]:
    """Title line and detail line of an event, as on a printed programme."""
    start, end = event.start.astimezone(tz), event.end.astimezone(tz)
    title = f"{event.title} · {norwegian_date(start.date())} · {clock(start)}-{clock(end)}"
    if tz.key != event.timezone:
        title += f" ({tz.key})"
    # The join link, or that it is missing: an invite without it cannot be joined.
    join = f"bli med: {event.join_url}" if event.join_url else "lenke for deltakelse mangler"
    details = [event.location, join, event.url, f"del av {event.part_of}" if event.part_of else ""]
    return title, " · ".join(part for part in details if part)


def agenda_json(events: list[Event], tz: ZoneInfo) -> list[dict]:
    def iso(moment: datetime) -> str:
        return moment.astimezone(tz).isoformat()

    return [
        {
            "slug": event.slug,
            "title": event.title,
            "start": iso(event.start),
            "end": iso(event.end),
            "timezone": event.timezone,
            "location": event.location,
            "url": event.url,
            "join_url": event.join_url,
            "recording_url": event.recording_url,
            "aliases": list(event.aliases),
            "part_of": event.part_of,
            "registration": event.registration,
            "recorded": event.recorded,
            "partners": list(event.partners),
            "items": [
                {
                    "id": item.id,
                    "start": iso(item.start),
                    "end": iso(item.end),
                    "title": item.title,
                    "kind": item.kind,
                    "speakers": [speaker.as_dict() for speaker in item.speakers],
                }
                for item in event.items
            ],
        }
        for event in events
    ]


def render_agenda(events: list[Event], fmt: Format, tz: ZoneInfo, now: datetime | None) -> None:
    if fmt == "json":
        write_json(agenda_json(events, tz))
        return
    if fmt == "csv":
        write_csv((AgendaRow(e, item, tz) for e in events for item in e.items), AGENDA_CSV_COLUMNS)
        return
    if fmt == "markdown":
        blocks = []
        for event in events:
            title, details = event_heading(event, tz)
            blocks.append(f"## {title}\n\n{details}\n\n" if details else f"## {title}\n\n")
            blocks[-1] += markdown_table(agenda_rows(event, tz, None), AGENDA_TABLE_COLUMNS)
        sys.stdout.write("\n\n".join(blocks) + "\n")
        return
    from rich.text import Text

    out = console()
    for index, event in enumerate(events):
        title, details = event_heading(event, tz)
        if index:
            out.print()
        out.print(Text(visible(title), style="bold"))
        if details:
            out.print(Text(visible(details), style="dim"))
        out.print(rich_table(agenda_rows(event, tz, now), AGENDA_TABLE_COLUMNS, _row_style))


def _row_style(row: AgendaRow) -> str:
    if row.current:
        return "bold"
    return "dim" if row.item.kind == "break" else ""


# --- registrations ------------------------------------------------------------------

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
        use = f"registered for {use[6:]} (yes/no)"
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
            f"{report.file}: {report.rows} rows ({report.encoding}, {report.delimiter})", bold=True
        )
        line(
            f"  new {report.new} · updated {report.updated} · unchanged {report.unchanged}"
            f" · duplicates in file {report.duplicates} · rejected {report.rejected}"
        )
        skipped = (
            f" ({report.skipped_before_header} rows above it skipped)"
            if report.skipped_before_header
            else ""
        )
        line(f"  header on line {report.header_line}{skipped}", dim=True)
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
            line("  rejected:")
            for rejected in report.rejected_lines:
                line(f"    {rejected}")
            if report.rejected > len(report.rejected_lines):
                more = report.rejected - len(report.rejected_lines)
                line(f"    ... and {more} more (see --rejects FILE)")
        for note in report.warnings:
            line(f"  note: {note}", fg="yellow")
        if report.dry_run:
            line("  Dry run: nothing was written.", bold=True)
        elif report.not_read_again:
            line(
                f"  Nothing changed: imported with the same options on"
                f" {report.previously_imported}, and nothing has changed since (not read again).",
                bold=True,
            )
        elif not report.written:
            seen = (
                f" (imported before on {report.previously_imported})"
                if report.previously_imported
                else ""
            )
            line(f"  Nothing changed{seen}.", bold=True)


PARTICIPANT_COLUMNS = [
    Column("name", "Name", lambda p: p["name"]),
    Column("email", "E-mail", lambda p: p["email"]),
    Column("organisation", "Organisation", lambda p: p["organisation"]),
    Column("role", "Role", lambda p: p["role"]),
    Column("municipality", "Municipality", lambda p: p["municipality"]),
    Column("phone", "Phone", lambda p: p["phone"]),
    Column("registered_at", "Registered", lambda p: p["registered_at"] or ""),
    Column("events", "Events", lambda p: ", ".join(p["events"])),
    Column("rsvp", "Answers", lambda p: ", ".join(f"{e}: {a}" for e, a in p["rsvp"].items())),
]


def _answers_short(person: dict) -> str:
    """'accepted, -' in the order of the Events column; 'accepted?' for an answer
    given before the event changed, which is to be confirmed again."""
    before = person["rsvp_before_change"]
    return ", ".join(
        f"{before[event]}?" if event in before else ("-" if answer == "none" else answer)
        for event, answer in person["rsvp"].items()
    )


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


def render_participants(people: Iterable[dict], fmt: str) -> None:
    """Participants as they come: JSON and CSV are written row by row."""
    if fmt == "json":
        write_json_list(people)
    elif fmt == "csv":
        write_csv(people, PARTICIPANT_COLUMNS)
    else:
        people = iter(people)
        first = list(itertools.islice(people, RICH_MOST_ROWS + 1))
        if len(first) <= RICH_MOST_ROWS:
            out = console()
            out.print(rich_table(first, PARTICIPANT_TABLE_COLUMNS))
            out.print(f"{len(first)} participants", style="dim")
            return
        counted = [0]

        def rows():
            for person in itertools.chain(first, people):
                counted[0] += 1
                yield person

        lines = plain_table(rows(), PARTICIPANT_TABLE_COLUMNS)
        page(lines, lambda: f"{counted[0]} participants")


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
    widths = [len(column.header) for column in columns]
    for row in first:
        for index, column in enumerate(columns):
            widths[index] = max(widths[index], len(cell(column.get(row))))
    yield "  ".join(c.header.ljust(w) for c, w in zip(columns, widths)).rstrip()
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
            import pydoc

            pydoc.pager("\n".join([*head, *lines, footer()]))
            return
        lines = head
    write = sys.stdout.write
    for line in lines:
        write(line + "\n")
    write(footer() + "\n")


def render_person(person: dict, fmt: str) -> None:
    if fmt == "json":
        write_json(person)
        return
    rows = [(column.header, column.get(person)) for column in PARTICIPANT_COLUMNS]
    rows += [(f"{key} (extra)", str(value)) for key, value in person["extra"].items()]
    rows += [
        ("Imported from", f"{source['file_name']} line {source['line']}, {source['imported_at']}")
        for source in person["imports"]
    ]
    pairs = [Column("field", "Field", lambda r: r[0]), Column("value", "Value", lambda r: r[1])]
    console().print(rich_table(rows, pairs))


def render_stats(stats: dict[str, dict[str, int]], fmt: str) -> None:
    if fmt == "json":
        write_json(stats)
        return
    from rich.text import Text

    out = console()
    columns = [Column("what", "", lambda r: r[0]), Column("count", "Count", lambda r: str(r[1]))]
    for section, counts in stats.items():
        out.print(Text(section.capitalize(), style="bold"))
        first = next(iter(counts.values()), None)
        if isinstance(first, dict):  # a row of counts per key: the answers
            wide = [Column("what", "", lambda r: r[0])] + [
                Column(kind, kind.capitalize(), lambda r, kind=kind: str(r[1][kind]))
                for kind in first
            ]
            out.print(rich_table(list(counts.items()), wide))
        else:
            out.print(rich_table(list(counts.items()), columns))


# --- invites ------------------------------------------------------------------------

CHANGE_WORDS = {
    "new": ("new invite", "new invites"),
    "update": ("update", "updates"),
    "cancel": ("cancellation", "cancellations"),
    "event-cancelled": ("cancellation of the event", "cancellations of the event"),
}


def _counted(n: int, words: tuple[str, str]) -> str:
    return f"{n} {words[0] if n == 1 else words[1]}"


def _per_event(counts: dict[str, dict[str, int]]) -> list[str]:
    """'  studio: 2 new invites, 1 cancellation', one line per event."""
    return [
        f"  {event}: "
        + ", ".join(_counted(n, CHANGE_WORDS[what]) for what, n in kinds.items() if n)
        for event, kinds in counts.items()
    ]


def send_summary(outgoing, dry_run: bool) -> list[str]:
    """What `invites send` is about to send, per event, before it asks."""
    messages = outgoing.messages
    if not messages:
        lines = ["Nothing to send: everyone has the current invites."]
    else:
        verb = "Would send" if dry_run else "To send"
        lines = [f"{verb}: {len(messages)} messages"]
        lines += _per_event(outgoing.counts())
    if outgoing.queued_before:
        lines.append(
            f"  {outgoing.queued_before} of them were queued by a run that stopped; one that"
            " went out then goes again as the same message (same UID and SEQUENCE)."
        )
    if outgoing.plan.held:
        lines.append(
            f"  {outgoing.plan.held} held back: a server refused them before"
            " (`innoff invites status` says why; --retry-failed tries again)."
        )
    return lines


def no_link_warning(slug: str) -> str:
    return (
        f"Warning: {slug} has no join link, so its invites carry none - set it with"
        f" `innoff agenda event {slug} --join-url URL` (--require-link refuses to send)"
    )


def send_question(count: int, maildir: Path | None, host: str | None) -> str:
    where = f"into {maildir}" if maildir is not None else f"through {host}"
    return f"Send {count} messages {where}?"


def invite_files_report(report, folder: Path) -> list[str]:
    """`export ics --invites`: what this export writes, and what the folder then holds."""
    written = ", ".join(
        f"{n} {what}" for what, n in sorted(report.changes.items()) if what != "unchanged"
    )
    held = report.changes.get("unchanged", 0)
    verb = "Would write" if report.dry_run else "Wrote"
    lines = [
        f"{verb} {report.files} files to {folder} ({written or 'nothing changed'});"
        f" it holds {report.requests} invites and {report.cancel_files} cancellations"
        f" ({held} unchanged)"
        + ("." if report.dry_run else f", listed in {folder / 'manifest.csv'}.")
    ]
    lines += _per_event(report.per_event)
    return lines


def send_report(report, dry_run: bool) -> list[str]:
    if dry_run:
        lines = [f"Dry run: wrote {report.sent} messages to {report.via}; nothing was recorded."]
    else:
        lines = [f"Sent {report.sent} messages ({report.via})."]
    if report.failed:
        lines.append(
            f"{len(report.failed)} refused by the server and marked failed"
            " - see `innoff invites status`."
        )
    return lines


@contextmanager
def send_progress(total: int):
    """A progress bar on stderr when stderr is a terminal; else nothing."""
    if not sys.stderr.isatty() or total < 2:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Sending", total=total)
        yield lambda: bar.advance(task)


INVITE_STATUS_COLUMNS = [
    Column("event", "Event", lambda r: r["event"]),
    Column("email", "E-mail", lambda r: r["email"]),
    Column("name", "Name", lambda r: r["name"]),
    Column(
        "last", "Last sent", lambda r: f"{r['method']} {r['sequence']}" if r["method"] else ""
    ),  # fmt: skip
    Column(
        "state", "State", lambda r: (r["state"] or "") + (f": {r['reason']}" if r["reason"] else "")
    ),
    Column("time", "Time (Oslo)", lambda r: _oslo(r["time"])),
    Column("pending", "Pending", lambda r: r["pending"]),
    Column(
        "answer",
        "Answer",
        lambda r: (
            (r["answer"] or "")
            + (f" (SEQUENCE {r['answer_sequence']})" if r["answer"] else "")
            + (f"; proposes {r['counter']}" if r["counter"] else "")
        ),
    ),
]


def _oslo(utc_text: str | None) -> str:
    """'2020-11-17 10:05' in Oslo time for a table; JSON keeps the UTC time."""
    if not utc_text:
        return ""
    return (
        datetime.fromisoformat(utc_text)
        .astimezone(ZoneInfo("Europe/Oslo"))
        .strftime("%Y-%m-%d %H:%M")
    )


def render_invite_status(rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        write_json(rows)
        return
    out = console()
    out.print(rich_table(rows, INVITE_STATUS_COLUMNS))
    pending = sum(bool(r["pending"]) for r in rows)
    out.print(f"{len(rows)} invites, {pending} pending", style="dim")


# --- replies ----------------------------------------------------------------------------


def render_replies(report, fmt: str) -> None:
    """What `invites replies` read: counts, then each kind of exception, by Message-ID."""
    if fmt == "json":
        write_json(report.as_dict())
        return
    import typer

    from innoff_cli.replies import SHOWN_MOST

    def line(text: str) -> None:
        typer.echo(visible(text))

    def listed(title: str, rows: list[dict], say) -> None:
        if not rows:
            return
        line(f"{title}: {len(rows)}")
        for row in rows[:SHOWN_MOST]:
            line(f"  {say(row)}")
        if len(rows) > SHOWN_MOST:
            line(f"  ... and {len(rows) - SHOWN_MOST} more (--format json lists them all)")

    answers = ", ".join(f"{n} {kind}" for kind, n in report.answers.items()) or "none"
    line(f"Read {report.messages} messages from {', '.join(report.sources)}.")
    line(f"Answers recorded: {len(report.recorded)} ({answers})")
    if report.already_read:
        line(f"Already read before: {report.already_read} (nothing changed)")
    if report.superseded:
        line(f"Older than the answer already recorded: {report.superseded}")
    if report.other_mail:
        line(f"Mail with no answer in it (other mail, invites): {report.other_mail}")
    if report.before_since:
        line(f"Before --since: {report.before_since}")
    listed(
        "Answers to an earlier version (stale: a newer invite was sent since)",
        report.stale,
        lambda r: (
            f"{r['email']} {r['event']}: {r['answer']} to SEQUENCE {r['sequence']},"
            f" last sent {r['last_sent']} <{r['message_id']}>"
        ),
    )
    listed(
        "Matched by the From address (the ATTENDEE names no one invited)",
        report.matched_by_from,
        lambda r: (
            f"{r['from']} {r['event']} (ATTENDEE {r['attendee'] or 'missing'}) <{r['message_id']}>"
        ),
    )
    listed(
        "Proposals of another time (COUNTER; recorded, not applied)",
        report.counters,
        lambda r: (
            f"{r['email']} {r['event']}: {r['start']} - {r['end']}"
            + (f" {r['tzid']}" if r["tzid"] else "")
            + (f' "{r["comment"]}"' if r["comment"] else "")
        ),
    )
    listed(
        "Ignored",
        report.ignored,
        lambda r: (
            f"{r['from'] or '(sender not shown)'}: {r['reason']} (UID {r['uid']})"
            f" <{r['message_id']}>"
        ),
    )
    listed("Not read", report.errors, lambda r: f"{r['where']}: {r['reason']}")
    if report.dry_run:
        line("Dry run: nothing was recorded.")
