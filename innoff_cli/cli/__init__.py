"""The Typer app: parse options, call one function, render, map errors.

One module per command group, loaded when used (see base.COMMAND_GROUPS).
Imports stay cheap: `innoff --help` and `innoff agenda show` must not pay for
sqlite-utils, ics or dateutil, so each command imports what it needs inside.
"""

import gc

from innoff_cli.cli.base import APP_NAME, app


def main() -> None:
    try:
        app(prog_name=APP_NAME)
    finally:
        # The command is done. At exit the interpreter would still walk every
        # object the imports made (Typer and Pydantic: tens of thousands) in its
        # last garbage collections, a good share of a small command's time.
        # Frozen, they are skipped; files and connections still close as usual
        # (that is reference counting, not the collector).
        gc.freeze()


__all__ = ["app", "main"]
