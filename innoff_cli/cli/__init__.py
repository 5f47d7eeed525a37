"""The Typer app: parse options, call one function, render, map errors.

One module per command group, loaded when used (see base.COMMAND_GROUPS).
Imports stay cheap: `innoff --help` and `innoff agenda show` must not pay for
sqlite-utils, ics or dateutil, so each command imports what it needs inside.
"""

import gc
import signal
import sys

from innoff_cli.cli import base
from innoff_cli.cli.base import APP_NAME, app


def _interrupted(signum, frame) -> None:
    # Ctrl-C, and `kill`, a logout or a service manager stopping innoff alike:
    # the transaction rolls back, a half-written file is removed, and the
    # message says what was done. Noted first, because SQLite reports an
    # interrupt inside a function it called (the name order) as its own error.
    base.stopped_by_signal = True
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    if {"-h", "--help"} & set(sys.argv[1:]) or len(sys.argv) <= 2:  # help will be shown
        base.help_in_language()
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
