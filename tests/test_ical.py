"""Pure tests of the iCalendar writer, read back with the independent `icalendar` parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from innoff_cli import calendars, ical, programme
from innoff_cli.errors import InnoffError

STAMP = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EVENTS = programme.bundled_programme()
ORGANIZER = ical.Organizer("INNOFF", "post@innoff.no")
HOSTILE = [
    'Kari "K" Nordmann',
    "Nordmann; Kari",
    "Ola, Per: og Åse",
    "Back\\slash ^caret",
    "Line\nBREAK:mailto:evil@example.org",
    "ATTENDEE;CN=x:mailto:y",
    "Ærlend Østbø Åsheim " * 5,
]


def unfold(text: str) -> str:
    return text.replace("\r\n ", "")


def check_lines(text: str) -> None:
    assert text.endswith("\r\n")
    body = text[:-2]
    assert "\n" not in body.replace("\r\n", "")  # every line ends in CRLF, no bare LF
    assert "\r" not in body.replace("\r\n", "")
    for line in body.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line


@given(
    st.text(max_size=400).map(lambda t: "DESCRIPTION:" + ical.clean_text(t).replace("\n", "\\n"))
)
def test_fold_never_exceeds_75_octets_nor_splits_a_character(line):
    folded = ical.fold(line)
    for part in folded.split("\r\n"):
        assert len(part.encode("utf-8")) <= 75
        part.encode("utf-8").decode("utf-8")  # each piece is whole characters
    assert unfold(folded) == line


def test_public_calendar_shape_and_times():
    entries = [ical.event_entry(e, "innoff.no") for e in EVENTS]
    text = ical.calendar(
        "PUBLISH",
        [
            [*ical.vevent_lines(e, 0, "CONFIRMED")[0], ical.organizer_line(ORGANIZER)]
            for e in entries
        ],
        STAMP,
    )
    check_lines(text)
    lines = unfold(text).split("\r\n")
    assert lines.index("METHOD:PUBLISH") < lines.index("BEGIN:VEVENT")  # calendar properties first
    cal = icalendar.Calendar.from_ical(text)
    assert (str(cal["METHOD"]), str(cal["VERSION"])) == ("PUBLISH", "2.0")
    assert str(cal["PRODID"]).startswith("-//INNOFF//innoff ")
    studio, meeting = cal.walk("VEVENT")
    oslo = programme.zone("Europe/Oslo")
    assert (
        studio.decoded("DTSTART").astimezone(oslo).strftime("%Y-%m-%d %H:%M") == "2020-11-17 10:00"
    )
    assert studio.decoded("DTEND").astimezone(oslo).strftime("%H:%M") == "12:00"
    assert meeting.decoded("DTSTART").astimezone(oslo).strftime("%H:%M") == "15:00"
    for vevent in (studio, meeting):
        for prop in (
            "UID",
            "DTSTAMP",
            "DTSTART",
            "DTEND",
            "SUMMARY",
            "SEQUENCE",
            "ORGANIZER",
            "STATUS",
        ):
            assert prop in vevent, prop
        assert "ATTENDEE" not in vevent  # PUBLISH forbids attendees
    assert str(studio["UID"]) == "studio@innoff.no" and str(studio["LOCATION"]) == "Digitalt"
    description = str(studio["DESCRIPTION"])
    assert "10:10–10:30 Erfaringer fra FORKOMMUNE programmet" in description
    assert "Kaja Høiseth-Gilje (partner, Menon)" in description
    assert "https://www.innoff.no" in description and "sees i etterkant" in description


@pytest.mark.parametrize("name", HOSTILE)
def test_invite_round_trips_hostile_names(name):
    entry = ical.event_entry(EVENTS[0], "innoff.no")
    template = ical.InviteTemplate(
        entry, 3, ical.Organizer('INNOFF; "Styret"', "post@innoff.no"), "REQUEST", STAMP
    )
    text = template.render("kari@example.org", name)
    check_lines(text)
    cal = icalendar.Calendar.from_ical(text)
    assert str(cal["METHOD"]) == "REQUEST"
    (vevent,) = cal.walk("VEVENT")
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:kari@example.org"
    assert attendee.params["CN"] == " ".join(name.split())  # a line break is a space, nothing more
    assert (attendee.params["RSVP"], attendee.params["PARTSTAT"], attendee.params["ROLE"]) == (
        "TRUE", "NEEDS-ACTION", "REQ-PARTICIPANT",
    )  # fmt: skip
    assert vevent["ORGANIZER"].params["CN"] == 'INNOFF; "Styret"'
    assert int(vevent["SEQUENCE"]) == 3
    assert set(vevent) & {"X-INJECT", "BREAK"} == set()
    assert (
        len(vevent.get("ATTENDEE") if isinstance(vevent.get("ATTENDEE"), list) else [attendee]) == 1
    )


def test_text_survives_a_round_trip():
    nasty = 'Linje 1\r\nLinje 2, med komma; semikolon "sitat" \\ backslash æøå\x07'
    entry = ical.Entry(
        "u@innoff.no", "studio", None, nasty, EVENTS[0].start, EVENTS[0].end, nasty, "", nasty
    )
    text = ical.calendar("PUBLISH", [ical.vevent_lines(entry, 0, "CONFIRMED")[0]], STAMP)
    (vevent,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    expected = 'Linje 1\nLinje 2, med komma; semikolon "sitat" \\ backslash æøå'
    assert (
        str(vevent["SUMMARY"]) == str(vevent["DESCRIPTION"]) == str(vevent["LOCATION"]) == expected
    )


def test_cancel_and_alarm():
    entry = ical.event_entry(EVENTS[1], "innoff.no")
    # Uninviting one attendee: RFC 5546 3.2.5 forbids STATUS (it would cancel the event).
    cancel = ical.InviteTemplate(entry, 2, ORGANIZER, "CANCEL", STAMP).render("ola@example.org", "")
    (vevent,) = icalendar.Calendar.from_ical(cancel).walk("VEVENT")
    assert "STATUS" not in vevent and int(vevent["SEQUENCE"]) == 2
    assert str(vevent["ATTENDEE"]) == "mailto:ola@example.org"
    assert "CN" not in vevent["ATTENDEE"].params and "RSVP" not in vevent["ATTENDEE"].params
    whole = ical.InviteTemplate(entry, 3, ORGANIZER, "CANCEL", STAMP, whole_event=True)
    (vevent,) = icalendar.Calendar.from_ical(whole.render("ola@example.org", "")).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED" and int(vevent["SEQUENCE"]) == 3
    request = ical.InviteTemplate(entry, 0, ORGANIZER, "REQUEST", STAMP, timedelta(minutes=15))
    text = request.render("ola@example.org", "Ola")
    (alarm,) = icalendar.Calendar.from_ical(text).walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    # VALARM comes after the event's own properties, ORGANIZER and ATTENDEE included.
    lines = unfold(text).split("\r\n")
    assert lines.index("BEGIN:VALARM") > max(
        i for i, line in enumerate(lines) if line.startswith(("ATTENDEE", "ORGANIZER", "SEQUENCE"))
    )
    assert lines[lines.index("END:VALARM") + 1] == "END:VEVENT"


def test_join_link_is_location_url_description_and_conference():
    link = "https://zoom.us/j/123?pwd=a,b;c&x=1"
    event = EVENTS[0]._replace(join_url=link, recording_url="https://www.innoff.no/opptak")
    entry = ical.event_entry(event, "innoff.no")
    text = ical.InviteTemplate(entry, 0, ORGANIZER, "REQUEST", STAMP).render("k@x.no", "K")
    check_lines(text)
    # The URI values are written as they are: no TEXT escaping of ',' or ';'.
    lines = unfold(text).split("\r\n")
    assert f"URL:{link}" in lines
    assert (
        f'CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL="Lenke for digital deltakelse":{link}' in lines
    )
    (vevent,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(vevent["LOCATION"]) == link  # a digital event's place is its link
    assert str(vevent["URL"]) == link
    assert str(vevent["DESCRIPTION"]).splitlines()[0] == link
    assert "Opptak i etterkant: https://www.innoff.no/opptak" in str(vevent["DESCRIPTION"])
    # A room keeps its name as LOCATION; the link is still URL and CONFERENCE.
    room = ical.event_entry(event._replace(location="Oslo rådhus"), "innoff.no")
    assert room.location == "Oslo rådhus" and room.url == link


def test_addresses_are_mailto_iris_as_people_wrote_them():
    assert ical.mailto("kari.nordmann+x@bergen.kommune.no") == (
        "mailto:kari.nordmann+x@bergen.kommune.no"
    )
    # Letters outside ASCII as typed (RFC 6068 IRI), as SabreDAV and libical match;
    # not percent-encoded, and never the IDNA 2003 codec's 'strasse'.
    assert ical.mailto("øystein@ås.no") == "mailto:øystein@ås.no"
    assert ical.mailto("post@straße.no") == "mailto:post@straße.no"
    assert ical.mailto("a b\u2028@x.no") == "mailto:a%20b%E2%80%A8@x.no"
    line = ical.attendee_line("a?b#c@x.no", "")
    assert line.endswith(":mailto:a%3Fb%23c@x.no")


def test_content_and_significant_changes():
    entry = ical.event_entry(EVENTS[0], "innoff.no")
    retitled = ical.event_entry(EVENTS[0]._replace(title="INNOFF-studio 2020"), "innoff.no")
    assert (
        retitled.content() != entry.content()
        and retitled.attendee_sequence_digest() == entry.attendee_sequence_digest()
    )
    later = ical.event_entry(
        EVENTS[0]._replace(end=EVENTS[0].end + timedelta(minutes=10)), "innoff.no"
    )
    assert later.attendee_sequence_digest() != entry.attendee_sequence_digest()
    linked = ical.event_entry(EVENTS[0]._replace(join_url="https://zoom.us/j/1"), "innoff.no")
    assert (
        linked.attendee_sequence_digest() != entry.attendee_sequence_digest()
    )  # the place of a digital event
    assert ical.Entry.from_json(entry.as_json()) == entry


def test_items_have_their_own_stable_uids():
    entries = ical.item_entries(EVENTS[0], "innoff.no", breaks=False)
    assert "studio.pause@innoff.no" not in [e.uid for e in entries]
    assert [e.uid for e in entries][:2] == [
        "studio.velkommen@innoff.no",
        "studio.introduksjon@innoff.no",
    ]
    assert ical.item_entries(EVENTS[0], "innoff.no") == ical.item_entries(
        programme.bundled_programme()[0], "innoff.no"
    )


@pytest.mark.parametrize(
    "text, organizer",
    [("INNOFF <post@innoff.no>", ical.Organizer("INNOFF", "post@innoff.no")),
     ('"Styret, INNOFF" <styret@innoff.no>', ical.Organizer("Styret, INNOFF", "styret@innoff.no")),
     ("post@innoff.no", ical.Organizer("", "post@innoff.no"))],
)  # fmt: skip
def test_parse_organizer(text, organizer):
    assert ical.parse_organizer(text) == organizer


def test_parse_organizer_refuses_nonsense():
    with pytest.raises(InnoffError, match="bad organiser 'INNOFF' - write it as"):
        ical.parse_organizer("INNOFF")


def state_of(plan: calendars.FeedPlan) -> dict:
    return {row["uid"]: row for row in plan.state_rows(STAMP)}


def test_plan_feed_new_unchanged_updated_and_cancelled():
    events = programme.bundled_programme()
    entries = [ical.event_entry(e, "innoff.no") for e in events]
    everything = lambda row: True  # noqa: E731
    first = calendars.plan_feed(entries, {}, everything)
    assert first.changes == {"studio@innoff.no": "new", "arsmote@innoff.no": "new"}
    state = state_of(first)
    again = calendars.plan_feed(entries, state, everything)
    assert (
        again.sequences == {"studio@innoff.no": 0, "arsmote@innoff.no": 0} and not again.cancelled
    )

    shifted = programme.shift_item(events[0], "pause", timedelta(minutes=5), following=True)
    changed = [ical.event_entry(shifted, "innoff.no"), entries[1]]
    plan = calendars.plan_feed(changed, state, everything)
    assert plan.changes == {"studio@innoff.no": "updated", "arsmote@innoff.no": "unchanged"}
    assert plan.sequences["studio@innoff.no"] == 1

    gone = calendars.plan_feed([changed[0]], state_of(plan), everything)
    assert [(e.uid, seq) for e, seq in gone.cancelled] == [("arsmote@innoff.no", 1)]
    assert "arsmote@innoff.no: SEQUENCE 0 -> 1 (cancelled)" in gone.lines()
    out_of_scope = calendars.plan_feed(
        [changed[0]], state_of(plan), lambda row: row["event"] == "studio"
    )
    assert out_of_scope.cancelled == []


def test_invite_file_names_are_safe_and_distinct():
    assert calendars.invite_file_name("studio", "kari@x.no") == "studio_kari@x.no.ics"
    plus, dash = (calendars.invite_file_name("studio", e) for e in ("a+b@x.no", "a-b@x.no"))
    assert plus != dash and "/" not in plus and "+" not in plus
    assert calendars.invite_file_name("studio", "../../etc/passwd@x.no").startswith(
        "studio_..-..-etc-passwd@x.no-"
    )
