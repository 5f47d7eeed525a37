"""`innoff export ics` and `export html`: calendar files, invites, the programme page."""

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

export_app = typer.Typer(no_args_is_help=True)


# A callback makes this a group even with one command (`innoff export ics`),
# and its docstring is the group's help.
@export_app.callback()
def export_group() -> None:
    """Calendar files, invites and the programme as a web page."""


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
        typer.Option(
            "--invites", help="Write one invite per participant and event to this folder."
        ),
    ] = None,
    organizer: OrganizerOption = None,
    alarm: AlarmOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write and record nothing.")
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


@export_app.command("html")
def export_html(
    ctx: typer.Context,
    output: Annotated[
        str, typer.Option("--output", "-o", help="File for the page, or - for stdout.")
    ] = "-",
    event: EventOption = None,
    title: Annotated[
        Optional[str],
        typer.Option(
            "--title", metavar="TEXT", help="The page's heading \\[default: Program for EVENT]."
        ),
    ] = None,
) -> None:
    """Export the programme as an accessible web page (HTML, in Norwegian) to publish."""
    import os
    from zoneinfo import ZoneInfo

    from innoff_cli import files, programme_page

    events = _events(ctx, event)
    text = programme_page.page(events, ZoneInfo(events[0].timezone), title)
    if output == "-":
        typer.get_text_stream("stdout").write(text)
        return
    target = Path(output)
    with files.written_whole(target) as stream:
        stream.write(text)
    if os.name == "posix":
        os.chmod(target, 0o644)  # a page to publish: the web server must read it
    typer.echo(f"Wrote the programme of {len(events)} events to {output}.", err=True)


@export_app.command("pdf")
def export_pdf(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="FILE", help="The PDF file.", show_default=False),
    ],
    event: EventOption = None,
    title: Annotated[
        Optional[str],
        typer.Option("--title", metavar="TEXT", help="The heading \\[default: Program for EVENT]."),
    ] = None,
) -> None:
    """Export the programme as a tagged PDF to print or hand out (needs innoff[pdf])."""
    from innoff_cli import programme_page

    events = _events(ctx, event)
    count = programme_page.write_pdf(events, output, title)
    typer.echo(
        f"Wrote the programme of {len(events)} events to {output} ({count} pages).", err=True
    )


def _events(ctx: typer.Context, event: Optional[str]):
    from innoff_cli import invite_plans, store
    from innoff_cli.errors import InnoffError

    conn = store.connect(database_path(ctx))
    try:
        events = invite_plans.events_in_scope(conn, event)
    finally:
        conn.close()
    if not events:
        raise InnoffError("the database has no events - load one with `innoff agenda load FILE`")
    return events
