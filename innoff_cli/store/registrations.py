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


def list_query(where: str = "", by_name: bool = False, events_in_order: bool = True) -> str:
    """SQL: participants with their events (in programme order, or with
    `events_in_order` False in the order of their slugs, which costs no sort per
    person), answers (as they stand now) and attendance as JSON, in e-mail order
    or the Norwegian order of names (the stored key and the index
    participants_by_name: an index walk). tests/bench/reads_speed.py runs this
    very query in sqlite3 and sqlite-utils."""
    sort = "p.sort_key, coalesce(nullif(p.address, ''), p.email)" if by_name else "p.email"
    programme_order = "ORDER BY e.start_utc, e.slug" if events_in_order else ""
    return f"""
        SELECT p.*, (
            SELECT json_group_array(event) FROM (
                SELECT r.event FROM registrations r JOIN events e ON e.slug = r.event
                WHERE r.email = p.email {programme_order})
        ) AS events, (
            SELECT json_group_object(a.event, {replies.ANSWER_NOW}) FROM replies a
            WHERE a.email = p.email
        ) AS answers, (
            SELECT json_group_object(event, minutes) FROM (
                SELECT event, sum(minutes) AS minutes, max(attended) AS present
                FROM attendance WHERE email = p.email GROUP BY event)
            WHERE present
        ) AS attended
        FROM participants p {where}
        ORDER BY {sort}
        """


# `registrations list --format json` written mostly by SQLite: each person as
# the text output.indented_json(participant_fields.public(person), 1) makes of
# them, to the byte (tests/test_list_bytes.py compares the two on hostile
# data). SQLite writes the fields up to the registration time (json_quote
# escapes as Python's json module does; the time in the home zone from
# temp.home_offsets); the rest (events, answers, attendance) is written by
# participant_fields.json_tail from list_query's JSON, once per distinct
# combination, which few people do not share.
_NL2 = "char(10) || '    '"
_HEAD_FIELDS = {
    "email": "json_quote(coalesce(nullif(p.address, ''), p.email))",
    "name": "json_quote(p.name)",
    "organisation": "json_quote(p.organisation)",
    "role": "json_quote(p.role)",
    "municipality": "json_quote(p.municipality)",
    "phone": "json_quote(p.phone)",
}
# The registration time in the home zone: SQLite shifts a time in the store's
# own form ('2020-11-16T08:03:00+00:00') by the zone's offset then (a CASE of
# the offsets, `home_offsets`); Python writes any other (innoff_local_time).
_STORED_TIME = "'[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]+00:00'"


def _registered_at(changes: list[tuple[str, int, str]], end: str) -> str:
    """SQL: the registration time as JSON, `changes` as participant_fields.home_offsets
    gives them, up to `end` (all of them made here: literals, not people's text)."""
    ends = [when for when, _, _ in changes[1:]] + [end] if changes else []
    shifted = "".join(
        f" WHEN t < '{until}' THEN '\"' || replace(datetime(t, '{shift:+d} seconds'), ' ', 'T')"
        f" || '{suffix}\"'"
        for (_, shift, suffix), until in zip(changes, ends, strict=True)
    )
    start = changes[0][0] if changes else end
    return f"""(SELECT CASE WHEN t IS NULL OR t = '' THEN 'null'
        WHEN t GLOB {_STORED_TIME} AND t >= '{start}' THEN CASE {shifted or " WHEN 0 THEN ''"}
            ELSE json_quote(innoff_local_time(t)) END
        ELSE json_quote(innoff_local_time(t)) END FROM (SELECT p.registered_utc AS t))"""


def list_json_query(where: str = "", by_name: bool = False, registered_at: str = "'null'") -> str:
    """SQL: per participant, the start of the JSON `registrations list` writes
    of them (up to the registration time, `registered_at`'s SQL), then
    list_query's events (in the order of their slugs), answers and attendance;
    its people, in its order."""
    fields = {**_HEAD_FIELDS, "registered_at": registered_at}
    head = f" || ',' || {_NL2} || ".join(
        f"'\"{key}\": ' || {value}" for key, value in fields.items()
    )
    return list_query(where, by_name, events_in_order=False).replace(
        "SELECT p.*,", f"SELECT '{{' || {_NL2} || {head} AS head,", 1
    )


def participants_json(
    conn: sqlite3.Connection, event: str | None = None, by_name: bool = False
) -> Iterator[str]:
    """participants() as the JSON `registrations list` writes them: one text
    per person (see list_json_query)."""
    from datetime import datetime, timedelta

    from innoff_cli.participant_fields import home_offsets, json_tail, local_time

    first, last = conn.execute(
        f"SELECT min(registered_utc), max(registered_utc) FROM participants"
        f" WHERE registered_utc GLOB {_STORED_TIME}"
    ).fetchone()
    changes, end = [], "0"
    try:
        start = datetime.fromisoformat(first) - timedelta(days=1)
        until = datetime.fromisoformat(last) + timedelta(days=1)
    except (TypeError, ValueError):  # no times (None), or no real ones: Python writes them
        pass
    else:
        changes, end = home_offsets(start, until), until.isoformat(timespec="seconds")
    conn.create_function("innoff_local_time", 1, local_time, deterministic=True)
    conditions, parameters = [], []
    if event:
        conditions.append("p.email IN (SELECT email FROM registrations WHERE event = ?)")
        parameters.append(event)
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    programme = {
        slug: place
        for place, (slug,) in enumerate(conn.execute("SELECT slug FROM events ORDER BY start_utc, slug"))
    }  # fmt: skip
    tails: dict[tuple[str, str, str], str] = {}
    query = list_json_query(where, by_name, _registered_at(changes, end))
    for head, events, answers, attended in conn.execute(query, parameters):
        tail = tails.get((events, answers, attended))
        if tail is None:
            in_order = sorted(json.loads(events), key=programme.__getitem__)
            tail = json_tail(in_order, json.loads(answers), json.loads(attended))
            if len(tails) < 10_000:
                tails[events, answers, attended] = tail
        yield head + tail


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
    cursor.execute(list_query(where, by_name), parameters)
    for row in cursor:
        yield {
            **dict(row),
            "events": json.loads(row["events"]),
            "answers": json.loads(row["answers"]),
            "attended": json.loads(row["attended"]),
        }


def counts(
    conn: sqlite3.Connection,
) -> tuple[int, list[tuple[str, int]], list[tuple[str, str, int]]]:
    """(participants, [(event, registrations)], [(organisation, municipality, people)]).

    Events by count, then in programme order; counted by SQLite, so memory
    does not grow with the number of people.
    """
    (total,) = conn.execute("SELECT count(*) FROM participants").fetchone()
    per_event = conn.execute(
        "SELECT r.event, count(*) AS n FROM registrations r JOIN events e ON e.slug = r.event"
        " GROUP BY r.event ORDER BY n DESC, min(e.start_utc), r.event"
    ).fetchall()
    groups = conn.execute(
        "SELECT organisation, municipality, count(*) FROM participants"
        " GROUP BY organisation, municipality"
    ).fetchall()
    return total, per_event, groups


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
    marks = ", ".join("?" for _ in events)
    return conn.execute(
        f"SELECT r.email, p.address, p.name, r.event FROM registrations r"
        f" JOIN participants p ON p.email = r.email WHERE r.event IN ({marks})"
        f" ORDER BY r.event, r.email",
        events,
    ).fetchall()


def is_participant(conn: sqlite3.Connection, email: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM participants WHERE email = ?", [email]).fetchone() is not None
    )
