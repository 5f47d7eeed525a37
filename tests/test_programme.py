"""Pure tests of the programme rules: parsing, ends, overlaps, shifting."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innoff_cli import programme
from innoff_cli.errors import ConflictError, InnoffError
from innoff_cli.models import Event, Item

OSLO = ZoneInfo("Europe/Oslo")

SMALL = """
[organizer]
name = "INNOFF"
email = "post@example.org"

[[events]]
slug = "demo"
title = "Demo"
aliases = ["Demodag"]
date = 2020-11-17
start = "10:00"
end = "11:00"

  [[events.items]]
  id = "a"
  start = "10:00"
  title = "First"
  kind = "welcome"

  [[events.items]]
  id = "b"
  start = "10:20"
  end = "10:40"
  title = "Second"
  speakers = [{ name = "Kari Nordmann", role = "rådgiver", organisation = "KS" }]

  [[events.items]]
  id = "c"
  start = "10:45"
  title = "Third"
  kind = "panel"
  speakers = [{ organisation = "KS" }, { organisation = "Menon" }]
"""


def at(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2020, 11, 17, hours, minutes, tzinfo=OSLO)


def demo() -> Event:
    return programme.parse_programme(SMALL)[0]


def spans(event: Event) -> list[tuple[str, str, str]]:
    return [(i.id, i.start.strftime("%H:%M"), i.end.strftime("%H:%M")) for i in event.items]


def test_items_without_end_last_until_the_next_item_or_the_event_end():
    assert spans(demo()) == [
        ("a", "10:00", "10:20"),
        ("b", "10:20", "10:40"),
        ("c", "10:45", "11:00"),
    ]


def test_parse_reads_speakers_organizer_and_defaults():
    event = demo()
    assert event.organizer_email == "post@example.org"
    assert event.timezone == "Europe/Oslo"
    assert event.items[1].kind == "talk"  # the default kind
    assert event.items[1].speakers[0].describe() == "Kari Nordmann (rådgiver, KS)"
    assert [s.as_dict() for s in event.items[2].speakers] == [
        {"organisation": "KS"},
        {"organisation": "Menon"},
    ]


def test_times_are_wall_clock_in_the_event_zone_across_dst():
    text = SMALL.replace("2020-11-17", "2021-06-01")
    event = programme.parse_programme(text)[0]
    assert event.start.utcoffset() == timedelta(hours=2)  # CEST in June
    assert demo().start.utcoffset() == timedelta(hours=1)  # CET in November


def test_parse_refuses_overlapping_items():
    with pytest.raises(ConflictError, match="'b' \\(10:20-10:40\\) overlaps 'c' \\(10:30-11:00\\)"):
        programme.parse_programme(SMALL.replace('start = "10:45"', 'start = "10:30"'))


def test_parse_refuses_an_event_that_ends_before_it_starts():
    with pytest.raises(InnoffError, match="ends at 09:00, not after it starts at 10:00"):
        programme.parse_programme(SMALL.replace('end = "11:00"', 'end = "09:00"'))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("this is = not toml [", "not valid TOML"),
        ("[[events]]\nslug = 'x'\n", "`title` is missing"),
        (SMALL.replace('kind = "panel"', 'kind = "party"'), "kind 'party'"),
        (SMALL.replace('id = "c"', 'id = "a"'), "item id 'a' is used twice"),
        (SMALL.replace('start = "10:45"', 'start = "25:00"'), "bad time '25:00'"),
        (SMALL.replace("date = 2020-11-17", 'date = "17.11.2020"'), "`date` must be a date"),
        ("", "no [[events]]"),
    ],
)
def test_parse_errors_name_the_problem(text, fragment):
    with pytest.raises(InnoffError, match=fragment.replace("[", r"\[")):
        programme.parse_programme(text)


def test_conflicts_name_both_items():
    event = demo()
    clash = Item("x", at("10:30"), at("10:50"), "Clash", "talk")
    with pytest.raises(ConflictError) as caught:
        programme.add_item(event, clash)
    assert "'b' (10:20-10:40) overlaps 'x' (10:30-10:50)" in str(caught.value)
    assert "'x' (10:30-10:50) overlaps 'c' (10:45-11:00)" in str(caught.value)


def test_add_without_end_fills_the_gap_to_the_next_item():
    gap = Item("gap", at("10:40"), programme.OPEN_END, "Filler", "break")
    event = programme.add_item(demo(), gap)
    assert ("gap", "10:40", "10:45") in spans(event)


def test_add_outside_the_event_is_refused():
    late = Item("late", at("11:00"), at("11:10"), "Late", "talk")
    with pytest.raises(ConflictError, match="outside demo"):
        programme.add_item(demo(), late)


def test_shift_alone_moves_one_item_and_refuses_a_collision():
    event = programme.shift_item(demo(), "b", timedelta(minutes=5))
    assert spans(event)[1] == ("b", "10:25", "10:45")
    with pytest.raises(ConflictError, match="'b' \\(10:30-10:50\\) overlaps 'c'"):
        programme.shift_item(demo(), "b", timedelta(minutes=10))


def test_shift_following_moves_the_rest_and_the_event_end():
    event = programme.shift_item(demo(), "b", timedelta(minutes=10), following=True)
    assert spans(event) == [
        ("a", "10:00", "10:20"),
        ("b", "10:30", "10:50"),
        ("c", "10:55", "11:10"),
    ]
    assert event.end == at("11:10")


def test_shift_before_the_event_start_is_refused():
    with pytest.raises(ConflictError, match="outside demo"):
        programme.shift_item(demo(), "a", timedelta(minutes=-5))


def test_edit_start_keeps_the_length_unless_an_end_is_given():
    event = programme.edit_item(demo(), "c", start=at("10:40"))
    assert spans(event)[2] == ("c", "10:40", "10:55")
    event = programme.edit_item(demo(), "c", start=at("10:40"), end=programme.OPEN_END)
    assert spans(event)[2] == ("c", "10:40", "11:00")


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("+10m", 10),
        ("-5m", -5),
        ("1h", 60),
        ("1h30m", 90),
        ("90m", 90),
        ("-1h15m", -75),
        ("10 min", 10),
    ],
)
def test_parse_duration(text, minutes):
    assert programme.parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "+", "10", "ten minutes", "5s", "1d"])
def test_parse_duration_refuses_nonsense(text):
    with pytest.raises(InnoffError, match="bad duration"):
        programme.parse_duration(text)


def test_parse_clock_accepts_hh_mm_and_iso():
    day = date(2020, 11, 17)
    assert programme.parse_clock("9:05", day, OSLO) == at("09:05")
    assert programme.parse_clock("10.30", day, OSLO) == at("10:30")
    assert programme.parse_clock("2020-11-17T10:30", day, OSLO) == at("10:30")
    with pytest.raises(InnoffError, match="bad time"):
        programme.parse_clock("half past ten", day, OSLO)


def test_match_event_by_slug_title_or_alias_ignoring_case_and_norwegian_letters():
    events = programme.bundled_programme()
    assert programme.match_event(events, "ÅRSMØTE").slug == "arsmote"
    assert programme.match_event(events, "annual meeting").slug == "arsmote"
    assert programme.match_event(events, "innoff studio").slug == "studio"
    with pytest.raises(InnoffError, match="no event called 'gala' - known events: studio, arsmote"):
        programme.match_event(events, "gala")


def test_slugify_makes_short_ascii_ids():
    assert (
        programme.slugify("Ulike forutsetninger i små kommuner?")
        == "ulike-forutsetninger-i-sma-kommuner"
    )
    assert programme.slugify("Æøå!") == "aeoa"
    assert programme.slugify("???") == "item"
    assert len(programme.slugify("ord " * 40)) <= 40


def test_current_item():
    event = demo()
    assert programme.current_item(event, at("10:25")).id == "b"
    assert programme.current_item(event, at("10:42")) is None  # between items
    assert programme.current_item(event, at("11:00")) is None  # the end is not included


@pytest.mark.parametrize(
    "before, after, where",
    [
        ('title = "Demo"', 'title = "Demo\\nBcc: evil@example.org"', "event demo: `title`"),
        ('title = "First"', 'title = "First\\r\\nSubject: x"', "event demo, item a: `title`"),
        (
            'end = "11:00"',
            'end = "11:00"\nlocation = "Rom 1\\u2028Rom 2"',
            "event demo: `location`",
        ),
    ],
)
def test_titles_and_places_are_one_line_at_the_door(before, after, where):
    """They become a Subject, a SUMMARY or LOCATION and a table cell."""
    with pytest.raises(InnoffError) as refused:
        programme.parse_programme(SMALL.replace(before, after, 1), "p.toml")
    assert str(refused.value) == (
        f"p.toml: {where} has a line break or a control character - write it on one line"
    )


def test_edits_keep_titles_and_places_on_one_line():
    (event,) = programme.parse_programme(SMALL)
    for changes in ({"title": "Ny\ntittel"}, {"location": "Sal\tA"}):
        with pytest.raises(InnoffError, match="has a line break or a control character"):
            programme.edit_event(event, **changes)
    with pytest.raises(InnoffError, match="--title has a line break"):
        programme.edit_item(event, "a", title="To\nlinjer")
    item = event.items[0]._replace(id="ny", title="Tre\vlinjer")
    with pytest.raises(InnoffError, match="the title has a line break"):
        programme.add_item(event, item)


@given(st.text(alphabet=st.characters(max_codepoint=0x17F) | st.sampled_from("æøåÆØÅß")))
def test_a_name_is_folded_the_same_on_the_ascii_shortcut(text):
    """normalise_name skips NFKD and the regex for ASCII: what it gives is what
    they would have given (case, Norwegian letters, accents, punctuation)."""
    import re
    import unicodedata

    folded = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    expected = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKD", folded))
    assert programme.normalise_name(text) == expected
