"""The outbox room: each invite's version, and every message to each person.

A message is queued with its Message-ID and DTSTAMP before it is sent, then
marked sent (the moment the server accepted it) or failed (with the server's
reason), each in a transaction of its own. What each person was last sent
decides what they need next (`invite_plans`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import NamedTuple

from innoff_cli.store import OnWait, dicts, upsert, writing

# The columns of a message as the planner makes it (itip.Message's fields).
MESSAGE_COLUMNS = (
    "email", "address", "name", "event", "uid", "method", "change", "sequence", "content",
    "significant", "erased",
)  # fmt: skip


class Queued(NamedTuple):
    """A message waiting in the outbox, as `queue` finds it."""

    id: int
    email: str
    uid: str
    method: str
    sequence: int
    content: str
    message_id: str
    stamp_utc: str


class Slot(NamedTuple):
    """Where a queued message stands: its row, Message-ID and DTSTAMP."""

    row_id: int
    message_id: str
    stamp_utc: str


def invite_versions(conn: sqlite3.Connection) -> list[dict]:
    """Per UID, the event as last planned (shared by everyone: no personal data)."""
    return dicts(conn, "SELECT * FROM invite_versions ORDER BY uid")


def save_invite_versions(conn: sqlite3.Connection, rows: list[dict]) -> None:
    """Inside the caller's `writing()`."""
    upsert(conn, "invite_versions", "uid", rows)


def invite_events(conn: sqlite3.Connection) -> dict[str, str]:
    """Every invite UID innoff has used, and its event."""
    return dict(conn.execute("SELECT uid, event FROM invite_versions"))


def newest_sent_sql(where: str = "") -> str:
    """SQL: per person and UID the newest message sent, with the highest SEQUENCE
    sent (`top`); `where` narrows the sent messages ('AND email = ?')."""
    return f"""
        SELECT o.*, m.top FROM outbox o JOIN (
            SELECT max(id) AS id, max(sequence) AS top FROM outbox
            WHERE state = 'sent' {where} GROUP BY email, uid) m ON m.id = o.id
    """


class SentSoFar:
    """What each person was last sent, per (email, uid), read from the outbox as
    the planner asks (`get`, `items`) rather than held: the outbox of a run to
    a million people would not fit. Each row becomes what `make` makes of
    (method, sequence, content, significant, top, address, erased)."""

    in_plan_order = True  # items() come by event, then e-mail, as the plan lists CANCELs

    _COLUMNS = "o.method, o.sequence, o.content, o.significant, o.top, o.address, o.erased"

    def __init__(self, conn: sqlite3.Connection, make: Callable) -> None:
        self.conn, self.make = conn, make
        self.one = f"SELECT {self._COLUMNS} FROM ({newest_sent_sql('AND email = ? AND uid = ?')}) o"

    def get(self, key: tuple[str, str], default=None):
        row = self.conn.execute(self.one, key).fetchone()
        return default if row is None else self.make(*row)

    def items(self):
        for email, uid, *row in self.conn.execute(
            f"SELECT o.email, o.uid, {self._COLUMNS} FROM ({newest_sent_sql()}) o"
            " LEFT JOIN invite_versions v ON v.uid = o.uid ORDER BY v.event, o.email"
        ):
            yield (email, uid), self.make(*row)


def sent_to(conn: sqlite3.Connection, email: str, uid: str) -> tuple[str, int] | None:
    """(method of the newest message sent, highest SEQUENCE sent) to a person for a
    UID; None when nothing was ever sent to them for it."""
    row = conn.execute(
        f"SELECT method, top FROM ({newest_sent_sql('AND email = ? AND uid = ?')})", [email, uid]
    ).fetchone()
    return (row[0], row[1]) if row else None


def refused(conn: sqlite3.Connection) -> frozenset[tuple[str, str, str, int, str]]:
    """(email, uid, method, sequence, content) of every message a server refused."""
    return frozenset(
        conn.execute(
            "SELECT email, uid, method, sequence, content FROM outbox WHERE state = 'failed'"
        )
    )


def latest_stamp(conn: sqlite3.Connection) -> str | None:
    """The newest DTSTAMP in the outbox (ISO 8601, UTC)."""
    return conn.execute("SELECT max(stamp_utc) FROM outbox").fetchone()[0]


def waiting(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """(email, uid) of every message still queued."""
    return set(conn.execute("SELECT email, uid FROM outbox WHERE state = 'queued'"))


def queue(
    conn: sqlite3.Connection,
    messages: Iterable,
    new_id: Callable[[], str],
    stamp_utc: str,
) -> list[Slot]:
    """Put `messages` (itip.Message: a batch) in the outbox, inside the caller's
    `writing()`, after drop_stale_queued.

    A message already queued as it is (same method, SEQUENCE and content: a run
    that was stopped) keeps its row, Message-ID and DTSTAMP, so it goes out as
    the same message. Returns each message's Slot, in order.
    """
    before = _queued(conn)
    insert = (
        f"INSERT INTO outbox ({', '.join(MESSAGE_COLUMNS)}, message_id, stamp_utc, state)"
        f" VALUES ({', '.join('?' for _ in MESSAGE_COLUMNS)}, ?, ?, 'queued')"
    )
    out = []
    for message in messages:
        row = before.get((message.email, message.uid))
        if row and _same(row, message):
            out.append(Slot(row.id, row.message_id, row.stamp_utc))
            continue
        message_id = new_id()
        values = [getattr(message, column) for column in MESSAGE_COLUMNS]
        cursor = conn.execute(insert, [*values, message_id, stamp_utc])
        out.append(Slot(int(cursor.lastrowid), message_id, stamp_utc))
    return out


def drop_stale_queued(
    conn: sqlite3.Connection, messages: Iterable, in_scope: Callable[[str, str], bool]
) -> None:
    """Drop, inside the caller's `writing()`, what a stopped run left queued that
    is no longer right (not among `messages` as it is), in scope: before a run
    queues its own, a batch at a time."""
    before = _queued(conn)
    if not before:
        return
    keep = set()
    for message in messages:
        row = before.get((message.email, message.uid))
        if row and _same(row, message):
            keep.add(row.id)
    stale = [
        [row.id] for (email, uid), row in before.items()
        if row.id not in keep and in_scope(email, uid)
    ]  # fmt: skip
    conn.executemany("DELETE FROM outbox WHERE id = ?", stale)


def _queued(conn: sqlite3.Connection) -> dict[tuple[str, str], Queued]:
    """What waits in the outbox (a stopped run's messages: a batch, or an older
    run's whole queue), by (email, uid)."""
    return {
        (row.email, row.uid): row
        for row in map(
            Queued._make,
            conn.execute(f"SELECT {', '.join(Queued._fields)} FROM outbox WHERE state = 'queued'"),
        )
    }


def _same(row: Queued, message) -> bool:
    return (row.method, row.sequence, row.content) == (
        message.method, message.sequence, message.content
    )  # fmt: skip


def mark_sent(
    conn: sqlite3.Connection, row_id: int, via: str, done_utc: str, on_wait: OnWait = None
) -> None:
    """Record one message as accepted, in a transaction of its own; an erased
    person's last cancellation takes every trace of them with it."""
    with writing(conn, on_wait=on_wait):
        conn.execute(
            "UPDATE outbox SET state = 'sent', via = ?, reason = '', done_utc = ? WHERE id = ?",
            [via, done_utc, row_id],
        )
        (email, erased) = conn.execute(
            "SELECT email, erased FROM outbox WHERE id = ?", [row_id]
        ).fetchone()
        if erased and not open_invites(conn, email):
            conn.execute("DELETE FROM outbox WHERE email = ?", [email])


def mark_failed(
    conn: sqlite3.Connection, row_id: int, reason: str, done_utc: str, on_wait: OnWait = None
) -> None:
    """Record one message as refused, with the server's reason, in a transaction of its own."""
    with writing(conn, on_wait=on_wait):
        conn.execute(
            "UPDATE outbox SET state = 'failed', reason = ?, done_utc = ? WHERE id = ?",
            [reason, done_utc, row_id],
        )


def newest_per_person(conn: sqlite3.Connection, events: list[str]) -> list[dict]:
    """The newest outbox row per person and UID of `events`, whatever its state."""
    marks = ", ".join("?" for _ in events)
    return dicts(
        conn,
        f"""
        SELECT o.* FROM outbox o JOIN (
            SELECT max(id) AS id FROM outbox WHERE event IN ({marks}) GROUP BY email, uid
        ) m ON m.id = o.id ORDER BY o.event, o.email
        """,
        events,
    )


def note_server_ids(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> int:
    """(our Message-ID, the one the server gave it) for messages found in a sent
    folder, inside the caller's `writing()`; how many were new."""
    changed = 0
    for ours, theirs in pairs:
        changed += conn.execute(
            "UPDATE outbox SET server_message_id = ? WHERE message_id = ?"
            " AND server_message_id IS NOT ?",
            [theirs, ours, theirs],
        ).rowcount
    return changed


def open_invites(conn: sqlite3.Connection, key: str) -> int:
    """How many UIDs a person's newest sent message is still a REQUEST for."""
    (count,) = conn.execute(
        f"SELECT count(*) FROM ({newest_sent_sql('AND email = ?')}) WHERE method = 'REQUEST'",
        [key],
    ).fetchone()
    return count


def forget_person(conn: sqlite3.Connection, key: str) -> int:
    """An erased person's part of the outbox, inside the caller's `writing()`.

    Messages that never went out are deleted at once. Of a person who holds
    invites only the address stays (erased, name emptied) until `invites send`
    has cancelled them; returns how many invites still need a cancellation.
    """
    conn.execute("DELETE FROM outbox WHERE email = ? AND state != 'sent'", [key])
    conn.execute("UPDATE outbox SET erased = 1, name = '' WHERE email = ?", [key])
    pending = open_invites(conn, key)
    if not pending:
        conn.execute("DELETE FROM outbox WHERE email = ?", [key])
    return pending
