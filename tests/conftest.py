"""Shared fixtures: a temporary database and a runner that invokes the real CLI."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from innoff_cli.cli import app

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The original event text the bundled programme is taken from (a copy of the
# team's seed, so a fresh clone can run every test).
EVENT_TEXT = FIXTURES / "innoff-studio-2020.txt"
SHARED_SEED = REPO.parent / "shared" / "seeds" / "000_278790d137b4ff3c.txt"


@pytest.fixture(scope="session")
def nobodys_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(autouse=True)
def no_real_database(nobodys_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can touch a real database: a user's INNOFF_DB is gone, and the
    default place (the user's app directory) is in a temporary home."""
    monkeypatch.delenv("INNOFF_DB", raising=False)
    # Each test a settings file of its own (the home is shared by the session).
    monkeypatch.setenv("INNOFF_CONFIG", str(tmp_path / "innoff-config" / "config.toml"))
    # English, whatever the machine's locale (tests of Norwegian set their own).
    monkeypatch.setenv("INNOFF_LANG", "en")
    # Nor a real keyring: a desktop's would take a test's login.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for variable in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "APPDATA", "LOCALAPPDATA"):
        monkeypatch.setenv(variable, str(nobodys_home))


@pytest.fixture(params=["posix", "windows-like"])
def file_system(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a file-writing test twice: as POSIX has it, and with the Unix-only calls
    taken away, as Windows has them (no O_DIRECTORY, no O_NOFOLLOW, no dir_fd,
    no fchmod), so the path-based way is tested on every machine."""
    if request.param == "windows-like":
        for name in ("O_DIRECTORY", "O_NOFOLLOW", "fchmod"):
            monkeypatch.delattr(os, name, raising=False)
        monkeypatch.setattr(os, "supports_dir_fd", set())
    return request.param


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new database made once (migrations and the bundled programme): copying it
    costs a millisecond, making it through the CLI a hundred and more."""
    from innoff_cli import store

    path = tmp_path_factory.mktemp("template") / "innoff.db"
    store.open_db(path).close()
    return path


def copy_db(template: Path, target: Path) -> Path:
    """A database of its own for one test (0600, as innoff makes them)."""
    shutil.copyfile(template, target)
    target.chmod(0o600)
    return target


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> Path:
    """The test's database, ready as after first use."""
    return copy_db(template_db, tmp_path / "innoff.db")


@pytest.fixture
def new_db_path(tmp_path: Path) -> Path:
    """Where a database is not yet: for tests of first use and of creating it."""
    return tmp_path / "innoff.db"


@pytest.fixture
def run(db_path: Path):
    """run("agenda", "show") -> Result, against the temporary database."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return invoke(db_path, *args, input=input, env=env)

    return run


# Every table of what innoff keeps (the outbox and the change count included).
TABLES = (
    "participants", "registrations", "imports", "participant_imports", "events", "items",
    "calendar_state", "invite_versions", "outbox", "generation", "import_checks",
)  # fmt: skip


def snapshot(db_path: Path, tables: tuple[str, ...] = TABLES) -> dict[str, list]:
    """Every row of `tables`, in a stable order: equal snapshots, nothing changed."""
    with sqlite3.connect(db_path) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in tables
        }


def invoke(db_path: Path, *args: str, input: str | None = None, env: dict | None = None):
    """The real CLI on `db_path`, in this process."""
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    return runner.invoke(app, ["--db", str(db_path), *args], input=input)
