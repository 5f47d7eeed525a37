"""The registrations room: participants, what they registered for, counts, erasure."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

from innoff_cli.store import (
    OnWait,
    attendance,
    count_change,
    forget_old_pages,
    mailings,
    outbox,
    replies,
    writing,
)


def list_query(
    where: str = "", by_name: bool = False, events_in_order: bool = True,
    answers: bool = True, attended: bool = True,
) -> str:  # fmt: skip
    """SQL: participants with their events (in programme order, or with
    `events_in_order` False as the registrations hold them, slug by slug, which
    costs no sort and no look-up per person: the caller puts them in order and
    leaves out any event not in the programme), answers (as they stand now) and attendance as JSON, in e-mail order
    or the Norwegian order of names (the stored key and the index
    participants_by_name: an index walk). With `answers` or `attended` False
    (no answer, or no attendance, is stored at all: `tails_held`) that column
    is the '{}' its look-up would give everyone, and no look-up is made.
    tests/bench/reads_speed.py runs this very query in sqlite3 and sqlite-utils."""
    sort = "p.sort_key, coalesce(nullif(p.address, ''), p.email)" if by_name else "p.email"
    events = (
        """SELECT r.event FROM registrations r JOIN events e ON e.slug = r.event
                WHERE r.email = p.email ORDER BY e.start_utc, e.slug"""
        if events_in_order
        else "SELECT r.event FROM registrations r WHERE r.email = p.email"
    )
    answered = f"""(
            SELECT json_group_object(a.event, {replies.ANSWER_NOW}) FROM replies a
            WHERE a.email = p.email
        )""" if answers else "'{}'"  # fmt: skip
    present = """(
            SELECT json_group_object(event, minutes) FROM (
                SELECT event, sum(minutes) AS minutes, max(attended) AS present
                FROM attendance WHERE email = p.email GROUP BY event)
            WHERE present
        )""" if attended else "'{}'"  # fmt: skip
    return f"""
        SELECT p.*, (
            SELECT json_group_array(event) FROM ({events})
        ) AS events, {answered} AS answers, {present} AS attended
        FROM participants p {where}
        ORDER BY {sort}
        """


def tails_held(conn: sqlite3.Connection) -> dict[str, bool]:
    """list_query's `answers` and `attended`: whether any answer, and any
    attendance, is stored (before the invites are answered, and before the
    event, none is, and a list need not look for them person by person)."""
    return {"answers": replies.recorded(conn), "attended": attendance.recorded(conn)}


def participants(
    conn: sqlite3.Connection,
    event: str | None = None,
    email: str | None = None,
    by_name: bool = False,
) -> Iterator[dict]:
    """Participants (all, those registered for `event`, or one by `email`) with
    their events, one at a time, in e-mail order or (`by_name`) the Norwegian
    order of names: SQLite walks an index, so memory does not grow with the
    number of people."""
    conditions, parameters = [], []
    if event:
        conditions.append("p.email IN (SELECT email FROM registrations WHERE event = ?)")
        parameters.append(event)
    if email:
        conditions.append("p.email = ?")
        parameters.append(email.strip().casefold())
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    cursor.execute(list_query(where, by_name, **tails_held(conn)), parameters)
    for row in cursor:
        yield {
            **dict(row),
            "events": json.loads(row["events"]),
            "answers": json.loads(row["answers"]),
            "attended": json.loads(row["attended"]),
        }


def counts(conn: sqlite3.Connection) -> tuple[int, list[tuple[str, str, int]], dict[str, str]]:
    """(participants, [(organisation, municipality, people)], event -> its start):
    counted by SQLite, so memory does not grow with the number of people. (Each
    event's registrations are summed from the answers' counts, which pass over
    them all anyway.)"""
    (total,) = conn.execute("SELECT count(*) FROM participants").fetchone()
    groups = conn.execute(
        "SELECT organisation, municipality, count(*) FROM participants"
        " GROUP BY organisation, municipality"
    ).fetchall()
    starts = dict(conn.execute("SELECT slug, start_utc FROM events"))
    return total, groups, starts


def participant(conn: sqlite3.Connection, email: str) -> dict | None:
    """Everything stored about one person, with the imports they came from."""
    person = next(participants(conn, email=email), None)
    if person is None:
        return None
    person["imports"] = [
        {"file_name": name, "imported_at": at, "line": line}
        for name, at, line in conn.execute(
            "SELECT i.file_name, i.imported_at, pi.line FROM participant_imports pi"
            " JOIN imports i ON i.id = pi.import_id WHERE pi.email = ? ORDER BY i.id",
            [person["email"]],
        )
    ]
    return person


def erase_participant(
    conn: sqlite3.Connection, email: str, on_wait: OnWait = None
) -> tuple[bool, int]:
    """Erase one person and everything linked to them.

    Returns (whether they were there, how many invites still need a
    cancellation): see `outbox.forget_person`. The write-ahead log is emptied
    after, so it keeps no older copy of what was erased.
    """
    key = email.strip().casefold()
    with writing(conn, on_wait=on_wait):
        found = conn.execute("DELETE FROM participants WHERE email = ?", [key]).rowcount > 0
        if found:
            count_change(conn)
        pending = outbox.forget_person(conn, key)
        # A walk-in (attended, never registered) and the follow-up they were
        # sent are all there is of them: erasing those is erasing them.
        found |= mailings.forget_person(conn, key) + attendance.forget_person(conn, key) > 0
    forget_old_pages(conn)
    return found, pending


def invitees(conn: sqlite3.Connection, events: list[str]) -> list[tuple[str, str, str, str]]:
    """(email key, address as written, name, event slug) of every registration for `events`."""
    return invitees_in_order(conn, events).fetchall()


def invitees_in_order(conn: sqlite3.Connection, events: list[str]) -> sqlite3.Cursor:
    """invitees(), by event and e-mail, read as they are walked (a cursor)."""
    marks = ", ".join("?" for _ in events)
    return conn.execute(
        f"SELECT r.email, p.address, p.name, r.event FROM registrations r"
        f" JOIN participants p ON p.email = r.email WHERE r.event IN ({marks})"
        f" ORDER BY r.event, r.email",
        events,
    )


def names_registered(conn: sqlite3.Connection, event: str) -> dict[str, str]:
    """email key -> name, of everyone registered for `event`."""
    return dict(
        conn.execute(
            "SELECT r.email, p.name FROM registrations r JOIN participants p ON p.email = r.email"
            " WHERE r.event = ?",
            [event],
        )
    )


def is_registered(conn: sqlite3.Connection, email: str, event: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM registrations WHERE email = ? AND event = ?", [email, event]
        ).fetchone()
        is not None
    )


def is_participant(conn: sqlite3.Connection, email: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM participants WHERE email = ?", [email]).fetchone() is not None
    )
