"""The imports room: staging and merging an export (store/imports.py)."""

from __future__ import annotations

import sqlite3

import pytest

from innoff_cli import store


def test_replace_finds_each_registration_it_drops_by_its_key(db_path):
    """--replace deletes registrations driven by the file's people (a key look-up
    each), never by scanning every registration against them: that was quadratic,
    minutes at 100,000 people."""
    conn = store.connect(db_path)
    session = store.imports.ImportSession(conn, {"studio": 1, "arsmote": 2})
    conn.execute("CREATE TEMP TABLE merged (email TEXT, events INTEGER)")
    plan = [
        row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + store.imports.DROP_UNLISTED_EVENTS)
    ]
    assert any(step.startswith("SEARCH registrations USING PRIMARY KEY") for step in plan), plan
    assert not any(step.startswith("SCAN registrations") for step in plan), plan
    session.close()
    conn.close()


@pytest.mark.parametrize("limit", [32766, 999, 11])
@pytest.mark.parametrize("count", [0, 1, 249, 250, 2001, 4523])
def test_staging_keeps_every_row_in_order_however_many_a_statement_takes(db_path, limit, count):
    """Rows are staged several to an INSERT, as many as the build's parameter
    limit allows (999 before SQLite 3.32), the rest of a batch one by one."""
    conn = store.connect(db_path)
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    session = store.imports.ImportSession(conn, {"studio": 1, "arsmote": 2})
    assert session.per_insert == max(1, min(store.imports.STAGE_ROWS_PER_INSERT, limit // 11))
    rows = [
        (n, f"p{n}@x.no", f"P{n}@x.no", f"Navn {n}", "", "", "", "", None, "{}", n % 4)
        for n in range(2, count + 2)
    ]
    ticks = []
    session.stage(iter(rows), lambda: ticks.append(session.staged))
    assert session.staged == count
    assert (
        conn.execute(f"SELECT {store.imports.ROW} FROM staging ORDER BY rowid").fetchall() == rows
    )
    assert ticks == list(range(store.imports.STAGE_BATCH, count + 1, store.imports.STAGE_BATCH))
    session.close()
    conn.close()
