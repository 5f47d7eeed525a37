"""`innoff invites send` against a real SMTP server (aiosmtpd on 127.0.0.1).

Every message is parsed with the standard `email` package and its calendar with
`icalendar`; the flows are those RFC 5546 lays down for an organiser.
"""

from __future__ import annotations

import json
import mailbox
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from tests.raw_server import RawServer
from tests.smtp_server import SmtpServer
from tests.test_ical import check_lines

OSLO = ZoneInfo("Europe/Oslo")
LINK = "https://zoom.us/j/81234567890?pwd=a,b;c"


@pytest.fixture
def registered(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Deltar på årsmøte\n"
        'Kari "K" Nordmann;Kari.Nordmann@Bergen.Kommune.no;Ja\n'
        "Øystein Ås;oystein@ntnu.no;Nei\n"
        "Per Nordmann, PhD;per@ks.no;Ja\n",
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    assert run("agenda", "event", "studio", "--join-url", LINK).exit_code == 0


@pytest.fixture
def server():
    with SmtpServer() as running:
        yield running


def send(run, server, *args: str):
    result = run("invites", "send", "--yes", "--rate", "0", *args, env=server.env())
    assert "Traceback" not in result.stderr
    return result


def calendar_of(message) -> tuple[icalendar.Calendar, object]:
    """The text/calendar part (checked against the attachment) and its one VEVENT."""
    alternative = next(p for p in message.walk() if p.get_content_type() == "multipart/alternative")
    kinds = [p.get_content_type() for p in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    part = list(alternative.iter_parts())[2]
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part.get_content_charset() == "utf-8"
    data = part.get_payload(decode=True)
    check_lines(data.decode("utf-8"))
    cal = icalendar.Calendar.from_ical(data)
    assert part.get_param("method") == str(cal["METHOD"])  # method parameter == METHOD
    (attachment,) = [p for p in message.iter_attachments()]
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    assert attachment.get_payload(decode=True) == data
    (vevent,) = cal.walk("VEVENT")
    # A second parser, written by other people, reads the same.
    other = vobject.readOne(data.decode("utf-8"))
    assert (other.method.value, other.vevent.uid.value, int(other.vevent.sequence.value)) == (
        str(cal["METHOD"]), str(vevent["UID"]), int(vevent["SEQUENCE"]),
    )  # fmt: skip
    return cal, vevent


def by_person(server) -> dict[tuple[str, str], list[tuple[str, int, object]]]:
    """(recipient, UID) -> [(METHOD, SEQUENCE, VEVENT), ...] in the order received."""
    out: dict = {}
    for received in server.received:
        (recipient,) = received.recipients
        cal, vevent = calendar_of(received.message)
        out.setdefault((recipient, str(vevent["UID"])), []).append(
            (str(cal["METHOD"]), int(vevent["SEQUENCE"]), vevent)
        )
    return out


def test_first_invites_are_whole_imip_messages(run, registered, server):
    result = send(run, server)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "Warning: arsmote has no join link, so its invites carry none - set it with"
        " `innoff agenda event arsmote --join-url URL` (--require-link refuses to send)",
        "To send: 5 messages",
        "  arsmote: 2 new invites",
        "  studio: 3 new invites",
        f"Sent 5 messages (smtp:127.0.0.1:{server.port}).",
    ]
    assert len(server.received) == 5
    kari = next(
        r for r in server.received
        if r.recipients == ["Kari.Nordmann@bergen.kommune.no"]
        and "studio" in r.message["Subject"].lower()
    )  # fmt: skip
    message = kari.message
    assert message.get_content_type() == "multipart/mixed"
    assert kari.sender == "post@innoff.no"
    assert message["From"] == "INNOFF <post@innoff.no>"
    assert message["To"] == '"Kari \\"K\\" Nordmann" <Kari.Nordmann@bergen.kommune.no>'
    assert message["Subject"] == "Invitasjon: INNOFF-studio tirsdag 17. november 2020 10:00-12:00"
    assert message["Date"] and message["Message-ID"].endswith("@innoff.no>")
    cal, vevent = calendar_of(message)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(vevent["UID"]) == "studio@innoff.no" and int(vevent["SEQUENCE"]) == 0
    assert str(vevent["ORGANIZER"]) == "mailto:post@innoff.no"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:Kari.Nordmann@bergen.kommune.no"
    assert (attendee.params["CN"], attendee.params["RSVP"], attendee.params["PARTSTAT"]) == (
        'Kari "K" Nordmann', "TRUE", "NEEDS-ACTION",
    )  # fmt: skip
    start, end = (
        vevent.decoded("DTSTART").astimezone(OSLO),
        vevent.decoded("DTEND").astimezone(OSLO),
    )
    assert (start.isoformat(), end.strftime("%H:%M")) == ("2020-11-17T10:00:00+01:00", "12:00")
    assert str(vevent["LOCATION"]) == LINK and str(vevent["URL"]) == LINK
    assert str(vevent["DESCRIPTION"]).splitlines()[0] == LINK
    assert str(vevent["CONFERENCE"]) == LINK
    assert str(vevent["STATUS"]) == "CONFIRMED"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith('Hei Kari "K" Nordmann,\n\nDu er invitert til INNOFF-studio.')
    assert "Når: tirsdag 17. november 2020, kl. 10:00-12:00 (Europe/Oslo)" in text
    assert f"Bli med digitalt: {LINK}" in text
    assert "Sendingen kan også sees i etterkant." in text and "Godta" in text
    html = message.get_body(("html",)).get_content()
    assert f'<a href="{LINK.replace("&", "&amp;")}">' in html and "&quot;K&quot;" in html

    # Nothing changed: nothing is sent.
    again = send(run, server)
    assert "Nothing to send: everyone has the current invites." in again.stderr
    assert len(server.received) == 5


def test_shift_then_send_gives_each_person_one_update_one_sequence_higher(run, registered, server):
    send(run, server)
    assert run("agenda", "shift", "pause", "+10m", "--following").exit_code == 0
    result = send(run, server)
    assert "  studio: 3 updates" in result.stderr
    people = by_person(server)
    for recipient in ("Kari.Nordmann@bergen.kommune.no", "oystein@ntnu.no", "per@ks.no"):
        history = people[recipient, "studio@innoff.no"]
        assert [(method, sequence) for method, sequence, _ in history] == [
            ("REQUEST", 0), ("REQUEST", 1),
        ]  # fmt: skip
        first, second = history[0][2], history[1][2]
        assert second.decoded("DTSTAMP") >= first.decoded("DTSTAMP")
        assert second.decoded("DTEND").astimezone(OSLO).strftime("%H:%M") == "12:10"
    updated = [r.message for r in server.received[5:]]
    assert {m["Subject"] for m in updated} == {
        "Endret: INNOFF-studio tirsdag 17. november 2020 10:00-12:10"
    }
    assert [k for k in people if k[1] == "arsmote@innoff.no" and len(people[k]) > 1] == []


def test_title_and_link_changes_are_updates(run, registered, server):
    send(run, server)
    assert run("agenda", "edit", "pause", "--title", "Kaffepause").exit_code == 0
    send(run, server)
    # The programme text changed, not the time or place: SEQUENCE stays, DTSTAMP is new.
    history = by_person(server)["oystein@ntnu.no", "studio@innoff.no"]
    assert [(m, s) for m, s, _ in history] == [("REQUEST", 0), ("REQUEST", 0)]
    # Within the same second, and still newer: that is what tells a calendar.
    assert history[1][2].decoded("DTSTAMP") > history[0][2].decoded("DTSTAMP")
    assert "Kaffepause" in str(history[1][2]["DESCRIPTION"])
    assert run("agenda", "event", "studio", "--join-url", "https://meet.example/ny").exit_code == 0
    send(run, server)
    history = by_person(server)["oystein@ntnu.no", "studio@innoff.no"]
    assert [(m, s) for m, s, _ in history][-1] == ("REQUEST", 1)  # the place of a digital event
    assert str(history[-1][2]["LOCATION"]) == "https://meet.example/ny"
    assert len(server.received) == 5 + 3 + 3  # each change reached the studio's three


def test_remove_then_register_again(run, registered, server, tmp_path, db_path):
    send(run, server)
    erased = run("registrations", "remove", "per@ks.no", "--yes")
    assert "They were sent 2 calendar invite(s): the next `innoff invites send`" in erased.stderr
    # Until the cancellation is sent, only the address is kept; the name is gone.
    with sqlite3.connect(db_path) as conn:
        assert conn.execute(
            "SELECT DISTINCT name, erased FROM outbox WHERE email = 'per@ks.no'"
        ).fetchall() == [("", 1)]
    result = send(run, server)
    assert (
        "  studio: 1 cancellation" in result.stderr and "  arsmote: 1 cancellation" in result.stderr
    )
    people = by_person(server)
    for uid in ("studio@innoff.no", "arsmote@innoff.no"):
        (method, sequence, vevent) = people["per@ks.no", uid][-1]
        assert (method, sequence) == ("CANCEL", 1)
        assert "STATUS" not in vevent  # one attendee uninvited, not the event cancelled
        assert str(vevent["ATTENDEE"]) == "mailto:per@ks.no"
    cancel = server.received[-1].message
    assert cancel["Subject"].startswith("Avlyst: ")
    # After the cancellation is sent, nothing about them is kept.
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM outbox WHERE email = 'per@ks.no'").fetchone() == (
            0,
        )
        (dump,) = conn.execute("SELECT group_concat(entry) FROM invite_versions").fetchone()
        assert "per@ks.no" not in dump

    export = tmp_path / "igjen.csv"
    export.write_text(
        "Navn;E-post;Deltar på årsmøte\nPer Nordmann;per@ks.no;Ja\n", encoding="utf-8"
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    send(run, server)
    people = by_person(server)
    for uid in ("studio@innoff.no", "arsmote@innoff.no"):
        (method, sequence, vevent) = people["per@ks.no", uid][-1]
        # Above the CANCEL (1) they received, though innoff forgot them in between.
        assert (method, sequence) == ("REQUEST", 2)
    assert len(server.received) == 9


def assert_meeting_cancelled_for_both(server) -> None:
    """Kari and Per, who had the annual meeting, were last sent its whole-event CANCEL."""
    people = by_person(server)
    for recipient in ("Kari.Nordmann@bergen.kommune.no", "per@ks.no"):
        (method, sequence, vevent) = people[recipient, "arsmote@innoff.no"][-1]
        assert (method, sequence, str(vevent["STATUS"])) == ("CANCEL", 1, "CANCELLED")


def test_removed_event_is_cancelled_for_everyone_who_had_it(run, registered, server, db_path):
    send(run, server)
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM events WHERE slug = 'arsmote'")
    result = send(run, server)
    assert "  arsmote: 2 cancellations of the event" in result.stderr
    assert_meeting_cancelled_for_both(server)
    for recipient in ("Kari.Nordmann@bergen.kommune.no", "per@ks.no"):
        (_, _, vevent) = by_person(server)[recipient, "arsmote@innoff.no"][-1]
        assert vevent.decoded("DTSTART").astimezone(OSLO).strftime("%H:%M") == "15:00"
    assert "Nothing to send" in send(run, server).stderr


def test_a_refused_recipient_is_marked_failed_and_the_rest_go(run, registered, server):
    server.handler.refuse = {"oystein@ntnu.no"}
    result = send(run, server)
    assert result.exit_code == 0
    assert (
        "1 refused by the server and marked failed - see `innoff invites status`." in result.stderr
    )
    assert len(server.received) == 4
    status = json.loads(run("invites", "status", "--format", "json").stdout)
    (failed,) = [row for row in status if row["state"] == "failed"]
    assert (failed["email"], failed["reason"]) == (
        "oystein@ntnu.no", "550 5.1.1 Mailbox unavailable",
    )  # fmt: skip
    # Held back, not sent again on every run, until asked.
    again = send(run, server)
    assert "1 held back: a server refused them before" in again.stderr
    server.handler.refuse = set()
    retried = send(run, server, "--retry-failed")
    assert "Sent 1 messages" in retried.stderr and len(server.received) == 5


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_wrong_password_stops_before_anything_is_sent(run, registered, db_path):
    with SmtpServer(user="innoff", password="riktig") as server:
        env = {**server.env(), "INNOFF_SMTP_USER": "innoff", "INNOFF_SMTP_PASSWORD": "feil"}
        result = run("invites", "send", "--yes", "--rate", "0", env=env)
        assert result.exit_code == 1
        (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert error.startswith(
            f"Error: the SMTP server at 127.0.0.1:{server.port} refused the login (535"
        )
        assert error.endswith("check INNOFF_SMTP_USER and INNOFF_SMTP_PASSWORD; nothing was sent")
        assert "feil" not in result.stderr and "Traceback" not in result.stderr
        assert server.received == []
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
        env["INNOFF_SMTP_PASSWORD"] = "riktig"
        assert run("invites", "send", "--yes", "--rate", "0", env=env).exit_code == 0
        assert len(server.received) == 5


def test_server_not_there_and_other_mistakes(run, registered, db_path):
    from tests.smtp_server import free_port

    port = free_port()
    env = {
        "INNOFF_SMTP_HOST": "127.0.0.1",
        "INNOFF_SMTP_PORT": str(port),
        "INNOFF_SMTP_SECURITY": "none",
    }
    result = run("invites", "send", "--yes", env=env)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: cannot reach the SMTP server at 127.0.0.1:{port} ("
    )
    clear = run(
        "invites", "send", "--yes", "--smtp-host", "smtp.example.org", "--smtp-security", "none"
    )
    assert clear.exit_code == 2 and "only to a server on this machine" in clear.stderr
    nothing = run("invites", "send", "--yes", env={"INNOFF_SMTP_HOST": ""})
    assert nothing.stderr.splitlines()[-1].startswith("Error: no SMTP server - pass --smtp-host")
    asked = run("invites", "send", env=env)  # no terminal to ask on
    assert (
        asked.stderr.splitlines()[-1]
        == "Error: sending needs confirmation - pass --yes to send without asking"
    )
    linkless = run("invites", "send", "--yes", "--require-link", env=env)
    assert linkless.stderr == (
        "Error: arsmote has no join link - set it with `innoff agenda event arsmote --join-url URL`\n"
    )
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)


def test_dry_run_sends_and_records_nothing(run, registered, server, db_path):
    result = send(run, server, "--dry-run")
    assert result.stderr.splitlines()[-4:] == [
        "Would send: 5 messages", "  arsmote: 2 new invites", "  studio: 3 new invites",
        "Dry run: nothing was sent or recorded.",
    ]  # fmt: skip
    assert server.received == []
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)


def test_to_and_event_narrow_the_run(run, registered, server):
    send(run, server, "--to", "OYSTEIN@ntnu.no")
    assert [r.recipients for r in server.received] == [["oystein@ntnu.no"]]
    send(run, server, "--event", "årsmøte")
    assert len(server.received) == 3
    assert "  studio: 2 new invites" in send(run, server).stderr


def test_maildir_is_the_same_messages_recorded_as_delivered_there(
    run, registered, tmp_path, db_path
):
    folder = tmp_path / "utboks"
    look = run("invites", "send", "--maildir", str(folder), "--dry-run")
    assert (
        look.stderr.splitlines()[-1]
        == f"Dry run: wrote 5 messages to maildir:{folder}; nothing was recorded."
    )
    box = mailbox.Maildir(folder, factory=None, create=False)
    assert len(box) == 5
    for key in box.keys():
        box.remove(key)
    result = run("invites", "send", "--maildir", str(folder), "--yes")
    assert result.exit_code == 0 and f"Sent 5 messages (maildir:{folder})." in result.stderr
    import email.policy

    box = mailbox.Maildir(folder, factory=None, create=False)
    messages = [
        email.message_from_bytes(box.get_bytes(k), policy=email.policy.default) for k in box.keys()
    ]
    assert len(messages) == 5
    assert {str(calendar_of(m)[1]["UID"]) for m in messages} == {
        "studio@innoff.no",
        "arsmote@innoff.no",
    }
    assert all(
        os.stat(os.path.join(folder, "new", name)).st_mode & 0o777 == 0o600
        for name in os.listdir(folder / "new")
    )
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT DISTINCT state, via FROM outbox").fetchall() == [
            ("sent", f"maildir:{folder}")
        ]
    assert "Nothing to send" in run("invites", "send", "--maildir", str(folder), "--yes").stderr


def test_a_dropped_connection_is_opened_again_and_busy_servers_retried(
    run, registered, server, monkeypatch
):
    from innoff_cli import delivery

    monkeypatch.setattr(delivery, "BACKOFF_SECONDS", 0.01)
    server.handler.busy = 2  # two 451 answers, then fine

    def drop_after_second(count, smtp):
        if count == 2:
            smtp.transport.close()  # the message is in, the answer never reaches innoff

    server.handler.after_each = drop_after_second
    result = send(run, server)
    assert result.exit_code == 0, result.stderr
    assert "Sent 5 messages" in result.stderr
    copies = Counter(r.message["Message-ID"] for r in server.received)
    assert len(copies) == 5  # every invite arrived
    assert sorted(copies.values()) == [1, 1, 1, 1, 2]  # the one in flight, again as itself


def test_a_server_that_stays_busy_stops_the_run_with_the_rest_queued(
    run, registered, server, monkeypatch, db_path
):
    from innoff_cli import delivery

    monkeypatch.setattr(delivery, "BACKOFF_SECONDS", 0.01)
    server.handler.busy = 100
    result = send(run, server)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: the mail server stopped taking messages (451 4.3.0 Try again later) after 0 sent"
        " - 5 not sent yet; run `innoff invites send` again to send them"
    )
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall() == [
            ("queued", 5)
        ]
        ids = conn.execute("SELECT message_id FROM outbox ORDER BY id").fetchall()
    server.handler.busy = 0
    again = send(run, server)
    assert "5 of them were queued by a run that stopped" in again.stderr
    assert sorted(r.message["Message-ID"] for r in server.received) == sorted(i for (i,) in ids)


def test_a_run_killed_midway_and_run_again_delivers_everything_once(
    registered, server, db_path, tmp_path
):
    """A real process, killed with SIGKILL while the server holds its third message."""
    # More people, so there is a middle to kill in.
    export = tmp_path / "mange.csv"
    export.write_text(
        "Navn;E-post\n" + "".join(f"Person {i};person{i}@example.org\n" for i in range(12)),
        encoding="utf-8",
    )
    env = {**os.environ, **server.env(), "INNOFF_DB": str(db_path)}
    env.pop("INNOFF_SMTP_USER", None)
    command = [sys.executable, "-m", "innoff_cli", "invites", "send", "--yes", "--rate", "0"]
    subprocess.run([sys.executable, "-m", "innoff_cli", "registrations", "import", str(export)],
                   env=env, check=True, capture_output=True)  # fmt: skip
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
    copies = Counter(
        (r.recipients[0], str(calendar_of(r.message)[1]["UID"]), r.message["Message-ID"])
        for r in server.received
    )
    assert len(copies) == 12 + 5  # everyone, each invite
    assert (
        sum(n - 1 for n in copies.values()) <= 1
    )  # at most the one in flight, as the same message
    assert (
        "Nothing to send" in subprocess.run(command, env=env, capture_output=True, text=True).stderr
    )


def test_an_address_outside_ascii_goes_as_smtputf8(run, tmp_path):
    export = tmp_path / "utf8.csv"
    export.write_text("Navn;E-post\nØystein Ås;øystein@ås.no\n", encoding="utf-8")
    assert run("registrations", "import", str(export)).exit_code == 0
    with SmtpServer(smtputf8=True) as server:
        result = send(run, server)
        assert result.exit_code == 0, result.stderr
        (received,) = server.received
        assert received.recipients == ["øystein@ås.no"]
        message = received.message
        assert message["To"] == "Øystein Ås <øystein@ås.no>"
        _, vevent = calendar_of(message)
        # The address as the person wrote it (an IRI, RFC 6068), as calendars match it.
        assert str(vevent["ATTENDEE"]) == "mailto:øystein@ås.no"
    with SmtpServer() as plain:  # a server without SMTPUTF8 refuses it for good
        run("registrations", "import", str(export))
        run("agenda", "edit", "pause", "--title", "Kaffe")  # something new to send
        result = send(run, plain)
        assert "1 refused by the server and marked failed" in result.stderr
        assert plain.received == []


def test_a_domain_outside_ascii_goes_to_any_server_as_idna_2008(run, tmp_path):
    """An ASCII local part at an IDN domain needs no SMTPUTF8: RCPT TO and To carry
    the A-labels of IDNA 2008 (UTS 46), where IDNA 2003 would make straße strasse,
    another domain; the calendar keeps the address as typed."""
    export = tmp_path / "idn.csv"
    export.write_text("Navn;E-post\nGrete Straße;post@straße.no\n", encoding="utf-8")
    assert run("registrations", "import", str(export)).exit_code == 0
    with SmtpServer() as plain:
        result = send(run, plain)
        assert result.exit_code == 0, result.stderr
        (received,) = plain.received
    assert received.recipients == ["post@xn--strae-oqa.no"]
    assert received.data.isascii()
    assert received.message["To"] == "Grete Straße <post@xn--strae-oqa.no>"
    _, vevent = calendar_of(received.message)
    assert str(vevent["ATTENDEE"]) == "mailto:post@straße.no"


def stop_sending_after(monkeypatch, sent: int):
    """Ctrl-C as the message after `sent` is handed to the server; returns the
    real send, to put back."""
    from innoff_cli import delivery

    real = delivery.SmtpTransport.send
    calls = []

    def send_then_stop(self, *args):
        if len(calls) == sent:
            raise KeyboardInterrupt
        calls.append(args)
        real(self, *args)

    monkeypatch.setattr(delivery.SmtpTransport, "send", send_then_stop)
    return real


def test_ctrl_c_mid_run_says_what_was_sent_and_keeps_the_rest_queued(
    run, registered, server, monkeypatch, db_path
):
    from innoff_cli import delivery

    real = stop_sending_after(monkeypatch, 2)
    result = send(run, server)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (
        "Interrupted: 2 sent and recorded, 3 not sent yet (the one being sent may have gone"
        " out; if so it goes again as the same message) - run `innoff invites send` again to"
        " send the rest."
    )
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state").fetchall() == [
            ("queued", 3), ("sent", 2),
        ]  # fmt: skip
    monkeypatch.setattr(delivery.SmtpTransport, "send", real)
    assert "Sent 3 messages" in send(run, server).stderr
    assert len({r.message["Message-ID"] for r in server.received}) == len(server.received) == 5


def test_a_run_queues_and_sends_in_batches_and_resumes_where_it_stopped(
    run, registered, server, monkeypatch, db_path
):
    """A plan larger than a batch (here two messages, the plan itself spooled to
    a file past one): each batch is queued before any of it is sent; stopped in
    the second, the next run sends what was queued as the same messages, then
    the rest, each once."""
    from innoff_cli import delivery, invites, spools

    monkeypatch.setattr(invites, "BATCH", 2)
    monkeypatch.setattr(spools.Spool, "KEEP", 1)
    real = stop_sending_after(monkeypatch, 2)
    stopped = send(run, server)
    assert stopped.exit_code == 130
    assert "2 sent and recorded, 3 not sent yet" in stopped.stderr  # 2 queued, 1 not yet
    with sqlite3.connect(db_path) as conn:
        states = conn.execute("SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state")
        assert states.fetchall() == [("queued", 2), ("sent", 2)]  # the third batch not yet
        queued = {
            i for (i,) in conn.execute("SELECT message_id FROM outbox WHERE state = 'queued'")
        }
    monkeypatch.setattr(delivery.SmtpTransport, "send", real)
    again = send(run, server)
    assert "2 of them were queued by a run that stopped" in again.stderr
    assert "Sent 3 messages" in again.stderr
    ids = [r.message["Message-ID"] for r in server.received]
    assert len(ids) == len(set(ids)) == 5 and queued <= set(ids)
    assert sorted(by_person(server)) == sorted(
        (a, u) for a in ("Kari.Nordmann@bergen.kommune.no", "oystein@ntnu.no", "per@ks.no")
        for u in ("studio@innoff.no", "arsmote@innoff.no")
        if not (a == "oystein@ntnu.no" and u == "arsmote@innoff.no")
    )  # fmt: skip
    assert "Nothing to send" in send(run, server).stderr


def test_status_shows_the_last_message_and_what_is_pending(run, registered, server):
    send(run, server, "--event", "studio")
    rows = json.loads(run("invites", "status", "--format", "json").stdout)
    assert [
        (r["email"], r["event"], r["method"], r["sequence"], r["state"], r["pending"]) for r in rows
    ] == [
        ("kari.nordmann@bergen.kommune.no", "arsmote", None, None, None, "new (SEQUENCE 0)"),
        ("per@ks.no", "arsmote", None, None, None, "new (SEQUENCE 0)"),
        ("kari.nordmann@bergen.kommune.no", "studio", "REQUEST", 0, "sent", ""),
        ("oystein@ntnu.no", "studio", "REQUEST", 0, "sent", ""),
        ("per@ks.no", "studio", "REQUEST", 0, "sent", ""),
    ]
    assert all(r["message_id"].endswith("@innoff.no>") for r in rows if r["state"])
    table = run("invites", "status").stdout
    assert "REQUEST 0" in table and "new (SEQUENCE 0)" in table
    assert table.splitlines()[-1] == "5 invites, 2 pending"


def test_a_bad_from_is_refused_before_anything_happens(run, registered, server, db_path):
    result = send(run, server, "--from", "INNOFF <post@innoff.no>\nBcc: x@evil.example")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "Error: bad --from 'INNOFF <post@innoff.no>\\nBcc"
    )
    assert server.received == []
    ok = send(run, server, "--from", "Styret i INNOFF <styret@innoff.no>")
    assert ok.exit_code == 0
    assert {r.sender for r in server.received} == {"styret@innoff.no"}
    assert server.received[0].message["From"] == "Styret i INNOFF <styret@innoff.no>"


def test_an_erased_person_is_nowhere_in_the_file_after_their_cancellation(
    run, tmp_path, db_path, server
):
    export = tmp_path / "en.csv"
    export.write_text(
        "Navn;E-post;Telefon\nSynnøve Glemsk;synnove.glemsk@forgetme.example;+47 41234567\n"
        "Kari Nordmann;kari@bergen.kommune.example;\n",
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    send(run, server)
    run("registrations", "remove", "synnove.glemsk@forgetme.example", "--yes")
    send(run, server)  # the cancellation, after which innoff forgets her
    from innoff_cli import store

    conn = store.connect(db_path)  # innoff sets it, whatever this SQLite's default
    assert conn.execute("PRAGMA secure_delete").fetchone() == (1,)
    conn.close()
    data = b"".join(path.read_bytes() for path in db_path.parent.glob(db_path.name + "*"))
    for trace in ("synnove.glemsk@forgetme.example", "Synnøve Glemsk", "41234567", "forgetme"):
        assert trace.encode() not in data, trace
    assert b"kari@bergen.kommune.example" in data  # the file is read right


def queued_and_failed(db_path) -> tuple[int, int]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT sum(state = 'queued'), sum(state = 'failed') FROM outbox"
        ).fetchone()


def token_env(server, tmp_path, token: str, mechanism: str = "xoauth2") -> dict[str, str]:
    """A token command as a user writes one: a script that prints the token."""
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho {token}\n", encoding="utf-8")
    script.chmod(0o700)
    return {**server.env(), "INNOFF_SMTP_AUTH": mechanism, "INNOFF_SMTP_TOKEN_CMD": str(script)}


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_a_token_signs_in_and_a_refused_token_sends_nothing(
    run, registered, db_path, tmp_path, mechanism
):
    with SmtpServer(tokens={"ya29.good"}) as server:
        bad = run("invites", "send", "--yes", "--rate", "0",
                  env=token_env(server, tmp_path, "ya29.expired", mechanism))  # fmt: skip
        assert bad.exit_code == 1 and "Traceback" not in bad.stderr
        (error,) = [line for line in bad.stderr.splitlines() if line.startswith("Error:")]
        assert error.startswith(
            f"Error: the SMTP server at 127.0.0.1:{server.port} refused the token (535"
        )
        assert "SMTP.Send permission" in error and error.endswith("nothing was sent")
        assert "ya29" not in bad.stderr + bad.stdout
        # Asked twice: once on connecting, once more after the refusal.
        assert [who for _, who, _ in server.handler.sign_ins] == ["post@innoff.no"] * 2
        assert server.received == [] and queued_and_failed(db_path) == (None, None)
        good = run("invites", "send", "--yes", "--rate", "0",
                   env=token_env(server, tmp_path, "ya29.good", mechanism))  # fmt: skip
        assert good.exit_code == 0, good.stderr
        assert len(server.received) == 5 and queued_and_failed(db_path) == (0, 0)
        assert server.handler.sign_ins[-1] == (mechanism.upper(), "post@innoff.no", "ya29.good")


def test_a_token_command_that_fails_is_one_line_without_its_output(run, registered, tmp_path):
    with SmtpServer(tokens={"ya29.good"}) as server:
        script = tmp_path / "token.sh"
        script.write_text("#!/bin/sh\necho hemmelig-ya29 >&2\nexit 3\n", encoding="utf-8")
        script.chmod(0o700)
        env = {**server.env(), "INNOFF_SMTP_AUTH": "xoauth2", "INNOFF_SMTP_TOKEN_CMD": str(script)}
        result = run("invites", "send", "--yes", env=env)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[-1] == (
            "Error: the command in INNOFF_SMTP_TOKEN_CMD failed (exit status 3) - run it by"
            " hand to see why (innoff does not show its output)"
        )
        assert "hemmelig" not in result.stderr + result.stdout
        missing = run("invites", "send", "--yes", env={**env, "INNOFF_SMTP_TOKEN_CMD": ""})
        assert missing.stderr.splitlines()[-1].startswith(
            "Error: --smtp-auth xoauth2 signs in with a token - run `innoff mail login microsoft`"
        )


@pytest.mark.parametrize(
    "where, reply, hint",
    [
        ("mail", "530 5.7.0 Authentication required", "pass --smtp-user"),
        ("mail", "550 5.7.57 Client not authenticated to send mail", "pass --smtp-user"),
        ("mail", "451 4.7.0 Temporary server error", "check --from"),
        ("data", "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException", "may not send as"),
        ("data", "550 5.7.60 SMTP; Client does not have permissions to send as this sender", "may not send as"),
    ],
)  # fmt: skip
def test_a_refusal_about_the_sender_is_never_recorded_against_recipients(
    run, registered, db_path, where, reply, hint
):
    with SmtpServer() as server:
        setattr(server.handler, f"{where}_from_reply" if where == "mail" else "data_reply", reply)
        result = send(run, server)
        assert result.exit_code == 1
        error = result.stderr.splitlines()[-1]
        assert error.startswith(
            f"Error: the mail server refused the sender, not the recipients ({reply})"
        )
        assert "nothing was marked failed and 5 are not sent yet" in error and hint in error
        assert queued_and_failed(db_path) == (5, 0)
        setattr(server.handler, f"{where}_from_reply" if where == "mail" else "data_reply", None)
        again = send(run, server)
        assert again.exit_code == 0, again.stderr
        assert len(server.received) == 5 and queued_and_failed(db_path) == (0, 0)


def test_a_server_that_needs_a_login_says_so_and_a_login_it_lacks_too(run, registered, db_path):
    with SmtpServer(user="innoff", password="riktig") as server:
        result = send(run, server)  # no --smtp-user: 530 to MAIL FROM
        assert result.exit_code == 1 and "(530 5.7.0 Authentication required)" in result.stderr
        assert queued_and_failed(db_path) == (5, 0)
    with SmtpServer() as open_relay:  # offers no AUTH at all
        env = {**open_relay.env(), "INNOFF_SMTP_USER": "innoff", "INNOFF_SMTP_PASSWORD": "x"}
        result = run("invites", "send", "--yes", env=env)
        assert result.stderr.splitlines()[-1] == (
            f"Error: the SMTP server at 127.0.0.1:{open_relay.port} offers no sign-in (no AUTH)"
            " - leave out --smtp-user for a server that takes mail without one; nothing was sent"
        )
    wrong_port = run("invites", "send", "--yes", "--smtp-port", "99999", "--smtp-host", "127.0.0.1")
    assert wrong_port.exit_code == 2 and "--smtp-port" in wrong_port.stderr


def test_a_token_that_expires_mid_run_is_fetched_again_on_reconnecting(
    run, registered, tmp_path, monkeypatch
):
    from innoff_cli import delivery

    monkeypatch.setattr(delivery, "BACKOFF_SECONDS", 0.01)
    calls = tmp_path / "calls"
    script = tmp_path / "token.sh"
    # Each run of the command gives a new token: t1, t2, ...
    script.write_text(f'#!/bin/sh\necho x >> "{calls}"\necho "t$(wc -l < "{calls}" | tr -d " ")"\n')
    script.chmod(0o700)
    with SmtpServer(tokens={"t1"}) as server:

        def expire_after_second(count, smtp):
            if count == 2:
                server.handler.tokens.clear()
                server.handler.tokens.add("t2")  # the old token is refused from now on
                smtp.transport.close()

        server.handler.after_each = expire_after_second
        env = {**server.env(), "INNOFF_SMTP_AUTH": "xoauth2", "INNOFF_SMTP_TOKEN_CMD": str(script)}
        result = run("invites", "send", "--yes", "--rate", "0", env=env)
        assert result.exit_code == 0, result.stderr
        copies = Counter(r.message["Message-ID"] for r in server.received)
        assert len(copies) == 5 and sorted(copies.values()) == [1, 1, 1, 1, 2]
        assert [token for _, _, token in server.handler.sign_ins] == ["t1", "t2"]


class TricklingServer(RawServer):
    """An SMTP server that greets and answers EHLO, then keeps its answer to MAIL
    FROM going a byte every 50 ms: each read is quick, the answer never ends."""

    def talk(self, conn, lines, ends) -> None:
        conn.sendall(b"220 trickle\r\n")
        for line in iter(lines.readline, b""):
            command = line[:4].upper()
            if command == b"EHLO":
                conn.sendall(b"250-trickle\r\n250 SIZE 1000000\r\n")
            elif command == b"MAIL":
                conn.sendall(b"250-")
                self.dribble(conn, b"x", ends)
                return
            elif command == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    def env(self) -> dict[str, str]:
        return {
            "INNOFF_SMTP_HOST": "127.0.0.1",
            "INNOFF_SMTP_PORT": str(self.port),
            "INNOFF_SMTP_SECURITY": "none",
        }


def test_a_server_that_never_ends_its_answer_is_given_up_on(run, registered, db_path, monkeypatch):
    from innoff_cli import delivery

    monkeypatch.setattr(delivery, "COMMAND_SECONDS", 0.5)
    monkeypatch.setattr(delivery, "BACKOFF_SECONDS", 0.01)
    with TricklingServer() as server:
        result = run("invites", "send", "--yes", "--rate", "0", env=server.env())
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Error: the mail server stopped taking messages (no whole answer within 0.5 s)"
        " after 0 sent - 5 not sent yet; run `innoff invites send` again to send them"
    )
    assert queued_and_failed(db_path) == (5, 0)


def test_again_sends_one_person_their_current_invites_once_more(run, registered, server, db_path):
    assert send(run, server).exit_code == 0
    again = send(run, server, "--to", "per@ks.no", "--again")
    assert again.exit_code == 0, again.stderr
    assert "studio: 1 invite sent again" in again.stderr
    assert "arsmote: 1 invite sent again" in again.stderr
    resent = server.received[5:]
    assert [r.recipients for r in resent] == [["per@ks.no"], ["per@ks.no"]]
    for received in resent:
        calendar, event = calendar_of(received.message)
        assert calendar["METHOD"] == "REQUEST" and str(received.message["Subject"]).startswith(
            "Invitasjon:"
        )
        # The same UID and SEQUENCE as what Per has, a new DTSTAMP and Message-ID.
        earlier = next(
            calendar_of(r.message)[1] for r in server.received[:5]
            if r.recipients == ["per@ks.no"] and calendar_of(r.message)[1]["UID"] == event["UID"]
        )  # fmt: skip
        assert event["SEQUENCE"] == earlier["SEQUENCE"]
        assert event.decoded("DTSTAMP") >= earlier.decoded("DTSTAMP")
    assert len({r.message["Message-ID"] for r in server.received}) == 7
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM outbox WHERE change = 'resend'").fetchone() == (
            2,
        )
    assert "Nothing to send" in send(run, server).stderr  # and Per needs nothing more
    alone = run("invites", "send", "--again", "--yes", env=server.env())
    assert alone.exit_code == 2 and "--to EMAIL" in alone.stderr


def test_a_cancelled_event_is_cancelled_for_everyone_who_had_it_and_can_come_back(
    run, registered, server
):
    send(run, server)
    called_off = run("agenda", "event", "årsmøte", "--cancel")
    assert (called_off.exit_code, called_off.stderr) == (0, "Changed arsmote: cancelled.\n")
    # Only the event named: --event reaches a cancelled event too.
    result = send(run, server, "--event", "arsmote")
    assert "  arsmote: 2 cancellations of the event" in result.stderr
    assert "arsmote has no join link" not in result.stderr
    assert_meeting_cancelled_for_both(server)
    assert "Nothing to send" in send(run, server).stderr
    shown = run("agenda", "show", "--event", "arsmote")
    assert shown.stdout.startswith("AVLYST: INNOFF Årsmøte")
    (meeting,) = json.loads(run("agenda", "show", "-e", "arsmote", "-f", "json").stdout)
    assert meeting["cancelled"] is True
    # On again: everyone registered gets it anew, above the cancellation.
    assert run("agenda", "event", "arsmote", "--reinstate").exit_code == 0
    again = send(run, server)
    assert "  arsmote: 2 new invites" in again.stderr
    people = by_person(server)
    for recipient in ("Kari.Nordmann@bergen.kommune.no", "per@ks.no"):
        (method, sequence, vevent) = people[recipient, "arsmote@innoff.no"][-1]
        assert method == "REQUEST" and sequence >= 2


def test_a_programme_file_without_an_event_calls_it_off_only_when_asked(
    run, registered, server, tmp_path
):
    """`agenda load` keeps an event its file does not name, and says so; with
    --remove-missing it is called off, and the next send cancels it for all."""
    import tomllib

    from innoff_cli.programme import bundled_programme_text

    send(run, server)
    document = tomllib.loads(bundled_programme_text())
    studio_only = bundled_programme_text().split("[[events]]")
    # The bundled file without its second event (the annual meeting).
    assert len(document["events"]) == 2 and "arsmote" in studio_only[2]
    file = tmp_path / "uten-arsmote.toml"
    file.write_text("[[events]]".join(studio_only[:2]), encoding="utf-8")
    kept = run("agenda", "load", str(file))
    assert kept.exit_code == 0, kept.stderr
    assert "Not in the file, kept: arsmote - pass --remove-missing to call them off" in kept.stderr
    assert "arsmote" not in send(run, server).stderr  # (studio: the file has no join link)
    called_off = run("agenda", "load", str(file), "--remove-missing")
    assert called_off.exit_code == 0, called_off.stderr
    assert "Cancelled (not in the file): arsmote" in called_off.stderr
    result = send(run, server)
    assert "  arsmote: 2 cancellations of the event" in result.stderr
    assert_meeting_cancelled_for_both(server)
    again = run("agenda", "load", str(file), "--remove-missing")  # already off: no change
    assert "Cancelled" not in again.stderr and "Nothing to send" in send(run, server).stderr


def test_the_public_calendar_shows_a_cancelled_event_as_cancelled(run, tmp_path):
    assert run("agenda", "event", "studio", "--cancel").exit_code == 0
    path = tmp_path / "innoff.ics"
    assert run("export", "ics", "--items", "-o", str(path)).exit_code == 0
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    status = {str(e["UID"]): str(e.get("STATUS")) for e in calendar.walk("VEVENT")}
    assert status["studio@innoff.no"] == "CANCELLED"
    assert status["arsmote@innoff.no"] == "CONFIRMED"
    assert all(s == "CANCELLED" for uid, s in status.items() if uid.startswith("studio."))


class RefusingServer(RawServer):
    """An SMTP server that refuses at the start: `greeting` (a 554 instead of 220),
    or a 454 to STARTTLS after offering it."""

    def __init__(self, greeting: bytes):
        super().__init__()
        self.greeting = greeting

    def talk(self, conn, lines, ends) -> None:
        conn.sendall(self.greeting)
        for line in iter(lines.readline, b""):
            command = line[:8].upper()
            if command.startswith(b"EHLO"):
                conn.sendall(b"250-refusing\r\n250 STARTTLS\r\n")
            elif command.startswith(b"STARTTLS"):
                conn.sendall(b"454 4.7.0 TLS not available due to local problem\r\n")
            elif command.startswith(b"QUIT"):
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"500 what\r\n")


@pytest.mark.parametrize(
    "greeting, said",
    [
        (b"554 5.3.2 No service for you\r\n", "554 5.3.2 No service for you"),
        (b"220 hello\r\n", "454 4.7.0 TLS not available due to local problem"),
    ],
    ids=["554-greeting", "454-starttls"],
)
def test_a_refusal_at_the_start_is_said_in_the_servers_words(run, registered, greeting, said):
    with RefusingServer(greeting) as server:
        env = {"INNOFF_SMTP_HOST": "127.0.0.1", "INNOFF_SMTP_PORT": str(server.port),
               "INNOFF_SMTP_SECURITY": "starttls"}  # fmt: skip
        result = run("invites", "send", "--yes", env=env)
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last == (
        f"Error: cannot reach the SMTP server at 127.0.0.1:{server.port} ({said})"
        " - check --smtp-host and --smtp-port; nothing was sent"
    )
    assert "b'" not in result.stderr


def test_a_message_that_cannot_be_built_stops_the_run_and_sends_nothing_empty(
    run, registered, server, db_path
):
    """A title with line breaks that came in behind innoff's back (the door refuses
    them) cannot be a Subject: the run stops before any message, nobody is marked
    failed, and never does an empty message go out in its place."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE events SET title = ? WHERE slug = 'studio'", ["INNOFF\nstudio\r\nBcc: x@y.no"]
        )
    result = send(run, server)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "Error: cannot build the messages for studio (Header values may not contain linefeed"
    )
    assert "nothing was sent or queued" in result.stderr
    assert server.received == []
    status = json.loads(run("invites", "status", "--format", "json").stdout)
    assert {row["state"] for row in status} == {None}  # nothing recorded for anyone
    assert run("agenda", "event", "studio", "--title", "INNOFF-studio").exit_code == 0
    again = send(run, server)
    assert again.exit_code == 0, again.stderr
    assert all(r.data for r in server.received) and len(server.received) == 5
    assert len({r.message["Message-ID"] for r in server.received}) == 5
