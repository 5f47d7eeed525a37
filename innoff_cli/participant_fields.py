"""A participant's public fields: one list for every format. Pure.

`registrations list` and `show` in every format (JSON, CSV, the tables) and
`registrations export` take their columns from FIELDS, each reading a person as
the store gives them (with their events and answers).
"""

from __future__ import annotations

import re
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


class LocalTimes:
    """local_time of a list's worth of stored times, each in little more than two
    look-ups: a time as the store writes it ('YYYY-MM-DDTHH:MM:SS+00:00') is its
    hour's local time with its minutes and seconds, each hour worked out once
    (and only where the zone keeps one whole-hour offset through that hour);
    any other time goes through local_time itself."""

    def __init__(self) -> None:
        self.hours: dict[str, tuple[str, str]] = {}  # 'YYYY-MM-DDTHH' -> (local hour, offset)
        self.tails: set[str] = set()  # ':MM:SS+00:00' seen in a stored time

    def __call__(self, utc_text: str | None) -> str | None:
        if not utc_text:
            return None
        hour = self.hours.get(utc_text[:13])
        if hour is not None and utc_text[13:] in self.tails:
            return hour[0] + utc_text[13:19] + hour[1]
        return self._first(utc_text)

    def _first(self, utc_text: str) -> str | None:
        if _STORED_TIME.fullmatch(utc_text) and len(self.hours) < 100_000:
            hour = self._hour(utc_text[:13])
            if hour is not None:
                self.hours[utc_text[:13]] = hour
                self.tails.add(utc_text[13:])
                return hour[0] + utc_text[13:19] + hour[1]
        return local_time(utc_text)

    @staticmethod
    def _hour(prefix: str) -> tuple[str, str] | None:
        from datetime import timedelta

        try:
            start = datetime.fromisoformat(prefix + ":00:00+00:00")
        except ValueError:  # '2020-13-45T29': local_time says what is wrong
            return None
        local, last = (
            start.astimezone(HOME_ZONE),
            (start + timedelta(seconds=3599)).astimezone(HOME_ZONE),
        )
        offset = local.utcoffset()
        if offset != last.utcoffset() or offset.total_seconds() % 3600:
            return None  # the offset changes within the hour, or is not whole hours
        text = local.isoformat()  # 'YYYY-MM-DDTHH:00:00+01:00'
        return text[:13], text[19:]


# A time as the store writes it (ASCII digits only: \d would take others).
_STORED_TIME = re.compile("[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9][+]00:00")


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
