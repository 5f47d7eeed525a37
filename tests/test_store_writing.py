"""The one way to write (`store.writing`): it waits its turn and says so, commits,
rolls back on any exit, and nothing else in innoff begins or ends a transaction."""

from __future__ import annotations

import ast
import sqlite3
import threading
from pathlib import Path

import pytest

from innoff_cli import store

PACKAGE = Path(store.__file__).resolve().parent.parent
# The only functions that may begin, commit or roll back a transaction.
ALLOWED = {("store/__init__.py", "writing"), ("store/__init__.py", "_begin_immediate")}
TRANSACTION_SQL = ("BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE")
TRANSACTION_CALLS = {"commit", "rollback", "atomic", "begin", "begin_write", "begin_import"}


def transaction_handling(source: str) -> list[tuple[int, str | None, str]]:
    """(line, enclosing function, what) for every place `source` handles a transaction."""
    found = []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in TRANSACTION_CALLS:
                found.append((node.lineno, function, f".{node.func.attr}()"))
            if node.func.attr in ("execute", "executescript") and node.args:
                first = node.args[0]
                text = first.value if isinstance(first, ast.Constant) else ""
                if isinstance(first, ast.JoinedStr) and first.values:
                    head = first.values[0]
                    text = head.value if isinstance(head, ast.Constant) else ""
                if isinstance(text, str) and text.lstrip().upper().startswith(TRANSACTION_SQL):
                    found.append((node.lineno, function, text.strip().split()[0]))
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                target = item.context_expr
                name = (
                    target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                )
                if not isinstance(target, ast.Call) and ("conn" in name or name in ("db", "other")):
                    found.append((node.lineno, function, f"with {name}:"))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), None)
    return found


def test_the_check_finds_each_way_of_handling_a_transaction():
    source = """
def f(conn, db):
    conn.commit()
    conn.rollback()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(f"SAVEPOINT {name}")
    with conn:
        pass
    with db.conn:
        pass
    with db.atomic():
        pass
    store.begin_write(conn)
"""
    assert [what for _, _, what in transaction_handling(source)] == [
        ".commit()", ".rollback()", "BEGIN", "SAVEPOINT", "with conn:", "with conn:",
        ".atomic()", ".begin_write()",
    ]  # fmt: skip
    harmless = "with store.writing(conn):\n    conn.execute('INSERT INTO t VALUES (1)')\n"
    assert transaction_handling(harmless) == []


def test_only_store_writing_begins_commits_or_rolls_back():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        for line, function, what in transaction_handling(path.read_text(encoding="utf-8")):
            if (name, function) not in ALLOWED:
                offenders.append(f"{name}:{line} in {function}: {what}")
    assert offenders == [], "use `with store.writing(conn): ...` instead"


def test_a_second_writer_waits_its_turn_says_so_and_both_finish(db_path):
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        conn = store.connect(db_path)
        try:
            with store.writing(conn):
                conn.execute("UPDATE generation SET value = value + 1")
                holding.set()
                release.wait(10)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            conn.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    told: list[int] = []

    def on_wait() -> None:
        told.append(1)
        release.set()  # the first writer finishes once the second has said it waits

    conn = store.connect(db_path)
    before = store.change_count(conn)  # the first one's change is not committed yet
    with store.writing(conn, on_wait=on_wait):
        # Its turn has come: it sees the first one's change, and adds its own.
        assert store.change_count(conn) == before + 1
        conn.execute("UPDATE generation SET value = value + 1")
    thread.join(10)
    assert not thread.is_alive() and errors == []
    assert told == [1]
    conn.close()
    with sqlite3.connect(db_path) as check:
        assert check.execute("SELECT value FROM generation").fetchone()[0] == before + 2


def test_a_writer_alone_is_not_told_to_wait(db_path):
    conn = store.connect(db_path)
    told: list[int] = []
    with store.writing(conn, on_wait=lambda: told.append(1)):
        store.count_change(conn)
    assert told == [] and not conn.in_transaction
    conn.close()


@pytest.mark.parametrize("stop", [ValueError, KeyboardInterrupt])
def test_any_exit_by_an_exception_rolls_back(db_path, stop):
    conn = store.connect(db_path)
    before = store.change_count(conn)
    with pytest.raises(stop), store.writing(conn):
        store.count_change(conn)
        raise stop()
    assert store.change_count(conn) == before and not conn.in_transaction
    conn.close()


def test_a_dry_run_rolls_back_and_references_are_checked_again_after(db_path):
    conn = store.connect(db_path)
    before = store.change_count(conn)
    with store.writing(conn, keep=False, check_references=False):
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 0
        assert store.count_change(conn) == before + 1
    assert store.change_count(conn) == before
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()
