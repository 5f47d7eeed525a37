"""The SQLite file: opening, migrating, and every read and write.

The only module that knows table names. Reads take a plain `sqlite3.Connection`
so that `agenda show` never has to import sqlite-utils; writes take a
sqlite-utils `Database` and run in one transaction each.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from innoff_cli import migrations
from innoff_cli.errors import InnoffError
from innoff_cli.models import Event, Item, Speaker

if TYPE_CHECKING:
    from sqlite_utils import Database

BUSY_TIMEOUT_SECONDS = 5.0


# --- opening -------------------------------------------------------------------


def open_db(path: Path) -> Database:
    """Open (creating with mode 0600 if needed) and migrate the database at `path`.

    A new database is filled from the bundled programme, so every command works
    on first use.
    """
    from sqlite_utils import Database

    conn = _connect(path, create=True)
    _require_innoff_database(conn, path)
    db = Database(conn)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        applied = migrations.apply(db)
        if migrations.MIGRATION_NAMES[0] in applied:
            from innoff_cli.programme import bundled_programme

            save_programme(db, bundled_programme())
    except sqlite3.Error as error:
        conn.close()
        raise database_error(path, error) from None
    return db


def open_for_reading(path: Path) -> sqlite3.Connection:
    """A connection for reads: plain sqlite3 when the schema is current, else `open_db`."""
    if not path.exists():
        return open_db(path).conn
    conn = _connect(path, create=False)
    try:
        applied = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                [migrations.MIGRATION_SET],
            )
        }
    except sqlite3.DatabaseError:
        applied = set()
    if applied.issuperset(migrations.MIGRATION_NAMES):
        return conn
    conn.close()
    return open_db(path).conn


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    if path.is_dir():
        raise InnoffError(f"database path {path} is a folder - pass a file name with --db")
    if create and not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            raise InnoffError(
                f"cannot create database {path}: {path.parent} is a file, not a folder"
                " - pass another location with --db or INNOFF_DB"
            )
        try:
            if not path.parent.is_dir():
                path.parent.mkdir(parents=True, mode=0o700)
            # Created by hand so the mode is 0600 from the first byte: it will
            # hold names and e-mail addresses. SQLite gives -wal/-shm the same mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as error:
            raise InnoffError(
                f"cannot create database {path} ({error.strerror}) - "
                "pass a writable location with --db or INNOFF_DB"
            ) from None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as error:
        raise database_error(path, error) from None
    return conn


def _require_innoff_database(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to migrate a file that is not SQLite, or is someone else's database."""
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        conn.close()
        raise database_error(path, error) from None
    if tables and "_sqlite_migrations" not in tables:
        conn.close()
        raise InnoffError(
            f"{path} is a SQLite database but not an innoff database - pass another file with --db"
        )


def database_error(path: Path, error: sqlite3.Error) -> InnoffError:
    """Translate SQLite's complaint about a file into a message a user can act on."""
    text = str(error)
    if "not a database" in text or "malformed" in text:
        return InnoffError(f"{path} is not an innoff database - pass another file with --db")
    if "readonly" in text or "unable to open" in text:
        return InnoffError(
            f"cannot write to database {path} ({text}) - check its permissions or pass --db"
        )
    if "locked" in text or "busy" in text:
        return InnoffError(
            f"database {path} is busy in another program - close it and try again"
        )
    return InnoffError(f"database {path}: {text} - check the file or pass another with --db")


# --- programme -----------------------------------------------------------------


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _local(text: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).astimezone(tz)


def load_events(conn: sqlite3.Connection) -> list[Event]:
    """Every event with its items, in order of start."""
    conn.row_factory = sqlite3.Row
    item_rows: dict[str, list[sqlite3.Row]] = {}
    for row in conn.execute("SELECT * FROM items ORDER BY start_utc, id"):
        item_rows.setdefault(row["event"], []).append(row)
    events = []
    for row in conn.execute("SELECT * FROM events ORDER BY start_utc, slug"):
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
            )
        )
    conn.row_factory = None
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
            [vars(speaker) for speaker in item.speakers], ensure_ascii=False
        ),
        "description": item.description,
    }


def save_programme(db: Database, events: list[Event]) -> dict[str, list[str]]:
    """Insert or update `events` and their items in one transaction.

    Items of these events that are not in `events` are removed; other events
    are left alone. Returns the slugs of events added, updated and unchanged.
    """
    stored = {event.slug: event for event in load_events(db.conn)}
    report: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
    with db.atomic():
        for event in events:
            before = stored.get(event.slug)
            if before == event:
                report["unchanged"].append(event.slug)
                continue
            report["added" if before is None else "updated"].append(event.slug)
            _write_event(db, event)
    return report


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


def save_event(db: Database, event: Event) -> None:
    """Write one changed event and its items in one transaction."""
    with db.atomic():
        _write_event(db, event)
