"""E-mail addresses: the syntax check every address innoff takes goes through.

Pure, and nothing is looked up: a cheap check clears the usual address, the
full validator (email-validator) only what it cannot.
"""

from __future__ import annotations

import re

from innoff_cli.terminal import shown

# Values that forms write where a person would have written nothing (also what
# registration_exports reads as an empty name or organisation).
PLACEHOLDERS = {"anonymous", "anonym", "n/a", "na", "-", "none", "null"}

# The usual address: dot-atoms before the @, then DNS labels (1-63 letters,
# digits and hyphens, no hyphen first or last) and a top-level name of letters.
# Possessive quantifiers (++, {1,63}+): a label cannot hold a dot, so there is
# nothing to backtrack into, and the regex gives up sooner on a bad row. The same
# language as the classic form (tests/test_registration_exports.py checks it).
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++)*+"
    r"@(?:(?!-)[A-Za-z0-9-]{1,63}+(?<!-)\.)++[A-Za-z]{2,63}"
)
_ANGLE_ADDRESS = re.compile(r"<([^<>]+)>\s*$")
# RFC 5321 4.5.3.1: 64 octets before the @, 254 in all (a path of 256 less its <>).
LOCAL_MOST, ADDRESS_MOST = 64, 254


def fits(address: str) -> bool:
    """Whether an address keeps RFC 5321's limits (counted in octets)."""
    if address.isascii():
        return len(address) <= ADDRESS_MOST and address.rfind("@") <= LOCAL_MOST
    local, _, domain = address.rpartition("@")
    return len(local.encode()) <= LOCAL_MOST and len(address.encode()) <= ADDRESS_MOST


def check_email(text: str) -> tuple[str | None, str | None]:
    """(address, None) or (None, reason). Syntax only: nothing is looked up.

    The address keeps its local part as written and gets its domain in lower
    case (domains are case-insensitive; local parts, strictly, are not).
    """
    value = text.strip()
    angle = _ANGLE_ADDRESS.search(value)  # "Kari Nordmann <kari@example.org>"
    if angle:
        value = angle.group(1).strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if not value or value.casefold() in PLACEHOLDERS:
        return None, "no e-mail address"
    # The cheap check clears the usual address; only the rest pays for the full
    # validator, slow to import and many times slower a call.
    if not fits(value):
        return None, (
            f"bad e-mail address '{shown(value)}': longer than e-mail allows"
            f" ({LOCAL_MOST} characters before the @, {ADDRESS_MOST} in all)"
        )
    if _EMAIL.fullmatch(value) and ".." not in value:
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}", None
    # The commonest typos need no validator to explain (an @ inside a quoted
    # local part is refused by the validator too).
    if value.count("@") != 1:
        return None, f"bad e-mail address '{shown(value)}': it must have exactly one @"
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return None, f"bad e-mail address '{shown(value)}': {error}"
    return checked.normalized, None


def ascii_address(address: str) -> str | None:
    """The address with its domain in IDNA 2008 A-labels (UTS 46), when its local
    part is ASCII: what a server without SMTPUTF8 takes. None when the local part
    is not ASCII (only SMTPUTF8 carries it) or the domain has no A-label form.

    Not the standard library's "idna" codec: that is IDNA 2003, which maps
    'straße.no' to 'strasse.no', another domain.
    """
    if address.isascii():  # the usual address: nothing to convert
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return None
    import idna

    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return None


def matching_keys(address: str) -> list[str]:
    """The keys (folded, as registrations are keyed) under which innoff may know
    `address` as a calendar echoes it back: as written, percent-decoded (a
    mailto: written as a URI), and with its domain as U-labels and as A-labels."""
    from urllib.parse import unquote

    forms = [address]
    if "%" in address:
        try:
            forms.append(unquote(address, errors="strict"))
        except UnicodeDecodeError:  # not UTF-8 underneath: only the form as written
            pass
    local, _, domain = forms[-1].rpartition("@")
    if domain and not (domain.isascii() and "xn--" not in domain.lower()):
        import idna

        for convert in (idna.decode, lambda d: idna.encode(d, uts46=True).decode("ascii")):
            try:
                forms.append(f"{local}@{convert(domain)}")
            except (idna.IDNAError, UnicodeError):
                pass
    return list(dict.fromkeys(form.casefold() for form in forms))
