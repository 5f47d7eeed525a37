"""`innoff followup send` against a real SMTP server (aiosmtpd on 127.0.0.1):
each group (attended, no-show, registered) from registrations, answers and an
attendance report; every mail once per person, event and message."""

from __future__ import annotations

import mailbox

import pytest

from tests.reply_mail import reply
from tests.smtp_server import SmtpServer
from tests.test_attendance import KARI, OYSTEIN, PER, TEAMS

RECORDING = "https://video.example/innoff-studio-2020"


@pytest.fixture
def server():
    with SmtpServer() as running:
        yield running


@pytest.fixture
def met(run, tmp_path):
    """Five registered for the studio; Kari, Per and Anne Hansen (a guest, by the
    one registered name) attended, a walk-in too; Eva Li declined her invite."""
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Organisasjon\n"
        f"Kari Nordmann;{KARI};Bergen kommune\nØystein Ås;{OYSTEIN};NTNU\n"
        f"Per Nordmann;{PER};KS\nAnne Hansen;anne@bodo.kommune.no;Bodø kommune\n"
        "Eva Li;eva@ntnu.no;NTNU\n",
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    sent = tmp_path / "sent"
    assert run("invites", "send", "--yes", "--maildir", str(sent)).exit_code == 0
    box = mailbox.Maildir(sent, create=False)
    invite = next(box.get_bytes(k) for k in box.keys() if b"eva@ntnu.no" in box.get_bytes(k))
    (tmp_path / "nei.eml").write_bytes(reply(invite, "DECLINED"))
    assert run("invites", "replies", str(tmp_path / "nei.eml")).exit_code == 0
    report = tmp_path / "teams.csv"
    report.write_bytes(TEAMS.encode("utf-16"))
    assert run("attendance", "import", str(report)).exit_code == 0
    assert run("agenda", "event", "studio", "--recording-url", RECORDING).exit_code == 0


def follow(run, server, *args: str):
    result = run("followup", "send", "--event", "studio", "--yes", "--rate", "0", *args,
                 env=server.env())  # fmt: skip
    assert "Traceback" not in result.stderr
    return result


def recipients(server) -> list[str]:
    return sorted(r.recipients[0].casefold() for r in server.received)


def text_of(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_content().replace("\r\n", "\n")


def test_each_group_gets_its_mail_once(run, met, server):
    thanks = follow(run, server, "--to", "attended")
    assert thanks.exit_code == 0, thanks.stderr
    assert recipients(server) == sorted([KARI, PER, "anne@bodo.kommune.no", "walkin@example.org"])
    message = server.received[0].message
    assert message["Subject"] == "Takk for at du var med på INNOFF-studio"
    assert RECORDING in text_of(message) and "Auto-Submitted" in message
    server.handler.received.clear()
    missed = follow(run, server, "--to", "no-show")
    assert "1 declined the invite and get none" in missed.stderr
    assert recipients(server) == [OYSTEIN]  # not Eva: she declined
    assert server.received[0].message["Subject"] == "Opptak fra INNOFF-studio"
    server.handler.received.clear()
    for group in ("attended", "no-show"):  # run again: sent once
        again = follow(run, server, "--to", group)
        assert again.exit_code == 0 and "had this mail already" in again.stderr
    assert server.received == []
    everyone = follow(run, server, "--to", "registered")
    assert recipients(server) == sorted([KARI, OYSTEIN, PER, "anne@bodo.kommune.no"])
    assert "1 declined the invite and get none" in everyone.stderr


def test_an_own_text_names_each_person_and_is_a_new_message(run, met, server, tmp_path):
    body = tmp_path / "takk.md"
    body.write_text(
        "Takk, {navn}, for besøket på {arrangement}!\n\nSe {opptak} {ikke dette}", encoding="utf-8"
    )
    result = follow(run, server, "--to", "attended", "--body", str(body), "--subject", "Takk!")
    assert result.exit_code == 0, result.stderr
    kari = next(r.message for r in server.received if r.recipients[0].casefold() == KARI)
    text = text_of(kari)
    # A text that names them greets them itself: no "Hei Kari Nordmann," before it.
    assert text.startswith("Takk, Kari Nordmann, for besøket på INNOFF-studio!")
    assert f"Se {RECORDING} {{ikke dette}}" in text  # other braces stay as written
    html = next(p for p in kari.walk() if p.get_content_type() == "text/html").get_content()
    assert f'<a href="{RECORDING}">' in html and "Hei" not in html
    # The built-in text is another message: they get that too.
    server.handler.received.clear()
    follow(run, server, "--to", "attended")
    assert len(server.received) == 4


def test_a_markdown_text_is_its_html_and_a_name_stays_text(run, met, server, tmp_path, db_path):
    """The --body is Markdown in the HTML part (CommonMark) and as written in the
    plain one; HTML in it, a javascript: link and a name that looks like
    Markdown or HTML are shown as text."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:  # a name as someone typed it into a form
        conn.execute("UPDATE participants SET name = '*Kari* <b>N</b>' WHERE email = ?", [KARI])
    body = tmp_path / "takk.md"
    body.write_text(
        "## Takk, {navn}!\n\nDu var med på **{arrangement}**. Se [opptaket]({opptak}),"
        " eller https://innoff.no/program.\n\n- én\n- to\n\n<script>x()</script>"
        " [trykk](javascript:alert(1))",
        encoding="utf-8",
    )
    result = follow(run, server, "--to", "attended", "--body", str(body), "--only", KARI)
    assert result.exit_code == 0, result.stderr
    (kari,) = [r.message for r in server.received]
    html = next(p for p in kari.walk() if p.get_content_type() == "text/html").get_content()
    assert "<h2>Takk, *Kari* &lt;b&gt;N&lt;/b&gt;!</h2>" in html
    assert "<strong>INNOFF-studio</strong>" in html
    assert f'<a href="{RECORDING}">opptaket</a>' in html
    assert '<a href="https://innoff.no/program">https://innoff.no/program</a>.' in html
    assert "<li>én</li>" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "[trykk](javascript:alert(1))" in html and 'href="javascript' not in html
    text = text_of(kari)
    assert text.startswith("## Takk, *Kari* <b>N</b>!") and "**INNOFF-studio**" in text


def test_refusals_that_protect_people(run, met, server, tmp_path, db_path):
    assert run("agenda", "event", "studio", "--recording-url", "").exit_code == 0
    no_link = follow(run, server, "--to", "no-show")
    assert no_link.exit_code == 1 and "studio has no recording link" in no_link.stderr
    plain = tmp_path / "hei.txt"
    plain.write_text("Vi savnet deg.", encoding="utf-8")
    no_report = follow(run, server, "--to", "no-show", "--event", "arsmote", "--body", str(plain))
    assert no_report.exit_code == 1
    assert "no attendance is recorded for arsmote" in no_report.stderr
    # A word in braces innoff does not fill in would reach everyone as written.
    typo = tmp_path / "takk.txt"
    typo.write_text("Hei {Navn}!\n\nTakk for sist.\n\nHilsen {avsender}", encoding="utf-8")
    refused = follow(run, server, "--to", "attended", "--body", str(typo))
    assert refused.exit_code == 1 and refused.stderr == (
        f"Error: {typo} has {{Navn}}, which innoff does not fill in"
        " - use {navn}, {arrangement} or {opptak}\n"
    )
    subject = follow(run, server, "--to", "attended", "--subject", "Takk, {deltaker}")
    assert subject.exit_code == 1 and "--subject has {deltaker}" in subject.stderr
    assert server.received == []
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM mailings").fetchone() == (0,)
