"""What each person is to be sent next, from what they last received (RFC 5546). Pure.

One plan serves `invites send` (what they last received is the outbox) and
`export ics --invites DIR` (what the folder's manifest lists):

- a registrant with nothing yet gets a REQUEST;
- a person whose last REQUEST says something else than the event does now
  gets an update: the same UID, SEQUENCE raised when the time or place changed
  (RFC 5546 2.1.4), kept when only the title, links or programme text did;
- a person no longer registered (or erased) gets a CANCEL naming them as
  ATTENDEE, without STATUS; when the event itself is gone, everyone who had it
  gets a CANCEL with STATUS:CANCELLED;
- SEQUENCE is per person and UID and never below anything that person has
  received, nor below the UID's floor, which every CANCEL raises above itself:
  a person erased (and so forgotten) and registered again is not outdated.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import NamedTuple

from innoff_cli.ical import Entry

REQUEST, CANCEL = "REQUEST", "CANCEL"
# What a message is to the person who gets it.
NEW, UPDATE, UNINVITED, EVENT_CANCELLED = "new", "update", "cancel", "event-cancelled"
CHANGES = (NEW, UPDATE, UNINVITED, EVENT_CANCELLED)
# The current invite once more, asked for by hand ("I never got it"): the same
# UID and SEQUENCE, a new DTSTAMP and Message-ID.
RESEND = "resend"


class Version(NamedTuple):
    """Per UID, shared by everyone: the event as last planned, and its SEQUENCE."""

    uid: str
    event: str
    sequence: int
    significant: str
    floor: int
    entry: Entry | None
    removed: bool = False


class Received(NamedTuple):
    """What one person last received for one UID, and the highest SEQUENCE they have seen."""

    method: str
    sequence: int
    content: str
    significant: str
    top: int
    address: str
    erased: bool = False


class Invitee(NamedTuple):
    email: str  # the key: trimmed, folded to lower case
    address: str  # as the person wrote it
    name: str
    event: str  # slug


class Message(NamedTuple):
    email: str
    address: str
    name: str
    event: str
    uid: str
    method: str
    change: str
    sequence: int
    content: str
    significant: str
    erased: bool = False

    @property
    def whole_event(self) -> bool:
        return self.change == EVENT_CANCELLED


class InvitePlan(NamedTuple):
    """Every message the people in scope need, and the versions they are built from."""

    messages: list[Message]
    versions: dict[str, Version]  # every UID in scope, as it is to be stored
    entries: dict[str, Entry]  # uid -> the entry each message is built from
    held: int  # messages that failed before and are not tried again
    # Filled in by whoever made the plan, for those who carry it out:
    organizer: object = None  # ical.Organizer
    events: tuple = ()  # the events in scope
    scope: Callable[[str, str], bool] | None = None  # (email, uid) in this plan's reach


def plan_versions(entries: Iterable[Entry], versions: dict[str, Version],
                  in_scope: Callable[[Version], bool]) -> dict[str, Version]:  # fmt: skip
    """Each current entry's Version (SEQUENCE + 1 on a change of time or place, or
    coming back after removal), and each remembered one in scope that is gone, removed."""
    out: dict[str, Version] = {}
    for entry in entries:
        before = versions.get(entry.uid)
        significant = entry.attendee_sequence_digest()
        if before is None:
            out[entry.uid] = Version(entry.uid, entry.event, 0, significant, 0, entry)
            continue
        raised = before.removed or before.significant != significant
        out[entry.uid] = before._replace(
            sequence=before.sequence + raised, significant=significant, entry=entry, removed=False
        )
    for uid, before in versions.items():
        if uid not in out and in_scope(before):
            out[uid] = before._replace(
                sequence=before.sequence + (not before.removed), removed=True
            )
    return out


def plan_messages(
    versions: dict[str, Version],
    invitees: Iterable[Invitee],
    received,
    uid_of: dict[str, str],
    wanted: Callable[[str, str], bool] = lambda email, uid: True,
    refused: frozenset[tuple[str, str, str, int, str]] = frozenset(),
    *,
    is_registered: Callable[[str, str], bool] | None = None,
    kept: list | None = None,
) -> InvitePlan:
    """Every message the people in scope need, REQUESTs first, each kind by event and e-mail.

    `versions` from plan_versions; `uid_of` maps event slug to UID; `received`
    maps (email, uid) to what they were last sent: a dict, or anything with its
    get() and items() (the outbox's, read as it is asked, which gives items()
    already in (event, email) order and says so with `in_plan_order`).
    `wanted(email, uid)` narrows the plan (--to, --event). A message equal to
    one in `refused` (email, uid, method, sequence, content: a server refused
    it) is held back, not planned again. `is_registered(email, uid)` answers
    for every registration, in scope or not (else it is gathered from
    `invitees`); `kept` is where the messages go (a list unless given one
    that keeps them elsewhere).
    """
    registered: set[tuple[str, str]] | None = set() if is_registered is None else None
    out: list = [] if kept is None else kept
    held = _keep(_requests(versions, invitees, received, uid_of, wanted, registered), refused, out)
    # The CANCELs after every REQUEST: they ask who is registered, which the
    # REQUESTs' pass gathers when `is_registered` is not given.
    if registered is not None:
        is_registered = lambda email, uid: (email, uid) in registered  # noqa: E731
    cancels = _cancels(versions, received, wanted, is_registered)
    if not getattr(received, "in_plan_order", False):
        cancels = sorted(cancels, key=lambda m: (m.event, m.email))
    held += _keep(cancels, refused, out)
    entries = {uid: v.entry for uid, v in versions.items() if v.entry is not None}
    return InvitePlan(out, versions, entries, held)


def _keep(messages: Iterable[Message], refused: frozenset, out) -> int:
    """Each of `messages` onto `out`, but for those equal to one a server
    refused; how many were held back."""
    held = 0
    for message in messages:
        if _key(message) in refused:
            held += 1
        else:
            out.append(message)
    return held


def _key(message: Message) -> tuple[str, str, str, int, str]:
    """What makes a message the same one a server refused before."""
    return (message.email, message.uid, message.method, message.sequence, message.content)


def _requests(versions, invitees, received, uid_of, wanted, registered) -> Iterable[Message]:
    """A REQUEST for each registration in scope whose person lacks the current one:
    new, or an update (SEQUENCE raised for time and place). Adds every
    registration's (email, uid) to `registered` (unless None), in scope or not."""
    keys: dict[str, tuple[str, str]] = {}  # uid -> (content, significant), hashed once
    for person in invitees:
        uid = uid_of[person.event]
        if registered is not None:
            registered.add((person.email, uid))
        if not wanted(person.email, uid):
            continue
        version = versions[uid]
        found = keys.get(uid)
        if found is None:
            found = keys[uid] = (version.entry.content(), version.entry.attendee_sequence_digest())
        content, significant = found
        last = received.get((person.email, uid))
        if last is None:
            change, sequence = NEW, max(version.sequence, version.floor)
        elif last.method == CANCEL:
            change, sequence = NEW, max(version.sequence, version.floor, last.top + 1)
        elif last.significant != significant:
            change, sequence = UPDATE, max(version.sequence, last.top + 1)
        elif last.content != content:
            change, sequence = UPDATE, max(version.sequence, last.top)
        else:
            continue
        yield Message(
            person.email, person.address, person.name, person.event, uid, REQUEST, change,
            sequence, content, significant,
        )  # fmt: skip


def _cancels(versions, received, wanted, is_registered) -> Iterable[Message]:
    """A CANCEL for each person in scope who holds a REQUEST they should no longer
    have: no longer registered (or erased), or the event itself is gone."""
    for (email, uid), last in received.items():
        version = versions.get(uid)
        if (
            version is None  # outside this plan's events
            or version.entry is None
            or last.method != REQUEST
            or is_registered(email, uid)
            or not wanted(email, uid)
        ):
            continue
        entry = version.entry
        yield Message(
            email, last.address, "", version.event, uid, CANCEL,
            EVENT_CANCELLED if version.removed else UNINVITED,
            max(version.sequence, last.top + 1), entry.content(),
            entry.attendee_sequence_digest(), last.erased,
        )  # fmt: skip


def with_resends(
    plan: InvitePlan,
    invitees: Iterable[Invitee],
    received: dict[tuple[str, str], Received],
    uid_of: dict[str, str],
    wanted: Callable[[str, str], bool],
    kept: list | None = None,
) -> InvitePlan:
    """`plan`, and for each registration in scope whose person already has the
    current REQUEST (nothing planned for them), that REQUEST again: same UID and
    SEQUENCE, marked RESEND. A person who has nothing yet, or something older,
    already gets what they need in `plan`. The resends, then `plan`'s messages,
    go into `kept` (a list unless given one)."""
    planned = {(m.email, m.uid) for m in plan.messages}
    again = []
    for person in invitees:
        uid = uid_of[person.event]
        last = received.get((person.email, uid))
        version = plan.versions.get(uid)
        if (
            (person.email, uid) in planned
            or not wanted(person.email, uid)
            or last is None
            or last.method != REQUEST
            or version is None
            or version.entry is None
        ):
            continue
        again.append(
            Message(
                person.email,
                person.address,
                person.name,
                person.event,
                uid,
                REQUEST,
                RESEND,
                last.sequence,
                version.entry.content(),
                version.entry.attendee_sequence_digest(),
            )  # fmt: skip
        )
    out: list = [] if kept is None else kept
    for message in itertools.chain(again, plan.messages):
        out.append(message)
    return plan._replace(messages=out)


def raise_floors(versions: dict[str, Version], messages: Iterable[Message]) -> dict[str, Version]:
    """Each UID's floor above every CANCEL planned for it (see the module's docstring)."""
    out = dict(versions)
    for message in messages:
        if message.method == CANCEL:
            version = out[message.uid]
            out[message.uid] = version._replace(floor=max(version.floor, message.sequence + 1))
    return out


def counts(messages: Iterable[Message]) -> dict[str, dict[str, int]]:
    """{event: {new: n, update: n, cancel: n, event-cancelled: n}} for a summary."""
    out: dict[str, dict[str, int]] = {}
    for message in messages:
        per_event = out.setdefault(message.event, dict.fromkeys(CHANGES, 0))
        per_event[message.change] = per_event.get(message.change, 0) + 1  # RESEND when asked
    return out
