"""The reply reader against icalendar on generated calendars: for every calendar
both accept, they agree on UID, SEQUENCE, each ATTENDEE and PARTSTAT, and DTSTAMP.

The calendars vary what real clients vary: property and parameter case, quoted
and bare parameter values, folding anywhere (inside UTF-8 characters too),
x-names and IANA names outside RFC 5545's token set (X-ENTOURAGE_UUID),
VTIMEZONE and VALARM around the event, escaped text, LF or CRLF.
"""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from innoff_cli.reply_messages import BadCalendar, parse_calendar

NAMES = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"'), max_size=20
)
ADDRESSES = st.from_regex(r"[a-z][a-z0-9._+-]{0,12}@[a-z]{1,8}\.(no|org|example)", fullmatch=True)
PARTSTATS = st.sampled_from(["ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION", "DELEGATED"])
X_NAMES = st.sampled_from(
    ["X-ENTOURAGE_UUID", "X-MICROSOFT-CDO-OWNERAPPTID", "X-MOZ-GENERATION", "X-LIC-ERROR",
     "X-GOOGLE_CONFERENCE", "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR"]
)  # fmt: skip


def case(draw, word: str) -> str:
    return draw(st.sampled_from([word, word.lower(), word.title()]))


@st.composite
def calendars(draw) -> tuple[str, dict]:
    uid = draw(st.from_regex(r"[A-Za-z0-9@._-]{1,40}", fullmatch=True))
    sequence = draw(st.integers(min_value=0, max_value=2**31 - 1))
    stamp = draw(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
    stamp = stamp.replace(microsecond=0, tzinfo=UTC)
    people = draw(st.lists(st.tuples(ADDRESSES, PARTSTATS, NAMES), min_size=1, max_size=3,
                           unique_by=lambda p: p[0]))  # fmt: skip
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//generated//EN",
        f"{case(draw, 'METHOD')}:REPLY",
    ]  # fmt: skip
    if draw(st.booleans()):
        lines += ["BEGIN:VTIMEZONE", "TZID:Europe/Oslo", "BEGIN:STANDARD",
                  "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
                  "END:STANDARD", "END:VTIMEZONE"]  # fmt: skip
    lines += ["BEGIN:VEVENT", f"{case(draw, 'UID')}:{uid}"]
    extras = []
    for name in draw(st.lists(X_NAMES, max_size=3)):
        value = draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30))
        extras.append(f"{name}:{value}")
    extras += [
        f"{case(draw, 'SEQUENCE')}:{sequence}",
        f"{case(draw, 'DTSTAMP')}:{stamp:%Y%m%dT%H%M%SZ}",
        "DTSTART;TZID=Europe/Oslo:20201117T100000",
        "SUMMARY:"
        + draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30))
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,"),
    ]
    for address, partstat, name in people:
        params = [f"{case(draw, 'PARTSTAT')}={partstat}"]
        if name:
            params.append(f'CN="{name}"')
        if draw(st.booleans()):
            params.append("RSVP=TRUE")
        params = draw(st.permutations(params))
        mailto = draw(st.sampled_from(["mailto:", "MAILTO:", "mailto:"]))
        extras.append(f"{case(draw, 'ATTENDEE')};{';'.join(params)}:{mailto}{address}")
    lines += draw(st.permutations(extras))
    if draw(st.booleans()):
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM"]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    # Fold any line anywhere past its first character, as clients do (octets or characters).
    folded = []
    for line in lines:
        cut = draw(st.integers(min_value=0, max_value=len(line)))
        folded.append(line if cut < 1 else line[:cut] + "\r\n " + line[cut:])
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    text = newline.join(folded).replace("\r\n ", newline + " ") + newline
    return text, {"uid": uid, "sequence": sequence, "stamp": stamp, "people": people}


@settings(max_examples=300, deadline=None)
@given(calendars())
def test_the_reader_agrees_with_icalendar(generated):
    text, meant = generated
    try:
        method, answers = parse_calendar(text)
    except BadCalendar as error:
        raise AssertionError(f"innoff refused a calendar a client could send: {error}") from None
    try:
        theirs = icalendar.Calendar.from_ical(text)
    except ValueError:
        return  # only calendars both accept are compared
    (event,) = theirs.walk("VEVENT")
    (answer,) = answers
    assert method == "REPLY" == str(theirs["METHOD"])
    assert answer.uid == str(event["UID"]) == meant["uid"]
    assert answer.sequence == int(event["SEQUENCE"]) == meant["sequence"]
    stamp = event.decoded("DTSTAMP")
    assert answer.dtstamp_utc == stamp.astimezone(UTC).isoformat() == meant["stamp"].isoformat()
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    from_icalendar = sorted(
        (str(a).split(":", 1)[1].casefold(), a.params["PARTSTAT"]) for a in attendees
    )
    ours = sorted((a.address.casefold(), a.partstat) for a in answer.attendees)
    assert ours == from_icalendar == sorted((p[0], p[1]) for p in meant["people"])
    names = {a.address.casefold(): a.name for a in answer.attendees}
    for address, _, name in meant["people"]:
        assert names[address] == name
