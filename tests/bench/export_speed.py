"""Invite export speed: `innoff export ics --invites` against a file-writing floor.

    python tests/bench/export_speed.py [--participants 10000] [--runs 3]

Imports N participants registered for both events (so 2N invites), then, in one
run and each as its own process:

- innoff: `innoff export ics --invites DIR` (a METHOD:REQUEST file per person
  and event, plus manifest.csv);
- floor: a Python process writing the same number of files of the same size
  with no iCalendar work at all.

Both run `--runs` times, interleaved (file creation on a busy disk is noisy);
prints best and median times, files/s and innoff's best time as a multiple of
the floor's.
Target: 20 000 invites in under 5 s, within 2x the floor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_speed import installed, run  # noqa: E402  (time and peak RSS of one process)

FLOOR = """
import os, sys
folder, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(folder)
payload = ("X" * (size - 2) + "\\r\\n")
for i in range(count):
    with open(os.path.join(folder, f"studio_person{i}@example.org.ics"), "w", encoding="utf-8", newline="") as f:
        f.write(payload)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    innoff = installed()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        export = folder / "neon.csv"
        with export.open("w", encoding="utf-8") as out:
            out.write("Navn;E-post;Organisasjon;Deltar på årsmøte\n")
            for i in range(args.participants):
                out.write(f"Deltaker Ærlig Østby {i};person{i}@example.org;Kommune {i % 350};Ja\n")
        db = folder / "bench.db"
        subprocess.run(
            [innoff, "--db", str(db), "registrations", "import", str(export)],
            check=True,
            capture_output=True,
        )
        pristine = db.read_bytes()  # each export starts from no invites sent

        files, size = 0, 0
        innoff_times: list[float] = []
        floor_times: list[float] = []
        # Interleaved, so a slow moment of the file system hits both alike. Every
        # run writes to a folder of its own and nothing is deleted until the end:
        # deleting 20 000 files (with TRIM on some disks) slows whatever comes next.
        for attempt in range(args.runs):
            invites = folder / f"invites{attempt}"
            db.write_bytes(pristine)
            innoff_times.append(
                run([innoff, "--db", str(db), "export", "ics", "--invites", str(invites)]).seconds
            )
            written = [p for p in invites.iterdir() if p.suffix == ".ics"]
            files, size = len(written), sum(p.stat().st_size for p in written) // len(written)
            floor_folder = str(folder / f"floor{attempt}")
            floor_times.append(
                run([sys.executable, "-c", FLOOR, floor_folder, str(files), str(size)]).seconds
            )

    seconds, floor = min(innoff_times), min(floor_times)
    print(f"best of {args.runs} runs each")
    print(f"{'':22} {'files':>7} {'best s':>8} {'median s':>9} {'files/s':>9}")
    for name, times in (("innoff export ics", innoff_times), ("floor (plain writes)", floor_times)):
        best = min(times)
        print(
            f"{name:22} {files:7} {best:8.2f} {statistics.median(times):9.2f} {files / best:9.0f}"
        )
    print(f"\naverage invite: {size} bytes")
    print(
        f"innoff / floor: {seconds / floor:.2f}x the time (target <= 2x);"
        f" {seconds:.2f} s for {files} invites (target < 5 s for 20 000)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
