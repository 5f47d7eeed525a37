"""Registration times in whatever form the export wrote them, as UTC ISO text.

Pure: the zone to read local times in is a parameter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_SLASHED_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{2,4}\b")
_AM_PM = re.compile(r"\d\s*[AaPp]\.?[Mm]\.?\s*$")
_HEADER_ZONE = re.compile(
    r"\b(UTC|GMT|Z|CET|CEST|EET|WET)(?:\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?)?(?![A-Za-z])"
)


def header_zone(header: str) -> str | None:
    """The zone a time column's header names: '(UTC)', '(GMT)', 'UTC+1', 'CET'.

    Returned as an offset '+01:00' or a zone name for ZoneInfo; None if it names none.
    """
    found = _HEADER_ZONE.search(header)
    if not found:
        return None
    name, sign, hours, minutes = found.groups()
    if name in ("CET", "CEST", "EET", "WET"):
        return name if not sign else None  # ZoneInfo knows them, summer time included
    if not sign:
        return "+00:00"
    return f"{sign}{int(hours):02d}:{minutes or '00'}"


def zone_of(name: str):
    """A tzinfo for header_zone()'s answer."""
    from datetime import timezone

    if name[0] in "+-":
        hours, minutes = int(name[1:3]), int(name[4:6])
        sign = -1 if name[0] == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return ZoneInfo(name)


def _month_first(values: Sequence[str], otherwise: bool) -> bool:
    """Whether slashed dates among `values` are month-first, or `otherwise` if they do not say."""
    day_first = month_first = False
    for value in values:
        found = _SLASHED_DATE.match(value)
        if found:
            day_first |= int(found[1]) > 12
            month_first |= int(found[2]) > 12
    return month_first if day_first != month_first else otherwise


class DateReader:
    """Registration times in whatever form the export wrote them, as UTC ISO text.

    The first value decides a strptime format that is then reused (dateutil is
    many times slower a call); a value that does not fit it goes to dateutil. Slashed dates are read day-first (17/11/2020, the Norwegian
    way) except under Microsoft Forms' own time headers, which are month-first.
    Times without an offset are local times in `tz`.
    """

    DAY_FIRST = (
        "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M", "%d.%m.%y",
        # Google Sheets and others in Norwegian: "02.11.2020 kl. 09.13.45".
        "%d.%m.%Y kl. %H.%M.%S", "%d.%m.%Y kl. %H:%M:%S", "%d.%m.%Y kl. %H.%M", "%d.%m.%Y kl. %H:%M",
        "%d.%m.%Y %H.%M.%S", "%d.%m.%Y %H.%M",
        "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d",
        "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %I:%M:%S %p",
        "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%y %H:%M:%S", "%d/%m/%y",
    )  # fmt: skip
    MONTH_FIRST = (
        "%m/%d/%y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M", "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%y", "%m/%d/%Y",
    )  # fmt: skip

    def __init__(self, month_first: bool, tz: ZoneInfo):
        self.month_first = month_first
        self.tz = tz
        self.format: str | None = None
        # The fast path (see `_use`): None until a format of plain numbers is chosen.
        self.pattern: re.Pattern[str] | None = None
        self.guesses_left = 3
        # The text of a local hour ('06.01.2025 08') -> its UTC hour as text
        # ('2025-01-06T07'); False where the zone is a fraction of an hour off
        # UTC, None where it is no date. Few: a form runs for some weeks.
        self.hours: dict[str, str | bool | None] = {}
        self.cache: dict[str, str | None] = {}
        # The quickest path, no regex: a text is its hour's text, then a tail of
        # fixed length (':MM' or ':MM:SS', `-cut` characters). Both halves seen
        # before in texts the pattern matched make a text it matches, so the
        # UTC hour plus the tail's own text is the answer. Whole hours off UTC
        # only; `cut` is 0 (nothing found) until a format with minutes is chosen.
        self.cut = 0
        self.utc_hours: dict[str, str] = {}  # '06.01.2025 08' -> '2025-01-06T07'
        self.tails: dict[str, str] = {}  # ':28' -> ':28:00+00:00'

    @classmethod
    def guess_format(cls, text: str, month_first: bool) -> str | None:
        formats = (*cls.MONTH_FIRST, *cls.DAY_FIRST) if month_first else cls.DAY_FIRST
        for candidate in formats:
            try:
                datetime.strptime(text, candidate)
            except ValueError:
                continue
            return candidate
        return None

    def _use(self, fmt: str) -> None:
        self.format = fmt
        self.pattern, tail = _format_pattern(fmt)
        # What the hours' texts meant under the old format ('03/04/2020 10',
        # month-first) they need not mean under this one. Cleared in place:
        # the row loop holds these dicts.
        for found in (self.hours, self.utc_hours, self.tails):
            found.clear()
        self.cut = -tail

    def read(self, text: str) -> str | None:
        """UTC ISO 8601 text, or None when the value is not a date at all."""
        hour = self.utc_hours.get(text[: self.cut])  # the row loop looks here first too
        if hour is not None:
            tail = self.tails.get(text[self.cut :])
            if tail is not None:
                return hour + tail
        # Forms often stamp to the minute, so the same text comes back many times.
        cached = self.cache.get(text, _MISSING)
        if cached is not _MISSING:
            return cached
        return self.read_new(text)

    def read_new(self, text: str) -> str | None:
        """`read` for a text not in the cache (the row loop has looked already).

        The fast path first, in this one call: the format's regex, and the
        UTC hour of the local hour the text starts with. Most zones are whole
        hours off UTC, so minutes and seconds pass through as written, and a
        form's times (to the minute, mostly all different) cost one regex and
        one look in a small dict each.
        """
        if len(self.cache) >= 4096:  # bounded: memory must not grow with the file
            self.cache.clear()
        if len(self.hours) >= 16384:  # years of hours; only a file of random dates gets here
            self.hours.clear()
            self.utc_hours.clear()
        if self.pattern is not None:
            found = self.pattern.fullmatch(text)
            if found is not None:
                hour_text, minute, second = found.group("hour", "M", "S")
                hour = self.hours.get(hour_text, _MISSING)
                if hour is _MISSING:
                    hour = self.hours[hour_text] = self._utc_hour(found.groupdict())
                # What the fast path cannot read (31.02, 13/04 under a
                # month-first format) goes the slow way, which may find it
                # another format.
                if hour is not None:
                    if hour is False:  # a zone a fraction of an hour off UTC: do the sums
                        result = self._utc_exact(found.groupdict())
                    else:
                        tail = f":{minute or '00'}:{second or '00'}+00:00"
                        result = hour + tail
                        if self.cut:
                            self.utc_hours[hour_text] = hour
                            self.tails[text[len(hour_text) :]] = tail
                    self.cache[text] = result
                    return result
        result = self.cache[text] = self._read(text)
        return result

    def _read(self, text: str) -> str | None:
        stripped = text.strip()
        if not stripped:
            return None
        if stripped != text and self.pattern is not None and self.pattern.fullmatch(stripped):
            return self.read_new(stripped)  # it was only the white space
        text = stripped
        moment = None
        if self.format:
            try:
                moment = datetime.strptime(text, self.format)
            except ValueError:
                pass
        if moment is None and self.guesses_left:
            guessed = self.guess_format(text, self.month_first)
            if guessed:
                self._use(guessed)
                if self.pattern is not None:
                    return self.read_new(text)
                moment = datetime.strptime(text, guessed)
            else:
                # A column no format fits (Google's "GMT+1") stops costing
                # twenty failed strptime calls a row.
                self.guesses_left -= 1
        if moment is None:
            moment = self._dateutil(text)
            if moment is None:
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment.astimezone(UTC).isoformat()

    def _utc_hour(self, fields: dict) -> str | bool | None:
        """'2025-01-06T07' for a local hour, False when the zone is not whole hours
        off UTC then, None when it is no date."""
        local = _local(fields, exact=False)
        if local is None:
            return None
        offset = local.replace(tzinfo=self.tz).utcoffset() or timedelta(0)
        if offset % timedelta(hours=1):
            return False
        return (local - offset).strftime("%Y-%m-%dT%H")

    def _utc_exact(self, fields: dict) -> str | None:
        local = _local(fields, exact=True)
        if local is None:
            return None
        offset = local.replace(tzinfo=self.tz).utcoffset() or timedelta(0)
        return (local - offset).isoformat() + "+00:00"

    def _dateutil(self, text: str) -> datetime | None:
        from dateutil import parser  # slow to import: only for dates strptime cannot read

        # Google Forms writes "GMT+1" for one hour east; dateutil reads such
        # offsets POSIX-style (west), so spell it out as +01:00 first.
        cleaned = _GMT_OFFSET.sub(lambda m: f" {m[1]}{int(m[2]):02d}:{m[3] or '00'}", text)
        # A time written with dots, as Norwegians do: "2. nov. 2020 kl. 09.13".
        cleaned = _DOTTED_TIME.sub(lambda m: ":".join(part for part in m.groups() if part), cleaned)
        year_first = bool(re.match(r"\s*\d{4}\D", cleaned))  # 2020/11/02 is never day-first
        try:
            moment = parser.parse(
                cleaned,
                parserinfo=_norwegian_parserinfo(),
                dayfirst=not (self.month_first or year_first),
                yearfirst=year_first,
                default=_NO_DATE,  # what the text leaves out stays out, not "today"
            )
        except (ValueError, OverflowError):
            return None
        return None if moment.year == _NO_DATE.year else moment


def _local(fields: dict, exact: bool) -> datetime | None:
    """The local time a regex's fields name (to the hour, or `exact`), or None if none."""
    year = int(fields["Y"]) if fields.get("Y") else 2000 + int(fields["y"])
    rest = (int(fields.get("M") or 0), int(fields.get("S") or 0)) if exact else ()
    try:
        return datetime(year, int(fields["m"]), int(fields["d"]), int(fields.get("H") or 0), *rest)
    except ValueError:
        return None


_NO_DATE = datetime(1, 1, 1)
_DOTTED_TIME = re.compile(r"(?<=\s)(\d{1,2})\.(\d{2})(?:\.(\d{2}))?(?=\s*$)")


@functools.cache
def _norwegian_parserinfo():
    """dateutil's words, with the Norwegian names of months and weekdays and 'kl.'."""
    from dateutil import parser

    english = parser.parserinfo
    norwegian_months = (
        ("januar",), ("februar",), ("mars",), ("april",), ("mai",), ("juni",), ("juli",),
        ("august",), ("september",), ("okt", "oktober"), ("november",), ("des", "desember"),
    )  # fmt: skip
    norwegian_days = (
        ("man", "mandag"), ("tir", "tirsdag"), ("ons", "onsdag"), ("tor", "torsdag"),
        ("fre", "fredag"), ("lør", "lørdag"), ("søn", "søndag"),
    )  # fmt: skip

    class NorwegianParserInfo(english):
        JUMP = [*english.JUMP, "kl", "klokken", "den"]
        MONTHS = [(*ours, *theirs) for ours, theirs in zip(english.MONTHS, norwegian_months)]
        WEEKDAYS = [(*ours, *theirs) for ours, theirs in zip(english.WEEKDAYS, norwegian_days)]

    return NorwegianParserInfo()


_MISSING = object()
# ASCII digits only (\d is any script's): the fast path copies minutes and
# seconds into its answer as they are written, and these must be 00-59.
# Other digits, which strptime reads too, go the slow way.
_DIRECTIVES = {
    "d": r"(?P<d>[0-9]{1,2})", "m": r"(?P<m>[0-9]{1,2})", "Y": r"(?P<Y>[0-9]{4})",
    "y": r"(?P<y>[0-9]{2})", "H": r"(?P<H>[0-9]{1,2})", "M": r"(?P<M>[0-5][0-9])",
    "S": r"(?P<S>[0-5][0-9])",
}  # fmt: skip


def _format_pattern(fmt: str) -> tuple[re.Pattern[str] | None, int]:
    """A regex for a strptime format made of plain numbers, for the fast path, and
    the length of the text after the hour; (None, 0) when the format has more
    (%p, %z) or its fields are in another order.

    Its groups: the format's own (d, m, Y or y, H, M, S), and `hour`, the text
    up to the end of the hour (or of the date, when there is no time), which is
    the key of DateReader.hours. M and S match nothing when the format has none.
    What follows the hour is only separators and two-digit M and S, so its
    length is fixed.
    """
    parts, order, index = [], [], 0
    while index < len(fmt):
        if fmt[index] == "%":
            directive = fmt[index + 1]
            if directive not in _DIRECTIVES:
                return None, 0
            parts.append(_DIRECTIVES[directive])
            order.append(directive)
            index += 2
        else:
            parts.append(re.escape(fmt[index]))
            index += 1
    # Minutes and seconds must come last, after the hour: what the hour's text
    # leaves is ':MM' or ':MM:SS' (or the dotted forms), and nothing after.
    time = [d for d in order if d in "HMS"]
    if time not in ([], ["H"], ["H", "M"], ["H", "M", "S"]) or (time and order[-1] != time[-1]):
        return None, 0
    hour_ends = parts.index(_DIRECTIVES["H"]) + 1 if time else len(parts)
    pattern = "(?P<hour>" + "".join(parts[:hour_ends]) + ")" + "".join(parts[hour_ends:])
    pattern += "".join(f"(?P<{name}>)" for name in "MS" if name not in order)
    tail = len(re.sub("%.", "..", fmt.partition("%H")[2])) if time else 0
    return re.compile(pattern), tail


_GMT_OFFSET = re.compile(r"\s*(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$")
