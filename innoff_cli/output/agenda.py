"""The programme: `agenda show` as a table, JSON, CSV or Markdown."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from innoff_cli.i18n import _, ngettext
from innoff_cli.models import Event, Item
from innoff_cli.output import (
    Column,
    Format,
    console,
    markdown_table,
    minutes_text,
    rich_table,
    write_csv,
    write_json,
)
from innoff_cli.programme import clock, current_item, norwegian_date
from innoff_cli.terminal import visible


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
    # Unicode width tables on every `agenda show`.
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
    if event.cancelled:
        title = f"AVLYST: {title}"
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
            "cancelled": event.cancelled,
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


def load_lines(report: dict[str, list[str]]) -> list[str]:
    """What `agenda load` did, an event kind a line."""
    lines = [
        f"{what.capitalize()}: {', '.join(report[what])}"
        for what in ("added", "updated", "unchanged")
        if report[what]
    ]
    if report["cancelled"]:
        lines.append(
            f"Cancelled (not in the file): {', '.join(report['cancelled'])}"
            " - the next `innoff invites send` cancels them for everyone invited"
        )
    if report["missing"]:
        lines.append(
            f"Not in the file, kept: {', '.join(report['missing'])}"
            " - pass --remove-missing to call them off"
        )
    return lines


def write_page(events: list[Event], tz: ZoneInfo, fmt: str, target, title: str | None) -> None:
    """The programme as a page (html) or its print (pdf): to `target`, written
    whole (0644: made to publish), or to stdout."""
    import os

    from innoff_cli import files, programme_page
    from innoff_cli.errors import InnoffError

    if not events:
        raise InnoffError(_("the database has no events - load one with `innoff agenda load FILE`"))
    text = programme_page.page(events, tz, title)
    if fmt == "pdf":
        data, pages = programme_page.pdf(text)
        if target is None:
            if sys.stdout.isatty():
                raise InnoffError(_("a PDF is not for the terminal - pass -o FILE.pdf, or pipe it"))
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        with files.written_whole(target) as stream:
            stream.buffer.write(data)
        said = " (" + ngettext("{n} page", "{n} pages", pages).format(n=pages) + ")"
    else:
        if target is None:
            sys.stdout.write(text)
            return
        with files.written_whole(target) as stream:
            stream.write(text)
        said = ""
    if os.name == "posix":
        os.chmod(target, 0o644)  # the programme, to publish: a web server must read it
    wrote = _("Wrote the programme of {n} events to {target}").format(n=len(events), target=target)
    print(f"{wrote}{said}.", file=sys.stderr)
