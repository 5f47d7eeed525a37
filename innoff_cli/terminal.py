"""Text from files and people, made safe to show on a terminal.

A name, a title or a CSV header can hold escape sequences (clear the screen,
recolour, an OSC 8 link), BEL, C1 codes or bidi overrides. Shown raw, they act
on the terminal; shown through here, they are visible and do nothing.
"""

from __future__ import annotations


def shown(text: str, limit: int = 60) -> str:
    """A value as a one-line message may quote it: control characters escaped, cut short."""
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."
