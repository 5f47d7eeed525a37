"""The programme: TOML file <-> models, and the rules that keep it consistent.

Pure: no database, no clock, no terminal. Every change returns a new Event and
is checked as a whole, so a refused change leaves nothing half-applied.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from innoff_cli.errors import ConflictError, InnoffError
from innoff_cli.i18n import _
from innoff_cli.models import ITEM_KINDS, Event, Item, Speaker
from innoff_cli.terminal import shown

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# --- names -------------------------------------------------------------------


# What is not a letter or digit (str.isalnum): `\\w` is exactly isalnum and '_'.
_NOT_ALNUM = re.compile(r"[\W_]+")
# What it drops of ASCII, for str.translate.
_ASCII_NOT_ALNUM = dict.fromkeys(c for c in range(128) if not chr(c).isalnum())


def normalise_name(text: str) -> str:
    """Fold case, Norwegian letters and punctuation so 'Årsmøte' matches 'arsmote'."""
    import unicodedata  # not needed to show the agenda, so not paid for there

    folded = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    if folded.isascii():  # most names by now: NFKD changes nothing, and C calls drop the rest
        compact = folded.replace(" ", "")
        return compact if compact.isalnum() else compact.translate(_ASCII_NOT_ALNUM)
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKD", folded))


def slugify(text: str, max_length: int = 40) -> str:
    """A short lowercase ASCII id: 'Ulike forutsetninger?' -> 'ulike-forutsetninger'."""
    import unicodedata

    folded = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", folded)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or "item"


def match_event(events: list[Event], name: str) -> Event:
    """The event whose slug, title or an alias matches `name` (case and accents folded)."""
    wanted = normalise_name(name)
    for event in events:
        names = (event.slug, event.title, *event.aliases)
        if wanted and any(normalise_name(candidate) == wanted for candidate in names):
            return event
    known = ", ".join(event.slug for event in events) or "none"
    raise InnoffError(
        _("no event called '{name}' - known events: {known}").format(name=name, known=known)
    )


def main_event(events: list[Event]) -> Event:
    """The event commands use when none is named: the first that has a programme."""
    if not events:
        raise InnoffError(_("the database has no events - load one with `innoff agenda load FILE`"))
    with_items = [event for event in events if event.items]
    return (with_items or events)[0]


def find_item(events: list[Event], item_id: str) -> tuple[Event, Item]:
    for event in events:
        for item in event.items:
            if item.id == item_id:
                return event, item
    raise InnoffError(
        _(
            "no item with id '{item_id}' - see the ids with `innoff agenda show --format json`"
        ).format(item_id=item_id)
    )


# --- times -------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InnoffError(
            _("unknown time zone '{name}' - use an IANA name such as Europe/Oslo or UTC").format(
                name=name
            )
        ) from None


def parse_clock(value: object, day: date, tz: ZoneInfo) -> datetime:
    """'10:05' on `day` in `tz`; also a TOML time or a full ISO 'YYYY-MM-DD HH:MM'."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, time):
        return datetime.combine(day, value, tzinfo=tz)
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", text)
    try:
        if match:
            return datetime.combine(day, time(int(match[1]), int(match[2])), tzinfo=tz)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    raise InnoffError(
        _("bad time '{text}' - write it as HH:MM, for example 10:45").format(text=text)
    )


_DURATION = re.compile(r"([+-])?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?")


def parse_duration(text: str) -> timedelta:
    """'+10m', '-5m', '1h', '1h30m', '90m' -> timedelta (sign kept)."""
    match = _DURATION.fullmatch(text.strip())
    if not match or not (match[2] or match[3]):
        raise InnoffError(
            _(
                "bad duration '{text}' - write minutes or hours such as +10m, -5m, 1h or 1h30m"
            ).format(text=text)
        )
    minutes = int(match[2] or 0) * 60 + int(match[3] or 0)
    return timedelta(minutes=-minutes if match[1] == "-" else minutes)


def parse_alarm(text: str | None) -> timedelta | None:
    """--alarm '15m': how long before the start a reminder goes off (positive), or None."""
    if not text:
        return None
    reminder = parse_duration(text)
    if reminder.total_seconds() <= 0:
        raise InnoffError(
            _("--alarm must be a positive duration such as 15m, not '{text}'").format(text=text)
        )
    return reminder


def clock(moment: datetime, tz: ZoneInfo | None = None) -> str:
    return (moment.astimezone(tz) if tz else moment).strftime("%H:%M")


WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip


def norwegian_date(day: date) -> str:
    """'tirsdag 17. november 2020', independent of the machine's locale."""
    return f"{WEEKDAYS[day.weekday()]} {day.day}. {MONTHS[day.month - 1]} {day.year}"


# --- reading a programme file --------------------------------------------------


def parse_programme(text: str, source: str = "programme") -> list[Event]:
    """Events from the TOML text of a programme file; raises InnoffError naming the problem."""
    import tomllib  # only `agenda load` and first use read TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InnoffError(
            _("{source} is not valid TOML ({error}) - fix the file and try again").format(
                source=source, error=error
            )
        ) from None
    organizer = data.get("organizer", {})
    if not isinstance(organizer, dict):
        raise InnoffError(
            _("{source}: [organizer] must be a table with name and email").format(source=source)
        )
    raw_events = data.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise InnoffError(
            _("{source} has no [[events]] - add at least one event").format(source=source)
        )
    events = [_event_from_table(raw, organizer, source) for raw in raw_events]
    _check_unique([e.slug for e in events], "event slug", source)
    _check_unique([i.id for e in events for i in e.items], "item id", source)
    for event in events:
        check_event(event)
    return events


def check_item_ids(loaded: list[Event], stored: list[Event], source: str) -> None:
    """Refuse a file whose item reuses the id of an item of another stored event.

    Item ids are unique across the database (the UIDs of calendar entries are
    made from them), so such an item would take the other one away.
    """
    owner = {item.id: event.slug for event in stored for item in event.items}
    for event in loaded:
        for item in event.items:
            other = owner.get(item.id)
            if other is not None and other != event.slug:
                raise InnoffError(
                    _(
                        "{source}: item '{id}' of {slug} is already an item of {other} in the database - give it another id (or move it with the event {other})"
                    ).format(source=source, id=item.id, slug=event.slug, other=other)
                )


def _check_unique(values: list[str], what: str, source: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InnoffError(
                _("{source}: {what} '{value}' is used twice - make each one unique").format(
                    source=source, what=what, value=value
                )
            )
        seen.add(value)


def _text(table: dict, key: str, where: str, required: bool = False) -> str:
    value = table.get(key, "")
    if required and not value:
        raise InnoffError(_("{where}: `{key}` is missing - add it").format(where=where, key=key))
    if not isinstance(value, str):
        raise InnoffError(_("{where}: `{key}` must be text in quotes").format(where=where, key=key))
    return value.strip()


def _event_from_table(raw: dict, organizer: dict, source: str) -> Event:
    where = f"{source}: event {raw.get('slug') or raw.get('title') or '?'}"
    slug = _text(raw, "slug", where, required=True)
    title = check_line(_text(raw, "title", where, required=True), f"{where}: `title`")
    if not SLUG_PATTERN.match(slug):
        raise InnoffError(
            _("{where}: slug must be lowercase letters, digits and hyphens").format(where=where)
        )
    tz_name = _text(raw, "timezone", where) or "Europe/Oslo"
    tz = zone(tz_name)
    day = raw.get("date")
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InnoffError(
            _("{where}: `date` must be a date such as 2020-11-17 (no quotes)").format(where=where)
        )
    start = parse_clock(raw.get("start", ""), day, tz)
    end = parse_clock(raw.get("end", ""), day, tz)
    if end <= start:
        raise InnoffError(
            _("{where}: ends at {end}, not after it starts at {start}").format(
                where=where, end=clock(end), start=clock(start)
            )
        )
    items = [
        _item_from_table(item, day, tz, f"{where}, item {item.get('id') or item.get('title')}")
        for item in raw.get("items", [])
    ]
    return Event(
        slug=slug,
        title=title,
        start=start,
        end=end,
        timezone=tz_name,
        location=check_line(_text(raw, "location", where), f"{where}: `location`"),
        url=check_url(_text(raw, "url", where), f"{where}: `url`"),
        aliases=tuple(str(alias) for alias in raw.get("aliases", [])),
        part_of=_text(raw, "part_of", where),
        registration=_text(raw, "registration", where),
        recorded=bool(raw.get("recorded", False)),
        partners=tuple(str(partner) for partner in raw.get("partners", [])),
        description=_text(raw, "description", where),
        organizer_name=check_organizer_name(
            _text(raw.get("organizer", organizer), "name", where), where
        ),
        organizer_email=check_organizer_email(
            _text(raw.get("organizer", organizer), "email", where), where
        ),
        items=with_ends(items, end),
        join_url=check_url(_text(raw, "join_url", where), f"{where}: `join_url`"),
        recording_url=check_url(_text(raw, "recording_url", where), f"{where}: `recording_url`"),
        cancelled=bool(raw.get("cancelled", False)),
    )


_URL = re.compile(r"https?://[^\s/?#<>\"]+[^\s<>\"]*", re.IGNORECASE)


def check_line(value: str, where: str) -> str:
    """A title or a place, which becomes a Subject, a calendar's SUMMARY or
    LOCATION and a table's cell: one line, with no control characters."""
    if not value.isprintable():
        raise InnoffError(
            _("{where} has a line break or a control character - write it on one line").format(
                where=where
            )
        )
    return value


def check_url(value: str, where: str) -> str:
    """An http(s) link as a calendar can open it, or '' for none; else InnoffError."""
    value = value.strip()
    if not value:
        return ""
    if not value.isprintable() or not _URL.fullmatch(value):
        raise InnoffError(
            _(
                "{where}: '{value}' is not a web link - write it as https://... without spaces"
            ).format(where=where, value=shown(value, 80))
        )
    return value


def check_organizer_name(value: str, where: str) -> str:
    if not value.isprintable() or any(ch in value for ch in '<>"'):
        raise InnoffError(
            _(
                "{where}: the organiser's name must be one line without < > or quotes - fix it"
            ).format(where=where)
        )
    return value


def check_organizer_email(value: str, where: str) -> str:
    """The organiser's address must be one real address: it goes into every invite."""
    if not value:
        return ""
    from innoff_cli.addresses import check_email

    address, problem = check_email(value) if value.isprintable() else (None, "")
    if address is None or address != value.strip() and address.casefold() != value.casefold():
        raise InnoffError(
            _(
                "{where}: organiser e-mail '{value}' is not one valid address - write it as post@example.org"
            ).format(where=where, value=shown(value, 80))
        )
    return address


def _item_from_table(raw: dict, day: date, tz: ZoneInfo, where: str) -> Item:
    title = check_line(_text(raw, "title", where, required=True), f"{where}: `title`")
    kind = _text(raw, "kind", where) or "talk"
    if kind not in ITEM_KINDS:
        raise InnoffError(
            _("{where}: kind '{kind}' is not one of {value}").format(
                where=where, kind=kind, value=", ".join(ITEM_KINDS)
            )
        )
    speakers = []
    for speaker in raw.get("speakers", []):
        if not isinstance(speaker, dict) or not (
            speaker.get("name") or speaker.get("organisation")
        ):
            raise InnoffError(
                _("{where}: each speaker needs a name or an organisation").format(where=where)
            )
        speakers.append(
            Speaker(
                name=speaker.get("name") or None,
                role=speaker.get("role") or None,
                organisation=speaker.get("organisation") or None,
            )
        )
    item_id = _text(raw, "id", where) or slugify(title)
    if not SLUG_PATTERN.match(item_id):
        raise InnoffError(
            _("{where}: id must be lowercase letters, digits and hyphens").format(where=where)
        )
    # An item without `end` lasts until the next one starts: see with_ends().
    return Item(
        id=item_id,
        start=parse_clock(raw.get("start", ""), day, tz),
        end=parse_clock(raw["end"], day, tz) if raw.get("end") else OPEN_END,
        title=title,
        kind=kind,
        speakers=tuple(speakers),
        description=_text(raw, "description", where),
    )


# --- schedule and rules --------------------------------------------------------


# Stands for "until the next item starts" while a programme is being read.
OPEN_END = datetime.max.replace(tzinfo=UTC)


def with_ends(items: list[Item], event_end: datetime) -> tuple[Item, ...]:
    """Items in order, each open end closed at the next item's start or the event's end."""
    ordered = sorted(items, key=lambda item: item.start)
    closed = []
    for index, item in enumerate(ordered):
        if item.end == OPEN_END:
            following = ordered[index + 1].start if index + 1 < len(ordered) else event_end
            item = item._replace(end=max(following, item.start))
        closed.append(item)
    return tuple(closed)


def conflicts(event: Event) -> list[str]:
    """Every broken rule of `event`, each naming the items involved; empty when it is sound."""
    problems = []
    tz = ZoneInfo(event.timezone)

    def span(item: Item) -> str:
        return f"'{item.id}' ({clock(item.start, tz)}-{clock(item.end, tz)})"

    window = f"{clock(event.start, tz)}-{clock(event.end, tz)}"
    items = sorted(event.items, key=lambda item: item.start)
    for item in items:
        if item.end <= item.start:
            problems.append(f"{span(item)} does not end after it starts")
        elif item.start < event.start or item.end > event.end:
            problems.append(f"{span(item)} is outside {event.slug} ({window})")
    for first, second in zip(items, items[1:]):
        if first.end > second.start:
            problems.append(f"{span(first)} overlaps {span(second)}")
    return problems


def check_event(event: Event) -> None:
    problems = conflicts(event)
    if problems:
        raise ConflictError(
            _("{value} - nothing was changed; choose other times").format(value="; ".join(problems))
        )


def add_item(event: Event, item: Item) -> Event:
    """Add `item`; an OPEN_END lasts until the next item (or the event's end)."""
    if any(existing.id == item.id for existing in event.items):
        raise InnoffError(
            _("an item with id '{id}' already exists - pass another --id").format(id=item.id)
        )
    check_line(item.title, "the title")
    if item.end == OPEN_END:
        later = [other.start for other in event.items if other.start > item.start]
        item = item._replace(end=min(later, default=event.end))
    changed = event._replace(items=(*event.items, item))
    check_event(changed)
    return _sorted(changed)


def edit_item(event: Event, item_id: str, **changes: object) -> Event:
    """Replace fields of one item; `end=OPEN_END` means until the next item starts."""
    target = next(item for item in event.items if item.id == item_id)
    if "title" in changes:
        check_line(str(changes["title"]), "--title")
    edited = target._replace(**changes)
    if "start" in changes and "end" not in changes:
        # Moving the start keeps the length, as a person moving a talk expects.
        edited = edited._replace(end=edited.start + (target.end - target.start))
    if edited.end == OPEN_END:
        later = [o.start for o in event.items if o.start > edited.start and o.id != item_id]
        edited = edited._replace(end=min(later, default=event.end))
    items = tuple(edited if item.id == item_id else item for item in event.items)
    changed = event._replace(items=items)
    check_event(changed)
    return _sorted(changed)


EVENT_FIELDS = (
    "title", "start", "end", "location", "url", "join_url", "recording_url", "cancelled",
)  # fmt: skip


def edit_event(event: Event, **changes: object) -> Event:
    """Replace an event's own fields; its items must still lie inside it."""
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise InnoffError(
            _("cannot change {value} of an event").format(value=", ".join(sorted(unknown)))
        )
    for key in ("url", "join_url", "recording_url"):
        if key in changes:
            changes[key] = check_url(str(changes[key]), f"--{key.replace('_', '-')}")
    if "title" in changes and not str(changes["title"]).strip():
        raise InnoffError(_("an event needs a title - pass a non-empty --title"))
    for key in ("title", "location"):
        if key in changes:
            check_line(str(changes[key]), f"--{key}")
    changed = event._replace(**changes)
    if changed.end <= changed.start:
        tz = ZoneInfo(event.timezone)
        raise ConflictError(
            _(
                "{slug} would end at {end}, not after it starts at {start} - nothing was changed; choose other times"
            ).format(slug=event.slug, end=clock(changed.end, tz), start=clock(changed.start, tz))
        )
    check_event(changed)
    return changed


def remove_item(event: Event, item_id: str) -> Event:
    return event._replace(items=tuple(i for i in event.items if i.id != item_id))


def shift_item(event: Event, item_id: str, delta: timedelta, following: bool = False) -> Event:
    """Move one item by `delta`; with `following`, every later item and the event's end too.

    The end of the event moves with `following` because "12:00 Slutt" is part of
    what follows: pushing the rest of the day back pushes its end back as well.
    """
    target = next(item for item in event.items if item.id == item_id)

    def moved(item: Item) -> Item:
        if item.id == item_id or (following and item.start > target.start):
            return item._replace(start=item.start + delta, end=item.end + delta)
        return item

    changed = event._replace(
        items=tuple(moved(item) for item in event.items),
        end=event.end + delta if following else event.end,
    )
    check_event(changed)
    return _sorted(changed)


def _sorted(event: Event) -> Event:
    return event._replace(items=tuple(sorted(event.items, key=lambda i: i.start)))


def current_item(event: Event, now: datetime) -> Item | None:
    """The item that is on at `now`, if any."""
    return next((item for item in event.items if item.start <= now < item.end), None)


# --- the programme that ships with innoff ----------------------------------------


def bundled_programme_text() -> str:
    """The TOML of the 17 November 2020 programme, from the wheel or from a checkout."""
    from importlib import resources

    packaged = resources.files("innoff_cli").joinpath("data", "programme.toml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install or a plain checkout: the file sits in the top-level data/.
    from pathlib import Path

    return (Path(__file__).resolve().parent.parent / "data" / "programme.toml").read_text(
        encoding="utf-8"
    )


def bundled_programme() -> list[Event]:
    return parse_programme(bundled_programme_text(), "the bundled programme")
