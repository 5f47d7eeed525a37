"""`innoff export ics`: calendar files and invites."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from innoff_cli.cli.base import (
    AlarmOption,
    EventOption,
    OrganizerOption,
    database_path,
    say_waiting,
)
from innoff_cli.i18n import _

export_app = typer.Typer(no_args_is_help=True)


# A callback makes this a group even with one command (`innoff export ics`),
# and its docstring is the group's help.
@export_app.callback()
def export_group() -> None:
    """Calendar files and invites."""


@export_app.command("ics")
def export_ics(
    ctx: typer.Context,
    output: Annotated[
        str,
        typer.Option("--output", "-o", help=_("File for the public calendar, or - for stdout.")),
    ] = "-",
    event: EventOption = None,
    items: Annotated[
        bool, typer.Option("--items", help=_("Also one entry per programme item."))
    ] = False,
    breaks: Annotated[
        bool, typer.Option("--breaks/--no-breaks", help=_("With --items: include breaks."))
    ] = True,
    invites: Annotated[
        Optional[Path],
        typer.Option(
            "--invites", help=_("Write one invite per participant and event to this folder.")
        ),
    ] = None,
    organizer: OrganizerOption = None,
    alarm: AlarmOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Show what would change; write and record nothing."))
    ] = False,
) -> None:
    """Export calendar files: the public calendar, or invites that calendars accept and update."""
    from innoff_cli import calendars, clock, programme

    reminder = programme.parse_alarm(alarm)
    now = clock.now()
    if invites is not None:
        report = calendars.write_invites(
            database_path(ctx), invites, event=event, organizer=organizer, alarm=reminder,
            dry_run=dry_run, now=now, on_wait=say_waiting,
        )  # fmt: skip
        from innoff_cli.output import invites as output

        for line in output.invite_files_report(report, invites):
            typer.echo(line, err=True)
        return
    report = calendars.public_calendar(
        database_path(ctx), event=event, items=items, breaks=breaks, organizer=organizer,
        alarm=reminder, dry_run=dry_run, now=now, on_wait=say_waiting,
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
