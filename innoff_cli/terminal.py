"""Text from files and people, made safe to show on a terminal.

A name, a title or a CSV header can hold escape sequences (clear the screen,
recolour, an OSC 8 link), BEL, C1 codes or bidi overrides. Shown raw, they act
on the terminal; shown through here, they are visible and do nothing.
"""

from __future__ import annotations

import re

# C0 and C1 control codes (ESC among them), DEL, and the invisible marks that
# reorder text (bidi overrides and isolates) or break lines.
_MARKS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_MARKS}]")
_UNSAFE_BUT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_MARKS}]")  # keeps \t and \n


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, lines: bool = False) -> str:
    """`text` with every control character written out ('\\x1b') instead of acting.

    With `lines`, tabs and line breaks stay (where a layout holds them); else
    they are written out too, so a value stays on its line of a table.
    """
    if text.isprintable():  # nearly every name and title: nothing to do
        return text
    return (_UNSAFE_BUT_LINES if lines else _UNSAFE).sub(_escape, text)


def shown(text: str, limit: int = 60) -> str:
    """A value as a one-line message may quote it: control characters escaped, cut short."""
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."
