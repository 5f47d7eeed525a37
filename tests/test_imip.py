"""Pure tests of the e-mail messages: the per-person bytes say exactly what a
message built whole by the `email` package says."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header

import icalendar
import pytest

from innoff_cli import ical, imip, itip, programme

STAMP = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EVENT = programme.bundled_programme()[0]._replace(join_url="https://zoom.us/j/1?pwd=a,b;c")
ENTRY = ical.event_entry(EVENT, "innoff.no")
ORGANIZER = ical.Organizer("INNOFF", "post@innoff.no")
NAMES = [
    "Kari Nordmann",
    'Kari "K" Nordmann',
    "Øystein Ås",
    "Nordmann, Kari",
    "a=b =?utf-8?q?x?= (kommentar) <x@y>",
    "",
    "Ærlend Østbø Åsheim " * 5,  # long: built whole
    "Line\nBREAK\r\nBcc: evil@example.org",
]


def message_for(name: str, address: str = "kari@example.org", change=itip.NEW, method="REQUEST"):
    return itip.Message(address.casefold(), address, name, "studio", ENTRY.uid, method, change, 3,
                        ENTRY.content(), ENTRY.attendee_sequence_digest())  # fmt: skip


def decoded_to(data: bytes) -> str:
    """The To header as RFC 2047 reads it: whitespace between adjacent encoded
    words ignored (the `email` package's address parser puts a space there)."""
    raw = data.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    (line,) = re.findall(r"^To: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", raw, re.M)
    line = line.replace("\r\n", "")
    if not line.isascii():  # SMTPUTF8: UTF-8 as it is, no encoded words
        return line
    return str(make_header(decode_header(line)))


def parts(data: bytes) -> tuple[dict, list[tuple[str, dict, bytes]]]:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    headers = {k: str(parsed[k]) for k in ("From", "Subject", "Date", "Message-ID")}
    headers["To"] = decoded_to(data)
    leaves = [
        (part.get_content_type(), dict(part.get_params() or []), part.get_payload(decode=True))
        for part in parsed.walk()
        if not part.is_multipart()
    ]
    return headers, leaves


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("address", ["kari@example.org", "øystein@ås.no"])
def test_rendered_bytes_say_what_the_whole_message_says(name, address):
    template = imip.Template(message_for(name, address), ENTRY, ORGANIZER, STAMP)
    message = message_for(name, address)
    fast = template.render(message, "INNOFF <post@innoff.no>", "<1@innoff.no>")
    whole = template.message(message, "INNOFF <post@innoff.no>", "<1@innoff.no>").as_bytes(
        policy=email.policy.SMTPUTF8
    )
    assert b"\r\n" in fast and b"\n" not in fast.replace(b"\r\n", b"")
    assert max(len(line) for line in fast.split(b"\r\n")) <= 998
    fast_headers, fast_leaves = parts(fast)
    whole_headers, whole_leaves = parts(whole)
    if "=?" in name:  # `email` writes it bare, and readers then decode it: checked below
        del fast_headers["To"], whole_headers["To"]
    assert fast_headers == whole_headers
    # Every encoded word within RFC 2047's 75 characters; the name reads as typed.
    assert all(len(word) <= 75 for word in re.findall(rb"=\?[^?]+\?[bBqQ]\?[^?]*\?=", fast))
    shown = " ".join(name.split())
    if "=?" in shown:  # quoted, so no reader decodes it (Python's decode_header would)
        assert f'\r\nTo: "{shown}" <'.encode() in fast
    elif shown and not any(c in shown for c in '",()<>@\n'):
        assert decoded_to(fast) == f"{shown} <{imip.ascii_address(address) or address}>"
    # Boundaries differ; the parts, their parameters and their bytes do not.
    assert [(t, {k: v for k, v in p.items() if k != "boundary"}, b) for t, p, b in fast_leaves] == [
        (t, {k: v for k, v in p.items() if k != "boundary"}, b) for t, p, b in whole_leaves
    ]
    kinds = [t for t, _, _ in fast_leaves]
    assert kinds == ["text/plain", "text/html", "text/calendar", "application/ics"]
    greeting = fast_leaves[0][2].decode("utf-8").splitlines()[0]
    assert greeting == (f"Hei {' '.join(name.split())}," if name else "Hei,")
    cal = icalendar.Calendar.from_ical(fast_leaves[2][2])
    (vevent,) = cal.walk("VEVENT")
    assert vevent["ATTENDEE"].params.get("CN", "") == " ".join(name.split())


def test_subjects_and_texts_per_kind_of_message():
    for change, method, start in [
        (itip.NEW, "REQUEST", "Invitasjon: "),
        (itip.UPDATE, "REQUEST", "Endret: "),
        (itip.UNINVITED, "CANCEL", "Avlyst: "),
        (itip.EVENT_CANCELLED, "CANCEL", "Avlyst: "),
    ]:
        message = message_for("Kari", change=change, method=method)
        template = imip.Template(message, ENTRY, ORGANIZER, STAMP)
        assert template.subject == f"{start}INNOFF-studio tirsdag 17. november 2020 10:00-12:00"
        text = template.text
        if method == "CANCEL":
            assert "Godta" not in text and "Bli med digitalt" not in text
        else:
            assert "Bli med digitalt: https://zoom.us/j/1?pwd=a,b;c" in text and "Godta" in text
    uninvited = imip.Template(message_for("K", change=itip.UNINVITED, method="CANCEL"), ENTRY,
                              ORGANIZER, STAMP)  # fmt: skip
    assert "Arrangementet går som planlagt" in uninvited.text
