"""`innoff registrations ...`: import exports and manage participants."""

import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from innoff_cli.cli.base import EventOption, database_path, say_waiting
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _

registrations_app = typer.Typer(no_args_is_help=True)


# A callback makes this a group even with one command (`innoff export ics`),
# and its docstring is the group's help.
@registrations_app.callback()
def registrations_group() -> None:
    """Import registration exports and manage participants."""


DELIMITERS = {";": ";", ",": ",", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}


# How a CSV file is read, where the detection needs help (imports of exports and reports).
EncodingOption = Annotated[
    Optional[str], typer.Option("--encoding", help=_("Override the detected encoding."))
]
DelimiterOption = Annotated[
    Optional[str],
    typer.Option("--delimiter", help=_("Override the detected delimiter: ';', ',', 'tab', '|'.")),
]


def _delimiter(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    if value.lower() not in DELIMITERS:
        raise typer.BadParameter(_("use ';', ',', 'tab' or '|'"))
    return DELIMITERS[value.lower()]


def _mapping(values: Optional[list[str]]) -> dict[str, str]:
    mapping = {}
    for value in values or []:
        header, separator, target = value.rpartition("=")
        if not separator or not header.strip() or not target.strip():
            raise typer.BadParameter(
                _("'{value}' is not HEADER=field, e.g. 'E-post jobb=email'").format(value=value)
            )
        mapping[header.strip()] = target.strip()
    return mapping


@registrations_app.command("import")
def registrations_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help=_("Exports from the registration form: CSV, or an Excel workbook.")),
    ],
    event: Annotated[
        Optional[str],
        typer.Option(
            "--event", "-e", help=_("Event for rows that name none \\[default: the studio].")
        ),
    ] = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    mapping: Annotated[
        Optional[list[str]],
        typer.Option(
            "--map",
            metavar="'HEADER=FIELD'",
            help=_(
                "Say what a column is (repeatable). FIELD: name, first_name, last_name,"
                " email, organisation, role, municipality, phone, registered_at, events (a list"
                " of events), event:SLUG (a yes/no column for that event), extra (keep, do not read)."
            ),
        ),
    ] = None,
    yes_values: Annotated[
        Optional[str],
        typer.Option(
            "--yes-values",
            metavar="VALUES",
            help=_(
                "Answers that mean yes in the event columns, comma-separated (e.g. '1' or"
                " 'x,ja'); any other answer is no."
            ),
        ),
    ] = None,
    sheet: Annotated[
        Optional[str],
        typer.Option(
            "--sheet",
            metavar="NAME",
            help=_("A workbook's sheet \\[default: the first with e-mail addresses]."),
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help=_("Registrations become the file's, not the union."))
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_("Report without writing."))] = False,
    rejects: Annotated[
        Optional[Path],
        typer.Option("--rejects", help=_("Write rejected rows and why to this file.")),
    ] = None,
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help=_("Output format."))
    ] = "table",
) -> None:
    """Import registration exports (CSV or Excel, from any form system); nothing is lost or half-written."""
    from innoff_cli import clock, participants
    from innoff_cli.output import registrations as output

    if rejects and len(files) > 1:
        raise InnoffError(_("--rejects takes one file at a time - import the files one by one"))
    reports = []
    for file in files:
        with output.import_progress(file) as progress:
            report = participants.import_file(
                database_path(ctx),
                file,
                event=event,
                encoding=encoding,
                delimiter=_delimiter(delimiter),
                mapping=_mapping(mapping),
                sheet=sheet,
                yes_values=yes_values.split(",") if yes_values else None,
                replace=replace,
                dry_run=dry_run,
                rejects=rejects,
                now=clock.now(),
                progress=progress,
                on_wait=say_waiting,
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
        Optional[str],
        typer.Option("--search", "-s", help=_("Text in name, e-mail, organisation...")),
    ] = None,
    rsvp: Annotated[
        Optional[Literal["accepted", "tentative", "declined", "delegated", "none"]],
        typer.Option(
            "--rsvp",
            help=_(
                "Only those with this answer (for --event, or for any of their events);"
                " none: no answer yet, or one from before a change."
            ),
        ),
    ] = None,
    attended: Annotated[
        Optional[Literal["yes", "no"]],
        typer.Option(
            "--attended",
            help=_(
                "Only those who attended (yes) or did not (no: no-shows), by the attendance"
                " reports; for --event, or for any of their events."
            ),
        ),
    ] = None,
    format: Annotated[
        Literal["table", "json", "csv"], typer.Option("--format", "-f", help=_("Output format."))
    ] = "table",
) -> None:
    """List participants, optionally for one event, matching a search, by answer or attendance."""
    from innoff_cli import participants
    from innoff_cli.output import registrations as output

    if search is None and rsvp is None and attended is None:
        # Everyone (or an event's people): SQLite writes most of each one's line.
        written = participants.list_participants_written(database_path(ctx), event, format)
        output.write_participants(written, format)
        return
    output.render_participants(
        participants.list_participants(database_path(ctx), event, search, rsvp, attended), format
    )


@registrations_app.command("show")
def registrations_show(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help=_("The participant's e-mail address."))],
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help=_("Output format."))
    ] = "table",
) -> None:
    """Show everything stored about one participant, and which imports they came from."""
    from innoff_cli import participants
    from innoff_cli.output import registrations as output

    output.render_person(participants.show_participant(database_path(ctx), email), format)


@registrations_app.command("stats")
def registrations_stats(
    ctx: typer.Context,
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help=_("Output format."))
    ] = "table",
) -> None:
    """Count participants per event, kind of organisation and municipality."""
    from innoff_cli import participants
    from innoff_cli.output import registrations as output

    output.render_stats(participants.stats(database_path(ctx)), format)


@registrations_app.command("remove")
def registrations_remove(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help=_("The participant's e-mail address."))],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help=_("Do not ask for confirmation."))
    ] = False,
) -> None:
    """Erase a participant and all their registrations (the right to erasure)."""
    from innoff_cli import participants

    if not yes:
        if not sys.stdin.isatty():
            raise InnoffError(
                _("removing needs confirmation - pass --yes to remove without asking")
            )
        typer.confirm(f"Erase {email} and all their registrations?", abort=True, err=True)
    pending = participants.remove_participant(database_path(ctx), email, on_wait=say_waiting)
    typer.echo(f"Erased {email}.", err=True)
    if pending:
        typer.echo(
            f"They were sent {pending} calendar invite(s): the next `innoff invites send`"
            " cancels them, then forgets the address too.",
            err=True,
        )


@registrations_app.command("export")
def registrations_export(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("--output", "-o", help=_("CSV file to write, or - for stdout."))
    ],
    event: EventOption = None,
    delimiter: Annotated[
        str,
        typer.Option("--delimiter", help=_("';' (what Excel expects in Norway), ',' or 'tab'.")),
    ] = ";",
) -> None:
    """Export participants as CSV for Excel: UTF-8 with BOM, formulas neutralised."""
    from innoff_cli import participants

    target = None if str(output) == "-" else output
    count = participants.export_csv(database_path(ctx), target, event, _delimiter(delimiter) or ";")
    typer.echo(f"Wrote {count} participants to {'stdout' if target is None else output}.", err=True)
