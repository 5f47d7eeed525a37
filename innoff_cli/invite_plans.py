"""What each invited person needs next: the one planner behind `invites send` and
`export ics --invites DIR`.

It reads the programme, the registrations and each invite's stored version
from the store, and hands them with what each person last received (the outbox
for `invites send`, a folder's manifest for the files) to `itip`, whose rules
(RFC 5546) are pure. Nothing here writes: the caller stores the versions
(`version_rows`) in the same `writing()` that records what it sends or writes.
"""

from __future__ import annotations

import sqlite3

from innoff_cli import ical, itip, programme, store
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.models import Event

# UIDs end in this domain whoever the organiser of the day is, so they never change.
UID_DOMAIN = "innoff.no"


def events_in_scope(conn: sqlite3.Connection, event_name: str | None) -> list[Event]:
    """The event named (slug, title or alias), or every event."""
    events = store.programme.load_events(conn)
    return [programme.match_event(events, event_name)] if event_name else events


def organizer_of(events: list[Event], override: str | None) -> ical.Organizer:
    """`override` ("Name <address>"), or the first organiser the programme names."""
    if override:
        return ical.parse_organizer(override)
    for event in events:
        if event.organizer_email:
            return ical.Organizer(event.organizer_name, event.organizer_email)
    raise InnoffError(
        _(
            'the programme names no organiser e-mail - add [organizer] email to the programme file or pass --organizer "Name <address>"'
        )
    )


def sent_so_far(conn: sqlite3.Connection) -> store.outbox.SentSoFar:
    """(email, uid) -> what the outbox says each person was last sent, read as asked."""
    return store.outbox.SentSoFar(conn, itip.Received)


def plan_invites(
    conn: sqlite3.Connection,
    received=None,
    *,
    event: str | None = None,
    to: list[str] | None = None,
    organizer: str | None = None,
    refused: frozenset = frozenset(),
    again: bool = False,
) -> itip.InvitePlan:
    """What each person in scope needs next, against what they have `received`
    (a dict; None: the outbox, read as the planner asks).

    `to` narrows it to these addresses; a message equal to one in `refused`
    (see `store.outbox.refused`) is held back rather than planned again; with
    `again`, whoever already has the current invite gets it once more. The
    messages are in a Spool: a plan for a million people is not held in memory.
    """
    from innoff_cli.spools import Spool

    events = events_in_scope(conn, event)
    on = [e for e in events if not e.cancelled]
    called_off = {e.slug for e in events if e.cancelled}
    entries = [ical.event_entry(e, UID_DOMAIN) for e in on]
    # A remembered event that is no longer in the programme, or is cancelled, is
    # removed: cancelled for everyone who had it. Only a run over the whole
    # programme can tell that one is gone (--event names one that exists).
    versions = itip.plan_versions(
        entries, stored_versions(conn), lambda version: event is None or version.event in called_off
    )
    keys = {address.strip().casefold() for address in to or ()}

    def scope(email: str, uid: str) -> bool:
        return uid in versions and (not keys or email in keys)

    slugs = [e.slug for e in on]
    uid_of = {entry.event: entry.uid for entry in entries}
    event_of = {uid: slug for slug, uid in uid_of.items()}

    def is_registered(email: str, uid: str) -> bool:
        slug = event_of.get(uid)
        return slug is not None and store.registrations.is_registered(conn, email, slug)

    invitees = _Invitees(conn, slugs)
    if received is None:
        received = sent_so_far(conn)
    plan = itip.plan_messages(
        versions, invitees, received, uid_of, scope, refused, is_registered=is_registered,
        kept=Spool(),
    )  # fmt: skip
    if again:
        plan = itip.with_resends(plan, invitees, received, uid_of, scope, kept=Spool())
    return plan._replace(organizer=organizer_of(events, organizer), events=events, scope=scope)


class _Invitees:
    """The registrations of `slugs` as itip.Invitee, read from the store each
    time they are walked (the planner walks them once, or twice with --again)."""

    def __init__(self, conn: sqlite3.Connection, slugs: list[str]) -> None:
        self.conn, self.slugs = conn, slugs

    def __iter__(self):
        return map(itip.Invitee._make, store.registrations.invitees_in_order(self.conn, self.slugs))


def stored_versions(conn: sqlite3.Connection) -> dict[str, itip.Version]:
    """Each invite UID's version as last stored."""
    return {
        row["uid"]: itip.Version(
            row["uid"],
            row["event"],
            row["sequence"],
            row["significant"],
            row["floor"],
            ical.Entry.from_json(row["entry"]) if row["entry"] != "{}" else None,
            bool(row["removed"]),
        )  # fmt: skip
        for row in store.outbox.invite_versions(conn)
    }


def version_rows(versions: dict[str, itip.Version]) -> list[dict]:
    """The versions as `store.outbox.save_invite_versions` takes them."""
    return [
        {
            "uid": v.uid,
            "event": v.event,
            "sequence": v.sequence,
            "significant": v.significant,
            "floor": v.floor,
            "entry": v.entry.as_json() if v.entry else "{}",
            "removed": int(v.removed),
        }  # fmt: skip
        for v in versions.values()
    ]


def save_versions(
    conn: sqlite3.Connection, plan: itip.InvitePlan, messages: list[itip.Message]
) -> None:
    """Store the plan's versions with their floors raised above `messages`' CANCELs,
    inside the caller's `writing()`."""
    versions = itip.raise_floors(plan.versions, messages)
    store.outbox.save_invite_versions(conn, version_rows(versions))
