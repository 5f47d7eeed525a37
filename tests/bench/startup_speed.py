"""Start-up speed of innoff against a bare Typer app, measured in one run.

    python tests/bench/startup_speed.py [--runs 15]

Every command is run `--runs` times, interleaved so that a busy moment on the
machine hits all of them alike. Prints best and median wall time per command
and each one's ratio to the bare Typer app (which prints one line). Target:
`innoff agenda show` best within 1.35x of the bare app's best.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.35

BARE_APP = """\
import typer

app = typer.Typer()


@app.command()
def main() -> None:
    print("hello")


app()
"""


def time_once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    innoff = shutil.which("innoff")
    if innoff is None:
        sys.exit("innoff is not on PATH: install the project first (pip install -e .)")
    with tempfile.TemporaryDirectory() as scratch:
        bare = Path(scratch, "bare_typer.py")
        bare.write_text(BARE_APP)
        # The database where a user's is: found by platformdirs in a scratch home
        # (no INNOFF_DB, which would skip that lookup).
        env = {**os.environ, "HOME": scratch, "XDG_DATA_HOME": str(Path(scratch, "data")),
               "XDG_CONFIG_HOME": str(Path(scratch, "config")), "COLUMNS": "120"}  # fmt: skip
        env.pop("INNOFF_DB", None)
        # Measure what a user's machine does: byte code cached after the first run.
        # (Some shells set PYTHONDONTWRITEBYTECODE, which would make an editable
        # install recompile innoff on every start and the bare app not.)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "bare typer app": [sys.executable, str(bare)],
            "innoff --help": [innoff, "--help"],
            "innoff agenda show": [innoff, "agenda", "show"],
            "innoff agenda show --format json": [innoff, "agenda", "show", "--format", "json"],
        }
        # Warm-up runs create the database and the byte-code caches; not timed.
        for command in commands.values():
            subprocess.run(command, env=env, check=True, capture_output=True)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(time_once(command, env))

    baseline = min(times["bare typer app"])
    print(f"{'command':36} {'best ms':>8} {'median ms':>10} {'best/bare':>10}")
    for name, samples in times.items():
        best = min(samples)
        print(
            f"{name:36} {best * 1000:8.1f} {statistics.median(samples) * 1000:10.1f}"
            f" {best / baseline:10.2f}"
        )
    ratio = min(times["innoff agenda show"]) / baseline
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"\ninnoff agenda show / bare typer app = {ratio:.2f}x ({verdict} target {TARGET}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
