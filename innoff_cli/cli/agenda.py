"""`innoff agenda ...`: show and edit the programme."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from innoff_cli.cli.base import EventOption, database_path, say_waiting
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _

agenda_app = typer.Typer(no_args_is_help=True)


# A callback makes this a group even with one command (`innoff export ics`),
# and its docstring is the group's help.
@agenda_app.callback()
def agenda_group() -> None:
    """Show and edit the programme."""


@agenda_app.command("show")
def agenda_show(
    ctx: typer.Context,
    event: EventOption = None,
    format: Annotated[
        Literal["table", "json", "csv", "markdown", "html", "pdf"],
        typer.Option(
            "--format",
            "-f",
            help=_(
                "Output format: html is an accessible page to publish, pdf the same page"
                " to print (needs innoff[pdf])."
            ),
        ),
    ] = "table",
    output_file: Annotated[
        Optional[Path],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=_("Write to this file, whole \\[default: stdout; a PDF needs a file or a pipe]."),
        ),
    ] = None,
    title: Annotated[
        Optional[str],
        typer.Option(
            "--title",
            metavar="TEXT",
            help=_("The page's heading (html, pdf) \\[default: Program for EVENT]."),
        ),
    ] = None,
    tz: Annotated[
        str, typer.Option("--tz", help=_("Show times in this time zone."))
    ] = "Europe/Oslo",
    now: Annotated[
        Optional[str],
        typer.Option(
            "--now", hidden=True, help=_("Pretend it is this ISO time (for demos/tests).")
        ),
    ] = None,
) -> None:
    """Show the programme: one table per event; json/csv/markdown for scripts; a page (html, pdf)."""
    from innoff_cli import agenda, programme
    from innoff_cli.output import agenda as output

    zone = programme.zone(tz)
    events = agenda.show(database_path(ctx), event)
    if format in ("html", "pdf"):
        output.write_page(events, zone, format, output_file, title)
        return
    if output_file is not None or title is not None:
        raise typer.BadParameter(
            _("--output and --title are for --format html or pdf"), param_hint="--output"
        )
    output.render_agenda(events, format, zone, _clock(now))


def _clock(value: str | None) -> datetime:
    """Now, or the moment given with --now so 'what is on' can be tested."""
    if value is None:
        from innoff_cli import clock

        return clock.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InnoffError(
            _("bad time '{value}' - write it as 2020-11-17T10:15+01:00").format(value=value)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@agenda_app.command("load")
def agenda_load(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help=_("Programme file (TOML), like data/programme.toml."))
    ],
    remove_missing: Annotated[
        bool,
        typer.Option(
            "--remove-missing",
            help=_(
                "Call off the events the file does not name (the next invites send cancels them)."
            ),
        ),
    ] = False,
) -> None:
    """Load or update the programme from a TOML file (items missing from it are removed)."""
    from innoff_cli import agenda
    from innoff_cli.output import agenda as output

    report = agenda.load(
        database_path(ctx), file, on_wait=say_waiting, remove_missing=remove_missing
    )
    for line in output.load_lines(report):
        typer.echo(line, err=True)


SpeakerOption = Annotated[
    Optional[list[str]],
    typer.Option("--speaker", help=_("'Name; role; organisation' (repeatable).")),
]
OrgOption = Annotated[
    Optional[list[str]],
    typer.Option("--org", help=_("An organisation on a panel (repeatable).")),
]
KindHelp = "welcome, introduction, talk, showcase, panel or break."


@agenda_app.command("event")
def agenda_event(
    ctx: typer.Context,
    event: Annotated[str, typer.Argument(metavar="EVENT", help=_("Event slug, title or alias."))],
    title: Annotated[Optional[str], typer.Option("--title", help=_("New title."))] = None,
    start: Annotated[Optional[str], typer.Option("--start", help=_("New start, HH:MM."))] = None,
    end: Annotated[Optional[str], typer.Option("--end", help=_("New end, HH:MM."))] = None,
    location: Annotated[
        Optional[str], typer.Option("--location", help=_("Where, e.g. Digitalt."))
    ] = None,
    url: Annotated[
        Optional[str],
        typer.Option("--url", metavar="URL", help=_("Information page; '' for none.")),
    ] = None,
    join_url: Annotated[
        Optional[str],
        typer.Option("--join-url", metavar="URL", help=_("Link for digital participation.")),
    ] = None,
    recording_url: Annotated[
        Optional[str],
        typer.Option("--recording-url", metavar="URL", help=_("Where to watch it afterwards.")),
    ] = None,
    cancel: Annotated[
        Optional[bool],
        typer.Option(
            "--cancel/--reinstate",
            help=_(
                "Call the event off (the next `invites send` cancels it for everyone who had"
                " it), or on again."
            ),
        ),
    ] = None,
) -> None:
    """Change an event: its title, times (items must stay inside), place, links, or call it off."""
    from innoff_cli import agenda

    given = {
        "title": title, "start": start, "end": end, "location": location, "url": url,
        "join_url": join_url, "recording_url": recording_url, "cancelled": cancel,
    }  # fmt: skip
    changes = {key: value for key, value in given.items() if value is not None}
    if not changes:
        raise InnoffError(
            _(
                "nothing to change - pass --title, --start, --end, --location, --url, --join-url, --recording-url or --cancel"
            )
        )
    changed = agenda.edit_event(database_path(ctx), event, on_wait=say_waiting, **changes)
    typer.echo(f"Changed {changed.slug}: {', '.join(changes)}.", err=True)


@agenda_app.command("add")
def agenda_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help=_("Title of the item."))],
    start: Annotated[str, typer.Option("--start", help=_("Start time, HH:MM."))],
    event: EventOption = None,
    end: Annotated[
        Optional[str],
        typer.Option("--end", help=_("End time \\[default: when the next item starts].")),
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help=KindHelp)] = "talk",
    speaker: SpeakerOption = None,
    org: OrgOption = None,
    item_id: Annotated[
        Optional[str], typer.Option("--id", help=_("Short id \\[default: made from the title]."))
    ] = None,
) -> None:
    """Add an item to an event's programme (refused if it would overlap another)."""
    from innoff_cli import agenda

    speakers = agenda.speakers_from(speaker or [], org or [])
    item = agenda.add(
        database_path(ctx), title, start, event, end, kind, speakers, item_id=item_id,
        on_wait=say_waiting,
    )  # fmt: skip
    typer.echo(f"Added '{item.id}' at {item.start:%H:%M}.", err=True)


@agenda_app.command("edit")
def agenda_edit(
    ctx: typer.Context,
    item_id: Annotated[
        str, typer.Argument(metavar="ITEM", help=_("Item id, see `agenda show -f json`."))
    ],
    title: Annotated[Optional[str], typer.Option("--title", help=_("New title."))] = None,
    start: Annotated[Optional[str], typer.Option("--start", help=_("New start, HH:MM."))] = None,
    end: Annotated[
        Optional[str], typer.Option("--end", help=_("New end, HH:MM; '' to end at the next item."))
    ] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help=KindHelp)] = None,
    speaker: SpeakerOption = None,
    org: OrgOption = None,
    no_speakers: Annotated[
        bool, typer.Option("--no-speakers", help=_("Remove all speakers."))
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
        raise InnoffError(
            _("nothing to change - pass --title, --start, --end, --kind or --speaker")
        )
    item = agenda.edit(database_path(ctx), item_id, on_wait=say_waiting, **changes)
    typer.echo(f"Changed '{item.id}'.", err=True)


@agenda_app.command("remove")
def agenda_remove(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(metavar="ITEM", help=_("Item id."))],
) -> None:
    """Remove an item from the programme."""
    from innoff_cli import agenda

    item = agenda.remove(database_path(ctx), item_id, on_wait=say_waiting)
    typer.echo(f"Removed '{item.id}' ({item.title}).", err=True)


@agenda_app.command(
    "shift",
    # "-5m" must reach the command as a duration, not be read as an option.
    context_settings={"ignore_unknown_options": True},
)
def agenda_shift(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(metavar="ITEM", help=_("Item id."))],
    duration: Annotated[str, typer.Argument(help=_("How far: +10m, -5m, 1h, 1h30m."))],
    following: Annotated[
        bool,
        typer.Option(
            "--following", help=_("Move every later item and the event's end by the same amount.")
        ),
    ] = False,
) -> None:
    """Move an item in time, optionally with everything after it."""
    from innoff_cli import agenda

    event = agenda.shift(database_path(ctx), item_id, duration, following, on_wait=say_waiting)
    moved = next(item for item in event.items if item.id == item_id)
    typer.echo(f"Moved '{item_id}' to {moved.start:%H:%M}.", err=True)
