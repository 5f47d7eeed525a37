"""The imports room: staging and merging an export (store/imports.py)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.parametrize("limit", [32766, 999, 12])
@pytest.mark.parametrize("count", [0, 1, 249, 250, 2001, 4523])
def test_staging_keeps_every_row_in_order_however_many_a_statement_takes(db_path, limit, count):
    """Rows are staged several to an INSERT, as many as the build's parameter
    limit allows (999 before SQLite 3.32), the rest of a batch one by one."""
    conn = store.connect(db_path)
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    session = store.imports.ImportSession(conn, {"studio": 1, "arsmote": 2})
    assert session.per_insert == max(1, min(store.imports.STAGE_ROWS_PER_INSERT, limit // 12))
    rows = [
        (n, f"p{n}@x.no", f"P{n}@x.no", f"Navn {n}", "", "", "", "", None, "{}", n % 4, f"navn {n}")
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


def merge_steps(db_path, rows: list[tuple]) -> int:
    """SQLite's own count of the work (VM steps, in thousands) to merge `rows`:
    the same on any machine, so it measures growth without timing anything."""
    conn = store.connect(db_path)
    session = store.imports.ImportSession(conn, {"studio": 1, "arsmote": 2})
    session.stage(iter(rows))
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(count, 1000)
    session.merge(replace=False)
    conn.set_progress_handler(None, 0)
    session.close()
    conn.close()
    return steps[0]


def test_folding_one_persons_repeated_rows_is_linear_in_their_number(db_path):
    """A bot-filled form: one address thousands of times. Picking each person's
    newest row compared every pair of their rows; now it sorts them once."""

    def one_address(count: int) -> list[tuple]:
        return [
            (n, "bot@x.no", "bot@x.no", f"Bot {n}", "", "", "", "", f"2020-11-{1 + n % 28:02d}", "{}", 1 + n % 2, f"bot {n}")
            for n in range(2, count + 2)
        ]  # fmt: skip

    small, large = merge_steps(db_path, one_address(1000)), merge_steps(db_path, one_address(4000))
    assert large < 6 * small, (small, large)  # 4x the rows: about 4x the work, not 16x


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a@x.no", "b@x.no"]),
            st.one_of(
                st.none(),
                st.sampled_from([
                    "2020-11-05T09:53:00+00:00", "2020-11-05T09:53:00.500000+00:00",
                    "2020-11-05T10:00:00+00:00", "2019-01-01T00:00:00+00:00",
                ]),
            ),
        ),
        min_size=1,
        max_size=30,
    )
)  # fmt: skip
def test_the_newest_key_picks_the_row_the_newest_first_order_puts_first(rows):
    """NEWEST_KEY (one max() a person) is NEWEST_FIRST (an ORDER BY) as one text."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE copies (line INTEGER, email TEXT, registered_utc TEXT)")
    conn.executemany("INSERT INTO copies VALUES (?, ?, ?)",
                     [(line, email, at) for line, (email, at) in enumerate(rows, 2)])  # fmt: skip
    by_key = dict(
        conn.execute(
            f"SELECT email, line FROM (SELECT email, line, max({store.imports.NEWEST_KEY})"
            " FROM copies GROUP BY email)"
        )  # fmt: skip
    )
    by_order = {
        email: conn.execute(
            f"SELECT x.line FROM copies x WHERE x.email = ? ORDER BY {store.imports.NEWEST_FIRST}"
            " LIMIT 1",
            [email],
        ).fetchone()[0]
        for email in by_key
    }
    assert by_key == by_order
