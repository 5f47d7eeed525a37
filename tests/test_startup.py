"""`innoff --help` and `innoff agenda show` must not import what they do not use.

Checked in a fresh interpreter, because the test process itself has long
imported everything. Timing is left to tests/bench/startup_speed.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = [
    "ics", "sqlite_utils", "dateutil.parser", "email_validator", "tomllib",
    "innoff_cli.registration_exports", "innoff_cli.participants", "innoff_cli.ical", "innoff_cli.calendars",
    # The sign-in extras: not even `invites` commands load them without a login.
    "msal", "google_auth_oauthlib", "keyring", "requests",
    # The PDF extra, and where the data lives (the database path is given here).
    "weasyprint", "platformdirs",
    # Typer's value checks by Pydantic: innoff reads its values itself (cli/coercion.py).
    "pydantic",
]  # fmt: skip

PROBE = """
import json, sys
from innoff_cli.cli import app
try:
    app(sys.argv[1:], prog_name="innoff")
except SystemExit:
    pass
sys.__stdout__.write("\\n" + json.dumps(sorted(sys.modules)))
"""


def modules_after(*args: str, env: dict[str, str]) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.fixture
def env(db_path, monkeypatch):
    import os

    # The first run creates the database (that one may use sqlite-utils and tomllib).
    environment = {**os.environ, "INNOFF_DB": str(db_path)}
    modules_after("agenda", "show", env=environment)
    return environment


@pytest.mark.parametrize(
    "args",
    [("--help",), ("agenda", "show"), ("agenda", "show", "--format", "json"), ("agenda", "--help")],
)
def test_cheap_commands_import_nothing_heavy(args, env):
    loaded = modules_after(*args, env=env)
    assert "innoff_cli.cli" in loaded  # the probe really ran innoff
    assert [name for name in HEAVY if name in loaded] == []


def test_the_probe_sees_heavy_imports_where_they_belong(env, tmp_path):
    from innoff_cli.programme import bundled_programme_text

    programme_file = tmp_path / "programme.toml"
    programme_file.write_text(bundled_programme_text(), encoding="utf-8")
    loaded = modules_after("agenda", "load", str(programme_file), env=env)
    assert {"sqlite_utils", "tomllib"} <= loaded


def test_mail_commands_without_a_login_load_no_sign_in_library(env):
    loaded = modules_after("invites", "status", env=env)
    assert "innoff_cli.settings" in loaded  # the settings file was read
    assert [m for m in ("msal", "google_auth_oauthlib", "keyring", "requests") if m in loaded] == []
