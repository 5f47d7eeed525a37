"""reply_messages.parse_calendar: strict about what would make an answer wrong,
tolerant of each client's known quirk, a case a quirk (tolerate())."""

from __future__ import annotations

import pytest

from innoff_cli.reply_messages import Attendee, BadCalendar, parse_calendar

EVENT = [
    "UID:studio@innoff.no",
    "SEQUENCE:1",
    "DTSTAMP:20201105T123001Z",
    "ORGANIZER:mailto:post@innoff.no",
    "ATTENDEE;PARTSTAT=ACCEPTED;CN=Kari:mailto:kari@x.no",
]


def calendar(event: list[str], method: str | None = "REPLY") -> str:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    if method:
        head.append(f"METHOD:{method}")
    return "\r\n".join([*head, "BEGIN:VEVENT", *event, "END:VEVENT", "END:VCALENDAR", ""])


def one_answer(text: str, hint: str = ""):
    method, (answer,) = parse_calendar(text, hint)
    return method, answer


def test_a_plain_reply():
    method, answer = one_answer(calendar(EVENT))
    assert (method, answer.uid, answer.sequence, answer.organizer) == (
        "REPLY", "studio@innoff.no", 1, "post@innoff.no",
    )  # fmt: skip
    assert answer.dtstamp_utc == "2020-11-05T12:30:01+00:00"
    assert answer.attendees == (Attendee("kari@x.no", "ACCEPTED", "", "Kari"),)


def test_quirk_no_method_takes_the_mime_parts():
    assert one_answer(calendar(EVENT, method=None), hint="REPLY")[0] == "REPLY"
    assert one_answer(calendar(EVENT, method=None))[0] == ""  # and none is none


def test_quirk_outlook_com_leaves_out_the_organizer():
    event = [line for line in EVENT if not line.startswith("ORGANIZER")]
    assert one_answer(calendar(event))[1].organizer == ""


def test_quirk_a_sequence_without_a_value_is_zero():
    event = [("SEQUENCE: " if line.startswith("SEQUENCE") else line) for line in EVENT]
    assert one_answer(calendar(event))[1].sequence == 0


def test_quirk_apple_names_the_attendee_by_urn_with_the_address_in_email():
    event = [
        *EVENT[:4],
        'ATTENDEE;CN="Øystein Ås";EMAIL="oystein@ntnu.no";PARTSTAT=ACCEPTED:'
        "urn:uuid:5A1F3C2E-7B1D-4C8E-9F0A-1B2C3D4E5F60",
    ]
    (attendee,) = one_answer(calendar(event))[1].attendees
    assert (attendee.address, attendee.partstat, attendee.name) == (
        "oystein@ntnu.no", "ACCEPTED", "Øystein Ås",
    )  # fmt: skip
    # A mailto: value is the address, whatever EMAIL= says.
    event[-1] = "ATTENDEE;EMAIL=other@x.no;PARTSTAT=DECLINED:mailto:kari@x.no"
    assert one_answer(calendar(event))[1].attendees[0].address == "kari@x.no"


@pytest.mark.parametrize(
    "event, reason",
    [
        ([line for line in EVENT if not line.startswith("UID")], "a VEVENT without UID"),
        (["SEQUENCE:two", *EVENT[:1], *EVENT[2:]], "SEQUENCE is not a number: 'two'"),
    ],
)
def test_what_would_make_an_answer_wrong_is_refused(event, reason):
    with pytest.raises(BadCalendar, match=reason):
        parse_calendar(calendar(event))


def test_a_calendar_cut_short_is_refused():
    with pytest.raises(BadCalendar, match="no END:VCALENDAR"):
        parse_calendar(calendar(EVENT).replace("END:VCALENDAR", ""))


def test_an_x_name_outside_the_token_set_is_passed_over():
    """Outlook for Mac writes X-ENTOURAGE_UUID; libical, icalendar and ical.js read on."""
    event = [*EVENT, "X-ENTOURAGE_UUID:3f2c0a9e-0000-4000-8000-000000000000"]
    assert one_answer(calendar(event))[1].attendees[0].partstat == "ACCEPTED"
    with pytest.raises(BadCalendar, match="not a content line"):
        parse_calendar(calendar([*EVENT, "this is no line at all"]))
