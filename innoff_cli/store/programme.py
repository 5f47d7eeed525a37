"""The programme room: events and their items."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from innoff_cli.models import Event, Item, Speaker
from innoff_cli.store import count_change, dicts

if TYPE_CHECKING:
    from sqlite_utils import Database


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _local(text: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).astimezone(tz)


def load_events(conn: sqlite3.Connection) -> list[Event]:
    """Every event with its items, in order of start."""
    item_rows: dict[str, list[dict]] = {}
    for row in dicts(conn, "SELECT * FROM items ORDER BY start_utc, id"):
        item_rows.setdefault(row["event"], []).append(row)
    events = []
    for row in dicts(conn, "SELECT * FROM events ORDER BY start_utc, slug"):
        tz = ZoneInfo(row["timezone"])
        items = tuple(
            Item(
                id=item["id"],
                start=_local(item["start_utc"], tz),
                end=_local(item["end_utc"], tz),
                title=item["title"],
                kind=item["kind"],
                speakers=tuple(Speaker(**speaker) for speaker in json.loads(item["speakers"])),
                description=item["description"],
            )
            for item in item_rows.get(row["slug"], [])
        )
        events.append(
            Event(
                slug=row["slug"],
                title=row["title"],
                start=_local(row["start_utc"], tz),
                end=_local(row["end_utc"], tz),
                timezone=row["timezone"],
                location=row["location"],
                url=row["url"],
                aliases=tuple(json.loads(row["aliases"])),
                part_of=row["part_of"],
                registration=row["registration"],
                recorded=bool(row["recorded"]),
                partners=tuple(json.loads(row["partners"])),
                description=row["description"],
                organizer_name=row["organizer_name"],
                organizer_email=row["organizer_email"],
                items=items,
                join_url=row["join_url"],
                recording_url=row["recording_url"],
                cancelled=bool(row["cancelled"]),
            )
        )
    return events


def _event_row(event: Event) -> dict:
    return {
        "slug": event.slug,
        "title": event.title,
        "start_utc": _utc(event.start),
        "end_utc": _utc(event.end),
        "timezone": event.timezone,
        "location": event.location,
        "url": event.url,
        "aliases": json.dumps(list(event.aliases), ensure_ascii=False),
        "part_of": event.part_of,
        "registration": event.registration,
        "recorded": int(event.recorded),
        "partners": json.dumps(list(event.partners), ensure_ascii=False),
        "description": event.description,
        "organizer_name": event.organizer_name,
        "organizer_email": event.organizer_email,
        "join_url": event.join_url,
        "recording_url": event.recording_url,
        "cancelled": int(event.cancelled),
    }


def _item_row(event: Event, item: Item) -> dict:
    return {
        "id": item.id,
        "event": event.slug,
        "start_utc": _utc(item.start),
        "end_utc": _utc(item.end),
        "title": item.title,
        "kind": item.kind,
        "speakers": json.dumps(
            [speaker._asdict() for speaker in item.speakers], ensure_ascii=False
        ),
        "description": item.description,
    }


def write_programme(
    db: Database, events: list[Event], remove_missing: bool = False
) -> dict[str, list[str]]:
    """Insert or update `events` and their items, inside the caller's `writing()`.

    Items of these events that are not in `events` are removed. Other events are
    left alone ("missing"), or with `remove_missing` called off ("cancelled"):
    kept, so that the next `invites send` cancels them for everyone who had them.
    Returns the slugs of events added, updated, unchanged, cancelled and missing.
    """
    stored = {event.slug: event for event in load_events(db.conn)}
    report: dict[str, list[str]] = {
        "added": [], "updated": [], "unchanged": [], "cancelled": [], "missing": []
    }  # fmt: skip
    named = {event.slug for event in events}
    for slug, before in stored.items():
        if slug in named or before.cancelled:
            continue
        if remove_missing:
            report["cancelled"].append(slug)
            _write_event(db, before._replace(cancelled=True))
        else:
            report["missing"].append(slug)
    for event in events:
        before = stored.get(event.slug)
        if before == event:
            report["unchanged"].append(event.slug)
            continue
        report["added" if before is None else "updated"].append(event.slug)
        _write_event(db, event)
    if report["added"] or report["updated"] or report["cancelled"]:
        count_change(db.conn)
    return report


def write_event(db: Database, event: Event) -> None:
    """Write one changed event and its items, inside the caller's `writing()`."""
    _write_event(db, event)
    count_change(db.conn)


def _write_event(db: Database, event: Event) -> None:
    db["events"].upsert(_event_row(event), pk="slug")
    ids = [item.id for item in event.items]
    placeholders = ", ".join("?" for _ in ids)
    db.execute(
        f"DELETE FROM items WHERE event = ? AND id NOT IN ({placeholders})",
        [event.slug, *ids],
    )
    if event.items:
        db["items"].upsert_all([_item_row(event, item) for item in event.items], pk="id")
