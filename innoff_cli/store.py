"""The SQLite file: opening, migrating, and every read and write.

The only module that knows table names. Most work goes through a plain
`sqlite3.Connection` from `connect()`, so `agenda show` and imports never load
sqlite-utils; programme writes take a sqlite-utils `Database` (its upserts),
and every write runs in one transaction.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from innoff_cli import migrations
from innoff_cli.errors import InnoffError
from innoff_cli.models import Event, Item, Speaker

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sqlite_utils import Database

# How long a command waits for another innoff run that is writing (a large
# import takes a while) before it gives up with a message.
BUSY_TIMEOUT_SECONDS = 600.0
# Told once when a writer has to wait (the CLI prints it on stderr); store itself prints nothing.
on_wait: Callable[[], None] | None = None
# Pages of 8 KiB rather than SQLite's 4: a large import writes and splits half
# as many pages (7 % faster). 16 KiB was faster still, but its sorts took 10 MB
# more memory as files grew. Set when a file is made, and for each import's
# temporary tables.
PAGE_SIZE = 8192


# --- opening -------------------------------------------------------------------


def open_db(path: Path) -> Database:
    """Open (creating with mode 0600 if needed) and migrate the database at `path`.

    A new database is filled from the bundled programme, so every command works
    on first use.
    """
    from sqlite_utils import Database

    conn = _connect(path, create=True)
    _require_innoff_database(conn, path)
    # No sqlite-utils plugins: code from other installed packages has no
    # business with a file of names and e-mail addresses (and not scanning
    # for them saves 15 ms on every command that writes the programme).
    db = Database(conn, execute_plugins=False)
    pending = not _applied(conn).issuperset(migrations.MIGRATION_NAMES)
    if pending:
        # A step may rebuild a table others point at (m008): with foreign keys
        # on, dropping the old one would delete every row that refers to it.
        # They are checked whole before the commit instead, as SQLite's
        # ALTER TABLE page says. (Outside a transaction: inside, the pragma is
        # ignored.)
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        # One transaction for every pending step (each its own savepoint) and
        # the programme of a new file: all of it or none, and one sync to disk.
        with db.atomic():
            applied = migrations.apply(db)
            if migrations.MIGRATION_NAMES[0] in applied:
                from innoff_cli.programme import bundled_programme

                save_programme(db, bundled_programme())
            if pending and conn.execute("PRAGMA foreign_key_check").fetchone():
                raise sqlite3.IntegrityError("a migration step broke a foreign key")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as error:
        conn.close()
        raise database_error(path, error) from None
    return db


def _applied(conn: sqlite3.Connection) -> set[str]:
    """The names of the migration steps the file has had (none for a new file)."""
    try:
        return {
            row[0]
            for row in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                [migrations.MIGRATION_SET],
            )
        }
    except sqlite3.DatabaseError:
        return set()


def connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to a current database, for reads and raw-SQL writes.

    sqlite-utils (and its plugin loading) is imported only when the file is new
    or a migration is pending: `agenda show` and imports do not pay for it.
    """
    if not path.exists():
        return open_db(path).conn
    conn = _connect(path, create=False)
    if _applied(conn).issuperset(migrations.MIGRATION_NAMES):
        return conn
    conn.close()
    return open_db(path).conn


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    if path.is_dir():
        raise InnoffError(f"database path {path} is a folder - pass a file name with --db")
    if create and not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            raise InnoffError(
                f"cannot create database {path}: {path.parent} is a file, not a folder"
                " - pass another location with --db or INNOFF_DB"
            )
        try:
            if not path.parent.is_dir():
                path.parent.mkdir(parents=True, mode=0o700)
            # Created by hand so the mode is 0600 from the first byte: it will
            # hold names and e-mail addresses. SQLite gives its journal the same mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as error:
            raise InnoffError(
                f"cannot create database {path} ({error.strerror}) - "
                "pass a writable location with --db or INNOFF_DB"
            ) from None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        if create and path.stat().st_size == 0:  # no effect once a file has tables
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Erasure by design, not by build: deleted rows are overwritten with
        # zeros, so an erased name or address is not left in free pages (some
        # SQLite builds default to this, others do not).
        conn.execute("PRAGMA secure_delete = ON")
        # WAL, so a reader never blocks a writer nor a writer a reader: a
        # `registrations list` paused in a pager, or an export in progress,
        # reads its own snapshot while an import or a send commits beside it.
        # synchronous=NORMAL: a commit costs no sync to disk, and a kill or
        # Ctrl-C at any moment still leaves the file whole; only a power cut
        # may lose the last commits, never the file. (An import of 100,000
        # rows: within noise of the rollback journal, best 7 % slower, median
        # the same.) The mode is kept in the file; older files change on their
        # first write-capable open, a read-only one keeps its own.
        (journal,) = conn.execute("PRAGMA journal_mode").fetchone()
        if journal != "wal":
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError:
                pass  # read-only, or another program holds it: works as it is
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as error:
        raise database_error(path, error) from None
    return conn


def _require_innoff_database(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to migrate a file that is not SQLite, or is someone else's database."""
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        conn.close()
        raise database_error(path, error) from None
    if tables and "_sqlite_migrations" not in tables:
        conn.close()
        raise InnoffError(
            f"{path} is a SQLite database but not an innoff database - pass another file with --db"
        )


def begin_import(conn: sqlite3.Connection) -> None:
    """begin_write for an import, with foreign keys checked by construction, not per row.

    Every row an import adds refers to what the same transaction has just
    written or read: registrations and participant_imports take their e-mails
    from the people it has just put in participants, their import id from the
    import it has just recorded, and their events from the programme, which
    `ImportSession.apply` checks is still there. SQLite's checks of each row
    would look up two or three parents a row: 9 % of a large import. The
    connection gets them back when the transaction ends (`end_import`).
    """
    conn.execute("PRAGMA foreign_keys = OFF")  # outside a transaction, or it is ignored
    begin_write(conn)


def end_import(conn: sqlite3.Connection) -> None:
    """After the import's commit or rollback: foreign keys are checked per row again."""
    conn.execute("PRAGMA foreign_keys = ON")


def begin_write(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE: this run's turn to write, after any other innoff run's.

    A first short try; when another run holds the file, `on_wait` is told
    once, and the wait goes on up to BUSY_TIMEOUT_SECONDS.
    """
    conn.execute("PRAGMA busy_timeout = 200")
    try:
        conn.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    if on_wait:
        on_wait()
    conn.execute("BEGIN IMMEDIATE")


def database_error(path: Path, error: sqlite3.Error) -> InnoffError:
    """Translate SQLite's complaint about a file into a message a user can act on."""
    text = str(error)
    if "not a database" in text or "malformed" in text:
        return InnoffError(f"{path} is not an innoff database - pass another file with --db")
    if "readonly" in text or "unable to open" in text:
        return InnoffError(
            f"cannot write to database {path} ({text}) - check its permissions or pass --db"
        )
    if "locked" in text or "busy" in text:
        return InnoffError(
            f"database {path} stayed busy in another program for"
            f" {int(BUSY_TIMEOUT_SECONDS // 60)} minutes - let it finish or close it, then try again"
        )
    return InnoffError(f"database {path}: {text} - check the file or pass another with --db")


# --- programme -----------------------------------------------------------------


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _local(text: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).astimezone(tz)


def _dicts(conn: sqlite3.Connection, sql: str, parameters: list | tuple = ()) -> list[dict]:
    """Rows as dicts, leaving the connection's own row factory alone."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return [dict(row) for row in cursor.execute(sql, parameters)]


def load_events(conn: sqlite3.Connection) -> list[Event]:
    """Every event with its items, in order of start."""
    item_rows: dict[str, list[dict]] = {}
    for row in _dicts(conn, "SELECT * FROM items ORDER BY start_utc, id"):
        item_rows.setdefault(row["event"], []).append(row)
    events = []
    for row in _dicts(conn, "SELECT * FROM events ORDER BY start_utc, slug"):
        tz = ZoneInfo(row["timezone"])
        items = tuple(
            Item(
                id=item["id"],
                start=_local(item["start_utc"], tz),
                end=_local(item["end_utc"], tz),
                title=item["title"],
                kind=item["kind"],
                speakers=tuple(Speaker(**speaker) for speaker in json.loads(item["speakers"])),
                description=item["description"],
            )
            for item in item_rows.get(row["slug"], [])
        )
        events.append(
            Event(
                slug=row["slug"],
                title=row["title"],
                start=_local(row["start_utc"], tz),
                end=_local(row["end_utc"], tz),
                timezone=row["timezone"],
                location=row["location"],
                url=row["url"],
                aliases=tuple(json.loads(row["aliases"])),
                part_of=row["part_of"],
                registration=row["registration"],
                recorded=bool(row["recorded"]),
                partners=tuple(json.loads(row["partners"])),
                description=row["description"],
                organizer_name=row["organizer_name"],
                organizer_email=row["organizer_email"],
                items=items,
                join_url=row["join_url"],
                recording_url=row["recording_url"],
            )
        )
    return events


def _event_row(event: Event) -> dict:
    return {
        "slug": event.slug,
        "title": event.title,
        "start_utc": _utc(event.start),
        "end_utc": _utc(event.end),
        "timezone": event.timezone,
        "location": event.location,
        "url": event.url,
        "aliases": json.dumps(list(event.aliases), ensure_ascii=False),
        "part_of": event.part_of,
        "registration": event.registration,
        "recorded": int(event.recorded),
        "partners": json.dumps(list(event.partners), ensure_ascii=False),
        "description": event.description,
        "organizer_name": event.organizer_name,
        "organizer_email": event.organizer_email,
        "join_url": event.join_url,
        "recording_url": event.recording_url,
    }


def _item_row(event: Event, item: Item) -> dict:
    return {
        "id": item.id,
        "event": event.slug,
        "start_utc": _utc(item.start),
        "end_utc": _utc(item.end),
        "title": item.title,
        "kind": item.kind,
        "speakers": json.dumps(
            [speaker._asdict() for speaker in item.speakers], ensure_ascii=False
        ),
        "description": item.description,
    }


def save_programme(db: Database, events: list[Event]) -> dict[str, list[str]]:
    """Insert or update `events` and their items in one transaction.

    Items of these events that are not in `events` are removed; other events
    are left alone. Returns the slugs of events added, updated and unchanged.
    """
    stored = {event.slug: event for event in load_events(db.conn)}
    report: dict[str, list[str]] = {"added": [], "updated": [], "unchanged": []}
    with db.atomic():
        for event in events:
            before = stored.get(event.slug)
            if before == event:
                report["unchanged"].append(event.slug)
                continue
            report["added" if before is None else "updated"].append(event.slug)
            _write_event(db, event)
        if report["added"] or report["updated"]:
            changed(db.conn)
    return report


def _write_event(db: Database, event: Event) -> None:
    db["events"].upsert(_event_row(event), pk="slug")
    ids = [item.id for item in event.items]
    placeholders = ", ".join("?" for _ in ids)
    db.execute(
        f"DELETE FROM items WHERE event = ? AND id NOT IN ({placeholders})",
        [event.slug, *ids],
    )
    if event.items:
        db["items"].upsert_all([_item_row(event, item) for item in event.items], pk="id")


def save_event(db: Database, event: Event) -> None:
    """Write one changed event and its items in one transaction."""
    with db.atomic():
        _write_event(db, event)
        changed(db.conn)


# --- registrations -------------------------------------------------------------------

# Fields where the most recent non-empty value wins; `address` is the e-mail
# address as written (the key, `email`, is the same folded to lower case).
PARTICIPANT_FIELDS = ("address", "name", "organisation", "role", "municipality", "phone")
COMPARED = (*PARTICIPANT_FIELDS, "registered_utc", "extra")
# The staging table's columns: a ParsedRow's fields, its events a bit mask.
STAGED = ("line", "email", *PARTICIPANT_FIELDS, "registered_utc", "extra", "events")
ROW = ", ".join(STAGED)
# Within a file the most recent row wins: by registration time, then by line.
# A row without a time counts as newer than any row with one, as a registration
# without a time wins across imports (it is the one just handed over).
NEWER = (
    "(x.registered_utc IS NULL, coalesce(x.registered_utc, ''), x.line)"
    " > (c.registered_utc IS NULL, coalesce(c.registered_utc, ''), c.line)"
)
NEWEST_FIRST = "x.registered_utc IS NULL DESC, x.registered_utc DESC, x.line DESC"
STAGE_BATCH = 2000  # rows read at a time: flat memory, few round trips
# Rows per INSERT statement when staging (VALUES (...), (...), ...): one step of
# the statement for many rows, 25 % less time staging than a statement a row.
# More gains nothing; fewer when the SQLite build allows fewer parameters.
STAGE_ROWS_PER_INSERT = 250
# --replace: the stored people's registrations for events their rows in the
# file do not list. Driven by the file's people, each registration found by its
# key: asked the other way round (every registration probing `merged`, which has
# no index) it took minutes at 100,000 people.
DROP_UNLISTED_EVENTS = """
    DELETE FROM registrations WHERE (email, event) IN (
        SELECT m.email, b.slug FROM merged m JOIN event_bits b ON (m.events & b.bit) = 0)
"""


class ImportSession:
    """One file's import: rows are staged in a temporary table, then merged in one go.

    Staging keeps memory flat however large the file is, and costs a plain
    insert (250 rows to a statement); folding duplicates and comparing with
    what is stored are a handful of set-based statements afterwards. The rows
    are copied once in e-mail order, where a person's rows are neighbours:
    most people have one, and only those with more are folded, in small side
    tables. Events travel as a bit mask (one bit per event), so a person's
    events in the file are one OR. Everything runs inside the caller's
    transaction.
    """

    def __init__(self, conn: sqlite3.Connection, bits: dict[str, int]):
        """`bits`: each event's bit in the rows' masks (RowReader.bits)."""
        # Before anything touches the temporary database, which takes its page
        # size when it is made.
        conn.execute(f"PRAGMA temp.page_size = {PAGE_SIZE}")
        self.conn = conn
        self.staged = 0
        self.bits = bits
        # The one large sort (everyone in e-mail order) may use helper threads:
        # 20 % faster on two cores.
        conn.execute(f"PRAGMA threads = {min(os.cpu_count() or 1, 4)}")
        self.close()
        conn.execute(f"CREATE TEMP TABLE staging ({ROW})")
        one = f"({', '.join('?' for _ in STAGED)})"
        self.insert_one = f"INSERT INTO staging VALUES {one}"
        # SQLite before 3.32 allows 999 parameters a statement, later ones 32766.
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.per_insert = max(1, min(STAGE_ROWS_PER_INSERT, limit // len(STAGED)))
        self.insert_many = f"INSERT INTO staging VALUES {', '.join([one] * self.per_insert)}"
        # WITHOUT ROWID: a stored registration's bit is one look-up, not two.
        conn.execute(
            "CREATE TEMP TABLE event_bits (slug TEXT PRIMARY KEY, bit INTEGER) WITHOUT ROWID"
        )
        conn.executemany("INSERT INTO event_bits VALUES (?, ?)", self.bits.items())

    def stage(self, rows: Iterable[tuple], tick: Callable[[], None] | None = None) -> None:
        """Stage rows (tuples in registrations.ParsedRow's order), `STAGE_BATCH` at a time.

        Each batch is read whole into a list, then handed to SQLite: Python
        and SQLite each run their own stretch of work in turn, with their data
        still in the processor's caches, rather than alternating every row
        (6-10 % of a large import). `tick` is called after each batch.
        """
        rows = iter(rows)
        while self._insert(list(itertools.islice(rows, STAGE_BATCH))) == STAGE_BATCH:
            if tick:
                tick()

    def _insert(self, batch: list[tuple]) -> int:
        """Stage a batch in order: `per_insert` rows a statement, the rest one by one."""
        whole = len(batch) - len(batch) % self.per_insert
        if whole:
            values = list(itertools.chain.from_iterable(batch[:whole]))
            step = self.per_insert * len(STAGED)
            self.conn.executemany(
                self.insert_many, (values[at : at + step] for at in range(0, len(values), step))
            )
        self.conn.executemany(self.insert_one, batch[whole:])
        self.staged += len(batch)
        return len(batch)

    def count_dated(self) -> int:
        """How many staged rows have a registration time."""
        return self.conn.execute("SELECT count(registered_utc) FROM staging").fetchone()[0]

    def merge(self, replace: bool) -> dict[str, int]:
        """Fold duplicates, compare with the stored people; return the counts.

        In the file, each field of a person is the most recent non-empty value
        any of their rows has. Across imports the more recent registration's
        non-empty values win and the other's fill the gaps. Events are the
        union, or with `replace` exactly the file's.
        """
        conn = self.conn
        # Everyone in the file, in e-mail order, so the inserts into the stored
        # tables, keyed by e-mail, append to their B-trees instead of splitting
        # pages at random; and a person's rows are neighbours.
        conn.execute(f"CREATE TEMP TABLE people AS SELECT {ROW} FROM staging ORDER BY email")
        self._fold_repeated()
        newer = (
            "(w.registered_utc IS NULL OR p.registered_utc IS NULL"
            " OR w.registered_utc >= p.registered_utc)"
        )
        pick = ",\n".join(
            f"""CASE WHEN {newer} THEN coalesce(nullif(w.{f}, ''), p.{f})
                     ELSE coalesce(nullif(p.{f}, ''), w.{f}) END AS {f}"""
            for f in PARTICIPANT_FIELDS
        )
        old = ", ".join(f"p.{f} AS old_{f}" for f in COMPARED)
        # Those already stored: what they become, what they were, and their events
        # before. (CROSS JOIN: the file's people probe the stored ones, so the
        # cost follows the file, not the database.)
        conn.execute(
            f"""
            CREATE TEMP TABLE merged AS
            SELECT w.email, w.events,
                {pick},
                CASE WHEN {newer} THEN coalesce(w.registered_utc, p.registered_utc)
                     ELSE p.registered_utc END AS registered_utc,
                -- An empty side leaves the other as it is: json_patch() would
                -- write the same text, as the rows' extra is written like it.
                CASE WHEN w.extra = '{{}}' THEN p.extra WHEN p.extra = '{{}}' THEN w.extra
                     WHEN {newer} THEN json_patch(p.extra, w.extra)
                     ELSE json_patch(w.extra, p.extra) END AS extra,
                {old},
                coalesce((
                    SELECT sum(b.bit) FROM registrations r JOIN event_bits b ON b.slug = r.event
                    WHERE r.email = w.email), 0) AS old_events
            FROM people w CROSS JOIN participants p ON p.email = w.email
            """
        )
        details_changed = " OR ".join(f"{f} IS NOT old_{f}" for f in COMPARED)
        events_changed = "events != old_events" if replace else "(events & ~old_events) != 0"
        (people,) = conn.execute("SELECT count(*) FROM people").fetchone()
        stored, updated = conn.execute(
            f"SELECT count(*), sum({details_changed} OR {events_changed}) FROM merged"
        ).fetchone()
        return {
            "rows": self.staged,
            "new": people - stored,
            "updated": updated or 0,
            "unchanged": stored - (updated or 0),
            "duplicates": self.staged - people,
        }

    def _fold_repeated(self) -> None:
        """Leave one row in `people` per person with several rows in the file.

        Each such person's most recent row, completed from their others: an
        empty field takes the most recent non-empty value, events are united,
        and extra columns are merged key by key, the newest winning.
        """
        conn = self.conn
        # In e-mail order, every row with the e-mail of the row after it, and that row.
        conn.execute(
            """
            CREATE TEMP TABLE pairs AS SELECT a.rowid AS id FROM people a
            JOIN people b ON b.rowid = a.rowid + 1 WHERE a.email = b.email
            """
        )
        conn.execute(
            f"""
            CREATE TEMP TABLE copies AS SELECT rowid AS id, {ROW} FROM people
            WHERE rowid IN (SELECT id FROM pairs UNION SELECT id + 1 FROM pairs)
            """
        )
        conn.execute("CREATE INDEX temp.copies_email ON copies(email)")
        conn.execute(
            f"""
            CREATE TEMP TABLE folded AS SELECT id, {ROW} FROM copies c
            WHERE NOT EXISTS (SELECT 1 FROM copies x WHERE x.email = c.email AND {NEWER})
            """
        )
        conn.execute("CREATE UNIQUE INDEX temp.folded_id ON folded(id)")
        union = " | ".join(f"max(x.events & {bit})" for bit in self.bits.values()) or "0"
        conn.execute(
            f"UPDATE folded SET events = (SELECT {union} FROM copies x WHERE x.email = folded.email)"
        )
        for f in PARTICIPANT_FIELDS:
            conn.execute(
                f"""
                UPDATE folded SET {f} = coalesce((
                    SELECT x.{f} FROM copies x WHERE x.email = folded.email AND x.{f} != ''
                    ORDER BY {NEWEST_FIRST} LIMIT 1), '')
                WHERE {f} = ''
                """
            )
        # A newest row without a time keeps the latest time the others give,
        # as a registration without one does across imports.
        conn.execute(
            """
            UPDATE folded SET registered_utc = (
                SELECT max(x.registered_utc) FROM copies x WHERE x.email = folded.email)
            WHERE registered_utc IS NULL
            """
        )
        conn.execute(
            f"""
            UPDATE folded SET extra = (
                SELECT coalesce(json_group_object(key, value), '{{}}') FROM (
                    SELECT j.key, j.value, ROW_NUMBER() OVER (
                        PARTITION BY j.key ORDER BY {NEWEST_FIRST}) AS rank
                    FROM copies x, json_each(x.extra) j WHERE x.email = folded.email
                ) WHERE rank = 1)
            WHERE EXISTS (SELECT 1 FROM copies x WHERE x.email = folded.email AND x.extra != '{{}}')
            """
        )
        # Now one row per person: the newest row of each takes the folded values
        # in place (the order stays, and no page of the table is split); the
        # others go.
        conn.execute(
            "DELETE FROM people WHERE rowid IN (SELECT id FROM copies EXCEPT SELECT id FROM folded)"
        )
        conn.execute(
            f"""
            UPDATE people SET ({ROW}) = (SELECT {ROW} FROM folded f WHERE f.id = people.rowid)
            WHERE rowid IN (SELECT id FROM folded)
            """
        )

    def apply(self, import_id: int, replace: bool) -> None:
        """Write the merged people, their registrations and their lines in the file.

        Under `begin_import`, foreign keys hold by construction; the one thing
        another run could have changed since the events were read (before this
        transaction began) is the programme, so that is checked here.
        """
        conn = self.conn
        gone = conn.execute(
            "SELECT slug FROM event_bits WHERE slug NOT IN (SELECT slug FROM events)"
        ).fetchone()
        if gone:
            raise InnoffError(
                f"event '{gone[0]}' left the programme while the file was read - import it again"
            )
        columns = ", ".join(("email", *COMPARED))
        changed = " OR ".join(f"{f} IS NOT old_{f}" for f in COMPARED)
        updates = ", ".join(f"{c} = excluded.{c}" for c in COMPARED)
        conn.execute(
            f"""
            INSERT INTO participants ({columns})
            SELECT {columns} FROM merged WHERE {changed}
            ON CONFLICT(email) DO UPDATE SET {updates}
            """
        )
        # The new ones (the stored ones are in already, so nothing happens to them).
        conn.execute(
            f"""
            INSERT INTO participants ({columns}) SELECT {columns} FROM people WHERE true
            ON CONFLICT(email) DO NOTHING
            """
        )
        if replace:
            conn.execute(DROP_UNLISTED_EVENTS)
        conn.execute(
            "INSERT OR IGNORE INTO registrations (email, event, import_id)"
            " SELECT m.email, b.slug, ? FROM people m JOIN event_bits b ON (m.events & b.bit) != 0",
            [import_id],
        )
        conn.execute(
            "INSERT OR IGNORE INTO participant_imports (email, import_id, line)"
            " SELECT email, ?, line FROM people",
            [import_id],
        )

    def close(self) -> None:
        """Drop the temporary tables (closing the connection drops them too)."""
        tables = ("staging", "event_bits", "people", "pairs", "copies", "folded", "merged")
        for table in tables:
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def changed(conn: sqlite3.Connection) -> int:
    """Count one change to the programme or the participants (inside the caller's
    transaction); returns the new count."""
    conn.execute("UPDATE generation SET value = value + 1")
    return generation(conn)


def generation(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT value FROM generation").fetchone()[0]


def record_import(conn: sqlite3.Connection, details: dict) -> int:
    """Record an import that changed something (and count the change)."""
    changed(conn)
    columns = ", ".join(details)
    marks = ", ".join("?" for _ in details)
    cursor = conn.execute(
        f"INSERT INTO imports ({columns}) VALUES ({marks})", list(details.values())
    )
    return int(cursor.lastrowid)


def find_import(conn: sqlite3.Connection, sha256: str) -> dict | None:
    rows = _dicts(conn, "SELECT * FROM imports WHERE sha256 = ? ORDER BY id DESC LIMIT 1", [sha256])
    return rows[0] if rows else None


def same_import(conn: sqlite3.Connection, sha256: str, options: str) -> dict | None:
    """The last full reading of this file with these options, if nothing has changed since."""
    rows = _dicts(
        conn, "SELECT * FROM import_checks WHERE sha256 = ? AND options = ?", [sha256, options]
    )
    return rows[0] if rows and rows[0]["generation"] == generation(conn) else None


def checked_import(conn: sqlite3.Connection, details: dict) -> None:
    """Remember that this file was read in full with these options, at this change count
    (inside the caller's transaction, after its changes)."""
    _upsert(conn, "import_checks", "sha256, options", [{**details, "generation": generation(conn)}])


def participants(
    conn: sqlite3.Connection,
    event: str | None = None,
    email: str | None = None,
    order: Callable[[str], str] | None = None,
) -> Iterator[dict]:
    """Participants (all, those registered for `event`, or one by `email`) with their events.

    One at a time, in e-mail order, or with `order` (a sort key for names, run
    by SQLite as a function) in that order of names: SQLite sorts, so memory
    does not grow with the number of people.
    """
    conditions, parameters = [], []
    if event:
        conditions.append("p.email IN (SELECT email FROM registrations WHERE event = ?)")
        parameters.append(event)
    if email:
        conditions.append("p.email = ?")
        parameters.append(email.strip().casefold())
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    sort = "p.email"
    if order is not None:
        conn.create_function("name_order", 1, order, deterministic=True)
        sort = "name_order(p.name), coalesce(nullif(p.address, ''), p.email)"
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    cursor.execute(
        f"""
        SELECT p.*, (
            SELECT json_group_array(event) FROM (
                SELECT r.event FROM registrations r JOIN events e ON e.slug = r.event
                WHERE r.email = p.email ORDER BY e.start_utc, e.slug)
        ) AS events, (
            SELECT json_group_object(a.event, {ANSWER_NOW}) FROM replies a
            WHERE a.email = p.email
        ) AS answers
        FROM participants p {where}
        ORDER BY {sort}
        """,
        parameters,
    )
    for row in cursor:
        yield {
            **dict(row),
            "events": json.loads(row["events"]),
            "answers": json.loads(row["answers"]),
        }


def counts(
    conn: sqlite3.Connection,
) -> tuple[int, list[tuple[str, int]], list[tuple[str, str, int]]]:
    """(participants, [(event, registrations)], [(organisation, municipality, people)]).

    Events by count, then in programme order; counted by SQLite, so memory
    does not grow with the number of people.
    """
    (total,) = conn.execute("SELECT count(*) FROM participants").fetchone()
    per_event = conn.execute(
        "SELECT r.event, count(*) AS n FROM registrations r JOIN events e ON e.slug = r.event"
        " GROUP BY r.event ORDER BY n DESC, min(e.start_utc), r.event"
    ).fetchall()
    groups = conn.execute(
        "SELECT organisation, municipality, count(*) FROM participants"
        " GROUP BY organisation, municipality"
    ).fetchall()
    return total, per_event, groups


def participant(conn: sqlite3.Connection, email: str) -> dict | None:
    """Everything stored about one person, with the imports they came from."""
    person = next(participants(conn, email=email), None)
    if person is None:
        return None
    person["imports"] = [
        {"file_name": name, "imported_at": at, "line": line}
        for name, at, line in conn.execute(
            "SELECT i.file_name, i.imported_at, pi.line FROM participant_imports pi"
            " JOIN imports i ON i.id = pi.import_id WHERE pi.email = ? ORDER BY i.id",
            [person["email"]],
        )
    ]
    return person


def remove_participant(conn: sqlite3.Connection, email: str) -> tuple[bool, int]:
    """Erase one person and everything linked to them.

    Returns (whether they were there, how many invites still need a
    cancellation). Of a person who holds invites only the address stays in
    the outbox (erased, name emptied) until `invites send` has cancelled them;
    messages that never went out are deleted at once.
    """
    key = email.strip().casefold()
    with conn:
        cursor = conn.execute("DELETE FROM participants WHERE email = ?", [key])
        if cursor.rowcount:
            changed(conn)
        conn.execute("DELETE FROM outbox WHERE email = ? AND state != 'sent'", [key])
        conn.execute("UPDATE outbox SET erased = 1, name = '' WHERE email = ?", [key])
        pending = _open_invites(conn, key)
        if not pending:
            conn.execute("DELETE FROM outbox WHERE email = ?", [key])
    forget_old_pages(conn)
    return cursor.rowcount > 0, pending


def forget_old_pages(conn: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the file and empty it, after an erasure.

    secure_delete zeroes the erased rows in the file, but the log may still
    hold earlier copies of their pages until the next checkpoint. Best effort:
    a reader still open keeps its pages until the last connection closes,
    which checkpoints and deletes the log too.
    """
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.OperationalError:
        pass  # busy elsewhere: the last connection to close checkpoints


def _open_invites(conn: sqlite3.Connection, key: str) -> int:
    """How many UIDs a person's newest sent message is still a REQUEST for."""
    (count,) = conn.execute(
        f"SELECT count(*) FROM ({_newest_sent('AND email = ?')}) WHERE method = 'REQUEST'",
        [key],
    ).fetchone()
    return count


def _newest_sent(where: str = "") -> str:
    """SQL: per person and UID the newest message sent, with the highest SEQUENCE
    sent (`top`); `where` narrows the sent messages ('AND email = ?')."""
    return f"""
        SELECT o.*, m.top FROM outbox o JOIN (
            SELECT max(id) AS id, max(sequence) AS top FROM outbox
            WHERE state = 'sent' {where} GROUP BY email, uid) m ON m.id = o.id
    """


def import_history(conn: sqlite3.Connection) -> list[dict]:
    return _dicts(conn, "SELECT * FROM imports ORDER BY id")


# --- calendar exports -----------------------------------------------------------------


def calendar_state(conn: sqlite3.Connection) -> dict[str, dict]:
    return {row["uid"]: row for row in _dicts(conn, "SELECT * FROM calendar_state")}


def save_calendar_state(conn: sqlite3.Connection, rows: list[dict]) -> None:
    if rows:
        _upsert(conn, "calendar_state", "uid", rows)


def invitees(conn: sqlite3.Connection, events: list[str]) -> list[tuple[str, str, str, str]]:
    """(email key, address as written, name, event slug) of every registration for `events`."""
    marks = ", ".join("?" for _ in events)
    return conn.execute(
        f"SELECT r.email, p.address, p.name, r.event FROM registrations r"
        f" JOIN participants p ON p.email = r.email WHERE r.event IN ({marks})"
        f" ORDER BY r.event, r.email",
        events,
    ).fetchall()


# --- the outbox -----------------------------------------------------------------------


def invite_versions(conn: sqlite3.Connection) -> list[dict]:
    return _dicts(conn, "SELECT * FROM invite_versions ORDER BY uid")


def save_invite_versions(conn: sqlite3.Connection, rows: list[dict]) -> None:
    if rows:
        _upsert(conn, "invite_versions", "uid", rows)


def _upsert(conn: sqlite3.Connection, table: str, key: str, rows: list[dict]) -> None:
    """Insert `rows`, or update the row with the same `key` ('email, uid' for two columns)."""
    columns = list(rows[0])
    keys = {part.strip() for part in key.split(",")}
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        f" ON CONFLICT({key}) DO UPDATE SET {updates}",
        [[row[c] for c in columns] for row in rows],
    )


def received(conn: sqlite3.Connection) -> list[dict]:
    """Per person and UID, the newest message sent, with the highest SEQUENCE sent."""
    return _dicts(conn, _newest_sent() + " ORDER BY o.email, o.uid")


def failed(conn: sqlite3.Connection) -> frozenset[tuple[str, str, str, int, str]]:
    """(email, uid, method, sequence, content) of every message a server refused."""
    return frozenset(
        conn.execute(
            "SELECT email, uid, method, sequence, content FROM outbox WHERE state = 'failed'"
        )
    )


def latest_stamp(conn: sqlite3.Connection) -> str | None:
    """The newest DTSTAMP in the outbox (ISO 8601, UTC)."""
    return conn.execute("SELECT max(stamp_utc) FROM outbox").fetchone()[0]


def queued(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    return set(conn.execute("SELECT email, uid FROM outbox WHERE state = 'queued'"))


OUTBOX_MESSAGE = (
    "email", "address", "name", "event", "uid", "method", "change", "sequence", "content",
    "significant", "erased",
)  # fmt: skip


def queue(
    conn: sqlite3.Connection,
    messages: list[tuple],
    in_scope: Callable[[str, str], bool],
    new_id: Callable[[], str],
    stamp_utc: str,
) -> list[tuple[int, str, str]]:
    """Put `messages` (itip.Message tuples) in the outbox, inside the caller's transaction.

    A message already queued as it is (same method, SEQUENCE and content: a run
    that was stopped) keeps its row, Message-ID and DTSTAMP, so it goes out as
    the same message; a queued one that is no longer right, in scope, is
    dropped. Returns (row id, Message-ID, stamp) for each message, in order.
    """
    waiting: dict[tuple[str, str], tuple] = {}
    for row in conn.execute(
        "SELECT id, email, uid, method, sequence, content, message_id, stamp_utc"
        " FROM outbox WHERE state = 'queued'"
    ):
        waiting[row[1], row[2]] = row
    out, keep = [], set()
    insert = (
        f"INSERT INTO outbox ({', '.join(OUTBOX_MESSAGE)}, message_id, stamp_utc, state)"
        f" VALUES ({', '.join('?' for _ in OUTBOX_MESSAGE)}, ?, ?, 'queued')"
    )
    for message in messages:
        email, uid, method, sequence, content = (message[0], message[4], message[5],
                                                 message[7], message[8])  # fmt: skip
        row = waiting.get((email, uid))
        if row and row[3:6] == (method, sequence, content):
            keep.add(row[0])
            out.append((row[0], row[6], row[7]))
            continue
        message_id = new_id()
        cursor = conn.execute(insert, [*message, message_id, stamp_utc])
        keep.add(cursor.lastrowid)
        out.append((int(cursor.lastrowid), message_id, stamp_utc))
    stale = [
        [row[0]] for (email, uid), row in waiting.items()
        if row[0] not in keep and in_scope(email, uid)
    ]  # fmt: skip
    conn.executemany("DELETE FROM outbox WHERE id = ?", stale)
    return out


def mark_sent(conn: sqlite3.Connection, row_id: int, via: str, done_utc: str) -> None:
    """Record one message as accepted, in a transaction of its own; an erased
    person's last cancellation takes every trace of them with it."""
    with conn:
        conn.execute(
            "UPDATE outbox SET state = 'sent', via = ?, reason = '', done_utc = ? WHERE id = ?",
            [via, done_utc, row_id],
        )
        (email, erased) = conn.execute(
            "SELECT email, erased FROM outbox WHERE id = ?", [row_id]
        ).fetchone()
        if erased and not _open_invites(conn, email):
            conn.execute("DELETE FROM outbox WHERE email = ?", [email])


def mark_failed(conn: sqlite3.Connection, row_id: int, reason: str, done_utc: str) -> None:
    with conn:
        conn.execute(
            "UPDATE outbox SET state = 'failed', reason = ?, done_utc = ? WHERE id = ?",
            [reason, done_utc, row_id],
        )


def outbox_rows(conn: sqlite3.Connection, events: list[str]) -> list[dict]:
    """The newest outbox row per person and UID of `events`, whatever its state."""
    marks = ", ".join("?" for _ in events)
    return _dicts(
        conn,
        f"""
        SELECT o.* FROM outbox o JOIN (
            SELECT max(id) AS id FROM outbox WHERE event IN ({marks}) GROUP BY email, uid
        ) m ON m.id = o.id ORDER BY o.event, o.email
        """,
        events,
    )


# --- replies (iTIP REPLY and COUNTER) -------------------------------------------------

# SQL: the answer of a `replies` row `a` as it stands now: its PARTSTAT in lower
# case, or 'to confirm:' before it when the person was sent a higher SEQUENCE
# since (a change of time or place), as calendars ask again then.
ANSWER_NOW = """
    CASE WHEN a.sequence >= coalesce((
        SELECT max(o.sequence) FROM outbox o
        WHERE o.email = a.email AND o.uid = a.uid AND o.state = 'sent'), 0)
    THEN lower(a.partstat) ELSE 'to confirm:' || lower(a.partstat) END
"""


def invite_events(conn: sqlite3.Connection) -> dict[str, str]:
    """Every invite UID innoff has used, and its event."""
    return dict(conn.execute("SELECT uid, event FROM invite_versions"))


def sent_to(conn: sqlite3.Connection, email: str, uid: str) -> tuple[str, int] | None:
    """(method of the newest message sent, highest SEQUENCE sent) to a person for a
    UID; None when nothing was ever sent to them for it."""
    row = conn.execute(
        f"SELECT method, top FROM ({_newest_sent('AND email = ? AND uid = ?')})", [email, uid]
    ).fetchone()
    return (row[0], row[1]) if row else None


def is_participant(conn: sqlite3.Connection, email: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM participants WHERE email = ?", [email]).fetchone() is not None
    )


def stored_reply(conn: sqlite3.Connection, email: str, uid: str) -> dict | None:
    rows = _dicts(conn, "SELECT * FROM replies WHERE email = ? AND uid = ?", [email, uid])
    return rows[0] if rows else None


def was_read(conn: sqlite3.Connection, message_id: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM replies_read WHERE message_id = ?", [message_id]).fetchone()
        is not None
    )


def save_reply(conn: sqlite3.Connection, row: dict) -> None:
    """The person's answer for a UID, replacing the one before (the caller has
    decided that this one is newer)."""
    _upsert(conn, "replies", "email, uid", [row])


def save_counter(conn: sqlite3.Connection, row: dict) -> None:
    columns = ", ".join(row)
    marks = ", ".join(f":{key}" for key in row)
    conn.execute(f"INSERT OR IGNORE INTO counters ({columns}) VALUES ({marks})", row)


def mark_read(conn: sqlite3.Connection, message_id: str, read_utc: str) -> None:
    conn.execute("INSERT OR IGNORE INTO replies_read VALUES (?, ?)", [message_id, read_utc])


def answers_of(conn: sqlite3.Connection, events: list[str]) -> dict[tuple[str, str], dict]:
    """(email, uid) -> the stored answer with `now` (ANSWER_NOW), and the latest
    COUNTER's proposal, for `events`."""
    marks = ", ".join("?" for _ in events)
    out = {
        (row["email"], row["uid"]): row
        for row in _dicts(
            conn,
            f"SELECT a.*, {ANSWER_NOW} AS now FROM replies a WHERE a.event IN ({marks})",
            events,
        )
    }
    for row in _dicts(
        conn,
        f"SELECT * FROM counters WHERE event IN ({marks}) ORDER BY dtstamp_utc, read_utc",
        events,
    ):
        out.setdefault((row["email"], row["uid"]), {})["counter"] = row
    return out


def answer_counts(conn: sqlite3.Connection) -> list[tuple[str, str, str, int]]:
    """(event, organisation, answer now or 'none', registrations): SQLite counts."""
    return conn.execute(
        f"""
        SELECT r.event, p.organisation, coalesce((
            SELECT {ANSWER_NOW} FROM replies a WHERE a.email = r.email AND a.event = r.event
            ORDER BY a.sequence DESC LIMIT 1), 'none') AS answer, count(*)
        FROM registrations r JOIN participants p ON p.email = r.email
        GROUP BY r.event, p.organisation, answer
        """
    ).fetchall()
