"""A participant's public fields: one list for every format. Pure.

`registrations list` and `show` in every format (JSON, CSV, the tables) and
`registrations export` take their columns from FIELDS, each reading a person as
the store gives them (with their events and answers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

# Registration times are shown in the events' home zone.
HOME_ZONE = ZoneInfo("Europe/Oslo")
# The store's answer 'to confirm:accepted': given before the event changed.
TO_CONFIRM = "to confirm:"
RSVP_KINDS = ("accepted", "tentative", "declined", "delegated", "none")


def answer_now(answer: str | None) -> str:
    """An answer as it counts now: one to be confirmed again counts as none."""
    return "none" if not answer or answer.startswith(TO_CONFIRM) else answer


def local_time(utc_text: str | None) -> str | None:
    """A stored UTC time in the home zone, ISO 8601."""
    if not utc_text:
        return None
    return datetime.fromisoformat(utc_text).astimezone(HOME_ZONE).isoformat()


def home_offsets(first: datetime, last: datetime) -> list[tuple[str, int, str]]:
    """The home zone's offsets from `first` to `last` (aware, UTC): (from when,
    as stored 'YYYY-MM-DDTHH:MM:SS+00:00'; seconds to add; the ISO 8601
    suffix local_time writes), so SQLite can write local times itself.

    Sampled every week, each change found to the second by halving: a zone
    changes its offset at most a few times a year."""
    from datetime import UTC, timedelta

    def offset(moment: datetime) -> timedelta:
        return moment.astimezone(HOME_ZONE).utcoffset()

    def entry(moment: datetime) -> tuple[str, int, str]:
        local = moment.replace(microsecond=0).astimezone(HOME_ZONE)
        stored = moment.astimezone(UTC).isoformat(timespec="seconds")
        return stored, int(offset(moment).total_seconds()), local.isoformat()[19:]

    week = timedelta(days=7)
    moment = first.replace(microsecond=0)
    changes = [entry(moment)]
    while moment < last:
        ahead = min(moment + week, last)
        if offset(ahead) != offset(moment):
            low, high = moment, ahead  # the offset changes after low, at or before high
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                low, high = (middle, high) if offset(middle) == offset(low) else (low, middle)
            changes.append(entry(high))
        moment = ahead
    return changes


class Field(NamedTuple):
    """One of a participant's public fields: its key in JSON and CSV, its header in
    tables, and its value, read from a person as the store gives them."""

    key: str
    header: str
    value: Callable[[dict], object]


# A participant's fields, once, in JSON's order: `registrations list` and `show`
# in every format, and `registrations export`, take theirs from here (as
# gcalcli's details.HANDLERS serve each of its formats).
FIELDS = (
    Field("email", "E-mail", lambda p: p["address"] or p["email"]),
    Field("name", "Name", lambda p: p["name"]),
    Field("organisation", "Organisation", lambda p: p["organisation"]),
    Field("role", "Role", lambda p: p["role"]),
    Field("municipality", "Municipality", lambda p: p["municipality"]),
    Field("phone", "Phone", lambda p: p["phone"]),
    Field("registered_at", "Registered", lambda p: local_time(p["registered_utc"])),
    Field("events", "Events", lambda p: p["events"]),
    Field(
        "rsvp",
        "Answers",
        lambda p: {event: answer_now(p["answers"].get(event)) for event in p["events"]},
    ),  # fmt: skip
    # Answers given before the event changed (a new SEQUENCE was sent since):
    # calendars ask again, so they count as no answer until confirmed.
    Field(
        "rsvp_before_change",
        "Answers before the change",
        lambda p: {
            event: answer.removeprefix(TO_CONFIRM)
            for event, answer in p["answers"].items()
            if answer.startswith(TO_CONFIRM) and event in p["events"]
        },
    ),  # fmt: skip
    # The events they attended (an attendance report), with their minutes
    # there (null when the report gave no time).
    Field("attended", "Attended (minutes)", lambda p: p["attended"]),
)
# What `registrations export` writes, in this order (a file for spreadsheets and mail merges).
EXPORT_FIELDS = (
    "email", "name", "organisation", "role", "municipality", "phone", "registered_at", "events",
)  # fmt: skip


def public(person: dict) -> dict:
    """A participant as `registrations list --format json` prints it."""
    return {field.key: field.value(person) for field in FIELDS}


# The fields store.listings leaves to json_tail, in order.
TAIL_KEYS = ("events", "rsvp", "rsvp_before_change", "attended")


_TAIL_FIELDS = [field for field in FIELDS if field.key in TAIL_KEYS]


def tail_fields(events: list, answers: dict, attended: dict) -> dict:
    """The TAIL_KEYS fields of `public` for a participant with these events
    (in programme order), answers and attendance: what every listing writes
    after the registration time, whoever the person is."""
    person = {"events": events, "answers": answers, "attended": attended}
    return {field.key: field.value(person) for field in _TAIL_FIELDS}


def json_tail(events: list, answers: dict, attended: dict) -> str:
    """The end of a participant's JSON in a listing, from after the registration
    time: what indented_json writes of those fields of `public`, at level 1."""
    from innoff_cli.output import indented_json

    fields = tail_fields(events, answers, attended)
    return (
        "".join(f',\n    "{key}": ' + indented_json(value, 2) for key, value in fields.items())
        + "\n  }"
    )
