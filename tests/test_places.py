"""Where the data lives when no place is named: where the platform expects it
(platformdirs), and a database or settings file of an earlier version, found in
Click's app folder, moved there once with a line on stderr."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from innoff_cli import places


def innoff(home, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local" / "share"), "PATH": "/usr/bin:/bin",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", **(env_extra or {})}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "innoff_cli", *args], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_a_new_database_goes_where_the_platform_keeps_data(tmp_path):
    result = innoff(tmp_path, "db", "path")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / ".local" / "share" / "innoff" / "innoff.db")
    assert "Moved" not in result.stderr


def test_a_database_of_an_earlier_version_is_moved_once_with_its_log(tmp_path):
    old = tmp_path / ".config" / "innoff"
    assert innoff(tmp_path, "--db", str(old / "innoff.db"), "agenda", "show").returncode == 0
    (old / "innoff.db-wal").write_bytes(b"")  # as a run killed mid-write leaves it
    (old / "innoff-login.json").write_text("{}", encoding="utf-8")
    (old / "config.toml").write_text('[smtp]\nhost = "smtp.example.org"\n', encoding="utf-8")
    first = innoff(tmp_path, "agenda", "show")
    assert first.returncode == 0, first.stderr
    new = tmp_path / ".local" / "share" / "innoff"
    assert f"Moved the database from {old / 'innoff.db'} to {new / 'innoff.db'}" in first.stderr
    assert sorted(p.name for p in new.iterdir()) == ["innoff-login.json", "innoff.db"]
    assert not (old / "innoff.db").exists() and not (old / "innoff.db-wal").exists()
    with sqlite3.connect(new / "innoff.db") as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    # On Linux the settings' folder is the same: nothing to move.
    assert (old / "config.toml").exists()
    again = innoff(tmp_path, "agenda", "show")
    assert again.returncode == 0 and "Moved" not in again.stderr


def test_settings_found_only_in_the_old_folder_are_moved(tmp_path, monkeypatch):
    old, new = tmp_path / "old", tmp_path / "new"
    (old).mkdir()
    (old / "config.toml").write_text("", encoding="utf-8")
    monkeypatch.setattr(places, "legacy_dir", lambda: old)
    monkeypatch.setattr(places, "config_dir", lambda: new)
    said = []
    assert places.default_settings(said.append) == new / "config.toml"
    assert (new / "config.toml").exists() and not (old / "config.toml").exists()
    assert said == [f"Moved the settings from {old / 'config.toml'} to {new / 'config.toml'}."]
    assert new.stat().st_mode & 0o777 == 0o700
