"""Attendance import speed and memory: `innoff attendance import` of a Teams report
against the floor of the standard csv module reading the same file.

    python tests/bench/attendance_speed.py [--people 20000] [--joins 5] [--runs 3]

Registers N people for the studio, then writes a Teams attendance report as
Teams downloads it (UTF-16 with BOM, tabs): a summary, a participants section
(a row per person) and an in-meeting activities section (`--joins` rows per
person: 100,000 at the defaults), US times and '1h 2m 3s' durations, with a
guest without an address and an organiser. Each run, as its own process,
interleaved:

- innoff: `innoff attendance import FILE --event studio` into a copy of the
  registered database (the same report twice would be a no-op);
- floor: csv.reader over the same file (UTF-16, tabs), every cell touched;
- bare loop: the same, each row's times kept on its person (a look-up and an
  append), and innoff's start-up (`innoff --version`) beside it: together the
  least any Python import of the report would cost.

Prints best and median times, innoff's ratio to the floor (of the best runs,
and of the medians), and innoff's peak RSS, also at a quarter of the people
to show how memory grows. Target: at most 3x the floor; memory flat.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_speed import Run, installed, run  # noqa: E402  (time and peak RSS of one process)

FLOOR = """
import csv, sys
cells = 0
with open(sys.argv[1], encoding="utf-16", newline="") as stream:
    for row in csv.reader(stream, delimiter="\\t"):
        cells += len(row)
"""
# What any Python reader of the report must do at least: keep each row's times
# on its person (a look-up and an append a row), nothing checked or parsed.
BARE_LOOP = """
import csv, sys
people = {}
with open(sys.argv[1], encoding="utf-16", newline="") as stream:
    for row in csv.reader(stream, delimiter="\\t"):
        people.setdefault(row[4] if len(row) > 4 else "", []).append(row[1:3])
"""
START = datetime(2020, 11, 17, 9, 55)


def us(moment: datetime) -> str:
    """Teams' US time: 11/17/20, 9:58:01 AM."""
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment:%y}, {hour}:{moment:%M:%S} {moment:%p}"


def length(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600}h {seconds % 3600 // 60}m {seconds % 60}s"


def _person(i: int, joins: int):
    """(name, email, first join, stretches) of the report's i-th person."""
    name, email = f"Deltaker Ærlig Østby {i}", f"person{i}@example.org"
    if i % 50 == 0:
        name, email = f"Gjest {i} (Guest)", ""
    first = START + timedelta(minutes=i % 7)
    stretches = []
    moment = first
    for _ in range(joins):
        stop = moment + timedelta(minutes=15, seconds=i % 59)
        stretches.append((moment, stop))
        moment = stop + timedelta(minutes=2)
    return name, email, first, stretches


def write_report(path: Path, people: int, joins: int) -> None:
    """Written as it is made, a line at a time: a bench that held the report
    in memory would hand that memory to every innoff it starts (a forked
    child's peak RSS counts the pages it was forked with)."""
    with path.open("w", encoding="utf-16") as out:
        out.write("1. Summary\nMeeting title\tINNOFF-studio\n"
                  f"Attended participants\t{people}\n\n2. Participants\n"
                  "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail"
                  "\tParticipant ID (UPN)\tRole\n"
                  f"INNOFF Post\t{us(START)}\t{us(START + timedelta(hours=2))}\t2h 0m 0s"
                  "\tpost@innoff.no\tpost@innoff.no\tOrganizer\n")  # fmt: skip
        for i in range(people):
            name, email, first, stretches = _person(i, joins)
            total = sum((b - a for a, b in stretches), timedelta())
            out.write(f"{name}\t{us(first)}\t{us(stretches[-1][1])}\t{length(total)}"
                      f"\t{email}\t{email}\tAttendee\n")  # fmt: skip
        out.write(
            "\n3. In-Meeting Activities\nName\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n"
        )
        for i in range(people):
            name, email, _first, stretches = _person(i, joins)
            out.writelines(f"{name}\t{us(a)}\t{us(b)}\t{length(b - a)}\t{email}\tAttendee\n"
                           for a, b in stretches)  # fmt: skip


def registered_db(innoff: str, folder: Path, people: int) -> Path:
    export = folder / f"registered{people}.csv"
    with export.open("w", encoding="utf-8") as out:
        out.write("Navn;E-post;Organisasjon\n")
        for i in range(people):
            out.write(f"Deltaker Ærlig Østby {i};person{i}@example.org;Kommune {i % 350}\n")
    db = folder / f"bench{people}.db"
    subprocess.run([innoff, "--db", str(db), "registrations", "import", str(export)],
                   check=True, capture_output=True)  # fmt: skip
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--joins", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    innoff = installed()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sizes = {"full": args.people, "quarter": max(args.people // 4, 1)}
        dbs, reports = {}, {}
        for label, people in sizes.items():
            dbs[label] = registered_db(innoff, folder, people)
            reports[label] = folder / f"teams{people}.csv"
            write_report(reports[label], people, args.joins)
        work = folder / "work.db"

        def innoff_run(label: str) -> Run:
            shutil.copyfile(dbs[label], work)  # (not held here: see write_report)
            for leftover in folder.glob("work.db-*"):
                leftover.unlink()
            command = [innoff, "--db", str(work), "attendance", "import", str(reports[label]),
                       "--event", "studio"]  # fmt: skip
            return run(command)

        innoff_run("quarter")  # byte code cached, untimed
        times = {"innoff": [], "floor": [], "bare loop": [], "start-up": [], "python": []}
        peak = {"full": 0.0, "quarter": 0.0}
        for _ in range(args.runs):  # interleaved: a slow moment hits both alike
            full = innoff_run("full")
            times["innoff"].append(full.seconds)
            peak["full"] = max(peak["full"], full.peak)
            times["floor"].append(run([sys.executable, "-c", FLOOR, str(reports["full"])]).seconds)
            times["bare loop"].append(
                run([sys.executable, "-c", BARE_LOOP, str(reports["full"])]).seconds
            )
            times["start-up"].append(run([innoff, "--version"]).seconds)
            times["python"].append(run([sys.executable, "-c", "pass"]).seconds)
            peak["quarter"] = max(peak["quarter"], innoff_run("quarter").peak)
        rows = args.people * (args.joins + 1)
    best = {name: min(values) for name, values in times.items()}
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"Teams report: {args.people} people, {rows} rows (UTF-16, tabs), best of {args.runs} runs"
    )
    for name in times:
        print(f"{name:<10} best {best[name]:6.2f} s  median {median[name]:6.2f} s")
    print(
        f"innoff / floor: best {best['innoff'] / best['floor']:.2f}x,"
        f" median {median['innoff'] / median['floor']:.2f}x (target <= 3x)"
    )
    # The least a Python import could cost: innoff's start-up (beyond the
    # interpreter's own, which the loop pays too) and the bare loop.
    bound = {k: v["bare loop"] + v["start-up"] - v["python"] for k, v in (("best", best),
             ("median", median))}  # fmt: skip
    print(
        f"bare loop + innoff's start-up / floor: best {bound['best'] / best['floor']:.2f}x,"
        f" median {bound['median'] / median['floor']:.2f}x (no check, no fold, nothing stored)"
    )
    print(
        f"innoff peak RSS: {peak['full']:.1f} MB at {args.people} people,"
        f" {peak['quarter']:.1f} MB at {sizes['quarter']} (it grows with people, not with rows)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
