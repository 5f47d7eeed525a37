"""The programme room: events and items round trips (store/programme.py)."""

from __future__ import annotations

from datetime import timedelta

from innoff_cli import programme, store


def test_writing_the_programme_twice_changes_nothing(new_db_path):
    db = store.open_db(new_db_path)
    events = programme.bundled_programme()
    with store.writing(db.conn):
        written = store.programme.write_programme(db, events)
    assert written == {
        "added": [],
        "updated": [],
        "unchanged": ["studio", "arsmote"],
        "cancelled": [],
        "missing": [],
    }
    db.close()


def test_writing_the_programme_updates_and_removes_items(new_db_path):
    db = store.open_db(new_db_path)
    studio = programme.bundled_programme()[0]
    shorter = studio._replace(
        items=tuple(i for i in studio.items if i.id != "pause"),
        title="INNOFF-studio 2020",
    )
    with store.writing(db.conn):
        written = store.programme.write_programme(db, [shorter])
    assert written["updated"] == ["studio"]
    stored = {e.slug: e for e in store.programme.load_events(db.conn)}
    assert stored["studio"] == shorter
    assert "arsmote" in stored  # events not in the file are left alone
    db.close()


def test_times_round_trip_through_utc(new_db_path):
    db = store.open_db(new_db_path)
    studio = programme.bundled_programme()[0]
    moved = programme.shift_item(studio, "pause", timedelta(minutes=5), following=True)
    with store.writing(db.conn):
        store.programme.write_event(db, moved)
    row = db.conn.execute("SELECT start_utc FROM items WHERE id = 'pause'").fetchone()
    assert row[0] == "2020-11-17T10:05:00+00:00"
    assert store.programme.load_events(db.conn)[0] == moved
    db.close()
