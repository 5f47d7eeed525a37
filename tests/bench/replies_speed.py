"""Speed of `innoff invites replies` on a Maildir, against the standard library's floor.

    python tests/bench/replies_speed.py [--messages 10000] [--runs 3]

Builds a Maildir of REPLY messages (the Google layout: text, HTML and a base64
text/calendar, plus the same calendar as invite.ics) answering invites that
innoff recorded for as many people, then times, each in its own process and
interleaved:

- innoff: `innoff invites replies MAILDIR` into a copy of the database
  (read, parse, match, record in one transaction);
- floor: `mailbox.Maildir` + `email.message_from_bytes` reading every message
  and decoding every calendar part, nothing else.

Prints best and median times and innoff's ratio to the floor (of the best runs,
and of the medians), and innoff's peak RSS. Targets: at most 2x; under 80 MB
at 100,000 messages (`--messages 100000 --runs 1`), flat as they grow.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_speed import run  # noqa: E402  (time and peak RSS of one process)

FLOOR = """
import email, mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
parts = 0
for key in box.keys():
    message = email.message_from_bytes(box.get_bytes(key))
    for part in message.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            part.get_payload(decode=True)
            parts += 1
print(parts)
"""


def calendar(email: str, partstat: str, n: int) -> str:
    return "\r\n".join([
        "BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
        "CALSCALE:GREGORIAN", "METHOD:REPLY", "BEGIN:VEVENT", "DTSTART:20201117T090000Z",
        "DTEND:20201117T110000Z", f"DTSTAMP:20201105T{n % 24:02d}{n % 60:02d}01Z",
        "ORGANIZER;CN=INNOFF:mailto:post@innoff.no", "UID:studio@innoff.no",
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=" + partstat
        + f";CN={email};X-NUM-GUESTS=0:mailto:{email}",
        "CREATED:20201102T080000Z", "DESCRIPTION:INNOFF-studio", "LAST-MODIFIED:20201105T123001Z",
        "LOCATION:https://zoom.us/j/1", "SEQUENCE:0", "STATUS:CONFIRMED", "SUMMARY:INNOFF-studio",
        "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR", "",
    ])  # fmt: skip


def message(email: str, partstat: str, n: int) -> bytes:
    cal = base64.encodebytes(calendar(email, partstat, n).encode()).decode()
    text = base64.encodebytes(f"{email} har svart {partstat}.\r\n".encode()).decode()
    return (
        f"MIME-Version: 1.0\r\nDate: Thu, 05 Nov 2020 12:30:01 +0000\r\n"
        f"Message-ID: <reply{n}@google.com>\r\nSubject: Svar: INNOFF-studio\r\n"
        f"From: {email}\r\nTo: post@innoff.no\r\n"
        'Content-Type: multipart/mixed; boundary="MIXED"\r\n\r\n'
        '--MIXED\r\nContent-Type: multipart/alternative; boundary="ALT"\r\n\r\n'
        '--ALT\r\nContent-Type: text/plain; charset="UTF-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"{text}\r\n"
        '--ALT\r\nContent-Type: text/html; charset="UTF-8"\r\n\r\n<p>Svar</p>\r\n'
        '--ALT\r\nContent-Type: text/calendar; charset="UTF-8"; method=REPLY\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{cal}\r\n--ALT--\r\n"
        '--MIXED\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{cal}\r\n--MIXED--\r\n"
    ).encode()


def prepare(folder: Path, count: int) -> tuple[Path, Path]:
    """A database with `count` participants invited to the studio, and their replies."""
    import mailbox

    csv = folder / "people.csv"
    csv.write_text(
        "Navn;E-post\n" + "".join(f"Person {i};p{i}@x.example\n" for i in range(count)),
        encoding="utf-8",
    )
    db = folder / "template.db"
    env = {**os.environ, "INNOFF_DB": str(db)}
    subprocess.run([sys.executable, "-m", "innoff_cli", "registrations", "import", str(csv)],
                   env=env, check=True, capture_output=True)  # fmt: skip
    sent = folder / "sent"
    subprocess.run(
        [sys.executable, "-m", "innoff_cli", "invites", "send", "--yes", "--event", "studio",
         "--maildir", str(sent)], env=env, check=True, capture_output=True,
    )  # fmt: skip
    shutil.rmtree(sent)
    inbox = folder / "Maildir"
    box = mailbox.Maildir(inbox, create=True)
    kinds = ("ACCEPTED", "TENTATIVE", "DECLINED")
    for i in range(count):
        box.add(message(f"p{i}@x.example", kinds[i % 3], i))
    return db, inbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db, inbox = prepare(folder, args.messages)
        times: dict[str, list[float]] = {"innoff": [], "floor": []}
        peak = 0.0
        for attempt in range(args.runs):
            copy = folder / f"run{attempt}.db"
            shutil.copyfile(db, copy)
            env = {**os.environ, "INNOFF_DB": str(copy)}
            times["floor"].append(run([sys.executable, "-c", FLOOR, str(inbox)]).seconds)
            elapsed, rss, _ = run(
                [sys.executable, "-m", "innoff_cli", "invites", "replies", str(inbox)], env
            )
            times["innoff"].append(elapsed)
            peak = max(peak, rss)
            with sqlite3.connect(copy) as conn:
                (recorded,) = conn.execute("SELECT count(*) FROM replies").fetchone()
            assert recorded == args.messages, recorded
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.messages} reply messages in a Maildir, {args.runs} runs each, interleaved")
    for name in times:
        print(f"  {name:8} best {best[name]:6.2f} s   median {median[name]:6.2f} s")
    print(
        f"innoff / floor: {best['innoff'] / best['floor']:.2f}x"
        f" (medians {median['innoff'] / median['floor']:.2f}x; target <= 2x)"
    )
    print(f"innoff peak RSS: {peak:.1f} MB at {args.messages} messages (target < 80 MB at 100000)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
