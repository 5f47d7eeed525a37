"""The imports room: one file's rows staged, folded and merged into the participants,
and the record of each import (and of each file read in full, to skip it next time)."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable, Iterable

from innoff_cli.collation import norwegian_order
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.store import PAGE_SIZE, change_count, count_change, dicts, upsert

# Fields where the most recent non-empty value wins; `address` is the e-mail
# address as written (the key, `email`, is the same folded to lower case).
MERGED_FIELDS = ("address", "name", "organisation", "role", "municipality", "phone")
COMPARED = (*MERGED_FIELDS, "registered_utc", "extra")
# The staging table's columns: a ParsedRow's fields, its events a bit mask.
STAGED = ("line", "email", *MERGED_FIELDS, "registered_utc", "extra", "events", "sort_key")
ROW = ", ".join(STAGED)
# Within a file the most recent row wins: by registration time, then by line.
# A row without a time counts as newer than any row with one, as a registration
# without a time wins across imports (it is the one just handed over).
NEWEST_FIRST = "x.registered_utc IS NULL DESC, x.registered_utc DESC, x.line DESC"
# The same order as one text, so that a person's newest row is max() of their
# rows in one pass (SQLite takes the other columns from the row with the max),
# not a comparison of every pair. char(1) sorts below any character of a time.
NEWEST_KEY = (
    "(registered_utc IS NULL) || char(1) || coalesce(registered_utc, '') || char(1)"
    " || printf('%012d', line)"
)
# Across imports, the file's registration w is at least as recent as the stored
# one p (a registration without a time is the one just handed over).
FILE_IS_NEWER = (
    "(w.registered_utc IS NULL OR p.registered_utc IS NULL OR w.registered_utc >= p.registered_utc)"
)
# A merged person's details differ from what was stored.
DETAILS_CHANGED = " OR ".join(f"{f} IS NOT old_{f}" for f in COMPARED)
STAGE_BATCH = 2000  # rows read at a time: flat memory, few round trips
# Rows per INSERT statement when staging (VALUES (...), (...), ...): one step of
# the statement for many rows. More gained nothing in tests/bench/import_speed.py;
# fewer when the SQLite build allows fewer parameters.
STAGE_ROWS_PER_INSERT = 250
# --replace: the stored people's registrations for events their rows in the
# file do not list. Driven by the file's people, each registration found by its
# key: asked the other way round (every registration probing `merged`, which has
# no index) it is quadratic in the number of people.
DROP_UNLISTED_EVENTS = """
    DELETE FROM registrations WHERE (email, event) IN (
        SELECT m.email, b.slug FROM merged m JOIN event_bits b ON (m.events & b.bit) = 0)
"""


class ImportSession:
    """One file's import: rows are staged in a temporary table, then merged in one go.

    Staging keeps memory flat however large the file is, and costs a plain
    insert (STAGE_ROWS_PER_INSERT rows to a statement); folding duplicates and comparing with
    what is stored are a handful of set-based statements afterwards. The rows
    are copied once in e-mail order, where a person's rows are neighbours:
    most people have one, and only those with more are folded, in small side
    tables. Events travel as a bit mask (one bit per event), so a person's
    events in the file are one OR. Everything runs inside the caller's
    `writing(..., check_references=False)`: see `apply`.
    """

    def __init__(self, conn: sqlite3.Connection, bits: dict[str, int]):
        """`bits`: each event's bit in the rows' masks (RowReader.bits)."""
        # Before anything touches the temporary database, which takes its page
        # size when it is made.
        conn.execute(f"PRAGMA temp.page_size = {PAGE_SIZE}")
        self.conn = conn
        self.staged = 0
        self.bits = bits
        # The one large sort (everyone in e-mail order) may use helper threads.
        conn.execute(f"PRAGMA threads = {min(os.cpu_count() or 1, 4)}")
        # The sort key of a name the merge chose (a row's own comes staged).
        conn.create_function("norwegian_order", 1, norwegian_order, deterministic=True)
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
        still in the processor's caches, rather than alternating every row.
        `tick` is called after each batch.
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
        pick = ",\n".join(
            f"""CASE WHEN {FILE_IS_NEWER} THEN coalesce(nullif(w.{f}, ''), p.{f})
                     ELSE coalesce(nullif(p.{f}, ''), w.{f}) END AS {f}"""
            for f in MERGED_FIELDS
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
                CASE WHEN {FILE_IS_NEWER} THEN coalesce(w.registered_utc, p.registered_utc)
                     ELSE p.registered_utc END AS registered_utc,
                -- An empty side leaves the other as it is: json_patch() would
                -- write the same text, as the rows' extra is written like it.
                CASE WHEN w.extra = '{{}}' THEN p.extra WHEN p.extra = '{{}}' THEN w.extra
                     WHEN {FILE_IS_NEWER} THEN json_patch(p.extra, w.extra)
                     ELSE json_patch(w.extra, p.extra) END AS extra,
                {old},
                coalesce((
                    SELECT sum(b.bit) FROM registrations r JOIN event_bits b ON b.slug = r.event
                    WHERE r.email = w.email), 0) AS old_events
            FROM people w CROSS JOIN participants p ON p.email = w.email
            """
        )
        events_changed = "events != old_events" if replace else "(events & ~old_events) != 0"
        (people,) = conn.execute("SELECT count(*) FROM people").fetchone()
        stored, updated = conn.execute(
            f"SELECT count(*), sum({DETAILS_CHANGED} OR {events_changed}) FROM merged"
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
            CREATE TEMP TABLE folded AS SELECT id, {ROW} FROM (
                SELECT id, {ROW}, max({NEWEST_KEY}) FROM copies GROUP BY email)
            """
        )
        conn.execute("CREATE UNIQUE INDEX temp.folded_id ON folded(id)")
        union = " | ".join(f"max(x.events & {bit})" for bit in self.bits.values()) or "0"
        conn.execute(
            f"UPDATE folded SET events = (SELECT {union} FROM copies x WHERE x.email = folded.email)"
        )
        for f in MERGED_FIELDS:
            conn.execute(
                f"""
                UPDATE folded SET {f} = coalesce((
                    SELECT x.{f} FROM copies x WHERE x.email = folded.email AND x.{f} != ''
                    ORDER BY {NEWEST_FIRST} LIMIT 1), '')
                WHERE {f} = ''
                """
            )
        # A name taken from another row takes its sort key along.
        conn.execute("UPDATE folded SET sort_key = norwegian_order(name)")
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

        Foreign keys hold by construction, so the caller's `writing()` skips
        SQLite's check of each row (two or three parent look-ups a row, a
        large share of a big import): registrations and participant_imports
        take their e-mails from the people this writes, their import id from
        the import the same transaction has just recorded, and their events
        from the programme. The one thing another run could have changed since
        the events were read (before this transaction began) is the
        programme, so that is checked here.
        """
        conn = self.conn
        gone = conn.execute(
            "SELECT slug FROM event_bits WHERE slug NOT IN (SELECT slug FROM events)"
        ).fetchone()
        if gone:
            raise InnoffError(
                _(
                    "event '{gone}' left the programme while the file was read - import it again"
                ).format(gone=gone[0])
            )
        columns = ", ".join(("email", *COMPARED))
        updates = ", ".join(f"{c} = excluded.{c}" for c in (*COMPARED, "sort_key"))
        # Each name's Norwegian sort key (collation.py): for the stored people,
        # of the name the merge chose; the new ones' came staged with their rows.
        conn.execute(
            f"""
            INSERT INTO participants ({columns}, sort_key)
            SELECT {columns}, norwegian_order(name) FROM merged WHERE {DETAILS_CHANGED}
            ON CONFLICT(email) DO UPDATE SET {updates}
            """
        )
        # The new ones (the stored ones are in already, so nothing happens to them).
        conn.execute(
            f"""
            INSERT INTO participants ({columns}, sort_key)
            SELECT {columns}, sort_key FROM people WHERE true
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


def record_import(conn: sqlite3.Connection, details: dict) -> int:
    """Record an import that changed something (and count the change)."""
    count_change(conn)
    columns = ", ".join(details)
    marks = ", ".join("?" for _ in details)
    cursor = conn.execute(
        f"INSERT INTO imports ({columns}) VALUES ({marks})", list(details.values())
    )
    return int(cursor.lastrowid)


def find_import(conn: sqlite3.Connection, sha256: str) -> dict | None:
    rows = dicts(conn, "SELECT * FROM imports WHERE sha256 = ? ORDER BY id DESC LIMIT 1", [sha256])
    return rows[0] if rows else None


def same_import(conn: sqlite3.Connection, sha256: str, options: str) -> dict | None:
    """The last full reading of this file with these options, if nothing has changed since."""
    rows = dicts(
        conn, "SELECT * FROM import_checks WHERE sha256 = ? AND options = ?", [sha256, options]
    )
    return rows[0] if rows and rows[0]["generation"] == change_count(conn) else None


def checked_import(conn: sqlite3.Connection, details: dict) -> None:
    """Remember that this file was read in full with these options, at this change count
    (inside the caller's `writing()`, after its changes)."""
    upsert(
        conn, "import_checks", "sha256, options", [{**details, "generation": change_count(conn)}]
    )


def import_history(conn: sqlite3.Connection) -> list[dict]:
    return dicts(conn, "SELECT * FROM imports ORDER BY id")
