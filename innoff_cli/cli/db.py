"""`innoff db ...`: the database file."""

import typer

from innoff_cli.cli.base import database_path

db_app = typer.Typer(help="The database file innoff keeps.", no_args_is_help=True)


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print the path of the database file in use."""
    typer.echo(str(database_path(ctx)))
