"""`innoff config ...`: settings that stay, so nobody types the SMTP server in every terminal."""

from typing import Annotated

import typer

from innoff_cli.cli.base import config_file
from innoff_cli.i18n import _

config_app = typer.Typer(no_args_is_help=True)


@config_app.callback()
def config_group() -> None:
    """Mail settings kept in a file (no passwords or tokens)."""


KeyArgument = Annotated[
    str,
    typer.Argument(
        metavar="KEY", help=_("A setting, e.g. smtp.host (see `innoff config list --all`).")
    ),
]


@config_app.command("set")
def config_set(
    key: KeyArgument,
    value: Annotated[str, typer.Argument(metavar="VALUE", help=_("Its value."))],
) -> None:
    """Keep a setting: it applies when no option or environment variable gives one."""
    from innoff_cli import settings

    known = settings.setting(key)
    if known.set_by:
        raise typer.BadParameter(
            _("{key} is written by `{set_by}`").format(key=key, set_by=known.set_by),
            param_hint="KEY",
        )
    path = config_file()
    values = settings.load(path)
    values[key] = known.parse(value)
    settings.save(path, values)


@config_app.command("get")
def config_get(key: KeyArgument) -> None:
    """Print a setting's value (exit 1, printing nothing, when it is not set)."""
    from innoff_cli import settings

    settings.setting(key)
    value = settings.load(config_file()).get(key)
    if value is None:
        raise typer.Exit(1)
    typer.echo(str(value))


@config_app.command("unset")
def config_unset(key: KeyArgument) -> None:
    """Forget a setting."""
    from innoff_cli import settings

    settings.setting(key)
    path = config_file()
    values = settings.load(path)
    if values.pop(key, None) is None:
        typer.echo(f"{key} was not set.", err=True)
        return
    settings.save(path, values)


@config_app.command("list")
def config_list(
    all_keys: Annotated[
        bool,
        typer.Option(
            "--all", help=_("Every setting innoff knows, set or not, and what it stands in for.")
        ),
    ] = False,
) -> None:
    """Print the settings that are set, as KEY = VALUE."""
    from innoff_cli import settings
    from innoff_cli.output import settings as output

    for line in output.setting_lines(settings.load(config_file()), all_keys):
        typer.echo(line)


@config_app.command("path")
def config_path() -> None:
    """Print the path of the settings file (INNOFF_CONFIG, or the default)."""
    typer.echo(str(config_file()))
