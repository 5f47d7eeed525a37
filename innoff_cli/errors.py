"""The errors innoff raises for things a user can fix.

Every message reads "what went wrong - what to do". The CLI prints it as one
line, `Error: ...`, and exits 1; anything else is a bug and keeps its traceback.
"""


class InnoffError(Exception):
    """A user mistake or an unusable input; the message says how to fix it."""


class OptionError(InnoffError):
    """A bad value for one command-line option: the command reports it as a usage
    error (exit 2) naming `option`, as Typer does its own."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


class ConflictError(InnoffError):
    """A programme change that would make items overlap or leave their event."""


class Interrupted(Exception):
    """Ctrl-C in a command that had done part of its work; the message says what.

    Not an InnoffError: the CLI prints it as it is and exits 130.
    """
