"""`innoff attendance ...`: who attended, from the meeting platforms' reports."""

from pathlib import Path
from typing import Annotated, Literal

import typer

from innoff_cli.cli.base import EventOption, database_path, say_waiting
from innoff_cli.cli.registrations import DelimiterOption, EncodingOption, _delimiter
from innoff_cli.i18n import _

attendance_app = typer.Typer(no_args_is_help=True)


@attendance_app.callback()
def attendance_group() -> None:
    """Record who attended, from Teams, Zoom and Google Meet attendance reports."""


@attendance_app.command("import")
def attendance_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help=_(
                "Attendance reports as CSV, or saved as Excel: Teams (UTF-16, tabs), Zoom"
                " participants or webinar attendees, a Google Meet sheet."
            ),
            show_default=False,
        ),
    ],
    event: EventOption = None,
    min_minutes: Annotated[
        float,
        typer.Option(
            "--min-minutes",
            min=0,
            metavar="N",
            help=_("Minutes present to count as attended (shorter is listed, not counted)."),
        ),
    ] = 1.0,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Show what the reports say; record nothing."))
    ] = False,
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help=_("Output format."))
    ] = "table",
) -> None:
    """Import attendance reports: per person and event, minutes present; walk-ins and no-shows."""
    from innoff_cli import attendance
    from innoff_cli.output import attendance as output

    reports = attendance.import_reports(
        database_path(ctx), files, event=event, min_minutes=min_minutes, encoding=encoding,
        delimiter=_delimiter(delimiter), dry_run=dry_run, on_wait=say_waiting,
    )  # fmt: skip
    output.render_import(reports, format)
