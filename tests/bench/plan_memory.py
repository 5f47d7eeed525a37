"""Memory of planning a send: `innoff invites send --dry-run` for N people.

    python tests/bench/plan_memory.py [--people 700000]

Imports N generated participants (the import bench's neon rows: each registered
for the studio, about half for the annual meeting too, so about 1.5 messages a
person: 700,000 people plan about a million messages), then runs `invites send
--dry-run` (the plan, its counts and the summary; nothing sent or recorded) as
its own process, at N and at a quarter of N, and prints the messages planned,
the time and the peak RSS of each. Target (issue 23): under 80 MB at a million
planned messages, flat as N grows.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_speed import as_installed, installed, run  # noqa: E402

# The rows are made in a process of their own: a child forked from a bench that
# had held a million addresses would count the bench's memory as its own peak.
GENERATE = (
    "import sys; sys.path.insert(0, sys.argv[1]); import import_speed as b;"
    " from pathlib import Path; b.generate(Path(sys.argv[2]), int(sys.argv[3]))"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=700_000)
    args = parser.parse_args()
    innoff = installed()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for people in (args.people // 4, args.people):
            export, db = folder / f"people{people}.csv", folder / f"plan{people}.db"
            subprocess.run([sys.executable, "-c", GENERATE, str(Path(__file__).parent), str(export),
                            str(people)], check=True)  # fmt: skip
            subprocess.run([innoff, "--db", str(db), "registrations", "import", str(export)],
                           check=True, capture_output=True, env=as_installed())  # fmt: skip
            command = [innoff, "--db", str(db), "invites", "send", "--dry-run"]
            said = subprocess.run(command, capture_output=True, text=True, env=as_installed())
            planned = re.search(r"Would send: (\d+) messages", said.stderr + said.stdout)
            seconds, rss, _ = run(command)
            print(
                f"{people:>9} people: {int(planned[1]) if planned else 0:>9} messages planned"
                f" in {seconds:6.1f} s, peak RSS {rss:6.1f} MB (target < 80 MB, flat)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
