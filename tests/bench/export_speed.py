"""Invite export speed: `innoff export ics --invites` against a file-writing floor.

    python tests/bench/export_speed.py [--participants 10000]

Imports N participants registered for both events (so 2N invites), then, in one
run and each as its own process:

- innoff: `innoff export ics --invites DIR` (a METHOD:REQUEST file per person
  and event, plus manifest.csv);
- floor: a Python process writing the same number of files of the same size
  with no iCalendar work at all.

Prints files/s for both and innoff's time as a multiple of the floor's.
Target: 20 000 invites in under 5 s, within 2x the floor.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = """
import os, sys
folder, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(folder)
payload = ("X" * (size - 2) + "\\r\\n")
for i in range(count):
    with open(os.path.join(folder, f"studio_person{i}@example.org.ics"), "w", encoding="utf-8", newline="") as f:
        f.write(payload)
"""


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    args = parser.parse_args()
    innoff = shutil.which("innoff")
    if not innoff:
        sys.exit("innoff must be on PATH: pip install -e .")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        export = folder / "neon.csv"
        with export.open("w", encoding="utf-8") as out:
            out.write("Navn;E-post;Organisasjon;Deltar på årsmøte\n")
            for i in range(args.participants):
                out.write(f"Deltaker Ærlig Østby {i};person{i}@example.org;Kommune {i % 350};Ja\n")
        db = str(folder / "bench.db")
        subprocess.run(
            [innoff, "--db", db, "registrations", "import", str(export)],
            check=True,
            capture_output=True,
        )

        invites = folder / "invites"
        seconds = timed([innoff, "--db", db, "export", "ics", "--invites", str(invites)])
        files = [p for p in invites.iterdir() if p.suffix == ".ics"]
        size = sum(p.stat().st_size for p in files) // len(files)
        floor = timed(
            [sys.executable, "-c", FLOOR, str(folder / "floor"), str(len(files)), str(size)]
        )

    print(f"{'':22} {'files':>7} {'seconds':>8} {'files/s':>9}")
    print(f"{'innoff export ics':22} {len(files):7} {seconds:8.2f} {len(files) / seconds:9.0f}")
    print(f"{'floor (plain writes)':22} {len(files):7} {floor:8.2f} {len(files) / floor:9.0f}")
    print(f"\naverage invite: {size} bytes")
    print(
        f"innoff / floor: {seconds / floor:.2f}x the time (target <= 2x); {seconds:.2f} s for {len(files)} invites (target < 5 s for 20 000)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
