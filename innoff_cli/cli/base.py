"""The root of the Typer app: global options, and where errors become exit codes."""

import sqlite3
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from innoff_cli import __version__
from innoff_cli.cli import coercion
from innoff_cli.errors import InnoffError, Interrupted
from innoff_cli.i18n import N_, _
from innoff_cli.terminal import visible

APP_NAME = "innoff"
# Set by the signal handlers of `cli.main` when the run is interrupted.
stopped_by_signal = False


# Help that people can read: Typer 0.29 labels every option with its Python type
# (`<bool>` on a flag, `<str>`, `<list[str]>`); a flag needs no label, and a value
# is named the way Click names it (TEXT, PATH), unless the option names it itself.
_TYPE_WORDS = {"str": "TEXT", "path": "PATH", "int": "INTEGER", "float": "NUMBER"}


def _readable_type(option: TyperOption | TyperArgument, ctx) -> str | None:
    if getattr(option, "is_flag", False) or getattr(option, "count", False):
        return None
    if option.metavar is not None:
        # An argument's own name column already shows its metavar.
        return None if isinstance(option, TyperArgument) else option.metavar
    label = option.display_type(ctx) or ""  # Typer's own: '<str>', '<list[Path]>', '<a|b>'

    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    if inner.startswith("list[") and inner.endswith("]"):  # repeatable: one value each time
        inner = inner[5:-1]
    if "|" in inner:  # choices stay choices
        return inner
    return _TYPE_WORDS.get(inner, inner.upper() or None)


TyperOption.display_type_rich = _readable_type  # type: ignore[method-assign]
TyperArgument.display_type_rich = _readable_type  # type: ignore[method-assign]


# Arguments as Click and man pages write them: `innoff agenda shift ITEM DURATION`,
# not Typer 0.29's `{ITEM} {duration}` (a brace reads as a shell's brace expansion).
def _argument_name(argument: TyperArgument) -> str:
    return argument.metavar if argument.metavar is not None else argument.name.upper()


def _argument_usage(argument: TyperArgument) -> str:
    name = _argument_name(argument)
    name = name if argument.required else f"[{name}]"
    return name + ("..." if argument.nargs != 1 and not name.endswith("...") else "")


TyperArgument.display_name_raw = property(_argument_name)  # type: ignore[assignment]
TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]


# A bad value for a choice (--format xml) is said as Click says it, "'xml' is not
# one of 'table', 'json'.", not with the "Value error, " Pydantic puts before the
# message Typer 0.29 passes on; for other types too, only that prefix goes.
def _said_plainly(exc) -> str:
    from typer._display import _escape_control_characters

    errors = exc.errors()
    message = str(errors[0]["msg"]) if errors else str(exc)
    return _escape_control_characters(message.removeprefix("Value error, "))


for _module in ("typer._coercion", "typer._param_types"):
    import importlib

    _typer_module = importlib.import_module(_module)
    if hasattr(_typer_module, "get_error_msg"):
        _typer_module.get_error_msg = _said_plainly


# Values given on the command line are read without Pydantic (see coercion.py).
coercion.install()


# The command groups, in the order --help lists them: name -> (module, Typer app).
# They are built only when used (Click's lazy-loading pattern), so `innoff
# agenda show` does not pay for turning every other command into Click objects.
COMMAND_GROUPS = {
    "agenda": ("innoff_cli.cli.agenda", "agenda_app"),
    "registrations": ("innoff_cli.cli.registrations", "registrations_app"),
    "export": ("innoff_cli.cli.export", "export_app"),
    "invites": ("innoff_cli.cli.invites", "invites_app"),
    "reminders": ("innoff_cli.cli.reminders", "reminders_app"),
    "attendance": ("innoff_cli.cli.attendance", "attendance_app"),
    "followup": ("innoff_cli.cli.followup", "followup_app"),
    "config": ("innoff_cli.cli.config", "config_app"),
    "mail": ("innoff_cli.cli.mail", "mail_app"),
    "db": ("innoff_cli.cli.db", "db_app"),
}


class InnoffGroup(TyperGroup):
    """The root command: loads command groups on demand, and is the one place
    where errors become messages and exit codes."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*COMMAND_GROUPS, *super().list_commands(ctx)]

    def get_command(self, ctx: typer.Context, name: str):
        command = super().get_command(ctx, name)
        if command is None and name in COMMAND_GROUPS:
            import importlib

            import typer.main

            module, attribute = COMMAND_GROUPS[name]
            group = getattr(importlib.import_module(module), attribute)
            _translate_docstrings(group)
            command = typer.main.get_command(group)
            command.name = name
            self.commands[name] = command
        return command

    def resolve_command(self, ctx: typer.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except typer.BadParameter:
            raise
        except Exception:
            # An unknown command: load every group so "Did you mean ...?" knows them all.
            for name in COMMAND_GROUPS:
                self.get_command(ctx, name)
            return super().resolve_command(ctx, args)

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except InnoffError as error:
            if _debug(ctx):
                raise
            typer.echo(_("Error: {message}").format(message=visible(str(error))), err=True)
            raise typer.Exit(1) from None
        except sqlite3.Error as error:
            if _debug(ctx):
                raise
            if stopped_by_signal:  # inside a function SQLite called: an interrupt, not the file
                _nothing_written()
            from innoff_cli.store import database_error

            typer.echo(
                _("Error: {message}").format(
                    message=visible(str(database_error(database_path(ctx), error)))
                ),
                err=True,
            )
            raise typer.Exit(1) from None
        except Interrupted as interrupted:
            typer.echo(str(interrupted), err=True)
            raise typer.Exit(130) from None
        except _UsageError as error:
            # A wrong option or value is one line that says what and where to look
            # (Typer would draw a panel); `no_args_is_help` still shows the help.
            if type(error).__name__ == "NoArgsIsHelpError" or _debug(ctx):
                raise
            where = error.ctx.command_path if error.ctx else "innoff"
            said = visible(" ".join(error.format_message().split()))
            typer.echo(
                _("Error: {message} (see {command} --help)").format(message=said, command=where),
                err=True,
            )
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            _nothing_written()


# Typer 0.29 parses with its own copy of Click: its usage errors are that copy's.
_UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


# Typer's own words in help (panel titles, default and required marks), for the
# catalogue; put in the user's language when help is about to be shown.
TYPER_WORDS = {
    "DEFAULT_STRING": N_("[default: {}]"), "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"), "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"), "COMMANDS_PANEL_TITLE": N_("Commands"),
}  # fmt: skip


def help_in_language() -> None:
    """Typer's words in help in the user's language (Rich is loaded for help anyway)."""
    from innoff_cli.i18n import language

    if language() == "en":
        return
    import typer.rich_utils

    for name, words in TYPER_WORDS.items():
        setattr(typer.rich_utils, name, _(words))


def _translate_docstrings(group: typer.Typer) -> None:
    """A group's and its commands' help from their docstrings, in the user's
    language (Typer reads a docstring where no help= is given)."""
    import inspect

    infos = [*group.registered_commands]
    if group.registered_callback is not None:
        infos.append(group.registered_callback)
    for info in infos:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _(inspect.getdoc(info.callback))


def _nothing_written() -> NoReturn:
    """Ctrl-C or `kill` in a command that had written nothing yet."""
    typer.echo("Interrupted: nothing was written.", err=True)
    raise typer.Exit(130) from None


def _debug(ctx: typer.Context) -> bool:
    return bool((ctx.obj or {}).get("debug"))


def database_path(ctx: typer.Context) -> Path:
    """The database file this run uses (--db, INNOFF_DB or the default)."""
    return (ctx.find_root().obj or {})["db"]


def default_db_path() -> Path:
    """innoff.db where this system keeps application data (see places)."""
    from innoff_cli import places

    return places.default_database(_say)


def config_file() -> Path:
    """The settings file: INNOFF_CONFIG, else config.toml where this system keeps settings."""
    import os

    from innoff_cli import places

    given = os.environ.get("INNOFF_CONFIG")
    return Path(given).expanduser() if given else places.default_settings(_say)


def _say(line: str) -> None:
    typer.echo(line, err=True)


app = typer.Typer(
    cls=InnoffGroup,
    help=_("Organise INNOFF's events: the programme, registrations and calendar invites."),
    no_args_is_help=True,
    # Personal data must never land in a traceback.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
            help=_("SQLite file to use \\[default: innoff.db in the user's data directory]."),
            show_default=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help=_("Show tracebacks for errors."))] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help=_("Show the version.")),
    ] = False,
) -> None:
    """Organise INNOFF's events: the programme, registrations and calendar invites."""
    ctx.obj = {"db": db or default_db_path(), "debug": debug}


def say_waiting() -> None:
    """Told by the store when a write waits for another innoff run (`on_wait`)."""
    typer.echo("Waiting for another innoff run to finish writing to the database ...", err=True)


EventOption = Annotated[
    Optional[str],
    typer.Option("--event", "-e", help=_("Event slug, title or alias (e.g. studio, årsmøte).")),
]
OrganizerOption = Annotated[
    Optional[str],
    typer.Option("--organizer", help=_('"Name <address>" \\[default: from the programme].')),
]
AlarmOption = Annotated[
    Optional[str], typer.Option("--alarm", help=_("A reminder this long before, e.g. 15m."))
]
