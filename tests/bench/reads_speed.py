"""Reading speed and memory: `registrations list`, `export` and `stats` against a bare floor.

    python tests/bench/reads_speed.py [--people 1000000] [--runs 3] [--answers]

Imports N participants once (the bench's own import file), then, each as its
own process and interleaved, `--runs` times:

- innoff: `registrations list --format json`, `--format csv`, the table (to a
  pipe, so without a pager), `registrations export -o FILE` and `stats`;
- floor: Python reading the participants table with sqlite3 in e-mail order
  and writing each row with csv.writer (no sorting by name, no events);
- peers a user could pick instead: `sqlite-utils rows DB participants --nl`
  and `--csv` (one table in stored order), and the sqlite3 command line running
  innoff's own list query (store.registrations.list_query: the same join, in
  the Norwegian order of names) with `-json` and `-csv`.

With --answers, the database also holds what a season's mail leaves: an invite
sent to every registration (a sent outbox row each), an answer from 40 % of
them (a quarter declining) and attendance for 20 % (stored as the commands
that write them store them, but by SQL, in seconds): `list` then looks up
answers and attendance, and `stats` counts per answer and attendance.

Prints best and median CPU (user and system) and wall-clock times, each
command's as a multiple of the floor's, innoff's list, export and table as a
multiple of each peer (CPU and wall), and peak RSS. Targets (issue 23): `list
--format json` ahead of `sqlite-utils rows --nl` and within 2x of `sqlite3
-json`; `--format csv` and `export` within 2x of `sqlite3 -csv`, the table
within 3x; peak RSS under 64 MB at a million participants, flat as N grows.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from import_speed import Run, installed, peaks, run, summary  # noqa: E402

# The rows are made in a process of their own: a child forked from a bench that
# had held a million rows would count the bench's memory as its own peak.
GENERATE = (
    "import sys; sys.path.insert(0, sys.argv[1]); import import_speed as b;"
    " from pathlib import Path; b.generate(Path(sys.argv[2]), int(sys.argv[3]))"
)

# What --answers stores (random() picks who answered, declined and attended).
ANSWERS = """
INSERT INTO outbox (email, address, event, uid, method, change, sequence, content,
                    significant, message_id, stamp_utc, state, done_utc)
SELECT email, email, event, 'uid-' || event, 'REQUEST', 'new', 0, '', '',
       event || '.' || email || '@bench', '2020-11-02T10:00:00Z', 'sent', '2020-11-02T10:00:00Z'
FROM registrations;
INSERT INTO replies (email, uid, event, partstat, sequence, dtstamp_utc, message_id,
                     sent_utc, read_utc)
SELECT email, uid, event,
       CASE WHEN abs(random()) % 4 = 0 THEN 'DECLINED' ELSE 'ACCEPTED' END, 0,
       '2020-11-03T10:00:00Z', 'r' || id || '@bench', '2020-11-03T10:00:00Z',
       '2020-11-03T10:00:00Z'
FROM outbox WHERE abs(random()) % 10 < 4;
INSERT INTO attendance (event, email, name, minutes, first_join_utc, last_leave_utc,
                        attended, registered, source, sha256, imported_utc)
SELECT r.event, r.email, p.name, 90, '2020-11-17T09:00:00+00:00',
       '2020-11-17T10:30:00+00:00', 1, 1, 'teams.csv', 'bench', '2020-11-18T00:00:00+00:00'
FROM registrations r JOIN participants p USING (email) WHERE abs(random()) % 10 < 2;
"""

FLOOR = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
writer = csv.writer(sys.stdout)
for row in conn.execute("SELECT * FROM participants ORDER BY email"):
    writer.writerow(row)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--answers", action="store_true", help="invites sent, answers, attendance")
    args = parser.parse_args()
    innoff = installed()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        export, db = folder / "people.csv", folder / "bench.db"
        subprocess.run(
            [sys.executable, "-c", GENERATE, str(HERE), str(export), str(args.people)], check=True
        )
        run([innoff, "--db", str(db), "registrations", "import", str(export)])
        base = [innoff, "--db", str(db), "registrations"]
        sqlite_utils, sqlite3_cli = shutil.which("sqlite-utils"), shutil.which("sqlite3")
        sys.path.insert(0, str(HERE.parent.parent))
        import sqlite3

        if args.answers:
            with sqlite3.connect(db) as conn:
                conn.executescript(ANSWERS)

        from innoff_cli.store.registrations import list_query, tails_held

        # The very query innoff runs on this database (no answers or attendance
        # stored: it does not look for them).
        with sqlite3.connect(db) as conn:
            held = tails_held(conn)
        query = " ".join(list_query(by_name=True, **held).split())
        peers = {}
        if sqlite_utils:
            peers["sqlite-utils rows --nl"] = [
                sqlite_utils,
                "rows",
                str(db),
                "participants",
                "--nl",
            ]
            peers["sqlite-utils rows --csv"] = [
                sqlite_utils,
                "rows",
                str(db),
                "participants",
                "--csv",
            ]
        if sqlite3_cli:
            peers["sqlite3 -json (same query)"] = [sqlite3_cli, "-json", str(db), query]
            peers["sqlite3 -csv (same query)"] = [sqlite3_cli, "-csv", str(db), query]
        commands = {
            "list --format json": [*base, "list", "--format", "json"],
            "list --format csv": [*base, "list", "--format", "csv"],
            "list (table)": [*base, "list"],
            "export -o FILE": [*base, "export", "-o", str(folder / "out.csv")],
            "stats": [*base, "stats"],
            "floor (sqlite3 + csv)": [sys.executable, "-c", FLOOR, str(db)],
            **peers,
        }
        done: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved: a busy moment hits every command alike
            for name, command in commands.items():
                done[name].append(run(command))
    (cpu, cpu_median), (wall, wall_median) = summary(done, "cpu"), summary(done, "seconds")
    peak = peaks(done)
    floor = cpu["floor (sqlite3 + csv)"], wall["floor (sqlite3 + csv)"]
    held = "with answers and attendance" if args.answers else "no answers stored"
    print(f"{args.people} participants ({held}), best of {args.runs} runs each")
    print(
        f"{'':27} {'CPU best s':>10} {'median s':>9} {'x floor':>8}"
        f" {'wall best s':>11} {'median s':>9} {'x floor':>8} {'peak RSS MB':>12}"
    )
    for name in commands:
        print(
            f"{name:27} {cpu[name]:10.2f} {cpu_median[name]:9.2f} {cpu[name] / floor[0]:8.2f}"
            f" {wall[name]:11.2f} {wall_median[name]:9.2f} {wall[name] / floor[1]:8.2f}"
            f" {peak[name]:12.1f}"
        )
    print()
    for ours, theirs in (("list --format json", "sqlite-utils rows --nl"),
                         ("list --format json", "sqlite3 -json (same query)"),
                         ("list --format csv", "sqlite3 -csv (same query)"),
                         ("export -o FILE", "sqlite3 -csv (same query)"),
                         ("list (table)", "sqlite3 -csv (same query)"),
                         ("list --format csv", "sqlite-utils rows --csv")):  # fmt: skip
        if theirs in done:
            said = [
                f"{label} {best[ours] / best[theirs]:.2f}x"
                f" (medians {median[ours] / median[theirs]:.2f}x)"
                for label, best, median in (("CPU", cpu, cpu_median), ("wall", wall, wall_median))
            ]
            print(f"{ours} / {theirs}: {'; '.join(said)}")
    worst = max(rss for name, rss in peak.items() if name.startswith(("list", "export", "stats")))
    print(f"\ninnoff peak RSS: {worst:.1f} MB at {args.people} participants (target < 64 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
