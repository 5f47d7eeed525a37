"""What kind of organisation a participant comes from, for `registrations stats`.

INNOFF-studio is about collaboration between municipalities and research, so
the kinds are those two sides, public agencies, and the rest. The rules are
tried in order and the first that matches wins: agencies come first because
"Norges forskningsråd" would otherwise count as research, and "KS" as a
municipality. Edit the lists here; nothing else needs to change.
"""

from __future__ import annotations

import re

RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "public agency",
        re.compile(
            r"forskningsråd|direktorat|departement|tilsyn|\betaten\b|\bnav\b|statsforvalter"
            r"|fylkesmann|innovasjon norge|distriktssenteret|\bks\b|kommunesektorens"
            r"|regjering|storting|kommunalkomit|husbanken|\bdigdir\b|\bdfø\b"
        ),
    ),
    ("municipality or county", re.compile(r"kommune|fylke|\bbydel\b")),
    (
        "research and higher education",
        re.compile(
            r"universitet|høgskole|hogskole|forskning|forsking|institutt|university|college"
            r"|research|\bntnu\b|\buio\b|\buib\b|\buit\b|oslomet|sintef|\bnifu\b|\bnorce\b|\bfafo\b"
        ),
    ),
]
OTHER = "other"
KINDS = (*(kind for kind, _ in RULES), OTHER)


def organisation_kind(organisation: str) -> str:
    """'Bergen kommune' -> 'municipality or county'; '' -> 'other'."""
    text = organisation.casefold()
    for kind, pattern in RULES:
        if pattern.search(text):
            return kind
    return OTHER


def municipality_of(municipality: str, organisation: str) -> str:
    """The municipality given, else the one an organisation such as 'Bergen kommune' names."""
    if municipality.strip():
        return municipality.strip()
    match = re.fullmatch(r"\s*(.+?)\s+kommune\s*", organisation, flags=re.IGNORECASE)
    return match.group(1) if match else ""
