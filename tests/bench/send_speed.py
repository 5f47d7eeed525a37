"""Sending speed: `innoff invites send` (or `reminders send`) to an SMTP server
against a bare smtplib floor.

    python tests/bench/send_speed.py [--participants 2000] [--runs 3] [--what invites|reminders]

Registers N participants for both events (2N invites; with `--what reminders`,
N reminders for the studio a day before, INNOFF_NOW set to that moment: the
README's target is 4,000 people) and starts aiosmtpd on
127.0.0.1 in a process of its own (it accepts and discards). Then, each run and
each as its own process, interleaved:

- innoff: `innoff invites send --yes --rate 0` (or `innoff reminders send
  --before 1d ...`) from a database with nothing sent: plan, queue, build each
  message, send it, record it;
- floor: `smtplib` sending the same messages, built beforehand (innoff wrote
  them to a Maildir) and read into memory before the clock starts, over one
  connection.

Prints best and median times, messages/s, innoff's best and median as a multiple
of the floor's, and innoff's peak RSS (also at a quarter of the participants, to
show memory stays flat). Target: at most 2x the floor; peak RSS under 80 MB.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_speed import installed, run  # noqa: E402  (time and peak RSS of one process)

SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller

class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"

controller = Controller(Discard(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()  # until the bench closes our stdin
controller.stop()
"""

FLOOR = """
import mailbox, smtplib, sys, time
from email.utils import parseaddr
port, folder = int(sys.argv[1]), sys.argv[2]
box = mailbox.Maildir(folder, factory=None, create=False)
messages = []
for key in box.keys():
    data = box.get_bytes(key)
    head = data.split(b"\\n\\n", 1)[0].decode("ascii", "replace")
    to = next(l for l in head.splitlines() if l.startswith("To: "))
    messages.append((parseaddr(to[4:])[1], data.replace(b"\\n", b"\\r\\n")))
start = time.perf_counter()
with smtplib.SMTP("127.0.0.1", port) as smtp:
    for recipient, data in messages:
        smtp.sendmail("post@innoff.no", [recipient], data)
print(time.perf_counter() - start)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def registered_db(innoff: str, folder: Path, participants: int) -> Path:
    export = folder / f"neon{participants}.csv"
    with export.open("w", encoding="utf-8") as out:
        out.write("Navn;E-post;Organisasjon;Deltar på årsmøte\n")
        for i in range(participants):
            out.write(f"Deltaker Ærlig Østby {i};person{i}@example.org;Kommune {i % 350};Ja\n")
    db = folder / f"bench{participants}.db"
    for command in (
        ["registrations", "import", str(export)],
        ["agenda", "event", "studio", "--join-url", "https://zoom.us/j/81234567890?pwd=abc"],
        ["agenda", "event", "arsmote", "--join-url", "https://zoom.us/j/81234567891"],
    ):
        subprocess.run([innoff, "--db", str(db), *command], check=True, capture_output=True)
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--what", choices=["invites", "reminders"], default="invites")
    args = parser.parse_args()
    innoff = installed()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert server.stdout.readline().strip() == b"ready"
        with tempfile.TemporaryDirectory() as scratch:
            return bench(innoff, Path(scratch), port, args)
    finally:
        server.stdin.close()
        server.wait(timeout=10)


def bench(innoff: str, folder: Path, port: int, args) -> int:
    env = {
        **os.environ,
        "INNOFF_SMTP_HOST": "127.0.0.1",
        "INNOFF_SMTP_PORT": str(port),
        "INNOFF_SMTP_SECURITY": "none",
    }
    env.pop("INNOFF_SMTP_USER", None)
    what = ["invites", "send"]
    if args.what == "reminders":  # the studio (17.11.2020 10:00 Oslo) a day before
        env["INNOFF_NOW"] = "2020-11-16T10:00:00+01:00"
        what = ["reminders", "send", "--before", "1d"]
    db = registered_db(innoff, folder, args.participants)
    pristine = db.read_bytes()  # each run starts with nothing sent
    maildir = folder / "prebuilt"
    subprocess.run(
        [innoff, "--db", str(db), *what, "--yes", "--maildir", str(maildir)],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    messages = len(os.listdir(maildir / "new"))
    innoff_times, floor_times, rss = [], [], []
    send = [innoff, "--db", str(db), *what, "--yes", "--rate", "0"]
    for _ in range(args.runs):  # interleaved: a slow moment of the machine hits both alike
        db.write_bytes(pristine)
        elapsed, peak, _ = run(send, env)
        innoff_times.append(elapsed)
        rss.append(peak)
        done = subprocess.run(
            [sys.executable, "-c", FLOOR, str(port), str(maildir)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        floor_times.append(float(done.stdout))
    small = registered_db(innoff, folder, max(args.participants // 4, 1))
    small_rss = run([innoff, "--db", str(small), *what, "--yes", "--rate", "0"], env).peak

    def line(name: str, times: list[float]) -> str:
        best, median = min(times), statistics.median(times)
        return (
            f"{name:<8} best {best:6.2f} s  median {median:6.2f} s"
            f"  {messages / best:8.0f} messages/s"
        )

    per = "x 2 events" if args.what == "invites" else "reminded of one event"
    print(f"{messages} {args.what} ({args.participants} participants {per}), {args.runs} runs")
    print(line("innoff", innoff_times))
    print(line("floor", floor_times))
    best = min(innoff_times) / min(floor_times)
    median = statistics.median(innoff_times) / statistics.median(floor_times)
    print(f"innoff / floor: best {best:.2f}x, median {median:.2f}x (target <= 2x)")
    print(
        f"innoff peak RSS: {max(rss):.1f} MB at {args.participants} participants,"
        f" {small_rss:.1f} MB at {max(args.participants // 4, 1)} (target < 80 MB, flat)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
