"""The SQLite store: opening, migrations and file safety (store/__init__.py)."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from innoff_cli import migrations, store
from innoff_cli.errors import InnoffError


def tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_blank_file_gets_the_schema_and_the_bundled_programme(new_db_path):
    db = store.open_db(new_db_path)
    assert {"events", "items", "_sqlite_migrations"} <= tables(new_db_path)
    applied = [row[0] for row in db.conn.execute("SELECT name FROM _sqlite_migrations")]
    assert applied == migrations.MIGRATION_NAMES
    assert [e.slug for e in store.programme.load_events(db.conn)] == ["studio", "arsmote"]
    db.close()


def test_migrating_twice_is_a_no_op(new_db_path):
    store.open_db(new_db_path).close()
    with sqlite3.connect(new_db_path) as conn:
        before = conn.execute("SELECT * FROM _sqlite_migrations").fetchall()
        schema = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    db = store.open_db(new_db_path)
    assert db.conn.execute("SELECT * FROM _sqlite_migrations").fetchall() == before
    assert db.conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema
    db.close()


def test_file_is_private_durable_and_enforces_foreign_keys(new_db_path):
    db = store.open_db(new_db_path)
    assert stat.S_IMODE(os.stat(new_db_path).st_mode) == 0o600
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert db.conn.execute("PRAGMA page_size").fetchone()[0] == store.PAGE_SIZE == 8192
    assert db.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute(
            "INSERT INTO items (id, event, start_utc, end_utc, title, kind) "
            "VALUES ('x', 'no-such-event', '', '', 'x', 'talk')"
        )
    # The log and its index hold page copies, names included.
    db.conn.rollback()
    db.conn.execute("DELETE FROM items")  # opens a write transaction
    for suffix in ("-wal", "-shm"):
        log = new_db_path.with_name(new_db_path.name + suffix)
        assert stat.S_IMODE(os.stat(log).st_mode) == 0o600, suffix
    db.conn.rollback()
    db.close()


def test_removing_an_event_removes_its_items(new_db_path):
    db = store.open_db(new_db_path)
    with db.atomic():
        db.execute("DELETE FROM events WHERE slug = 'studio'")
    assert db.conn.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    db.close()


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(new_db_path):
    new_db_path.write_bytes(b"name;email\nKari;kari@example.org\n")
    with pytest.raises(
        InnoffError, match="is not an innoff database - pass another file with --db"
    ):
        store.open_db(new_db_path)
    assert new_db_path.read_bytes() == b"name;email\nKari;kari@example.org\n"


def test_someone_elses_sqlite_database_is_not_migrated(new_db_path):
    with sqlite3.connect(new_db_path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(InnoffError, match="SQLite database but not an innoff database"):
        store.connect(new_db_path)
    assert tables(new_db_path) == {"invoices"}


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(InnoffError, match="is a folder"):
        store.open_db(tmp_path)


def test_the_read_path_uses_plain_sqlite3_when_the_schema_is_current(new_db_path):
    store.open_db(new_db_path).close()
    conn = store.connect(new_db_path)
    assert type(conn) is sqlite3.Connection
    assert [e.slug for e in store.programme.load_events(conn)] == ["studio", "arsmote"]
    conn.close()


def test_an_older_database_is_upgraded_on_open(new_db_path):
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    old = Migrations(migrations.MIGRATION_SET)  # as innoff was before the later steps
    old()(migrations.MIGRATIONS[0])
    db = Database(new_db_path)
    old.apply(db)
    db.execute(
        "INSERT INTO events (slug, title, start_utc, end_utc, timezone) VALUES "
        "('gammel', 'Gammelt arrangement', '2019-11-17T09:00:00+00:00', "
        "'2019-11-17T10:00:00+00:00', 'Europe/Oslo')"
    )
    db.close()
    conn = store.connect(new_db_path)
    applied = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == migrations.MIGRATION_NAMES
    assert "participants" in tables(new_db_path)
    # The old events stay; the bundled programme is only for a brand-new file.
    assert [e.slug for e in store.programme.load_events(conn)] == ["gammel"]
    conn.close()


def test_participants_are_rebuilt_keyed_by_email_keeping_everyone_and_what_points_at_them(
    new_db_path,
):
    """m008 rebuilds a table four others refer to, ON DELETE CASCADE: a careless
    DROP TABLE would take every registration, line and answer with it."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    before_m008 = Migrations(migrations.MIGRATION_SET)
    for step in migrations.MIGRATIONS[
        : migrations.MIGRATION_NAMES.index("m008_participants_keyed_by_email")
    ]:
        before_m008()(step)
    db = Database(new_db_path)
    db.conn.execute("PRAGMA foreign_keys = ON")
    before_m008.apply(db)
    with db.conn:
        db.execute(
            "INSERT INTO events (slug, title, start_utc, end_utc, timezone) VALUES "
            "('studio', 'Studio', '2020-11-17T09:00:00+00:00', '2020-11-17T11:00:00+00:00',"
            " 'Europe/Oslo')"
        )
        db.execute(
            "INSERT INTO participants (email, address, name, registered_utc, extra) VALUES"
            " ('kari@bergen.kommune.no', 'Kari@bergen.kommune.no', 'Kari Nordmann',"
            "  '2020-11-02T08:13:00+00:00', '{\"Allergier\":\"nøtter\"}'),"
            " ('per@ntnu.no', 'per@ntnu.no', 'Per Ås', NULL, '{}')"
        )
        db.execute(
            "INSERT INTO imports (file_name, sha256, imported_at, encoding, delimiter, rows,"
            " new, updated, unchanged, duplicates, rejected)"
            " VALUES ('a.csv', 'x', '2020-11-02T09:00:00+00:00', 'utf-8', ';', 2, 2, 0, 0, 0, 0)"
        )
        db.execute(
            "INSERT INTO registrations VALUES ('kari@bergen.kommune.no', 'studio', 1),"
            " ('per@ntnu.no', 'studio', 1)"
        )
        db.execute(
            "INSERT INTO participant_imports VALUES ('kari@bergen.kommune.no', 1, 2),"
            " ('per@ntnu.no', 1, 3)"
        )
        db.execute(
            "INSERT INTO replies (email, uid, event, partstat, sequence, message_id, read_utc)"
            " VALUES ('per@ntnu.no', 'u1', 'studio', 'ACCEPTED', 0, '<m1>', '2020-11-03')"
        )
    dump = {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in ("participants", "registrations", "participant_imports", "replies")
    }
    db.close()

    conn = store.connect(new_db_path)
    assert [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")] == (
        migrations.MIGRATION_NAMES
    )
    for table, rows in dump.items():
        after = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        # Later steps may add columns (m013's sort_key): what was there stays.
        assert [row[: len(rows[0])] for row in after] == rows, table
    # m013 wrote each name's Norwegian sort key for the rows already there.
    assert conn.execute("SELECT name, sort_key FROM participants ORDER BY 1").fetchall() == [
        ("Kari Nordmann", "kari nordmann"), ("Per Ås", "per }s"),
    ]  # fmt: skip
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'participants'").fetchone()
    assert "WITHOUT ROWID" in sql
    assert "participants_keyed" not in {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master")
    }
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    # The cascade still works on the rebuilt table.
    conn.execute("DELETE FROM participants WHERE email = 'per@ntnu.no'")
    assert conn.execute("SELECT count(*) FROM registrations").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM replies").fetchone()[0] == 0
    conn.rollback()
    conn.close()


def test_a_database_from_a_newer_innoff_is_refused_and_left_alone(db_path):
    from innoff_cli import __version__

    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES (?, 'm999_from_the_future', '2027-01-01')",
            [migrations.MIGRATION_SET],
        )
    before = db_path.read_bytes()
    for opening in (store.connect, store.open_db):
        with pytest.raises(InnoffError) as refused:
            opening(db_path)
        assert str(refused.value) == (
            f"{db_path} was written by a newer innoff (its schema has step m999_from_the_future,"
            f" unknown to innoff {__version__}) - upgrade innoff to use it, or pass another"
            " file with --db"
        )
    assert db_path.read_bytes() == before


def test_every_folder_made_for_it_is_private_and_an_empty_file_is_made_so(tmp_path):
    deep = tmp_path / "a" / "b" / "innoff.db"
    store.open_db(deep).close()
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    touched = tmp_path / "touched.db"
    touched.touch(mode=0o644)
    touched.chmod(0o644)  # whatever the umask
    store.open_db(touched).close()
    assert stat.S_IMODE(os.stat(touched).st_mode) == 0o600


def test_whether_an_answer_is_current_is_read_from_an_index_alone(db_path):
    """`stats` and `list` ask, for every stored answer, what the person was last
    sent of that invite; the index that holds the state and SEQUENCE answers it
    without a look-up of each outbox row (a quarter of `stats` at 100,000)."""
    from innoff_cli.store.replies import ANSWER_NOW

    conn = store.connect(db_path)
    try:
        plan = " | ".join(
            row[3]
            for row in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT {ANSWER_NOW} FROM replies a WHERE a.email = 'x'"
            )
        )
    finally:
        conn.close()
    assert "SEARCH o USING COVERING INDEX outbox_sent (email=? AND uid=?)" in plan, plan
