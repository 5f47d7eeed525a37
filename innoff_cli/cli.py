"""The Typer app: parse options, call one function, render, map errors.

Imports here stay cheap: `innoff --help` and `innoff agenda show` must not pay
for sqlite-utils, ics or dateutil, so commands import what they need inside.
"""

import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer
from typer.core import TyperGroup

from innoff_cli import __version__
from innoff_cli.errors import InnoffError

APP_NAME = "innoff"


class InnoffGroup(TyperGroup):
    """The one place where errors become messages and exit codes."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except InnoffError as error:
            if _debug(ctx):
                raise
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(1) from None
        except sqlite3.Error as error:
            if _debug(ctx):
                raise
            from innoff_cli.store import database_error

            typer.echo(f"Error: {database_error(_db_path(ctx), error)}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted: nothing was written.", err=True)
            raise typer.Exit(130) from None


def _debug(ctx: typer.Context) -> bool:
    return bool((ctx.obj or {}).get("debug"))


def _db_path(ctx: typer.Context) -> Path:
    return (ctx.find_root().obj or {})["db"]


def default_db_path() -> Path:
    return Path(typer.get_app_dir(APP_NAME)) / "innoff.db"


app = typer.Typer(
    cls=InnoffGroup,
    help="Organise INNOFF's events: the programme, registrations and calendar invites.",
    no_args_is_help=True,
    # Personal data must never land in a traceback.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
agenda_app = typer.Typer(help="Show and edit the programme.", no_args_is_help=True)
registrations_app = typer.Typer(
    help="Import registration exports and manage participants.", no_args_is_help=True
)
export_app = typer.Typer(help="Calendar files and invites.", no_args_is_help=True)
db_app = typer.Typer(help="The database file innoff keeps.", no_args_is_help=True)
app.add_typer(agenda_app, name="agenda")
app.add_typer(registrations_app, name="registrations")
app.add_typer(export_app, name="export")
app.add_typer(db_app, name="db")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"innoff {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Optional[Path],
        typer.Option(
            "--db",
            envvar="INNOFF_DB",
            help="SQLite file to use \\[default: innoff.db in the user's app directory].",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Organise INNOFF's events: the programme, registrations and calendar invites."""
    ctx.obj = {"db": db or default_db_path(), "debug": debug}


# --- agenda -----------------------------------------------------------------------

EventOption = Annotated[
    Optional[str],
    typer.Option("--event", "-e", help="Event slug, title or alias (e.g. studio, årsmøte)."),
]


@agenda_app.command("show")
def agenda_show(
    ctx: typer.Context,
    event: EventOption = None,
    format: Annotated[
        Literal["table", "json", "csv", "markdown"],
        typer.Option("--format", "-f", help="Output format."),
    ] = "table",
    tz: Annotated[str, typer.Option("--tz", help="Show times in this time zone.")] = "Europe/Oslo",
    now: Annotated[
        Optional[str],
        typer.Option("--now", hidden=True, help="Pretend it is this ISO time (for demos/tests)."),
    ] = None,
) -> None:
    """Show the programme: one table per event, or json/csv/markdown for scripts."""
    from innoff_cli import agenda, output, programme

    zone = programme.zone(tz)
    events = agenda.show(_db_path(ctx), event)
    output.render_agenda(events, format, zone, _clock(now))


def _clock(value: str | None) -> datetime:
    """Now, or the moment given with --now so 'what is on' can be tested."""
    if value is None:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InnoffError(f"bad time '{value}' - write it as 2020-11-17T10:15+01:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@agenda_app.command("load")
def agenda_load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Programme file (TOML), like data/programme.toml.")],
) -> None:
    """Load or update the programme from a TOML file (items missing from it are removed)."""
    from innoff_cli import agenda

    report = agenda.load(_db_path(ctx), file)
    for what in ("added", "updated", "unchanged"):
        if report[what]:
            typer.echo(f"{what.capitalize()}: {', '.join(report[what])}", err=True)


SpeakerOption = Annotated[
    Optional[list[str]],
    typer.Option("--speaker", help="'Name; role; organisation' (repeatable)."),
]
OrgOption = Annotated[
    Optional[list[str]],
    typer.Option("--org", help="An organisation on a panel (repeatable)."),
]
KindHelp = "welcome, introduction, talk, showcase, panel or break."


@agenda_app.command("add")
def agenda_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="Title of the item.")],
    start: Annotated[str, typer.Option("--start", help="Start time, HH:MM.")],
    event: EventOption = None,
    end: Annotated[
        Optional[str], typer.Option("--end", help="End time \\[default: when the next item starts].")
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help=KindHelp)] = "talk",
    speaker: SpeakerOption = None,
    org: OrgOption = None,
    item_id: Annotated[
        Optional[str], typer.Option("--id", help="Short id \\[default: made from the title].")
    ] = None,
) -> None:
    """Add an item to an event's programme (refused if it would overlap another)."""
    from innoff_cli import agenda

    speakers = agenda.speakers_from(speaker or [], org or [])
    item = agenda.add(
        _db_path(ctx), title, start, event, end, kind, speakers, item_id=item_id
    )
    typer.echo(f"Added '{item.id}' at {item.start:%H:%M}.", err=True)


@agenda_app.command("edit")
def agenda_edit(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(metavar="ITEM", help="Item id, see `agenda show -f json`.")],
    title: Annotated[Optional[str], typer.Option("--title", help="New title.")] = None,
    start: Annotated[Optional[str], typer.Option("--start", help="New start, HH:MM.")] = None,
    end: Annotated[
        Optional[str], typer.Option("--end", help="New end, HH:MM; '' to end at the next item.")
    ] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help=KindHelp)] = None,
    speaker: SpeakerOption = None,
    org: OrgOption = None,
    no_speakers: Annotated[
        bool, typer.Option("--no-speakers", help="Remove all speakers.")
    ] = False,
) -> None:
    """Change an item's title, time, kind or speakers."""
    from innoff_cli import agenda

    changes: dict[str, object] = {
        key: value
        for key, value in {"title": title, "start": start, "end": end, "kind": kind}.items()
        if value is not None
    }
    if speaker or org or no_speakers:
        changes["speakers"] = agenda.speakers_from(speaker or [], org or [])
    if not changes:
        raise InnoffError("nothing to change - pass --title, --start, --end, --kind or --speaker")
    item = agenda.edit(_db_path(ctx), item_id, **changes)
    typer.echo(f"Changed '{item.id}'.", err=True)


@agenda_app.command("remove")
def agenda_remove(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(metavar="ITEM", help="Item id.")],
) -> None:
    """Remove an item from the programme."""
    from innoff_cli import agenda

    item = agenda.remove(_db_path(ctx), item_id)
    typer.echo(f"Removed '{item.id}' ({item.title}).", err=True)


@agenda_app.command(
    "shift",
    # "-5m" must reach the command as a duration, not be read as an option.
    context_settings={"ignore_unknown_options": True},
)
def agenda_shift(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(metavar="ITEM", help="Item id.")],
    duration: Annotated[str, typer.Argument(help="How far: +10m, -5m, 1h, 1h30m.")],
    following: Annotated[
        bool,
        typer.Option(
            "--following", help="Move every later item and the event's end by the same amount."
        ),
    ] = False,
) -> None:
    """Move an item in time, optionally with everything after it."""
    from innoff_cli import agenda

    event = agenda.shift(_db_path(ctx), item_id, duration, following)
    moved = next(item for item in event.items if item.id == item_id)
    typer.echo(f"Moved '{item_id}' to {moved.start:%H:%M}.", err=True)


# --- registrations ------------------------------------------------------------------

DELIMITERS = {";": ";", ",": ",", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}


def _delimiter(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    if value.lower() not in DELIMITERS:
        raise typer.BadParameter("use ';', ',', 'tab' or '|'")
    return DELIMITERS[value.lower()]


def _mapping(values: Optional[list[str]]) -> dict[str, str]:
    mapping = {}
    for value in values or []:
        header, separator, target = value.rpartition("=")
        if not separator or not header.strip() or not target.strip():
            raise typer.BadParameter(f"'{value}' is not HEADER=field, e.g. 'E-post jobb=email'")
        mapping[header.strip()] = target.strip()
    return mapping


@registrations_app.command("import")
def registrations_import(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="CSV exports from the registration form.")],
    event: Annotated[
        Optional[str],
        typer.Option("--event", "-e", help="Event for rows that name none \\[default: the studio]."),
    ] = None,
    encoding: Annotated[
        Optional[str], typer.Option("--encoding", help="Override the detected encoding.")
    ] = None,
    delimiter: Annotated[
        Optional[str],
        typer.Option("--delimiter", help="Override the detected delimiter: ';', ',', 'tab', '|'."),
    ] = None,
    mapping: Annotated[
        Optional[list[str]],
        typer.Option("--map", help="'HEADER=field': say what a column is (repeatable)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Registrations become the file's, not the union.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report without writing.")] = False,
    rejects: Annotated[
        Optional[Path], typer.Option("--rejects", help="Write rejected rows and why to this file.")
    ] = None,
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="Output format.")
    ] = "table",
) -> None:
    """Import registration exports (CSV from any form system); nothing is lost or half-written."""
    from innoff_cli import output, participants

    if rejects and len(files) > 1:
        raise InnoffError("--rejects takes one file at a time - import the files one by one")
    reports = []
    for file in files:
        with output.import_progress(file) as progress:
            report = participants.import_file(
                _db_path(ctx),
                file,
                event=event,
                encoding=encoding,
                delimiter=_delimiter(delimiter),
                mapping=_mapping(mapping),
                replace=replace,
                dry_run=dry_run,
                rejects=rejects,
                now=datetime.now(timezone.utc),
                progress=progress,
            )
        reports.append(report)
        if format == "table":  # as each file is done, so a later error hides nothing
            output.render_imports([report], format)
    if format == "json":
        output.render_imports(reports, format)


@registrations_app.command("list")
def registrations_list(
    ctx: typer.Context,
    event: EventOption = None,
    search: Annotated[
        Optional[str], typer.Option("--search", "-s", help="Text in name, e-mail, organisation...")
    ] = None,
    format: Annotated[
        Literal["table", "json", "csv"], typer.Option("--format", "-f", help="Output format.")
    ] = "table",
) -> None:
    """List participants, optionally for one event or matching a search."""
    from innoff_cli import output, participants

    output.render_participants(participants.list_participants(_db_path(ctx), event, search), format)


@registrations_app.command("show")
def registrations_show(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The participant's e-mail address.")],
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="Output format.")
    ] = "table",
) -> None:
    """Show everything stored about one participant, and which imports they came from."""
    from innoff_cli import output, participants

    output.render_person(participants.show_participant(_db_path(ctx), email), format)


@registrations_app.command("stats")
def registrations_stats(
    ctx: typer.Context,
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="Output format.")
    ] = "table",
) -> None:
    """Count participants per event, kind of organisation and municipality."""
    from innoff_cli import output, participants

    output.render_stats(participants.stats(_db_path(ctx)), format)


@registrations_app.command("remove")
def registrations_remove(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The participant's e-mail address.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a participant and all their registrations (the right to erasure)."""
    from innoff_cli import participants

    if not yes:
        if not sys.stdin.isatty():
            raise InnoffError("removing needs confirmation - pass --yes to remove without asking")
        typer.confirm(f"Erase {email} and all their registrations?", abort=True, err=True)
    pending = participants.remove_participant(_db_path(ctx), email)
    typer.echo(f"Erased {email}.", err=True)
    if pending:
        typer.echo(
            f"They had {pending} calendar invite(s): the next `innoff export ics --invites DIR`"
            " writes the cancellations, then forgets the address.",
            err=True,
        )


@registrations_app.command("export")
def registrations_export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
    event: EventOption = None,
    delimiter: Annotated[
        str, typer.Option("--delimiter", help="';' (what Excel expects in Norway), ',' or 'tab'.")
    ] = ";",
) -> None:
    """Export participants as CSV for Excel: UTF-8 with BOM, formulas neutralised."""
    from innoff_cli import participants

    count = participants.export_csv(_db_path(ctx), output, event, _delimiter(delimiter) or ";")
    typer.echo(f"Wrote {count} participants to {output}.", err=True)


# --- export ---------------------------------------------------------------------------


@export_app.command("ics")
def export_ics(
    ctx: typer.Context,
    output: Annotated[
        str, typer.Option("--output", "-o", help="File for the public calendar, or - for stdout.")
    ] = "-",
    event: EventOption = None,
    items: Annotated[
        bool, typer.Option("--items", help="Also one entry per programme item.")
    ] = False,
    breaks: Annotated[
        bool, typer.Option("--breaks/--no-breaks", help="With --items: include breaks.")
    ] = True,
    invites: Annotated[
        Optional[Path],
        typer.Option("--invites", help="Write one invite per participant and event to this folder."),
    ] = None,
    organizer: Annotated[
        Optional[str],
        typer.Option("--organizer", help='"Name <address>" \\[default: from the programme].'),
    ] = None,
    alarm: Annotated[
        Optional[str], typer.Option("--alarm", help="A reminder this long before, e.g. 15m.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write and record nothing.")
    ] = False,
) -> None:
    """Export calendar files: the public calendar, or invites that calendars accept and update."""
    from innoff_cli import calendars, programme

    reminder = programme.parse_duration(alarm) if alarm else None
    if reminder is not None and reminder.total_seconds() <= 0:
        raise InnoffError(f"--alarm must be a positive duration such as 15m, not '{alarm}'")
    now = datetime.now(timezone.utc)
    if invites is not None:
        report = calendars.write_invites(
            _db_path(ctx), invites, event=event, organizer=organizer, alarm=reminder,
            dry_run=dry_run, now=now,
        )  # fmt: skip
        changes = ", ".join(f"{n} {what}" for what, n in sorted(report.changes.items()))
        verb = "Would write" if dry_run else "Wrote"
        typer.echo(
            f"{verb} {report.requests} invites ({changes or 'none'}) and {report.cancels}"
            f" cancellations to {invites}" + ("" if dry_run else f", listed in {invites / 'manifest.csv'}") + ".",
            err=True,
        )
        for line in report.plan.lines():
            typer.echo(f"  {line}", err=True)
        return
    report = calendars.public_calendar(
        _db_path(ctx), event=event, items=items, breaks=breaks, organizer=organizer,
        alarm=reminder, dry_run=dry_run, now=now,
    )  # fmt: skip
    if dry_run:
        for line in report.plan.lines():
            typer.echo(line, err=True)
        typer.echo("Dry run: nothing was written or recorded.", err=True)
    elif output == "-":
        # Bytes, so the CRLF line ends reach the pipe exactly as iCalendar wants them.
        stream = typer.get_binary_stream("stdout")
        stream.write(report.text.encode("utf-8"))
        stream.flush()
    else:
        calendars.write_calendar(Path(output), report.text)
        typer.echo(f"Wrote {len(report.plan.entries)} entries to {output}.", err=True)


# --- db ---------------------------------------------------------------------------


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print the path of the database file in use."""
    typer.echo(str(_db_path(ctx)))


def main() -> None:
    app(prog_name=APP_NAME)


if __name__ == "__main__":
    sys.exit(main())
