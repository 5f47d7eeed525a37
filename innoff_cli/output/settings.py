"""What `innoff config list` prints."""

from __future__ import annotations

from collections.abc import Iterator

from innoff_cli.settings import SETTINGS
from innoff_cli.terminal import visible


def setting_lines(values: dict[str, str | int], all_keys: bool) -> Iterator[str]:
    """KEY = VALUE for each setting that is set; with `all_keys` every setting, an
    unset one with what it is, what stands in for it and its default."""
    for key, setting in SETTINGS.items():
        if key in values:
            yield f"{key} = {visible(str(values[key]))}"
        elif all_keys:
            given_by = [s for s in (setting.option, setting.variable) if s]
            if setting.set_by:
                given_by.append(f"set by {setting.set_by}")
            default = f"; default: {setting.default}" if setting.default else ""
            yield f"{key} (not set: {setting.help}; {', '.join(given_by)}{default})"


def login_lines(report) -> Iterator[str]:
    """What `innoff mail login` says when it is done (a logins.LoginReport)."""
    login = report.login
    yield f"Signed in as {visible(login.user)} ({login.provider}); the token is kept in {visible(report.kept_in)}."
    for key, value in report.settings_set.items():
        yield f"Set {key} = {visible(value)} (innoff config unset {key} to undo)."
