"""A generated corpus of broken and hostile mail among honest replies: every run
of `invites replies` ends without a traceback, every honest answer is recorded,
and nothing from a stranger is applied.

Each example is a Maildir of honest replies (one per invite, a PARTSTAT drawn)
and broken messages drawn from the kinds that have ended runs before: random
bytes, unknown or poisonous charsets, numbers past any bound, impossible dates,
parts nested past any depth, calendars of random lines, and honest replies cut
short or sent by a stranger.
"""

from __future__ import annotations

import base64
import json
import mailbox
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import invoke
from tests.reply_mail import reply
from tests.test_replies import KARI, OYSTEIN, PER, deliver

STRANGER = "stranger@evil.example"
PARTSTATS = ["ACCEPTED", "DECLINED", "TENTATIVE"]


_serial = iter(range(10**9))


def _mail(headers: dict[str, str], body: bytes, content_type: str = "text/plain") -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"From: {STRANGER}\r\nMessage-ID: <{next(_serial)}@evil.example>\r\n{head}"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n"
    ).encode("utf-8", "surrogateescape") + body


def _calendar(lines: list[str]) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n" + "\r\n".join(lines) + "\r\nEND:VCALENDAR\r\n"
    ).encode("utf-8", "surrogatepass")


def _reply_lines(uid: str, attendee: str, sequence: str, partstat: str) -> list[str]:
    return [
        "BEGIN:VEVENT", f"UID:{uid}", f"SEQUENCE:{sequence}", "DTSTAMP:20201110T120000Z",
        f"ATTENDEE;PARTSTAT={partstat}:mailto:{attendee}", "END:VEVENT",
    ]  # fmt: skip


UIDS = st.sampled_from(["studio@innoff.no", "arsmote@innoff.no", "nothing@innoff.no"])
PEOPLE = st.sampled_from([KARI, OYSTEIN, PER, STRANGER])
CHARSETS = st.sampled_from(
    ["punycode", "undefined", "utf-8\x00", "x-unknown", "utf-7", "idna", "", "rot13", "base64",
     "utf-16", "UTF-8; format=flowed", "\u00e6\u00f8\u00e5"]
)  # fmt: skip
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["9223372036854775807", "9" * 400, "-0", "1e9", "", "Ⅻ", "٣"]),
)
DATES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["Fri, 31 Dec 9999 23:59:59 -2359", "Mon, 1 Jan 0001 00:00:00 +9999",
                     "32 Foo 2020", "Tue, 17 Nov 2020 10:00:00 +0100"]),
)  # fmt: skip


@st.composite
def broken_messages(draw, honest: list[bytes]) -> bytes:
    kind = draw(st.integers(min_value=0, max_value=7))
    if kind == 0:  # not mail at all, or nearly
        return draw(st.binary(max_size=400))
    if kind == 1:  # a calendar part whose charset no codec reads
        body = _calendar(
            _reply_lines(draw(UIDS), draw(PEOPLE), "0", draw(st.sampled_from(PARTSTATS)))
        )
        charset = draw(CHARSETS)
        return _mail({}, body, f'text/calendar; method=REPLY; charset="{charset}"')
    if kind == 2:  # numbers past any bound
        lines = _reply_lines(draw(UIDS), draw(PEOPLE), draw(NUMBERS), "DECLINED")
        return _mail({}, _calendar(lines), "text/calendar; method=REPLY")
    if kind == 3:  # an impossible date
        return _mail({"Date": draw(DATES).replace("\r", " ").replace("\n", " ")},
                     b"hei\r\n")  # fmt: skip
    if kind == 4:  # parts nested past any depth
        depth = draw(st.integers(min_value=1, max_value=1200))
        opening = b"".join(
            f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
            for i in range(depth)
        )
        return _mail({}, opening + b"Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n")
    if kind == 5:  # a calendar of random lines
        lines = draw(st.lists(st.text(max_size=60), max_size=12))
        return _mail({}, _calendar(["BEGIN:VEVENT", *lines, "END:VEVENT"]),
                     "text/calendar; method=REPLY; charset=utf-8")  # fmt: skip
    if kind == 6:  # an honest reply cut short
        data = draw(st.sampled_from(honest))
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        return data[:cut].replace(b"Message-ID: <", b"Message-ID: <cut-", 1)
    # A stranger's answer for someone else, in base64, with an x-name of its own.
    lines = _reply_lines(draw(UIDS), draw(PEOPLE), "0", "DECLINED")
    lines.insert(
        1, "X-ENTOURAGE_UUID:" + draw(st.text(max_size=20)).replace("\r", "").replace("\n", "")
    )
    body = base64.encodebytes(_calendar(lines))
    return _mail({"Content-Transfer-Encoding": "base64"}, body, "text/calendar; method=REPLY")


def test_broken_mail_costs_only_itself(run, db_path, tmp_path_factory):
    # One database of three people invited, copied for every example.
    base = tmp_path_factory.mktemp("corpus")
    export = base / "neon.csv"
    export.write_text(
        f"Navn;E-post;Deltar på årsmøte\nKari;{KARI};Ja\nØystein;{OYSTEIN};Nei\nPer;{PER};Ja\n",
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    sent = deliver(run, base / "sent")
    invites = dict(sent)
    seed = base / "seed.db"
    shutil.copyfile(db_path, seed)
    example = [0]

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])  # fmt: skip
    @given(data=st.data())
    def check(data) -> None:
        example[0] += 1
        db = base / f"example-{example[0]}.db"
        shutil.copyfile(seed, db)
        chosen = {key: data.draw(st.sampled_from(PARTSTATS)) for key in invites}
        honest = [reply(invites[key], partstat) for key, partstat in chosen.items()]
        broken = data.draw(st.lists(broken_messages(honest), min_size=1, max_size=12))
        folder = base / f"mail-{example[0]}"
        box = mailbox.Maildir(folder)
        for message in [*broken, *honest]:
            box.add(message)
        result = invoke(db, "invites", "replies", str(folder), "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert "Traceback" not in result.stderr
        report = json.loads(result.stdout)
        assert report["messages"] == len(broken) + len(honest)
        status = json.loads(invoke(db, "invites", "status", "--format", "json").stdout)
        got = {(row["email"], row["uid"]): row["answer"] for row in status}
        # Every honest answer stands, whatever was read with it; no stranger's did.
        assert got == {key: partstat.lower() for key, partstat in chosen.items()}

    check()
