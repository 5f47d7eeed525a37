"""Programme operations: read the store, apply a programme rule, write it back.

Each function is one command's whole job, so the CLI stays a thin layer. The
rules themselves live in `programme` (pure); every write is one transaction.
"""

from __future__ import annotations

from pathlib import Path

from innoff_cli import programme, store
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.models import Event, Item, Speaker


def show(db_path: Path, event_name: str | None = None) -> list[Event]:
    conn = store.connect(db_path)
    try:
        events = store.programme.load_events(conn)
    finally:
        conn.close()
    if event_name:
        return [programme.match_event(events, event_name)]
    return events


def load(
    db_path: Path, file: Path, on_wait: store.OnWait = None, remove_missing: bool = False
) -> dict[str, list[str]]:
    """Load or update the programme from a TOML file; the same file twice changes
    nothing. Events the file does not name are kept, or with `remove_missing`
    called off."""
    try:
        if file.stat().st_size > PROGRAMME_MOST_BYTES:
            raise InnoffError(
                _(
                    "{file} is {value} KiB, more than a programme file can be ({value2} KiB) - check that it is the right file"
                ).format(
                    file=file,
                    value=file.stat().st_size // 1024,
                    value2=PROGRAMME_MOST_BYTES // 1024,
                )
            )
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InnoffError(_("no such file: {file} - check the path").format(file=file)) from None
    except UnicodeDecodeError:
        raise InnoffError(
            _("{file} is not UTF-8 text - save it as UTF-8 and try again").format(file=file)
        ) from None
    except OSError as error:
        raise InnoffError(
            _("cannot read {file} ({strerror}) - check the path").format(
                file=file, strerror=error.strerror
            )
        ) from None
    events = programme.parse_programme(text, str(file))
    db = store.open_db(db_path, on_wait)
    try:
        with store.writing(db.conn, on_wait=on_wait):
            # An item id belongs to one event: loading must never move or remove
            # an item of an event the file does not name.
            programme.check_item_ids(events, store.programme.load_events(db.conn), str(file))
            return store.programme.write_programme(db, events, remove_missing)
    finally:
        db.close()


PROGRAMME_MOST_BYTES = 1024 * 1024


def parse_speaker(text: str) -> Speaker:
    """'Name; role; organisation' (role and organisation optional)."""
    parts = [part.strip() or None for part in text.split(";")]
    if len(parts) > 3 or not parts[0]:
        raise InnoffError(
            _(
                "bad speaker '{text}' - write 'Name; role; organisation', or use --org for an organisation alone"
            ).format(text=text)
        )
    parts += [None] * (3 - len(parts))
    return Speaker(name=parts[0], role=parts[1], organisation=parts[2])


def speakers_from(people: list[str], organisations: list[str]) -> tuple[Speaker, ...]:
    return tuple(parse_speaker(text) for text in people) + tuple(
        Speaker(organisation=org.strip()) for org in organisations if org.strip()
    )


def _kind(kind: str) -> str:
    if kind not in programme.ITEM_KINDS:
        raise InnoffError(
            _("unknown kind '{kind}' - use one of {value}").format(
                kind=kind, value=", ".join(programme.ITEM_KINDS)
            )
        )
    return kind


def _change(
    db_path: Path, item_id: str | None, change, on_wait: store.OnWait
) -> tuple[Event, Event]:
    """Apply `change(events, event) -> new event` to the event holding `item_id` and save
    it, reading the programme after this run's turn to write has come."""
    db = store.open_db(db_path, on_wait)
    try:
        with store.writing(db.conn, on_wait=on_wait):
            events = store.programme.load_events(db.conn)
            before = programme.find_item(events, item_id)[0] if item_id else None
            after = change(events, before)
            store.programme.write_event(db, after)
        return before or after, after
    finally:
        db.close()


def add(
    db_path: Path,
    title: str,
    start: str,
    event_name: str | None = None,
    end: str | None = None,
    kind: str = "talk",
    speakers: tuple[Speaker, ...] = (),
    item_id: str | None = None,
    description: str = "",
    on_wait: store.OnWait = None,
) -> Item:
    created: list[Item] = []

    def change(events: list[Event], _: Event | None) -> Event:
        event = (
            programme.match_event(events, event_name)
            if event_name
            else programme.main_event(events)
        )
        tz = programme.zone(event.timezone)
        day = event.start.astimezone(tz).date()
        taken = {item.id for e in events for item in e.items}
        new_id = item_id or _free_id(programme.slugify(title), taken)
        if item_id and item_id in taken:
            raise InnoffError(
                _("an item with id '{item_id}' already exists - pass another --id").format(
                    item_id=item_id
                )
            )
        if not programme.SLUG_PATTERN.match(new_id):
            raise InnoffError(
                _("bad id '{new_id}' - use lowercase letters, digits and hyphens").format(
                    new_id=new_id
                )
            )
        item = Item(
            id=new_id,
            start=programme.parse_clock(start, day, tz),
            end=programme.parse_clock(end, day, tz) if end else programme.OPEN_END,
            title=title.strip(),
            kind=_kind(kind),
            speakers=speakers,
            description=description,
        )
        created.append(item)
        return programme.add_item(event, item)

    _change(db_path, None, change, on_wait)
    return created[0]


def _free_id(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def edit(db_path: Path, item_id: str, on_wait: store.OnWait = None, **changes: object) -> Item:
    """Change the given fields of one item; times are 'HH:MM' on the event's day."""

    def change(events: list[Event], event: Event) -> Event:
        tz = programme.zone(event.timezone)
        day = event.start.astimezone(tz).date()
        fields = dict(changes)
        if "start" in fields:
            fields["start"] = programme.parse_clock(fields["start"], day, tz)
        if "end" in fields:
            fields["end"] = (
                programme.parse_clock(fields["end"], day, tz)
                if fields["end"]
                else programme.OPEN_END
            )
        if "kind" in fields:
            _kind(str(fields["kind"]))
        return programme.edit_item(event, item_id, **fields)

    _, after = _change(db_path, item_id, change, on_wait)
    return next(item for item in after.items if item.id == item_id)


def remove(db_path: Path, item_id: str, on_wait: store.OnWait = None) -> Item:
    before, _changed = _change(
        db_path, item_id, lambda events, event: programme.remove_item(event, item_id), on_wait
    )
    return next(item for item in before.items if item.id == item_id)


def shift(
    db_path: Path, item_id: str, duration: str, following: bool, on_wait: store.OnWait = None
) -> Event:
    delta = programme.parse_duration(duration)
    _, after = _change(
        db_path,
        item_id,
        lambda events, event: programme.shift_item(event, item_id, delta, following),
        on_wait,
    )
    return after


def edit_event(
    db_path: Path, event_name: str, on_wait: store.OnWait = None, **changes: object
) -> Event:
    """Change an event's title, times, place or links; times are 'HH:MM' on its day."""

    def change(events: list[Event], _: Event | None) -> Event:
        event = programme.match_event(events, event_name)
        tz = programme.zone(event.timezone)
        day = event.start.astimezone(tz).date()
        fields = dict(changes)
        for key in ("start", "end"):
            if key in fields:
                fields[key] = programme.parse_clock(fields[key], day, tz)
        return programme.edit_event(event, **fields)

    _, after = _change(db_path, None, change, on_wait)
    return after
