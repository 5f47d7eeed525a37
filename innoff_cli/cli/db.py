"""`innoff db ...`: the database file."""

import typer

from innoff_cli.cli.base import database_path

db_app = typer.Typer(no_args_is_help=True)


# A callback makes this a group even with one command (`innoff export ics`),
# and its docstring is the group's help.
@db_app.callback()
def db_group() -> None:
    """The database file innoff keeps."""


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print the path of the database file in use."""
    typer.echo(str(database_path(ctx)))
