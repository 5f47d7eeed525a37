"""The mailings room: plain mail sent once per person, event and occasion
(reminders; later follow-ups), with the outbox's guarantees.

A mail is queued with its Message-ID before it is sent, then marked sent (the
moment the server accepted it) or failed (with the server's reason), each in
a transaction of its own. A queued row that a stopped run left goes out again
as the same message; a sent or failed one is never planned again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import NamedTuple

from innoff_cli.store import OnWait, dicts, writing


class Mailing(NamedTuple):
    """One person's mail for one event and occasion, as planned."""

    email: str  # the key (folded)
    address: str  # as the person wrote it
    name: str
    event: str


def settled(conn: sqlite3.Connection, kind: str, occasion: str, event: str) -> set[str]:
    """Who was sent this mail already, or refused it for good (e-mail keys)."""
    return _people(conn, kind, occasion, event, "state != 'queued'")


def waiting(conn: sqlite3.Connection, kind: str, occasion: str, event: str) -> set[str]:
    """Who has this mail queued by a run that stopped (e-mail keys)."""
    return _people(conn, kind, occasion, event, "state = 'queued'")


def _people(conn, kind: str, occasion: str, event: str, state: str) -> set[str]:
    return {
        email
        for (email,) in conn.execute(
            f"SELECT email FROM mailings WHERE kind = ? AND occasion = ? AND event = ? AND {state}",
            [kind, occasion, event],
        )
    }


def queue(
    conn: sqlite3.Connection,
    kind: str,
    occasion: str,
    mailings: Iterable[Mailing],
    new_id: Callable[[], str],
    queued_utc: str,
) -> list[tuple[int, str]]:
    """Put each mail in the outbox, inside the caller's `writing()`; (row id,
    Message-ID) of each, in order. One a stopped run left queued keeps its row
    and Message-ID, so it goes out as the same message."""
    out = []
    for mail in mailings:
        row = conn.execute(
            "SELECT id, message_id FROM mailings WHERE kind = ? AND occasion = ? AND event = ?"
            " AND email = ? AND state = 'queued'",
            [kind, occasion, mail.event, mail.email],
        ).fetchone()
        if row is None:
            message_id = new_id()
            cursor = conn.execute(
                "INSERT INTO mailings (kind, occasion, event, email, address, name, message_id,"
                " queued_utc, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued')",
                [kind, occasion, mail.event, mail.email, mail.address, mail.name, message_id,
                 queued_utc],
            )  # fmt: skip
            row = (int(cursor.lastrowid), message_id)
        out.append((row[0], row[1]))
    return out


def mark(
    conn: sqlite3.Connection, row_id: int, state: str, via: str, reason: str, done_utc: str,
    on_wait: OnWait = None,
) -> None:  # fmt: skip
    """Record one mail as sent or failed, in a transaction of its own."""
    with writing(conn, on_wait=on_wait):
        conn.execute(
            "UPDATE mailings SET state = ?, via = ?, reason = ?, done_utc = ? WHERE id = ?",
            [state, via, reason, done_utc, row_id],
        )


def per_person(conn: sqlite3.Connection, events: list[str]) -> dict[tuple[str, str], list[dict]]:
    """(email, event) -> every mail of theirs for `events`, oldest first."""
    marks = ", ".join("?" for _ in events)
    out: dict[tuple[str, str], list[dict]] = {}
    for row in dicts(
        conn,
        f"SELECT email, event, kind, occasion, state, reason, message_id, done_utc FROM mailings"
        f" WHERE event IN ({marks}) ORDER BY id",
        events,
    ):
        out.setdefault((row.pop("email"), row.pop("event")), []).append(row)
    return out


def forget_person(conn: sqlite3.Connection, key: str) -> int:
    """An erased person's mailings, inside the caller's `writing()`; how many went."""
    return conn.execute("DELETE FROM mailings WHERE email = ?", [key]).rowcount
