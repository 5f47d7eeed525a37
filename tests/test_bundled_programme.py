"""The bundled programme says what the original event text says, item by item."""

from __future__ import annotations

import hashlib
import re

import pytest

from innoff_cli import programme
from tests.conftest import EVENT_TEXT, SHARED_SEED


def programme_lines() -> list[tuple[str, str]]:
    """('10:05', 'Introduksjon til tema, v/INNOFF') for each line of the event text's programme."""
    text = EVENT_TEXT.read_text(encoding="utf-8")
    return re.findall(r"^(\d\d:\d\d) (.+?)\s*$", text, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def events():
    return {event.slug: event for event in programme.bundled_programme()}


# The team's seed (shared/seeds/000_278790d137b4ff3c.txt) by its SHA-256, so
# that the copy is checked in a clean clone too, where shared/ is not beside it.
SEED_SHA256 = "914d22f52e73e5519a7c56a19d0f34b7b54b1f0e796b199c9702eefb38209a3d"


def test_fixture_is_the_teams_seed():
    assert hashlib.sha256(EVENT_TEXT.read_bytes()).hexdigest() == SEED_SHA256
    if SHARED_SEED.exists():  # beside a checkout of the team's tree: the same bytes
        assert EVENT_TEXT.read_bytes() == SHARED_SEED.read_bytes()


def test_every_line_of_the_event_text_is_in_the_programme(events):
    studio, meeting = events["studio"], events["arsmote"]
    by_time = {item.start.strftime("%H:%M"): item for item in studio.items}
    lines = programme_lines()
    assert len(lines) == 11  # 9 items, "Slutt" and the annual meeting
    for time, line in lines:
        if line == "Slutt":
            assert studio.end.strftime("%H:%M") == time
            continue
        if line.startswith("INNOFF Årsmøte"):
            assert meeting.title == "INNOFF Årsmøte"
            assert meeting.start.strftime("%H:%M") == time
            continue
        item = by_time.pop(time)
        assert item.title in line, (time, item.title)
        for speaker in item.speakers:
            for part in (speaker.name, speaker.role, speaker.organisation):
                assert part is None or part in line, (time, part)
    assert by_time == {}, "items that are not in the event text"


def test_panels_list_their_organisations_and_talks_their_speakers(events):
    studio = events["studio"]
    kinds = {item.id: item.kind for item in studio.items}
    assert sorted(set(kinds.values())) == sorted(programme.ITEM_KINDS)
    panels = [item for item in studio.items if item.kind == "panel"]
    assert [[s.organisation for s in p.speakers] for p in panels] == [
        ["Norges forskningsråd", "Menon", "INNOFF"],
        ["KS", "Distriktssenteret", "Kommunalkomitéen", "INNOFF"],
    ]
    assert all(s.name is None for p in panels for s in p.speakers)


def test_event_facts(events):
    studio, meeting = events["studio"], events["arsmote"]
    assert studio.start.isoformat() == "2020-11-17T10:00:00+01:00"
    assert studio.end.isoformat() == "2020-11-17T12:00:00+01:00"
    assert studio.timezone == meeting.timezone == "Europe/Oslo"
    assert studio.location == "Digitalt"
    assert studio.url == "https://www.innoff.no"
    assert studio.part_of == "NEON-konferansen"
    assert "NEON" in studio.registration and studio.recorded and studio.partners == ("NEON",)
    assert meeting.start.isoformat() == "2020-11-17T15:00:00+01:00"
    assert meeting.end > meeting.start
    assert {"INNOFF-studio", "studio"} <= set(studio.aliases)
    assert {"Årsmøte", "annual meeting"} <= set(meeting.aliases)


def test_the_annual_meeting_end_is_marked_as_an_assumption():
    text = programme.bundled_programme_text()
    end_line = text.index('end = "16:00"')
    assert "ASSUMPTION" in text[text.rindex("[[events]]", 0, end_line) : end_line]
