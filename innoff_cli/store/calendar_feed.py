"""The calendar feed room: what the public calendar last published of each UID
(its SEQUENCE, and what decides when the next one is raised)."""

from __future__ import annotations

import sqlite3

from innoff_cli.store import dicts, upsert


def published(conn: sqlite3.Connection) -> dict[str, dict]:
    """uid -> what the public calendar last said of it."""
    return {row["uid"]: row for row in dicts(conn, "SELECT * FROM calendar_state")}


def save_published(conn: sqlite3.Connection, rows: list[dict]) -> None:
    """Remember what this export published, inside the caller's `writing()`."""
    upsert(conn, "calendar_state", "uid", rows)
