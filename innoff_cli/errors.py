"""The errors innoff raises for things a user can fix.

Every message reads "what went wrong - what to do". The CLI prints it as one
line, `Error: ...`, and exits 1; anything else is a bug and keeps its traceback.
"""


class InnoffError(Exception):
    """A user mistake or an unusable input; the message says how to fix it."""


class ConflictError(InnoffError):
    """A programme change that would make items overlap or leave their event."""
