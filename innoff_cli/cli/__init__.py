"""The Typer app: parse options, call one function, render, map errors.

One module per command group. Imports stay cheap: `innoff --help` and `innoff
agenda show` must not pay for sqlite-utils, ics or dateutil, so each command
imports what it needs inside.
"""

from innoff_cli.cli.agenda import agenda_app
from innoff_cli.cli.base import APP_NAME, app
from innoff_cli.cli.db import db_app
from innoff_cli.cli.export import export_app
from innoff_cli.cli.registrations import registrations_app

app.add_typer(agenda_app, name="agenda")
app.add_typer(registrations_app, name="registrations")
app.add_typer(export_app, name="export")
app.add_typer(db_app, name="db")


def main() -> None:
    app(prog_name=APP_NAME)


__all__ = ["app", "main"]
