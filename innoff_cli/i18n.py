"""Norwegian for people, English for scripts.

What innoff says to people (table headings, summaries, stats) is in Norwegian
bokmål when the locale is Norwegian (`LANG=nb_NO.UTF-8`, `no`, `nn`) or
`INNOFF_LANG=nb`, and English otherwise, through the standard `gettext` with
the catalogue `innoff_cli/locale/nb/LC_MESSAGES/innoff.po` (compiled beside it
as innoff.mo; a translator adds nynorsk as `nn` the same way). JSON keys, CSV
column names and the values in them never change with the language.

    _("participants")            a message
    ngettext("{n} invite", "{n} invites", n).format(n=n)
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "innoff"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Locales whose people read bokmål: Norwegian (no), bokmål (nb), and nynorsk (nn)
# until it has a catalogue of its own.
NORWEGIAN = {"nb": "nb", "no": "nb", "nn": "nb"}
_loaded: dict[str, gettext.NullTranslations] = {}


def language(environ: Mapping[str, str] = os.environ) -> str:
    """'nb' or 'en': INNOFF_LANG, else the locale as POSIX picks it (the first of
    LC_ALL, LC_MESSAGES and LANG that is set)."""
    chosen = environ.get("INNOFF_LANG") or next(
        (environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), ""
    )
    code = chosen.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return NORWEGIAN.get(code, "en")


def _translations() -> gettext.NullTranslations:
    lang = language()
    found = _loaded.get(lang)
    if found is None:
        found = _loaded[lang] = (
            gettext.NullTranslations()
            if lang == "en"
            else gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
        )
    return found


def _(message: str) -> str:
    """`message` in the user's language ('' stays '': gettext would give the
    catalogue's header for it)."""
    return _translations().gettext(message) if message else message


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations().ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is translated later, by `_()`
    at the moment it is shown (a stats section's name, say)."""
    return message
