"""The records every layer shares: small, immutable, compared by value.

NamedTuples rather than frozen dataclasses: the same immutability and value
equality, at a fraction of the cost to define, and every `innoff agenda show`
pays that cost before it prints anything (tests/bench/startup_speed.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

ITEM_KINDS = ("welcome", "introduction", "talk", "showcase", "panel", "break")


class Speaker(NamedTuple):
    """A person (name, role, organisation) or, on a panel, just an organisation."""

    name: str | None = None
    role: str | None = None
    organisation: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        if self.name is None:
            return {"organisation": self.organisation}
        return {"name": self.name, "role": self.role, "organisation": self.organisation}

    def describe(self) -> str:
        """'Ann Karin Tennås Holmen (styreleder, INNOFF)', or the organisation alone."""
        if self.name is None:
            return self.organisation or ""
        details = ", ".join(part for part in (self.role, self.organisation) if part)
        return f"{self.name} ({details})" if details else self.name


class Item(NamedTuple):
    """One point of a programme, from `start` up to (not including) `end`."""

    id: str
    start: datetime
    end: datetime
    title: str
    kind: str
    speakers: tuple[Speaker, ...] = ()
    description: str = ""

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class Event(NamedTuple):
    """An event with its programme; times are aware datetimes in `timezone`."""

    slug: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    location: str = ""
    url: str = ""
    aliases: tuple[str, ...] = ()
    part_of: str = ""
    registration: str = ""
    recorded: bool = False
    partners: tuple[str, ...] = ()
    description: str = ""
    organizer_name: str = ""
    organizer_email: str = ""
    items: tuple[Item, ...] = ()
    join_url: str = ""  # the link for digital participation
    recording_url: str = ""  # where it can be watched afterwards
    cancelled: bool = False  # called off: cancelled for everyone invited, shown as such
