"""Pure tests of what each person is sent next (RFC 5546), and of the sending pace."""

from __future__ import annotations

from datetime import timedelta

from innoff_cli import ical, itip, programme
from innoff_cli.invites import Pace

EVENTS = programme.bundled_programme()
STUDIO = ical.event_entry(EVENTS[0], "innoff.no")
UID = STUDIO.uid
KARI = itip.Invitee("kari@x.no", "Kari@x.no", "Kari", "studio")


def plan(entry, versions, received, invitees=(KARI,), **kw):
    planned = itip.plan_versions([entry], versions, lambda v: True)
    return itip.plan_messages(planned, invitees, received, {"studio": UID}, **kw)


def sent(message: itip.Message) -> itip.Received:
    return itip.Received(message.method, message.sequence, message.content, message.significant,
                         message.sequence, message.address)  # fmt: skip


def test_new_then_nothing_then_update_with_sequence_only_for_time_or_place():
    first = plan(STUDIO, {}, {})
    (message,) = first.messages
    assert (message.method, message.change, message.sequence) == ("REQUEST", "new", 0)
    received = {("kari@x.no", UID): sent(message)}
    assert plan(STUDIO, first.versions, received).messages == []

    retitled = ical.event_entry(EVENTS[0]._replace(title="INNOFF-studio!"), "innoff.no")
    (update,) = plan(retitled, first.versions, received).messages
    assert (update.change, update.sequence) == ("update", 0)  # programme text only

    moved = ical.event_entry(
        EVENTS[0]._replace(end=EVENTS[0].end + timedelta(minutes=5)), "innoff.no"
    )
    later = plan(moved, first.versions, received)
    (update,) = later.messages
    assert (update.change, update.sequence) == ("update", 1)
    assert later.versions[UID].sequence == 1


def test_cancel_for_someone_no_longer_registered_and_floor_for_a_return():
    first = plan(STUDIO, {}, {})
    received = {("kari@x.no", UID): sent(first.messages[0])}
    gone = plan(STUDIO, first.versions, received, invitees=())
    (cancel,) = gone.messages
    assert (cancel.method, cancel.change, cancel.sequence, cancel.whole_event) == (
        "CANCEL", "cancel", 1, False,
    )  # fmt: skip
    assert cancel.address == "Kari@x.no"
    versions = itip.raise_floors(gone.versions, gone.messages)
    assert versions[UID].floor == 2
    # Erased in between: innoff has forgotten what she received, the floor has not.
    (back,) = plan(STUDIO, versions, {}).messages
    assert (back.method, back.change, back.sequence) == ("REQUEST", "new", 2)
    # Not erased: what she received decides.
    received = {("kari@x.no", UID): sent(cancel)}
    (back,) = plan(STUDIO, gone.versions, received).messages
    assert back.sequence == 2


def test_a_removed_event_is_cancelled_whole_once():
    first = plan(STUDIO, {}, {})
    received = {("kari@x.no", UID): sent(first.messages[0])}
    versions = itip.plan_versions([], first.versions, lambda v: True)
    assert versions[UID].removed and versions[UID].sequence == 1
    planned = itip.plan_messages(versions, (), received, {})
    (cancel,) = planned.messages
    assert (cancel.change, cancel.sequence, cancel.whole_event) == ("event-cancelled", 1, True)
    again = itip.plan_versions([], versions, lambda v: True)
    assert again[UID].sequence == 1  # removing it once raises SEQUENCE once
    received = {("kari@x.no", UID): sent(cancel)}
    assert itip.plan_messages(again, (), received, {}).messages == []


def test_failed_messages_are_held_and_scope_narrows():
    first = plan(STUDIO, {}, {})
    (message,) = first.messages
    held = frozenset(
        {(message.email, message.uid, message.method, message.sequence, message.content)}
    )
    assert plan(STUDIO, {}, {}, refused=held).held == 1
    assert plan(STUDIO, {}, {}, wanted=lambda email, uid: email == "ola@x.no").messages == []


def test_pace_spaces_messages_by_the_rate():
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(round(seconds, 6))
        now[0] += seconds

    pace = Pace(30, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pace.wait()
    assert slept == [2.0, 2.0]  # 30 a minute; none before the first
    no_limit = Pace(0, clock=lambda: now[0], sleep=sleep)
    no_limit.wait()
    no_limit.wait()
    assert slept == [2.0, 2.0]
