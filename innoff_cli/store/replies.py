"""The replies room: the answers (iTIP REPLY) and proposals (COUNTER) people sent
back, and which messages were read already."""

from __future__ import annotations

import sqlite3

from innoff_cli.store import dicts, upsert

# SQL: the answer of a `replies` row `a` as it stands now: its PARTSTAT in lower
# case, or 'to confirm:' before it when the person was sent a higher SEQUENCE
# since (a change of time or place), as calendars ask again then. (`+o.state`:
# the person's own index, outbox_person, not every sent message's, outbox_state.)
ANSWER_NOW = """
    CASE WHEN a.sequence >= coalesce((
        SELECT max(o.sequence) FROM outbox o
        WHERE o.email = a.email AND o.uid = a.uid AND +o.state = 'sent'), 0)
    THEN lower(a.partstat) ELSE 'to confirm:' || lower(a.partstat) END
"""


def stored_reply(conn: sqlite3.Connection, email: str, uid: str) -> dict | None:
    rows = dicts(conn, "SELECT * FROM replies WHERE email = ? AND uid = ?", [email, uid])
    return rows[0] if rows else None


def was_read(conn: sqlite3.Connection, message_id: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM replies_read WHERE message_id = ?", [message_id]).fetchone()
        is not None
    )


def save_reply(conn: sqlite3.Connection, row: dict) -> None:
    """The person's answer for a UID, replacing the one before (the caller has
    decided that this one is newer)."""
    upsert(conn, "replies", "email, uid", [row])


def save_counter(conn: sqlite3.Connection, row: dict) -> None:
    columns = ", ".join(row)
    marks = ", ".join(f":{key}" for key in row)
    conn.execute(f"INSERT OR IGNORE INTO counters ({columns}) VALUES ({marks})", row)


def mark_read(conn: sqlite3.Connection, message_id: str, read_utc: str) -> None:
    conn.execute("INSERT OR IGNORE INTO replies_read VALUES (?, ?)", [message_id, read_utc])


def answers_of(conn: sqlite3.Connection, events: list[str]) -> dict[tuple[str, str], dict]:
    """(email, uid) -> the stored answer with `now` (ANSWER_NOW), and the latest
    COUNTER's proposal, for `events`."""
    marks = ", ".join("?" for _ in events)
    out = {
        (row["email"], row["uid"]): row
        for row in dicts(
            conn,
            f"SELECT a.*, {ANSWER_NOW} AS now FROM replies a WHERE a.event IN ({marks})",
            events,
        )
    }
    for row in dicts(
        conn,
        f"SELECT * FROM counters WHERE event IN ({marks}) ORDER BY dtstamp_utc, read_utc",
        events,
    ):
        out.setdefault((row["email"], row["uid"]), {})["counter"] = row
    return out


def not_coming(conn: sqlite3.Connection, event: str) -> set[str]:
    """Who answered the invite to `event` with no: declined, or delegated it to
    someone else (an answer from before a change still says so)."""
    return {
        email
        for (email,) in conn.execute(
            "SELECT email FROM replies WHERE event = ? AND partstat IN ('DECLINED', 'DELEGATED')",
            [event],
        )
    }


def recorded(conn: sqlite3.Connection) -> bool:
    """Whether any answer is stored at all."""
    return conn.execute("SELECT 1 FROM replies LIMIT 1").fetchone() is not None


def answer_counts(conn: sqlite3.Connection) -> list[tuple[str, str, str, int]]:
    """(event, organisation, answer now or 'none', registrations): SQLite counts.
    (Before any answer is stored, every one is 'none', and none is looked up.)"""
    answer = "'none'"
    if recorded(conn):
        answer = f"""coalesce((
            SELECT {ANSWER_NOW} FROM replies a WHERE a.email = r.email AND a.event = r.event
            ORDER BY a.sequence DESC LIMIT 1), 'none')"""
    return conn.execute(
        f"""
        SELECT r.event, p.organisation, {answer} AS answer, count(*)
        FROM registrations r JOIN participants p ON p.email = r.email
        GROUP BY r.event, p.organisation, answer
        """
    ).fetchall()
