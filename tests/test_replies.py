"""`innoff invites replies`: the answers calendars send back, read from saved mail,
mbox, Maildir and a real IMAP server (Dovecot on 127.0.0.1), against invites innoff
sent. Fixtures in tests/fixtures/replies name their origin in X-Fixture-Origin.
"""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import os
import sqlite3
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from innoff_cli import reply_messages
from tests.conftest import FIXTURES
from tests.raw_server import RawServer
from tests.reply_mail import invite_calendar, reply
from tests.smtp_server import SmtpServer

REPLIES = FIXTURES / "replies"
KARI, OYSTEIN, PER = "Kari.Nordmann@Bergen.Kommune.no", "oystein@ntnu.no", "per@ks.no"


@pytest.fixture
def invited(run, tmp_path):
    """Three people invited (Kari and Per to both events, Øystein to the studio),
    the invites delivered into a Maildir; returns {(address key, uid): bytes}."""
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Deltar på årsmøte\n"
        f'Kari "K" Nordmann;{KARI};Ja\nØystein Ås;{OYSTEIN};Nei\nPer Nordmann, PhD;{PER};Ja\n',
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    return deliver(run, tmp_path / "sent")


def deliver(run, folder) -> dict[tuple[str, str], bytes]:
    result = run("invites", "send", "--yes", "--maildir", str(folder))
    assert result.exit_code == 0, result.stderr
    sent = {}
    box = mailbox.Maildir(folder, create=False)
    for data in (box.get_bytes(key) for key in box.keys()):
        message = email.message_from_bytes(data)
        assert reply_messages.read_message(data).answers == []  # a REQUEST is no answer
        cal = icalendar.Calendar.from_ical(
            next(p for p in message.walk() if p.get_content_type() == "text/calendar").get_payload(
                decode=True
            )
        )
        (event,) = cal.walk("VEVENT")
        sent[(str(event["ATTENDEE"]).removeprefix("mailto:").casefold(), str(event["UID"]))] = data
    return sent


def replies(run, *sources, expect: int = 0) -> dict:
    result = run("invites", "replies", *map(str, sources), "--format", "json")
    assert result.exit_code == expect, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout) if expect == 0 else result


def answers(run) -> dict[tuple[str, str], str | None]:
    status = json.loads(run("invites", "status", "--format", "json").stdout)
    return {(row["email"], row["event"]): row["answer"] for row in status}


def test_replies_from_real_calendar_programs(run, invited):
    report = replies(run, REPLIES)
    assert report["messages"] == 6 and report["errors"] == [] and report["ignored"] == []
    assert answers(run) == {
        ("kari.nordmann@bergen.kommune.no", "studio"): "accepted",  # Outlook desktop
        ("kari.nordmann@bergen.kommune.no", "arsmote"): "tentative",  # Thunderbird
        ("per@ks.no", "studio"): "tentative",  # outlook.com, no ORGANIZER
        ("per@ks.no", "arsmote"): "declined",  # Google, two copies of one calendar
        ("oystein@ntnu.no", "studio"): "accepted",  # Apple, EMAIL= beside urn:uuid
    }
    assert report["answers"] == {"accepted": 2, "tentative": 2, "declined": 1}
    # The COUNTER is recorded and listed, never applied.
    (counter,) = report["counters"]
    assert (counter["email"], counter["event"], counter["start"], counter["end"]) == (
        "per@ks.no", "studio", "20201117T103000", "20201117T123000",
    )  # fmt: skip
    assert counter["comment"] == "Kan vi starte en halvtime senere?"
    shown = json.loads(run("agenda", "show", "--format", "json").stdout)
    assert shown[0]["start"] == "2020-11-17T10:00:00+01:00"
    status = json.loads(run("invites", "status", "--format", "json").stdout)
    per = next(r for r in status if r["email"] == "per@ks.no" and r["event"] == "studio")
    assert per["counter"].startswith("20201117T103000")
    # What innoff read is what an independent parser reads.
    for path in sorted(REPLIES.glob("*.eml")):
        data = path.read_bytes()
        read = reply_messages.read_message(data)
        message = email.message_from_bytes(data)
        assert message["X-Fixture-Origin"], path.name
        parts = [
            p
            for p in message.walk()
            if p.get_content_type() in ("text/calendar", "application/ics")
        ]
        for part in parts:
            (vevent,) = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
            (answer,) = read.answers
            assert answer.uid == str(vevent["UID"])
            assert answer.sequence == int(vevent.get("SEQUENCE", 0))
            assert answer.attendees[0].partstat == vevent["ATTENDEE"].params["PARTSTAT"]
    # Read again: nothing changes.
    again = replies(run, REPLIES)
    assert again["already_read"] == 6 and again["recorded"] == []


def test_a_mailbox_too_large_to_hold_is_read_and_reported_the_same(run, invited, monkeypatch):
    """Past what a Spool holds, the answers read wait in a temporary file: the
    report and what is recorded are the same."""
    from innoff_cli import spools

    # The report says when it was read: one moment for all the runs compared.
    monkeypatch.setenv("INNOFF_NOW", "2020-11-16T10:00+01:00")
    held = run("invites", "replies", str(REPLIES), "--format", "json", "--dry-run")
    table = run("invites", "replies", str(REPLIES), "--dry-run")
    monkeypatch.setattr(spools.Spool, "KEEP", 1)
    assert run("invites", "replies", str(REPLIES), "--format", "json", "--dry-run").stdout == (
        held.stdout
    )
    assert run("invites", "replies", str(REPLIES), "--dry-run").stdout == table.stdout
    report = replies(run, REPLIES)
    assert len(report["recorded"]) == 5 and len(report["counters"]) == 1
    assert answers(run) == {
        ("kari.nordmann@bergen.kommune.no", "studio"): "accepted",
        ("kari.nordmann@bergen.kommune.no", "arsmote"): "tentative",
        ("per@ks.no", "studio"): "tentative",
        ("per@ks.no", "arsmote"): "declined",
        ("oystein@ntnu.no", "studio"): "accepted",
    }


def test_lists_and_stats_show_the_answers(run, invited):
    replies(run, REPLIES)
    listed = json.loads(run("registrations", "list", "--format", "json").stdout)
    assert {p["email"]: p["rsvp"] for p in listed} == {
        "Kari.Nordmann@bergen.kommune.no": {"studio": "accepted", "arsmote": "tentative"},
        "per@ks.no": {"studio": "tentative", "arsmote": "declined"},
        "oystein@ntnu.no": {"studio": "accepted"},
    }
    declined = json.loads(
        run("registrations", "list", "--rsvp", "declined", "--format", "json").stdout
    )
    assert [p["email"] for p in declined] == ["per@ks.no"]
    accepted = run(
        "registrations", "list", "--event", "arsmote", "--rsvp", "accepted", "-f", "json"
    )
    assert json.loads(accepted.stdout) == []
    stats = json.loads(run("registrations", "stats", "--format", "json").stdout)
    assert stats["answers per event"]["studio"] == {
        "accepted": 2, "tentative": 1, "declined": 0, "delegated": 0, "none": 0,
    }  # fmt: skip
    table = run("registrations", "list").stdout
    assert "accepted, tentative" in table


def test_stale_answers_never_replace_current_ones_and_a_change_asks_again(run, invited, tmp_path):
    kari = invited[("kari.nordmann@bergen.kommune.no", "studio@innoff.no")]
    early = datetime(2020, 11, 3, 9, tzinfo=UTC)
    (tmp_path / "accepted.eml").write_bytes(reply(kari, "ACCEPTED", stamp=early))
    replies(run, tmp_path / "accepted.eml")
    # The time changes: SEQUENCE 1 goes out, and the answer is to be confirmed.
    assert run("agenda", "event", "studio", "--join-url", "https://zoom.us/j/2").exit_code == 0
    newer = deliver(run, tmp_path / "sent2")
    update = newer[("kari.nordmann@bergen.kommune.no", "studio@innoff.no")]
    assert answers(run)[("kari.nordmann@bergen.kommune.no", "studio")] == "to confirm:accepted"
    listed = json.loads(run("registrations", "list", "--rsvp", "none", "-f", "json").stdout)
    kari_row = next(p for p in listed if p["email"].startswith("Kari"))
    assert kari_row["rsvp_before_change"] == {"studio": "accepted"}
    # She declines the new version; then an old reply to SEQUENCE 0 arrives late.
    (tmp_path / "declined.eml").write_bytes(
        reply(update, "DECLINED", stamp=early + timedelta(days=2))
    )
    (tmp_path / "late.eml").write_bytes(
        reply(kari, "TENTATIVE", sequence=0, stamp=early + timedelta(days=3))
    )
    report = replies(run, tmp_path / "declined.eml", tmp_path / "late.eml")
    assert [(s["answer"], s["sequence"], s["last_sent"]) for s in report["stale"]] == [
        ("tentative", 0, 1)
    ]
    assert answers(run)[("kari.nordmann@bergen.kommune.no", "studio")] == "declined"
    # Among current answers the newest DTSTAMP wins, whatever order they are read in.
    (tmp_path / "older.eml").write_bytes(reply(update, "ACCEPTED", stamp=early + timedelta(days=1)))
    (tmp_path / "newest.eml").write_bytes(
        reply(update, "TENTATIVE", stamp=early + timedelta(days=4))
    )
    replies(run, tmp_path / "newest.eml", tmp_path / "older.eml")
    assert answers(run)[("kari.nordmann@bergen.kommune.no", "studio")] == "tentative"


def test_strangers_unknown_uids_delegation_and_from_address(run, invited, tmp_path):
    per = invited[("per@ks.no", "studio@innoff.no")]
    oystein = invited[("oystein@ntnu.no", "studio@innoff.no")]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "1-stranger.eml").write_bytes(
        reply(per, "ACCEPTED", attendee="ukjent@example.org", sender="ukjent@example.org")
    )
    (folder / "2-unknown-uid.eml").write_bytes(reply(per, "ACCEPTED", uid="meeting-42@example.org"))
    (folder / "3-delegated.eml").write_bytes(
        reply(oystein, "DELEGATED", delegated_to="kollega@ntnu.no", layout="attachment")
    )
    # Per answers from an alias: the ATTENDEE names no one invited, the From does.
    (folder / "4-alias.eml").write_bytes(
        reply(per, "ACCEPTED", attendee="per.nordmann@ks.no", sender=PER, organizer=False,
              layout="bare")
    )  # fmt: skip
    (folder / "5-not-mail.eml").write_text("Dette er ikke en e-post.\n", encoding="utf-8")
    (folder / "6-broken.eml").write_bytes(  # cut short in the middle of its VEVENT
        b"From: per@ks.no\nMessage-ID: <cut@ks.no>\nContent-Type: text/calendar; method=REPLY\n\n"
        b"BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:studio@innoff.no\nATTEN"
    )
    (folder / "7-plain-mail.eml").write_bytes(b"From: a@b.no\nSubject: hei\n\nbare tekst\n")
    report = replies(run, folder)
    reasons = sorted((r["from"], r["reason"]) for r in report["ignored"])
    assert reasons == [
        ("per@ks.no", "no invite of innoff has this UID"),
        ("ukjent@example.org", "never invited"),
    ]
    assert [(r["from"], r["attendee"]) for r in report["matched_by_from"]] == [
        ("per@ks.no", "per.nordmann@ks.no")
    ]
    assert sorted(e["where"].split("/")[-1].split()[0] for e in report["errors"]) == [
        "5-not-mail.eml", "6-broken.eml",
    ]  # fmt: skip
    assert report["other_mail"] == 1
    status = {(r["email"], r["event"]): r for r in json.loads(
        run("invites", "status", "--format", "json").stdout)}  # fmt: skip
    assert status[("oystein@ntnu.no", "studio")]["answer"] == "delegated"
    assert status[("oystein@ntnu.no", "studio")]["delegated_to"] == "kollega@ntnu.no"
    assert status[("per@ks.no", "studio")]["answer"] == "accepted"
    table = run("invites", "replies", str(folder))
    assert table.exit_code == 0 and "Not read: 2" in table.stdout


def test_an_erased_persons_reply_is_never_stored(run, invited, tmp_path, db_path):
    oystein = invited[("oystein@ntnu.no", "studio@innoff.no")]
    assert run("registrations", "remove", OYSTEIN, "--yes").exit_code == 0
    (tmp_path / "r.eml").write_bytes(reply(oystein, "ACCEPTED"))
    report = replies(run, tmp_path / "r.eml")
    assert [r["reason"] for r in report["ignored"]] == ["not a participant (erased)"]
    assert all(OYSTEIN not in json.dumps(r) for r in report["ignored"])
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM replies").fetchone() == (0,)


def test_dry_run_records_nothing(run, invited):
    report = replies(run, REPLIES, "--dry-run")
    assert report["dry_run"] and not report["written"] and len(report["recorded"]) == 5
    assert set(answers(run).values()) == {None}


def test_round_trip_through_smtp_into_maildir_and_mbox(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_text(f"Navn;E-post\nKari;{KARI}\nPer;{PER}\n", encoding="utf-8")
    assert run("registrations", "import", str(export)).exit_code == 0
    with SmtpServer() as server:
        sent = run("invites", "send", "--yes", "--rate", "0", env=server.env())
        assert sent.exit_code == 0, sent.stderr
        received = list(server.received)
    assert len(received) == 2
    kari, per = sorted(received, key=lambda r: r.recipients[0].casefold())
    inbox = mailbox.Maildir(tmp_path / "Maildir", create=True)
    inbox.add(reply(kari.data, "ACCEPTED"))
    box = mailbox.mbox(tmp_path / "inbox.mbox", create=True)
    box.add(reply(per.data, "DECLINED"))
    box.add(reply(kari.data, "ACCEPTED"))  # the same answer again, another message
    box.flush()
    report = replies(run, tmp_path / "Maildir", tmp_path / "inbox.mbox")
    assert report["messages"] == 3 and report["superseded"] + len(report["recorded"]) == 3
    assert answers(run) == {
        ("kari.nordmann@bergen.kommune.no", "studio"): "accepted",
        ("per@ks.no", "studio"): "declined",
    }
    assert sorted((tmp_path / "Maildir" / "new").iterdir())  # left where it was


def test_bad_sources_are_one_clear_error(run, invited, tmp_path):
    missing = run("invites", "replies", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: no such file or folder:")
    with_password = run("invites", "replies", "imaps://org:hemmelig@127.0.0.1/INBOX")
    assert with_password.exit_code == 1 and "hemmelig" not in with_password.stderr
    assert "INNOFF_IMAP_PASSWORD" in with_password.stderr
    clear = run("invites", "replies", "imap://org@mail.example.org/INBOX",
                env={"INNOFF_IMAP_PASSWORD": "x"})  # fmt: skip
    assert clear.exit_code == 1 and len(clear.stderr.splitlines()) == 1


@pytest.fixture
def imap():
    from tests.imap_server import ImapServer, dovecot

    if dovecot() is None:
        pytest.skip("Dovecot is not installed (.ci/run installs Debian's dovecot-imapd)")
    with ImapServer() as server:
        yield server


def test_replies_from_an_imap_folder_read_only(run, invited, imap):
    from tests.imap_server import PASSWORD

    client = imap.client()
    for path in sorted(REPLIES.glob("*.eml")):
        client.append("INBOX", None, None, path.read_bytes())
    client.append("INBOX", None, None, b"From: a@b.no\r\nSubject: hei\r\n\r\nvanlig e-post\r\n")
    client.create('"Svar fra kalendere"')
    per = invited[("per@ks.no", "studio@innoff.no")]
    client.append('"Svar fra kalendere"', None, None, reply(per, "DECLINED"))
    # A wrong password: one line, nothing recorded.
    refused = run("invites", "replies", imap.url(), env={"INNOFF_IMAP_PASSWORD": "feil"})
    assert refused.exit_code == 1 and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith("Error: IMAP login to 127.0.0.1 as post@innoff.no failed")
    assert "feil" not in refused.stderr and set(answers(run).values()) == {None}

    result = run(
        "invites", "replies", imap.url(), "-f", "json", env={"INNOFF_IMAP_PASSWORD": PASSWORD}
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["messages"] == 7 and report["other_mail"] == 1 and len(report["counters"]) == 1
    assert answers(run)[("per@ks.no", "studio")] == "tentative"
    assert answers(run)[("oystein@ntnu.no", "studio")] == "accepted"
    # The folder is as it was: every message there, none marked as read.
    client.select("INBOX", readonly=True)
    status, flags = client.fetch("1:*", "(FLAGS)")
    assert status == "OK" and len(flags) == 7 and all(b"\\Seen" not in f for f in flags)
    # Another folder, by name with a space; --since today reads it, and a day
    # after tomorrow finds nothing.
    other = imap.url("Svar%20fra%20kalendere")
    env = {"INNOFF_IMAP_PASSWORD": PASSWORD}
    later = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    none = json.loads(
        run("invites", "replies", other, "--since", later, "-f", "json", env=env).stdout
    )
    assert none["messages"] == 0
    today = datetime.now(UTC).date().isoformat()
    read = json.loads(
        run("invites", "replies", other, "--since", today, "-f", "json", env=env).stdout
    )
    assert read["messages"] == 1 and read["answers"] == {"declined": 1}
    assert answers(run)[("per@ks.no", "studio")] == "declined"
    # A Norwegian folder name, made by hand in modified UTF-7 (RFC 3501 5.1.3:
    # å is U+00E5, &AOU-; ø is U+00F8, &APg-), named in the URL as the user writes it.
    client.create('"Svar p&AOU- m&APg-ter"')
    client.append('"Svar p&AOU- m&APg-ter"', None, None, reply(per, "ACCEPTED"))
    norwegian = json.loads(
        run(
            "invites", "replies", imap.url("Svar%20p%C3%A5%20m%C3%B8ter"), "-f", "json", env=env
        ).stdout
    )
    assert norwegian["messages"] == 1 and norwegian["answers"] == {"accepted": 1}
    client.logout()


def rewritten(data: bytes, old: bytes, new: str) -> bytes:
    """The reply with `old` in its calendar replaced by `new` (what icalendar will
    not write, such as a SEQUENCE past RFC 5545's range)."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    text = part.get_payload(decode=True).replace(old, new.encode()).decode()
    part.set_content(text, subtype="calendar", params={"method": "REPLY"})
    return message.as_bytes()


def with_headers(data: bytes, *headers: str) -> bytes:
    """The message with `headers` on top, as a receiving server stamps them."""
    return "".join(f"{header}\n" for header in headers).encode() + data


def test_an_answer_counts_only_when_it_is_the_persons_own(run, invited, tmp_path):
    per = invited[("per@ks.no", "studio@innoff.no")]
    folder = tmp_path / "in"
    folder.mkdir()
    forged = {
        "1-stranger": reply(per, "DECLINED", sender="evil@evil.example"),
        "2-another-invitee": reply(per, "DECLINED", sender=KARI),
        "3-huge-sequence": rewritten(reply(per, "DECLINED"), b"SEQUENCE:0", f"SEQUENCE:{2**63}"),
        "4-dmarc-fail": with_headers(
            reply(per, "DECLINED"),
            "Authentication-Results: mx.innoff.no; spf=softfail smtp.mailfrom=ks.no;"
            " dkim=none; dmarc=fail (p=reject) header.from=ks.no",
        ),
        "5-dkim-fail": with_headers(
            reply(per, "DECLINED"),
            "Authentication-Results: mx.innoff.no; dkim=fail (bad signature) header.d=ks.no",
        ),
    }
    for name, data in forged.items():
        (folder / f"{name}.eml").write_bytes(data)
    report = replies(run, folder)
    assert report["recorded"] == []
    reasons = [(r["attendee"], r["reason"]) for r in report["not_applied"]]
    assert sorted(reasons) == sorted([
        ("per@ks.no", "not from the person it answers for (from evil@evil.example)"),
        ("per@ks.no", f"not from the person it answers for (from {KARI})"),
        ("per@ks.no", f"answers SEQUENCE {2**63}, above the 0 innoff sent"),
        ("per@ks.no", "the sender failed authentication (DMARC fail for ks.no)"),
        ("per@ks.no", "the sender failed authentication (DKIM fail for ks.no)"),
    ])  # fmt: skip
    assert answers(run)[("per@ks.no", "studio")] is None
    table = run("invites", "replies", str(folder))
    assert "Not applied (not the person's own answer): 5" in table.stdout
    # Per's own answer counts afterwards: nothing forged stands in its way.
    (tmp_path / "own.eml").write_bytes(
        with_headers(
            reply(per, "ACCEPTED"),
            "Authentication-Results: mx.innoff.no; dkim=pass header.d=ks.no; dmarc=pass"
            " header.from=ks.no",
        )
    )
    replies(run, tmp_path / "own.eml")
    assert answers(run)[("per@ks.no", "studio")] == "accepted"


def test_nextcloud_sends_from_no_reply_with_the_attendee_in_reply_to(run, invited, tmp_path):
    per = invited[("per@ks.no", "studio@innoff.no")]
    alone = reply(per, "TENTATIVE", sender="no-reply@sky.example")
    (tmp_path / "alone.eml").write_bytes(alone)
    assert [r["reason"] for r in replies(run, tmp_path / "alone.eml")["not_applied"]] == [
        "not from the person it answers for (from no-reply@sky.example)"
    ]
    (tmp_path / "nextcloud.eml").write_bytes(
        with_headers(reply(per, "TENTATIVE", sender="no-reply@sky.example"), f"Reply-To: {PER}")
    )
    assert len(replies(run, tmp_path / "nextcloud.eml")["recorded"]) == 1
    assert answers(run)[("per@ks.no", "studio")] == "tentative"


def test_one_broken_message_costs_one_message(run, invited, tmp_path, monkeypatch):
    from innoff_cli import mailboxes

    per = invited[("per@ks.no", "studio@innoff.no")]
    kari = invited[("kari.nordmann@bergen.kommune.no", "studio@innoff.no")]
    box = tmp_path / "box"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    honest = reply(per, "ACCEPTED")
    calendar = reply(kari, "ACCEPTED", layout="bare")
    broken = {
        # Charsets Python cannot decode text with, a date past datetime's range,
        # a structure nested far past Python's recursion limit.
        "1.punycode": calendar.replace(b"Content-Type: text/calendar;", b"Content-Type: text/calendar; charset=punycode;"),
        "2.nul": calendar.replace(b"Content-Type: text/calendar;", b'Content-Type: text/calendar; charset="utf\\x00-8";'),
        "3.date": with_headers(calendar.replace(b"Date:", b"X-Old-Date:"), "Date: Fri, 31 Dec 9999 23:59:59 -2359"),
        "4.deep": b"From: a@b.no\nContent-Type: multipart/mixed; boundary=b0\n\n"
        + b"".join(
            f"--b{n}\nContent-Type: multipart/mixed; boundary=b{n + 1}\n\n".encode()
            for n in range(1000)
        ),
        "5.huge": b"From: a@b.no\n\n" + b"x" * 200_000,
        "9.honest": honest,
    }  # fmt: skip
    for name, data in broken.items():
        (box / "cur" / f"{name}:2,S").write_bytes(data)
    os.mkfifo(box / "new" / "6.fifo")  # would block whoever opened it
    os.symlink("/dev/zero", box / "new" / "7.zero")  # endless
    monkeypatch.setattr(mailboxes, "MESSAGE_MOST_BYTES", 100_000)
    report = replies(run, box)
    # Per's honest answer, and Kari's from the copies whose calendar could be read.
    assert sorted(r["email"] for r in report["recorded"]) == [
        "kari.nordmann@bergen.kommune.no", "per@ks.no",
    ]  # fmt: skip
    problems = {e["where"].split()[-1]: e["reason"] for e in report["errors"]}
    assert (
        problems["6.fifo"]
        == problems["7.zero"]
        == ("not a regular file (a pipe or a device), not read")
    )
    # Each of the others is read as far as it goes: listed, or taken as mail without
    # an answer, and never the end of the run.
    assert problems["4.deep"].startswith("cannot be read (RecursionError")
    assert problems["5.huge"] == "195 KB, larger than mail is (97 KB), not read"
    # The three copies of Kari's reply share one Message-ID: one is recorded, and
    # the two read after it are already read, however broken their headers.
    assert report["already_read"] == 2
    assert "Traceback" not in run("invites", "replies", str(box)).stderr


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_replies_from_imap_signed_in_with_a_token(run, invited, tmp_path, mechanism):
    from tests.imap_server import PASSWORD, ImapServer, dovecot

    if dovecot() is None:
        pytest.skip("Dovecot is not installed (.ci/run installs Debian's dovecot-imapd)")
    per = invited[("per@ks.no", "studio@innoff.no")]
    script = tmp_path / "token.sh"
    with ImapServer(tokens={"ya29.imap"}) as server:
        client = server.client()
        client.append("INBOX", None, None, reply(per, "ACCEPTED"))
        client.logout()
        env = {"INNOFF_IMAP_AUTH": mechanism, "INNOFF_IMAP_TOKEN_CMD": str(script)}
        script.write_text("#!/bin/sh\necho ya29.stale\n", encoding="utf-8")
        script.chmod(0o700)
        refused = run("invites", "replies", server.url(), env=env)
        assert refused.exit_code == 1 and len(refused.stderr.splitlines()) == 1
        assert refused.stderr.startswith(
            "Error: IMAP server 127.0.0.1 refused the token for post@innoff.no ("
        )
        assert "ya29" not in refused.stderr and "b'" not in refused.stderr
        assert PASSWORD not in refused.stderr and answers(run)[("per@ks.no", "studio")] is None
        script.write_text("#!/bin/sh\necho ya29.imap\n", encoding="utf-8")
        report = json.loads(run("invites", "replies", server.url(), "-f", "json", env=env).stdout)
        assert report["answers"] == {"accepted": 1}
        assert answers(run)[("per@ks.no", "studio")] == "accepted"


def test_replies_from_imap_signed_in_with_the_stored_login(run, invited, tmp_path):
    """`innoff mail login` once, then IMAP takes its refreshed token: no token command."""
    pytest.importorskip("msal")
    from tests.imap_server import ImapServer, dovecot
    from tests.oauth_server import CLIENT_ID, Provider, Tokens

    if dovecot() is None:
        pytest.skip("Dovecot is not installed (.ci/run installs Debian's dovecot-imapd)")
    per = invited[("per@ks.no", "studio@innoff.no")]
    with Provider(tmp_path, pending=0) as provider, ImapServer(tokens=Tokens(provider)) as server:
        login = run("mail", "login", "microsoft", "--client-id", CLIENT_ID,
                    "--authority", provider.authority, env=provider.env())  # fmt: skip
        assert login.exit_code == 0, login.stderr
        assert "Set imap.auth = xoauth2" in login.stderr
        client = server.client()
        client.append("INBOX", None, None, reply(per, "ACCEPTED"))
        client.logout()
        result = run("invites", "replies", server.url(), "-f", "json", env=provider.env())
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["answers"] == {"accepted": 1}
        assert provider.grants[-1] == "refresh_token"  # a token of its own, from the login


def test_a_large_imap_folder_is_searched_in_windows(run, invited, imap, monkeypatch):
    """One SEARCH ALL of 170,000 messages is a line over imaplib's 1,000,000-byte
    limit; scaled down here: 200 messages, a 500-byte limit."""
    import imaplib

    from innoff_cli import imap_folders
    from tests.imap_server import PASSWORD

    client = imap.client()
    per = invited[("per@ks.no", "studio@innoff.no")]
    for number in range(199):
        client.append(
            "INBOX", None, None, f"From: a@b.no\r\nSubject: {number}\r\n\r\nhei\r\n".encode()
        )
    client.append("INBOX", None, None, reply(per, "ACCEPTED"))
    client.logout()
    monkeypatch.setattr(imaplib, "_MAXLINE", 500)
    env = {"INNOFF_IMAP_PASSWORD": PASSWORD}
    monkeypatch.setattr(imap_folders, "SEARCH_WINDOW", 10**6)  # one search: the line is too long
    whole = run("invites", "replies", imap.url(), env=env)
    assert whole.exit_code == 1 and "got more than 500 bytes" in whole.stderr
    assert len(whole.stderr.splitlines()) == 1 and "Traceback" not in whole.stderr
    monkeypatch.setattr(imap_folders, "SEARCH_WINDOW", 50)
    report = json.loads(run("invites", "replies", imap.url(), "-f", "json", env=env).stdout)
    assert report["messages"] == 200 and report["answers"] == {"accepted": 1}


class HostileImap(RawServer):
    """An IMAP server that signs anyone in, then misbehaves at FETCH: 'trickle'
    sends a message a byte every 50 ms, 'endless' sends untagged lines forever,
    'huge' announces a literal of 10^12 bytes."""

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode

    def url(self) -> str:
        return f"imap://someone@127.0.0.1:{self.port}/INBOX"

    def talk(self, conn, lines, ends) -> None:
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hostile\r\n")
        for line in iter(lines.readline, b""):
            tag, _, rest = line.decode().strip().partition(" ")
            command = rest.split(" ")[0].upper()
            if command in ("SELECT", "EXAMINE"):
                conn.sendall(
                    f"* 1 EXISTS\r\n* OK [UIDNEXT 2] next\r\n{tag} OK [READ-ONLY] done\r\n".encode()
                )
            elif command == "UID" and "SEARCH" in rest.upper():
                conn.sendall(f"* SEARCH 1\r\n{tag} OK done\r\n".encode())
            elif command == "UID":  # FETCH
                size = b"1000000000000" if self.mode == "huge" else b"1000"
                conn.sendall(b"* 1 FETCH (UID 1 BODY[] {" + size + b"}\r\n")
                self.dribble(conn, b"x" if self.mode == "trickle" else b"* OK still here\r\n", ends)
                return
            elif command == "LOGOUT":
                conn.sendall(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return
            else:
                conn.sendall(f"{tag} OK done\r\n".encode())


@pytest.mark.parametrize(
    "mode, said",
    [
        ("trickle", "no whole answer within 0.5 s"),
        ("endless", "no whole answer within 0.5 s"),
        ("huge", "the server announced 1000000000000 bytes in one piece, more than mail is"),
    ],
)
def test_an_imap_server_cannot_hang_or_flood_the_run(run, invited, monkeypatch, mode, said):
    from innoff_cli import imap_folders

    monkeypatch.setattr(imap_folders, "COMMAND_SECONDS", 0.5)
    with HostileImap(mode) as server:
        result = run("invites", "replies", server.url(), env={"INNOFF_IMAP_PASSWORD": "x"})
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"Error: IMAP server 127.0.0.1 failed while reading ({said}) - nothing was recorded;"
        " try again\n"
    )


def exchange_copy(data: bytes, new_id: str) -> bytes:
    """`data` as Exchange Online keeps or delivers it: a Message-ID of its own, the
    sender's in X-Microsoft-Original-Message-ID."""
    message = email.message_from_bytes(data)
    original = message["Message-ID"]
    del message["Message-ID"]
    message["Message-ID"] = f"<{new_id}@AM0PR07MB1234.eurprd07.prod.outlook.com>"
    message["X-Microsoft-Original-Message-ID"] = original
    return message.as_bytes()


def test_exchange_message_ids_are_known_by_both_names(run, invited, tmp_path):
    """Exchange rewrites Message-IDs. Our invites read back from Sent Items give the
    outbox Exchange's ID too; an answer read as the sender wrote it and as Exchange
    delivered it counts once."""
    sent_items = mailbox.Maildir(tmp_path / "sent-items")
    studio = f"{KARI.casefold()}", "studio@innoff.no"
    invite = invited[studio]
    sent_items.add(exchange_copy(invite, "SENT1"))
    ours = email.message_from_bytes(invite)["Message-ID"]
    first = replies(run, tmp_path / "sent-items")
    assert first["server_ids"] == 1 and first["other_mail"] == 1
    status = json.loads(run("invites", "status", "--format", "json").stdout)
    (row,) = [r for r in status if r["email"] == studio[0] and r["event"] == "studio"]
    assert row["message_id"] == ours
    assert row["server_message_id"] == "<SENT1@AM0PR07MB1234.eurprd07.prod.outlook.com>"
    assert all(r["server_message_id"] is None for r in status if r is not row)
    assert replies(run, tmp_path / "sent-items")["server_ids"] == 0  # known already

    answer = reply(invite, "ACCEPTED", message_id="<kari-svar@bergen.kommune.no>")
    (tmp_path / "as-written.eml").write_bytes(answer)
    (tmp_path / "as-delivered.eml").write_bytes(exchange_copy(answer, "INBOX1"))
    report = replies(run, tmp_path / "as-delivered.eml", tmp_path / "as-written.eml")
    assert len(report["recorded"]) == 1 and report["already_read"] == 1
    again = replies(run, tmp_path / "as-written.eml")
    assert again["recorded"] == [] and again["already_read"] == 1
    assert answers(run)[(KARI.casefold(), "studio")] == "accepted"


@pytest.mark.parametrize(
    "echoed",
    ["ærlig.åse@straße.no", "%C3%A6rlig.%C3%A5se@stra%C3%9Fe.no", "ærlig.åse@xn--strae-oqa.no",
     "ÆRLIG.Åse@Straße.no"],
    ids=["as-typed", "percent-encoded", "a-labels", "other-case"],
)  # fmt: skip
def test_a_non_ascii_address_round_trips_through_send_and_reply(run, tmp_path, echoed):
    """The invite carries the address as typed; the answer is matched however the
    calendar echoes it, and its author is recognised however the From writes it."""
    export = tmp_path / "utf8.csv"
    export.write_text("Navn;E-post\nÅse Ærlig;ærlig.åse@straße.no\n", encoding="utf-8")
    assert run("registrations", "import", str(export)).exit_code == 0
    sent = deliver(run, tmp_path / "sent")
    ((key, uid),) = [k for k in sent if k[1] == "studio@innoff.no"]
    invite = sent[(key, uid)]
    assert "mailto:ærlig.åse@straße.no" in str(
        invite_calendar(invite).walk("VEVENT")[0]["ATTENDEE"]
    )
    (tmp_path / "svar.eml").write_bytes(
        reply(invite, "ACCEPTED", attendee=echoed, sender=echoed.replace("%C3%A6", "æ")
              .replace("%C3%A5", "å").replace("stra%C3%9Fe", "xn--strae-oqa"))
    )  # fmt: skip
    report = replies(run, tmp_path / "svar.eml")
    assert report["not_applied"] == [] and report["ignored"] == []
    assert answers(run)[("ærlig.åse@strasse.no", "studio")] == "accepted"
