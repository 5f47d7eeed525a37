"""`innoff reminders send` against a real SMTP server (aiosmtpd on 127.0.0.1), at
simulated moments (INNOFF_NOW): once per registered person who has not
declined, with the join link, only inside the window, and again for a moved
event; a run killed mid-way and run again sends each reminder once."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
from collections import Counter

import icalendar
import pytest

from tests.reply_mail import reply
from tests.smtp_server import SmtpServer

LINK = "https://neon.example/studio?pwd=x&y=1"
KARI, OYSTEIN, PER = "kari.nordmann@bergen.kommune.no", "oystein@ntnu.no", "per@ks.no"
DAY_BEFORE = "2020-11-16T10:00:00+01:00"  # the studio starts 17.11.2020 10:00 Oslo


@pytest.fixture
def registered(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Deltar på årsmøte\n"
        "Kari Nordmann;Kari.Nordmann@Bergen.Kommune.no;Ja\n"
        "Øystein Ås;oystein@ntnu.no;Nei\n"
        "Per Nordmann;per@ks.no;Ja\n",
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    assert run("agenda", "event", "studio", "--join-url", LINK).exit_code == 0


@pytest.fixture
def server():
    with SmtpServer() as running:
        yield running


def remind(run, server, now: str, *args: str, before: str = "1d"):
    result = run(
        "reminders", "send", "--before", before, "--yes", "--rate", "0", *args,
        env={**server.env(), "INNOFF_NOW": now},
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    return result


def parts(message) -> dict[str, object]:
    return {part.get_content_type(): part for part in message.walk()}


def test_a_day_before_everyone_registered_gets_one_reminder_with_the_link(
    run, registered, server, tmp_path
):
    result = remind(run, server, DAY_BEFORE, "--event", "studio")
    assert result.exit_code == 0, result.stderr
    assert "Sent 3 reminders" in result.stderr
    assert sorted(r.recipients[0].casefold() for r in server.received) == sorted(
        [KARI, OYSTEIN, PER]
    )
    message = next(r.message for r in server.received if r.recipients[0] == "oystein@ntnu.no")
    assert message["Subject"] == "Påminnelse: INNOFF-studio i morgen kl. 10:00"
    assert message["To"] == "Øystein Ås <oystein@ntnu.no>"
    assert message["Auto-Submitted"] == "auto-generated"
    found = parts(message)
    text = found["text/plain"].get_content().replace("\r\n", "\n")
    page = found["text/html"].get_content()
    assert text.startswith("Hei Øystein Ås,\n\nVelkommen til INNOFF-studio")
    assert text.index(LINK) < text.index("Når: tirsdag 17. november 2020, kl. 10:00-12:00")
    assert 'href="https://neon.example/studio?pwd=x&amp;y=1"' in page
    assert "Program:" in text
    # Not iTIP: no text/calendar part with a METHOD a calendar would act on as
    # an invite; the event is attached as PUBLISH with the invite's UID.
    calendar_part = found["text/calendar"]
    assert calendar_part.get_filename() == "studio.ics"
    assert calendar_part.get_param("method") == "PUBLISH"
    calendar = icalendar.Calendar.from_ical(calendar_part.get_payload(decode=True))
    assert calendar["METHOD"] == "PUBLISH"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]).startswith("studio@")
    # Ten more runs in the window send nothing more.
    for _ in range(3):
        again = remind(run, server, "2020-11-16T11:30:00+01:00", "--event", "studio")
        assert (
            again.exit_code == 0
            and "Nothing to send: everyone has had this reminder" in again.stderr
        )
    assert len(server.received) == 3
    # invites status shows them, per person and event.
    assert run("invites", "send", "--yes", "--maildir", str(tmp_path / "sent")).exit_code == 0
    status = json.loads(run("invites", "status", "--format", "json").stdout)
    (per,) = [row for row in status if row["email"] == PER and row["event"] == "studio"]
    assert [(m["kind"], m["occasion"], m["state"]) for m in per["mailings"]] == [
        ("reminder", "1d@2020-11-17T09:00Z", "sent")
    ]


def test_outside_the_window_nothing_is_sent_and_the_run_says_why(run, registered, server):
    early = remind(run, server, "2020-11-15T10:00:00+01:00", "--event", "studio")
    assert early.exit_code == 0
    assert "the 1d reminder is due between 16.11.2020 08:00 and 16.11.2020 12:00" in early.stderr
    late = remind(run, server, "2020-11-17T07:00:00+01:00", "--event", "studio")  # 3 h before
    assert late.exit_code == 0 and "that time has passed - nothing sent" in late.stderr
    assert server.received == []
    # A 2h reminder's window is 10 minutes either side of 08:00.
    inside = remind(run, server, "2020-11-17T08:05:00+01:00", "--event", "studio", before="2h")
    assert inside.exit_code == 0 and len(server.received) == 3
    assert server.received[0].message["Subject"] == "Påminnelse: INNOFF-studio i dag kl. 10:00"


def test_a_declined_person_gets_none(run, registered, server, tmp_path):
    sent = tmp_path / "sent"
    assert run("invites", "send", "--yes", "--maildir", str(sent)).exit_code == 0
    import mailbox

    box = mailbox.Maildir(sent, create=False)
    invite = next(
        box.get_bytes(key) for key in box.keys()
        if "oystein@ntnu.no" in email.message_from_bytes(box.get_bytes(key))["To"]
    )  # fmt: skip
    answer = tmp_path / "nei.eml"
    answer.write_bytes(reply(invite, "DECLINED"))
    assert run("invites", "replies", str(answer)).exit_code == 0
    result = remind(run, server, DAY_BEFORE, "--event", "studio")
    assert "1 declined and get none" in result.stderr
    assert sorted(r.recipients[0].casefold() for r in server.received) == sorted([KARI, PER])


def test_a_moved_event_moves_the_window_and_its_people_hear_the_new_time(run, registered, server):
    # The 1d window for 10:00 is 08:00-12:00 the day before.
    assert remind(run, server, "2020-11-16T10:30:00+01:00", "--event", "studio").exit_code == 0
    assert len(server.received) == 3
    moved = run("agenda", "event", "studio", "--start", "09:00")
    assert moved.exit_code == 0, moved.stderr
    # For 09:00 it is 07:00-11:00: at 11:30 that has passed, whatever the old one said.
    late = remind(run, server, "2020-11-16T11:30:00+01:00", "--event", "studio")
    assert "that time has passed" in late.stderr and len(server.received) == 3
    result = remind(run, server, "2020-11-16T10:45:00+01:00", "--event", "studio")
    assert "Sent 3 reminders" in result.stderr, result.stderr
    assert server.received[-1].message["Subject"] == "Påminnelse: INNOFF-studio i morgen kl. 09:00"
    text = parts(server.received[-1].message)["text/plain"].get_content()
    assert "kl. 09:00-12:00" in text


def test_an_event_without_a_link_or_called_off(run, registered, server):
    named = remind(run, server, "2020-11-16T15:00:00+01:00", "--event", "arsmote")
    assert named.exit_code == 1
    assert "arsmote has no join link, and a reminder is for the link" in named.stderr
    everyone = remind(run, server, "2020-11-16T15:00:00+01:00")
    assert everyone.exit_code == 0
    assert "Warning: arsmote has no join link, so it gets no reminders" in everyone.stderr
    assert run("agenda", "event", "studio", "--cancel").exit_code == 0
    off = remind(run, server, DAY_BEFORE, "--event", "studio")
    assert "called off - no reminders" in off.stderr
    assert server.received == []


def test_dry_run_and_bad_input(run, registered, server, db_path):
    dry = remind(run, server, DAY_BEFORE, "--event", "studio", "--dry-run")
    assert dry.exit_code == 0 and "Would send 3 1d reminders for studio" in dry.stderr
    assert server.received == []
    bad = remind(run, server, DAY_BEFORE, before="tomorrow")
    assert bad.exit_code == 2 and "'tomorrow' is not a time before the start" in bad.stderr
    clock = run("reminders", "send", "--before", "1d", env={"INNOFF_NOW": "i morgen"})
    assert clock.exit_code == 1
    assert clock.stderr.startswith("Error: INNOFF_NOW is not a moment with an offset")
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM mailings").fetchone() == (0,)


def test_erasing_a_person_erases_their_reminders(run, registered, server, db_path):
    assert remind(run, server, DAY_BEFORE, "--event", "studio").exit_code == 0
    assert run("registrations", "remove", "per@ks.no", "--yes").exit_code == 0
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        assert conn.execute(
            "SELECT count(*) FROM mailings WHERE email = 'per@ks.no'"
        ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM mailings").fetchone() == (2,)


def test_a_run_killed_midway_and_run_again_reminds_everyone_once(server, db_path, tmp_path):
    """A real process, killed with SIGKILL while the server holds its third message."""
    export = tmp_path / "mange.csv"
    export.write_text(
        "Navn;E-post\n" + "".join(f"Person {i};person{i}@example.org\n" for i in range(12)),
        encoding="utf-8",
    )
    env = {**os.environ, **server.env(), "INNOFF_DB": str(db_path), "INNOFF_NOW": DAY_BEFORE}
    env.pop("INNOFF_SMTP_USER", None)
    innoff = [sys.executable, "-m", "innoff_cli"]
    for step in (["registrations", "import", str(export)],
                 ["agenda", "event", "studio", "--join-url", LINK]):  # fmt: skip
        subprocess.run(innoff + step, env=env, check=True, capture_output=True)
    command = innoff + ["reminders", "send", "--before", "1d", "--yes", "--rate", "0"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def kill_at_third(count, smtp):
        if count == 3:
            os.kill(process.pid, signal.SIGKILL)

    server.handler.after_each = kill_at_third
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    server.handler.after_each = None
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "were queued by a run that stopped" in done.stderr
    copies = Counter((r.recipients[0], r.message["Message-ID"]) for r in server.received)
    assert {address for address, _ in copies} == {f"person{i}@example.org" for i in range(12)}
    assert len(copies) == 12  # one Message-ID each: a repeat is the same message
    assert sum(copies.values()) - 12 <= 1  # at most the one in flight went twice
    last = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert "everyone has had this reminder" in last.stderr
