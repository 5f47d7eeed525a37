"""The Typer app: parse options, call one function, render, map errors.

One module per command group, loaded when used (see base.COMMAND_GROUPS).
Imports stay cheap: `innoff --help` and `innoff agenda show` must not pay for
sqlite-utils, ics or dateutil, so each command imports what it needs inside.
"""

from innoff_cli.cli.base import APP_NAME, app


def main() -> None:
    app(prog_name=APP_NAME)


__all__ = ["app", "main"]
