"""Import speed and memory of `innoff registrations import`, against two baselines.

    python tests/bench/import_speed.py [--rows 100000] [--runs 3] [--shape neon|deltager|xlsx]

Generates a realistic export and imports it, in one run and each into a fresh
database. Shapes:

- neon (default): Norwegian names with æøå, semicolons, a BOM, ~5 %
  case-variant duplicate e-mails, ~1 % bad e-mails, a phone column;
- deltager: commas, no BOM, first and last name, e-mail, organisation,
  municipality, role, a dotted `Påmeldt dato` (06.01.2025 08:28), a `Deltar
  på årsmøte` Ja/Nei column, ~6 % repeated people in other case.

Each file is imported with:

- innoff: `innoff registrations import FILE` (validates, de-duplicates, merges);
- peer anchor: `sqlite-utils insert DB t FILE --csv` (validates nothing);
- floor: csv.DictReader + sqlite3.executemany in one transaction.

And once more with innoff, `--replace`, into the database of a first import,
from the same file with every Ja/Nei answer turned round: every person changes
(target: at most 1.5x the first import; a quadratic statement once made it minutes).

- xlsx: the neon rows saved as an Excel workbook (by XlsxWriter, with shared
  strings as Excel writes them), imported by innoff, against the floor of
  innoff's streaming reader (xlsx.py) reading every cell, and the CSV of the
  same rows imported against its own floor. Target: the workbook import takes
  at most 1.3x the reader's floor plus what the CSV import costs beyond its
  floor; peak RSS < 100 MB. python-calamine reading every cell is shown beside
  it, for what a reader that loads the sheet costs.

Every command runs as its own process, so each pays its interpreter start-up,
`--runs` times, interleaved. Prints best and median CPU (user and system) and
wall-clock times, rows/s and innoff's ratio to each baseline on both (of the
best runs, as timeit does; the ratio of the medians beside it), and peak RSS;
innoff is also run
on a quarter of the rows to show that memory stays flat as the file grows.
Targets at 100 000 rows (issue 23): >= 4x the sqlite-utils rate, >= 45 % of the floor,
peak RSS < 64 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

FIRST = [
    "Kari",
    "Øystein",
    "Åse",
    "Bjørn",
    "Sølvi",
    "Ærlend",
    "Per",
    "Lise",
    "Håkon",
    "Ingrid",
    "Jørgen",
    "Mona",
]
LAST = ["Nordmann", "Ås", "Ørn", "Dæhli", "Berg", "Løvås", "Hansen", "Strøm", "Bråten", "Sæther"]
ORGS = [
    "Bergen kommune",
    "NTNU",
    "Norges forskningsråd",
    "KS",
    "Tromsø kommune",
    "SINTEF",
    "Menon; Economics",
    "Telemarksforskning",
]
PLACES = ["Bergen", "Trondheim", "Oslo", "Tromsø", "Bø", "Ås"]

FLOOR = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    reader = csv.DictReader(f, delimiter=sys.argv[3])
    columns = len(reader.fieldnames)
    conn.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(columns))})")
    marks = ", ".join("?" for _ in range(columns))
    with conn:
        conn.executemany(f"INSERT INTO t VALUES ({marks})", (tuple(r.values()) for r in reader))
"""
DELIMITERS = {"neon": ";", "deltager": ",", "xlsx": ";"}
READER_FLOOR = """
import sys
from innoff_cli.registration_exports import xlsx
cells = 0
with open(sys.argv[1], "rb") as stream:
    book = xlsx.Workbook(stream)
    for number, row in book.rows(book.sheets[0]):
        cells += len(row)
"""
CALAMINE_FLOOR = """
import sys
from python_calamine import CalamineWorkbook
cells = 0
for row in CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).iter_rows():
    cells += len(row)
"""
REPLACE = "innoff --replace, turned"
ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def generate_deltager(path: Path, rows: int, seed: int = 23) -> None:
    rng = random.Random(seed)
    emails: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "Fornavn,Etternavn,E-post,Organisasjon,Kommune,Stilling,Påmeldt dato,Deltar på årsmøte\r\n"
        )
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if emails and rng.random() < 0.06:
                email = rng.choice(emails).title()  # the same person again, other case
            else:
                ascii_name = f"{first}.{last}".lower().translate(ASCII)
                place = rng.choice(PLACES).lower().translate(ASCII)
                email = f"{ascii_name}{i}@{place}.kommune.example"
                emails.append(email)
            org = rng.choice(ORGS)
            org = f'"{org}"' if "," in org else org
            day, hour, minute = rng.randint(1, 28), rng.randint(7, 22), rng.randint(0, 59)
            out.write(
                f"{first},{last},{email},{org},{rng.choice(PLACES)},rådgiver,"
                f"{day:02d}.01.2025 {hour:02d}:{minute:02d},{rng.choice(['Ja', 'Nei'])}\r\n"
            )


def generate(path: Path, rows: int, seed: int = 17) -> None:
    rng = random.Random(seed)
    emails: list[str] = []
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(
            "Fornavn;Etternavn;E-post;Organisasjon;Stilling;Kommune;Telefon;Påmeldt;Deltar på årsmøte\r\n"
        )
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            roll = rng.random()
            if emails and roll < 0.05:
                email = rng.choice(emails).upper()  # the same person again, other case
            elif roll < 0.06:
                email = f"{first.lower()}.{last.lower()}@@example"  # a bad address
            else:
                email = (
                    f"{first.lower()}.{last.lower()}.{i}@example.org".replace("ø", "o")
                    .replace("å", "a")
                    .replace("æ", "ae")
                )
                emails.append(email)
            org = rng.choice(ORGS)
            org = f'"{org}"' if ";" in org else org
            day, minute = rng.randint(1, 16), rng.randint(0, 59)
            out.write(
                f"{first};{last};{email};{org};rådgiver;{rng.choice(PLACES)};"
                f"+47 9{rng.randint(1000000, 9999999)};{day:02d}.11.2020 09:{minute:02d};"
                f"{rng.choice(['Ja', 'Nei'])}\r\n"
            )


def save_as_workbook(source: Path, target: Path) -> None:
    """The CSV's rows as an .xlsx, written by XlsxWriter as Excel would hold them
    (every text in the shared strings; openpyxl writes them into the sheet).
    In a child process: XlsxWriter holds the workbook until it is saved, and a
    parent that large would lend its peak RSS to every process it starts."""
    subprocess.run([sys.executable, "-c", SAVE_AS_WORKBOOK, str(source), str(target)], check=True)


SAVE_AS_WORKBOOK = """
import csv, sys
import xlsxwriter
workbook = xlsxwriter.Workbook(sys.argv[2])
sheet = workbook.add_worksheet("Påmeldinger")
with open(sys.argv[1], encoding="utf-8-sig", newline="") as stream:
    for number, row in enumerate(csv.reader(stream, delimiter=";")):
        sheet.write_row(number, 0, row)
workbook.close()
"""


def bench_workbook(args, innoff: str) -> int:
    """--shape xlsx: the workbook import against its reader's floor and the CSV import."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        csv_file, xlsx_file = folder / "big.csv", folder / "big.xlsx"
        generate(csv_file, args.rows)
        save_as_workbook(csv_file, xlsx_file)
        small_csv, small_xlsx = folder / "small.csv", folder / "small.xlsx"
        generate(small_csv, args.rows // 4)
        save_as_workbook(small_csv, small_xlsx)
        db = folder / "bench.db"
        commands = {
            "innoff, xlsx": [innoff, "--db", str(db), "registrations", "import", str(xlsx_file)],
            "xlsx.py, every cell": [sys.executable, "-c", READER_FLOOR, str(xlsx_file)],
            "calamine, every cell": [sys.executable, "-c", CALAMINE_FLOOR, str(xlsx_file)],
            "innoff, csv": [innoff, "--db", str(db), "registrations", "import", str(csv_file)],
            "DictReader + executemany": [sys.executable, "-c", FLOOR, str(csv_file), str(db), ";"],
            "innoff, xlsx, 1/4 of the rows": [
                innoff, "--db", str(db), "registrations", "import", str(small_xlsx)
            ],
        }  # fmt: skip
        run(commands["innoff, xlsx, 1/4 of the rows"])  # byte code cached, untimed
        done = interleaved(commands, args.runs, folder)
    best, median = summary(done, "cpu")
    peak = peaks(done)
    print(f"shape xlsx, {args.rows} rows, best of {args.runs} runs each, CPU seconds")
    print(f"{'':32} {'best s':>8} {'median s':>9} {'peak RSS MB':>12}")
    for name in commands:
        print(f"{name:32} {best[name]:8.2f} {median[name]:9.2f} {peak[name]:12.1f}")

    def allowed(times: dict[str, float]) -> float:
        beyond_csv_floor = times["innoff, csv"] - times["DictReader + executemany"]
        return 1.3 * times["xlsx.py, every cell"] + beyond_csv_floor

    print()
    print(
        f"innoff xlsx / (1.3 x reader floor + CSV import beyond its floor):"
        f" {best['innoff, xlsx'] / allowed(best):.2f}"
        f" (medians {median['innoff, xlsx'] / allowed(median):.2f}; target <= 1)"
    )
    print(
        f"innoff xlsx peak RSS: {peak['innoff, xlsx']:.1f} MB at {args.rows} rows,"
        f" {peak['innoff, xlsx, 1/4 of the rows']:.1f} MB at {args.rows // 4} (target < 100 MB)"
    )
    return 0


def interleaved(
    commands: dict[str, list[str]], runs: int, folder: Path, before: dict | None = None
) -> dict[str, list[Run]]:
    """Each command's runs, `runs` times interleaved, so a busy moment on the
    machine hits every command alike; each run starts from no database at all,
    after the untimed command `before` names for it, if any."""
    done: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            for leftover in folder.glob("bench.db*"):
                leftover.unlink()
            if before and name in before:
                run(before[name])
            done[name].append(run(command))
    return done


def summary(done: dict[str, list[Run]], measure: str) -> tuple[dict, dict]:
    """(best, median) of one measure ("seconds" or "cpu") per command."""
    values = {name: [getattr(one, measure) for one in runs] for name, runs in done.items()}
    return (
        {name: min(v) for name, v in values.items()},
        {name: statistics.median(v) for name, v in values.items()},
    )


def peaks(done: dict[str, list[Run]]) -> dict[str, float]:
    return {name: max(one.peak for one in runs) for name, runs in done.items()}


def installed(program: str = "innoff") -> str:
    """The path of `program` on PATH; the bench stops, saying so, without it.
    (The other bench scripts use it too.)"""
    found = shutil.which(program)
    if not found:
        sys.exit(f"{program} must be on PATH: pip install -e .")
    return found


def as_installed(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every timed process gets: byte code cached after the first
    run, as on a user's machine (`pip install .` compiles it; an editable
    install writes it on the first run). Some shells set PYTHONDONTWRITEBYTECODE,
    which would make an editable innoff recompile all its modules at every start
    (40-60 ms here) while the peers, installed from wheels, run from byte code.
    """
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def turn_answers(source: Path, target: Path, delimiter: str) -> None:
    """The same export with every Ja/Nei answer (the last column) turned round."""
    swap = {b"Ja": b"Nei", b"Nei": b"Ja"}
    sep = delimiter.encode()
    with source.open("rb") as lines, target.open("wb") as out:
        for line in lines:
            body = line.rstrip(b"\r\n")
            head, _, answer = body.rpartition(sep)
            out.write(head + sep + swap.get(answer, answer) + line[len(body) :] if head else line)


class Run(NamedTuple):
    """One child process: wall-clock seconds, peak RSS in MB, and the CPU seconds
    it used (user and system). On a shared machine, wall time also counts the
    moments another program had the processor; CPU time does not, so it is the
    steadier measure of the work done (issue 23's import target is on CPU)."""

    seconds: float
    peak: float
    cpu: float


def run(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Time one child process, its output discarded. The other bench scripts use it too."""
    env = as_installed(env)
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return Run(elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)  # RSS in KB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shape", choices=sorted(DELIMITERS), default="neon")
    args = parser.parse_args()
    make = generate_deltager if args.shape == "deltager" else generate
    delimiter = DELIMITERS[args.shape]
    innoff, sqlite_utils = installed("innoff"), installed("sqlite-utils")
    if args.shape == "xlsx":
        return bench_workbook(args, innoff)

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        big, small, turned = folder / "big.csv", folder / "small.csv", folder / "turned.csv"
        make(big, args.rows)
        make(small, args.rows // 4)
        turn_answers(big, turned, delimiter)
        db = folder / "bench.db"
        commands = {
            "innoff": [innoff, "--db", str(db), "registrations", "import", str(big)],
            "sqlite-utils insert": [
                sqlite_utils, "insert", str(db), "t", str(big),
                "--csv", "--delimiter", delimiter, "--encoding", "utf-8-sig",
            ],
            "DictReader + executemany": [
                sys.executable, "-c", FLOOR, str(big), str(db), delimiter
            ],
            "innoff, 1/4 of the rows": [
                innoff, "--db", str(db), "registrations", "import", str(small)
            ],
            REPLACE: [
                innoff, "--db", str(db), "registrations", "import", str(turned), "--replace"
            ],
        }  # fmt: skip
        # One untimed run first, so innoff's byte code is cached (see as_installed).
        run(commands["innoff, 1/4 of the rows"])
        # --replace goes into the database of a first import, made untimed.
        done = interleaved(commands, args.runs, folder, {REPLACE: commands["innoff"]})
    rows = {name: args.rows // 4 if "1/4" in name else args.rows for name in commands}
    peak = peaks(done)
    print(f"shape {args.shape}, best of {args.runs} runs each")
    print(
        f"{'':28} {'rows':>8} {'CPU best s':>11} {'median s':>9} {'wall best s':>12}"
        f" {'median s':>9} {'rows/s CPU':>11} {'peak RSS MB':>12}"
    )
    cpu, cpu_median = summary(done, "cpu")
    wall, wall_median = summary(done, "seconds")
    for name in commands:
        print(
            f"{name:28} {rows[name]:8} {cpu[name]:11.2f} {cpu_median[name]:9.2f}"
            f" {wall[name]:12.2f} {wall_median[name]:9.2f} {rows[name] / cpu[name]:11.0f}"
            f" {peak[name]:12.1f}"
        )
    print()
    for measure, (best, median) in (("CPU", (cpu, cpu_median)), ("wall", (wall, wall_median))):
        # Both baselines import the same rows, so a rate ratio is a time ratio turned round.
        print(
            f"{measure:4} innoff / sqlite-utils insert:    "
            f" {best['sqlite-utils insert'] / best['innoff']:5.2f}x"
            f"  (medians {median['sqlite-utils insert'] / median['innoff']:.2f}x; target >= 4x)"
        )
        print(
            f"{measure:4} innoff / DictReader+executemany: "
            f" {best['DictReader + executemany'] / best['innoff']:5.0%} "
            f"  (medians {median['DictReader + executemany'] / median['innoff']:.0%};"
            f" target >= 45 %)"
        )
        print(
            f"{measure:4} innoff --replace, every answer turned:"
            f" {best[REPLACE] / best['innoff']:.2f}x the first import"
            f" (medians {median[REPLACE] / median['innoff']:.2f}x; target <= 1.5x)"
        )
    rss, rss_small = peak["innoff"], peak["innoff, 1/4 of the rows"]
    print(
        f"innoff peak RSS: {rss:.1f} MB at {args.rows} rows, {rss_small:.1f} MB at"
        f" {args.rows // 4} (target < 64 MB, flat)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
