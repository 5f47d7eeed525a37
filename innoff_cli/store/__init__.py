"""The SQLite file: opening it, the one way to write to it, and its rooms.

The only package that knows table names. A room per aggregate, each a module:
`programme` (events and items), `imports` (reading a file into the
participants), `registrations` (participants, counts, erasure), `listings` (the lists
as JSON and CSV, written by SQLite),
`calendar_feed` (what the public calendar last published), `outbox` (what
each person was sent) and `replies` (what they answered). They share the
connection this module opens and `writing()`, the only place that begins,
commits or rolls back a transaction (tests/test_store_writing.py keeps it so).

Most work goes through a plain `sqlite3.Connection` from `connect()`, so
`agenda show` and imports never load sqlite-utils; programme writes and
migrations take a sqlite-utils `Database` (its upserts) over the same
connection, inside `writing()`, where its own transactions become savepoints.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from innoff_cli import migrations
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _

if TYPE_CHECKING:
    from sqlite_utils import Database

# How long a command waits for another innoff run that is writing (a large
# import takes a while) before it gives up with a message.
BUSY_TIMEOUT_SECONDS = 600.0
# How long the first try to begin writing waits before `on_wait` is told: long
# enough that a short write of another run (one message marked sent) passes
# unremarked.
FIRST_TRY_SECONDS = 0.2
# Pages of 8 KiB rather than SQLite's 4: a large import writes and splits half
# as many pages; larger pages made sorts take more memory as files grew. Set
# when a file is made, and for each import's temporary tables.
PAGE_SIZE = 8192

# Told once when a write has to wait for another innoff run (the CLI prints a
# line on stderr); the store itself prints nothing.
OnWait = Callable[[], None] | None


# --- opening -------------------------------------------------------------------


def open_db(path: Path, on_wait: OnWait = None) -> Database:
    """Open (creating with mode 0600 if needed) and migrate the database at `path`.

    A new database is filled from the bundled programme, so every command works
    on first use.
    """
    from sqlite_utils import Database

    conn = _connect(path, create=True)
    _require_innoff_database(conn, path)
    # No sqlite-utils plugins: code from other installed packages has no
    # business with a file of names and e-mail addresses.
    db = Database(conn, execute_plugins=False)
    applied = _applied(conn)
    _require_known_steps(conn, path, applied)
    if not applied.issuperset(migrations.MIGRATION_NAMES):
        try:
            _migrate(db, on_wait)
        except sqlite3.Error as error:
            conn.close()
            raise database_error(path, error) from None
    return db


def _migrate(db: Database, on_wait: OnWait) -> None:
    """Every pending step (each its own savepoint) and the programme of a new file,
    in one transaction: all of it or none, and one sync to disk.

    A step may rebuild a table others point at (m008): with foreign keys on,
    dropping the old one would delete every row that refers to it. They are
    checked whole before the commit instead, as SQLite's ALTER TABLE page says.
    """
    with writing(db.conn, on_wait=on_wait, check_references=False):
        applied = migrations.apply(db)  # what another run has not applied meanwhile
        if migrations.MIGRATION_NAMES[0] in applied:
            from innoff_cli.programme import bundled_programme
            from innoff_cli.store.programme import write_programme

            write_programme(db, bundled_programme())
        if db.conn.execute("PRAGMA foreign_key_check").fetchone():
            raise sqlite3.IntegrityError("a migration step broke a foreign key")


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


def _require_known_steps(conn: sqlite3.Connection, path: Path, applied: set[str]) -> None:
    """Refuse a file a newer innoff has migrated: this one would misread its tables."""
    unknown = applied - set(migrations.MIGRATION_NAMES)
    if unknown:
        from innoff_cli import __version__

        conn.close()
        raise InnoffError(
            _(
                "{path} was written by a newer innoff (its schema has step {unknown}, unknown to innoff {version}) - upgrade innoff to use it, or pass another file with --db"
            ).format(path=path, unknown=max(unknown), version=__version__)
        )


def connect(path: Path, on_wait: OnWait = None) -> sqlite3.Connection:
    """A plain sqlite3 connection to a current database, for reads and raw-SQL writes.

    sqlite-utils (and its plugin loading) is imported only when the file is new
    or a migration is pending: `agenda show` and imports do not pay for it.
    """
    if not path.exists():
        return open_db(path, on_wait).conn
    conn = _connect(path, create=False)
    applied = _applied(conn)
    _require_known_steps(conn, path, applied)
    if applied.issuperset(migrations.MIGRATION_NAMES):
        return conn
    conn.close()
    return open_db(path, on_wait).conn


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    if path.is_dir():
        raise InnoffError(
            _("database path {path} is a folder - pass a file name with --db").format(path=path)
        )
    if create and not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            raise InnoffError(
                _(
                    "cannot create database {path}: {parent} is a file, not a folder - pass another location with --db or INNOFF_DB"
                ).format(path=path, parent=path.parent)
            )
        try:
            # Every folder innoff makes for it is private (mkdir's mode would
            # reach only the last one), and so is the file, from the first byte:
            # it will hold names and e-mail addresses. SQLite gives its journal
            # the same mode.
            missing = [
                folder for folder in (path.parent, *path.parent.parents) if not folder.exists()
            ]
            for folder in reversed(missing):
                folder.mkdir(mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as error:
            raise InnoffError(
                _(
                    "cannot create database {path} ({strerror}) - pass a writable location with --db or INNOFF_DB"
                ).format(path=path, strerror=error.strerror)
            ) from None
    elif create and path.is_file() and path.stat().st_size == 0:
        # An empty file made by someone else (`touch`): private before anything is in it.
        try:
            path.chmod(0o600)
        except OSError as error:
            raise InnoffError(
                _(
                    "cannot make database {path} private ({strerror}) - pass another location with --db or INNOFF_DB"
                ).format(path=path, strerror=error.strerror)
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
        # may lose the last commits, never the file. The mode is kept in the
        # file; older files change on their first write-capable open, a
        # read-only one keeps its own.
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
            _(
                "{path} is a SQLite database but not an innoff database - pass another file with --db"
            ).format(path=path)
        )


@contextmanager
def writing(
    conn: sqlite3.Connection,
    *,
    on_wait: OnWait = None,
    check_references: bool = True,
    keep: bool = True,
) -> Iterator[sqlite3.Connection]:
    """The one way to write: `with store.writing(conn): ...`.

    Begins at once (BEGIN IMMEDIATE), so this run takes its turn to write
    before it reads what it will change; when another innoff run is writing,
    `on_wait` is told once and the wait goes on up to BUSY_TIMEOUT_SECONDS.
    Commits when the block ends, or rolls back when it ends by any exception
    (Ctrl-C included) and when `keep` is False (a dry run that did the work to
    report on it).

    `check_references=False` is for writes whose foreign keys hold by
    construction (an import: every row it adds refers to what the same
    transaction has just written; see `imports.ImportSession.apply`) or are
    checked whole before the commit (a migration): SQLite's check of each row
    is then work for nothing. The pragma only takes effect outside a
    transaction, so it is set before BEGIN and set back after the end.
    """
    if not check_references:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        _begin_immediate(conn, on_wait)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        if keep:
            conn.commit()
        else:
            conn.rollback()
    finally:
        if not check_references:
            conn.execute("PRAGMA foreign_keys = ON")


def _begin_immediate(conn: sqlite3.Connection, on_wait: OnWait) -> None:
    """BEGIN IMMEDIATE: a first short try, then `on_wait` and the long wait."""
    conn.execute(f"PRAGMA busy_timeout = {int(FIRST_TRY_SECONDS * 1000)}")
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
    """Translate SQLite's complaint about a file into a message a user can act on:
    what happened, and what to do (every write is a transaction, so a failed one
    wrote nothing)."""
    text = str(error)
    # The primary result code (SQLite's extended codes keep it in the low byte).
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (11, 26) or "not a database" in text or "malformed" in text:  # CORRUPT, NOTADB
        return InnoffError(
            _("{path} is not an innoff database - pass another file with --db").format(path=path)
        )
    if code == 13 or "disk is full" in text:  # FULL
        return InnoffError(
            _(
                "the disk that holds {path} is full; nothing was written - free some space and run it again"
            ).format(path=path)
        )
    if code == 10 or "disk I/O error" in text:  # IOERR
        return InnoffError(
            _(
                "could not read or write {path} (a disk error: full, removed or failing); nothing was written - check the disk and run it again"
            ).format(path=path)
        )
    if code in (8, 14) or "readonly" in text or "unable to open" in text:  # READONLY, CANTOPEN
        return InnoffError(
            _(
                "cannot open database {path} for writing: it or its folder is read-only, or the folder is missing (SQLite writes beside the file even to read) - check the permissions, or pass a copy in a folder of your own with --db"
            ).format(path=path)
        )
    if code in (5, 6) or "locked" in text or "busy" in text:  # BUSY, LOCKED
        return InnoffError(
            _(
                "database {path} stayed busy in another program for {value} minutes - let it finish or close it, then try again"
            ).format(path=path, value=int(BUSY_TIMEOUT_SECONDS // 60))
        )
    return InnoffError(
        _("database {path}: {text} - check the file or pass another with --db").format(
            path=path, text=text
        )
    )


# --- what the rooms share --------------------------------------------------------------


def dicts(conn: sqlite3.Connection, sql: str, parameters: list | tuple = ()) -> list[dict]:
    """Rows as dicts, leaving the connection's own row factory alone."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return [dict(row) for row in cursor.execute(sql, parameters)]


def upsert(conn: sqlite3.Connection, table: str, key: str, rows: list[dict]) -> None:
    """Insert `rows`, or update the row with the same `key` ('email, uid' for two columns)."""
    if not rows:
        return
    columns = list(rows[0])
    keys = {part.strip() for part in key.split(",")}
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        f" ON CONFLICT({key}) DO UPDATE SET {updates}",
        [[row[c] for c in columns] for row in rows],
    )


def count_change(conn: sqlite3.Connection) -> int:
    """Count one change to the programme or the participants (inside the caller's
    `writing()`); returns the new count. An import read in full is remembered
    with the count it saw (`imports.same_import`)."""
    conn.execute("UPDATE generation SET value = value + 1")
    return change_count(conn)


def change_count(conn: sqlite3.Connection) -> int:
    """How many changes the programme and the participants have had."""
    return conn.execute("SELECT value FROM generation").fetchone()[0]


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


# The rooms, after what they share (each imports it from here).
from innoff_cli.store import (  # noqa: E402
    attendance,
    calendar_feed,
    imports,
    listings,
    mailings,
    outbox,
    programme,
    registrations,
    replies,
)

__all__ = [
    "attendance", "calendar_feed", "imports", "listings", "mailings", "outbox", "programme", "registrations", "replies",
    "BUSY_TIMEOUT_SECONDS", "PAGE_SIZE", "OnWait", "open_db", "connect", "writing",
    "database_error", "dicts", "upsert", "count_change", "change_count", "forget_old_pages",
]  # fmt: skip
