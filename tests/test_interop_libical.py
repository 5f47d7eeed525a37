"""Invites through libical, the calendar library of Evolution and KDE: it must find
each attendee in what innoff sent (by the mailto: value, as its clients compare
it), and innoff must take the REPLY it builds. Addresses outside ASCII included:
written %-encoded, libical found no one to answer for.

The harness (tests/interop/libical_reply.c) is compiled against the system's
libical (.ci/run installs libical-dev); without a compiler or libical the test
is skipped with the reason.
"""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent / "interop" / "libical_reply.c"
PEOPLE = {
    "Kari.Nordmann@Bergen.Kommune.no": "ACCEPTED",
    "ærlig.åse@straße.no": "DECLINED",
    "øystein@ntnu.no": "TENTATIVE",
    "per+innoff@ks.no": "ACCEPTED",
}


@pytest.fixture(scope="module")
def libical_reply(tmp_path_factory) -> Path:
    if shutil.which("cc") is None or shutil.which("pkg-config") is None:
        pytest.skip("no C compiler or pkg-config (.ci/run installs libical-dev and pkg-config)")
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "libical"], capture_output=True, text=True
    )
    if flags.returncode != 0:
        pytest.skip("libical is not installed (.ci/run installs libical-dev)")
    program = tmp_path_factory.mktemp("libical") / "libical_reply"
    subprocess.run(["cc", "-o", str(program), str(HARNESS), *flags.stdout.split()], check=True)
    return program


def test_libical_finds_every_attendee_and_innoff_takes_its_replies(run, tmp_path, libical_reply):
    export = tmp_path / "people.csv"
    export.write_text(
        "Navn;E-post\n" + "".join(f"Person {i};{a}\n" for i, a in enumerate(PEOPLE)),
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    sent = tmp_path / "sent"
    assert (
        run("invites", "send", "--yes", "--maildir", str(sent), "--event", "studio").exit_code == 0
    )
    answers = mailbox.Maildir(tmp_path / "answers")
    box = mailbox.Maildir(sent, create=False)
    for key in box.keys():
        invite = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        calendar = next(p for p in invite.walk() if p.get_content_type() == "text/calendar")
        raw_to = box.get_bytes(key).split(b"\nTo: ", 1)[1].split(b"\n", 1)[0].decode()
        address = next(a for a in PEOPLE if a.split("@")[0].casefold() in raw_to.casefold())
        made = subprocess.run(
            [str(libical_reply), address, PEOPLE[address]],
            input=calendar.get_payload(decode=True), capture_output=True, timeout=30,
        )  # fmt: skip
        assert made.returncode == 0, f"libical found no attendee {address} (exit {made.returncode})"
        reply = EmailMessage(policy=email.policy.SMTPUTF8)
        reply["From"] = address
        reply["To"] = invite["From"]
        reply["Subject"] = "Svar"
        reply["Message-ID"] = f"<{key}@libical.example>"
        reply.set_content(
            made.stdout, maintype="text", subtype="calendar", params={"method": "REPLY"}
        )
        answers.add(reply.as_bytes())
    report = json.loads(run("invites", "replies", str(tmp_path / "answers"), "-f", "json").stdout)
    assert report["not_applied"] == [] and report["ignored"] == [] and report["errors"] == []
    status = json.loads(run("invites", "status", "--format", "json").stdout)
    got = {row["email"]: row["answer"] for row in status if row["event"] == "studio"}
    assert got == {address.casefold(): partstat.lower() for address, partstat in PEOPLE.items()}
