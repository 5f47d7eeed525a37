"""Shared fixtures: a temporary database and a runner that invokes the real CLI."""

from __future__ import annotations

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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "innoff.db"


@pytest.fixture
def run(db_path: Path, monkeypatch: pytest.MonkeyPatch):
    """run("agenda", "show") -> Result, against the temporary database."""
    # A user's INNOFF_DB must never leak into (or be written by) the tests.
    monkeypatch.delenv("INNOFF_DB", raising=False)
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(app, ["--db", str(db_path), *args], input=input, env=env)

    return invoke
