"""The attendance room: who was at each event, from the platforms' reports."""

from __future__ import annotations

import sqlite3
from operator import itemgetter

from innoff_cli.store import dicts

COLUMNS = ("event", "email", "name", "minutes", "first_join_utc", "last_leave_utc", "attended",
           "registered", "source", "sha256", "imported_utc")  # fmt: skip


def replace_report(conn: sqlite3.Connection, event: str, sha256: str, rows: list[list]) -> int:
    """One report's rows (each in COLUMNS order) for one event, inside the
    caller's `writing()`; how many rows changed (0 when the same report was
    imported before)."""
    before = {
        row[EMAIL]: row
        for row in conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM attendance WHERE event = ? AND sha256 = ?",
            [event, sha256],
        )
    }
    # When and under what file name it was read again is no change.
    compared = itemgetter(
        *(i for i, c in enumerate(COLUMNS) if c not in ("imported_utc", "source"))
    )
    if not before:  # a report not read before: every row is new
        changed = len(rows)
    else:
        changed = sum(
            (old := before.get(row[EMAIL])) is None or compared(old) != compared(tuple(row))
            for row in rows
        )
        changed += len(before.keys() - {row[EMAIL] for row in rows})
    if changed:
        conn.execute("DELETE FROM attendance WHERE event = ? AND sha256 = ?", [event, sha256])
        conn.executemany(
            f"INSERT INTO attendance ({', '.join(COLUMNS)}) VALUES"
            f" ({', '.join('?' for _ in COLUMNS)})",
            sorted(rows, key=itemgetter(EMAIL)),  # in the key's order: a B-tree appended to
        )
    return changed


# Where a row (in COLUMNS order) holds what the import and this room look at.
EMAIL, MINUTES, FIRST_JOIN, LAST_LEAVE, ATTENDED = (
    COLUMNS.index(c) for c in ("email", "minutes", "first_join_utc", "last_leave_utc", "attended")
)


def reports_of(conn: sqlite3.Connection, event: str, other_than: str) -> dict[str, dict]:
    """The event's other stored reports: sha256 -> {source, minutes (all its
    people's), people: email -> (first join, last leave)}."""
    found: dict[str, dict] = {}
    for sha256, source, minutes, email, first, last in conn.execute(
        "SELECT sha256, source, minutes, email, first_join_utc, last_leave_utc"
        " FROM attendance WHERE event = ? AND sha256 != ?",
        [event, other_than],
    ):
        report = found.setdefault(sha256, {"source": source, "minutes": 0.0, "people": {}})
        report["people"][email] = (first, last)
        report["minutes"] += minutes or 0
    return found


def drop_report(conn: sqlite3.Connection, event: str, sha256: str) -> None:
    """A report's rows for an event gone (another report of the same meeting
    stands for it), inside the caller's `writing()`."""
    conn.execute("DELETE FROM attendance WHERE event = ? AND sha256 = ?", [event, sha256])


def per_person(conn: sqlite3.Connection, events: list[str] | None = None) -> dict:
    """(email, event) -> {attended, minutes, registered}: every report added up."""
    where, parameters = "", []
    if events is not None:
        where = f"WHERE event IN ({', '.join('?' for _ in events)})"
        parameters = events
    return {
        (row[0], row[1]): {"attended": bool(row[2]), "minutes": row[3], "registered": bool(row[4])}
        for row in conn.execute(
            f"SELECT email, event, max(attended), sum(minutes), max(registered) FROM attendance"
            f" {where} GROUP BY email, event",
            parameters,
        )
    }


def event_counts(conn: sqlite3.Connection, event: str) -> tuple[int, int, int]:
    """(registered, of them attended, walk-ins who attended) for one event, every
    report added up."""
    return conn.execute(
        """
        SELECT (SELECT count(*) FROM registrations WHERE event = :event),
               (SELECT count(DISTINCT a.email) FROM attendance a
                JOIN registrations r ON r.email = a.email AND r.event = a.event
                WHERE a.event = :event AND a.attended),
               (SELECT count(DISTINCT a.email) FROM attendance a
                WHERE a.event = :event AND a.attended AND NOT EXISTS (
                    SELECT 1 FROM registrations r WHERE r.email = a.email AND r.event = a.event))
        """,
        {"event": event},
    ).fetchone()


def walk_ins(conn: sqlite3.Connection, event: str) -> list[dict]:
    return dicts(
        conn,
        "SELECT email, max(name) AS name, sum(minutes) AS minutes FROM attendance"
        " WHERE event = ? AND registered = 0 GROUP BY email ORDER BY email",
        [event],
    )


def counts(conn: sqlite3.Connection) -> list[tuple[str, str, str, int, int]]:
    """(event, organisation, answer now or 'none', attended 0/1, registrations):
    SQLite counts, for `registrations stats`."""
    from innoff_cli.store.replies import ANSWER_NOW

    return conn.execute(
        f"""
        SELECT r.event, p.organisation, coalesce((
            SELECT {ANSWER_NOW} FROM replies a WHERE a.email = r.email AND a.event = r.event
            ORDER BY a.sequence DESC LIMIT 1), 'none') AS answer,
            EXISTS (SELECT 1 FROM attendance t WHERE t.email = r.email AND t.event = r.event
                    AND t.attended) AS present,
            count(*)
        FROM registrations r JOIN participants p ON p.email = r.email
        GROUP BY r.event, p.organisation, answer, present
        """
    ).fetchall()


def walk_in_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Per event, how many attended without registering."""
    return dict(
        conn.execute(
            "SELECT event, count(DISTINCT email) FROM attendance"
            " WHERE registered = 0 AND attended GROUP BY event"
        )
    )


def recorded(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM attendance LIMIT 1").fetchone() is not None


def forget_person(conn: sqlite3.Connection, key: str) -> int:
    """An erased person's attendance (a walk-in's is all there is of them),
    inside the caller's `writing()`; how many rows went."""
    return conn.execute("DELETE FROM attendance WHERE email = ?", [key]).rowcount
