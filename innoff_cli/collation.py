"""The Norwegian order of names, as `registrations list` sorts people.

Æ, Ø and Å come after Z (in that order), other accents sort as their letters
(É with E), case is folded. Each participant's key is computed once, when their
name is written (an import, the migration for rows written before), and kept in
an indexed column, so a list is an index walk: no Python call per comparison.
The key's text compares in SQLite (BINARY: UTF-8 bytes) as in Python (code
points): the two orders are one.
"""

from __future__ import annotations

# Æ, Ø and Å become the three characters right after 'z'.
_AFTER_Z = str.maketrans({"æ": "{", "ø": "|", "å": "}"})


def norwegian_order(text: str) -> str:
    """Sort key for the Norwegian alphabet: Æ, Ø and Å after Z, other accents as
    their letters (É with E), case folded."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    # Most names are Latin letters: one C-speed translate does it. Anything
    # else (Greek, Cyrillic, rarer marks) takes the whole way.
    quick = folded.translate(_latin_table())
    return quick if quick.isascii() else _decomposed(folded)


def _decomposed(folded: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", folded.translate(_AFTER_Z))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


_LATIN: dict[int, str] = {}


def _latin_table() -> dict[int, str]:
    """Each Latin-1 and Latin Extended letter (after casefolding) -> its key, as
    `_decomposed` makes it, letter by letter: the same key, without the decomposition
    of every name (a tenth of a big import's time otherwise)."""
    if not _LATIN:
        for code in range(0x80, 0x250):
            key = _decomposed(chr(code))
            if key.isascii():
                _LATIN[code] = key
    return _LATIN
