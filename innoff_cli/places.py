"""Where innoff keeps its files when none is named: where each platform expects
an application's data and settings (platformdirs), not roaming.

    database, login file    settings
    Linux    ~/.local/share/innoff            ~/.config/innoff
    macOS    ~/Library/Application Support/innoff (both)
    Windows  %LOCALAPPDATA%\\innoff (both: not %APPDATA%, which is copied to
             every PC at each log-on, names and addresses with it)

Earlier versions kept both in Click's app folder (~/.config/innoff on Linux,
%APPDATA%\\innoff on Windows). A database or settings file found only there is
moved once, with a line on stderr, so an upgrade finds its data.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from innoff_cli.i18n import _

APP = "innoff"
DATABASE = "innoff.db"
SETTINGS = "config.toml"
# What lives beside the database and goes with it: SQLite's log and shared
# memory (a run killed mid-write leaves its last commits in the log), and the
# file vault of `innoff mail login` where no keyring is.
BESIDE_DATABASE = ("-wal", "-shm")
LOGIN_FILE = "innoff-login.json"


def data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP, appauthor=False, roaming=False)


def config_dir() -> Path:
    import platformdirs

    return platformdirs.user_config_path(APP, appauthor=False, roaming=False)


def legacy_dir() -> Path:
    """Click's app folder, where innoff kept everything before."""
    import typer

    return Path(typer.get_app_dir(APP))


def default_database(say: Callable[[str], None]) -> Path:
    """The database when none is named; moved here from the old place once."""
    new = data_dir() / DATABASE
    old = legacy_dir() / DATABASE
    if not new.exists() and old.is_file() and old != new:
        _move([(old, new), *((Path(f"{old}{tail}"), Path(f"{new}{tail}")) for tail in BESIDE_DATABASE),
               (old.parent / LOGIN_FILE, new.parent / LOGIN_FILE)])  # fmt: skip
        say(
            _(
                "Moved the database from {old} to {new}, where this system keeps application data."
            ).format(old=old, new=new)
        )
    return new


def default_settings(say: Callable[[str], None]) -> Path:
    """The settings file when INNOFF_CONFIG names none; moved once, as the database."""
    new = config_dir() / SETTINGS
    old = legacy_dir() / SETTINGS
    if not new.exists() and old.is_file() and old != new:
        _move([(old, new)])
        say(_("Moved the settings from {old} to {new}.").format(old=old, new=new))
    return new


def _move(pairs: list[tuple[Path, Path]]) -> None:
    """Each file that is there to its new place (a private folder), log files
    before the database so the database never arrives without its log."""
    for source, target in sorted(pairs, key=lambda pair: pair[0].name == DATABASE):
        if not source.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.replace(source, target)
        except OSError:  # another drive or file system
            shutil.move(source, target)
