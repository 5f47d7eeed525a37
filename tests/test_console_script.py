"""The installed `innoff` console script works as a real program."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def innoff_script() -> str:
    beside_python = Path(sys.executable).with_name("innoff")
    found = str(beside_python) if beside_python.exists() else shutil.which("innoff")
    if found is None:
        pytest.fail("the innoff console script is not installed: pip install -e '.[test]'")
    return found


def run_installed(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed `innoff` as a user runs it, from outside the checkout."""
    env = {**os.environ, "INNOFF_DB": str(tmp_path / "innoff.db")}
    return subprocess.run(
        [innoff_script(), *args], capture_output=True, text=True, env=env, cwd=tmp_path
    )


def test_installed_script_shows_the_programme(tmp_path):
    result = run_installed(tmp_path, "agenda", "show", "--format", "json")
    assert result.returncode == 0, result.stderr
    studio = json.loads(result.stdout)[0]
    assert studio["title"] == "INNOFF-studio" and len(studio["items"]) == 9


def test_installed_script_reports_errors_without_traceback(tmp_path):
    result = run_installed(tmp_path, "agenda", "show", "--event", "gala")
    assert result.returncode == 1
    assert result.stderr == "Error: no event called 'gala' - known events: studio, arsmote\n"


def test_python_dash_m(tmp_path):
    env = {**os.environ, "INNOFF_DB": str(tmp_path / "innoff.db")}
    result = subprocess.run(
        [sys.executable, "-m", "innoff_cli", "--version"], capture_output=True, text=True, env=env
    )
    from innoff_cli import __version__

    assert result.stdout == f"innoff {__version__}\n"
