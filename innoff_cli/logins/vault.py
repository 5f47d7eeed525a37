"""Where a login's secrets are kept: the operating system's keyring, or else a
0600 file beside the database. Never the database, never the settings file.

`keyring` finds the platform's store (macOS Keychain, Windows Credential
Manager, the Secret Service on Linux desktops). A server or container often
has none; keyring then offers only a backend that refuses everything, and the
secrets go to `innoff-login.json` (0600, in the database's folder) instead.
"""

from __future__ import annotations

import json
from pathlib import Path

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _

SERVICE = "innoff"
FILE_NAME = "innoff-login.json"


class FileVault:
    """Secrets by name in one JSON file, written whole and 0600."""

    def __init__(self, path: Path):
        self.path = path
        self.where = str(path)

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise InnoffError(
                _("cannot read {path} ({error}) - remove it and sign in again").format(
                    path=self.path, error=error
                )
            ) from None

    def get(self, name: str) -> str | None:
        return self._read().get(name)

    def _write(self, secrets: dict[str, str]) -> None:
        from innoff_cli import files

        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with files.written_whole(self.path) as stream:
            json.dump(secrets, stream)

    def put(self, name: str, secret: str) -> None:
        self._write({**self._read(), name: secret})

    def forget(self, name: str) -> bool:
        secrets = self._read()
        if secrets.pop(name, None) is None:
            return False
        if secrets:
            self._write(secrets)
        else:
            self.path.unlink()
        return True


class KeyringVault:
    """Secrets by name in the operating system's keyring."""

    def __init__(self, keyring):
        self.keyring = keyring
        self.where = f"the keyring ({type(keyring.get_keyring()).__name__})"

    def get(self, name: str) -> str | None:
        return self.keyring.get_password(SERVICE, name)

    def put(self, name: str, secret: str) -> None:
        try:
            self.keyring.set_password(SERVICE, name, secret)
        except self.keyring.errors.KeyringError as error:
            raise InnoffError(
                _("the keyring refused the login ({name}) - unlock it and try again").format(
                    name=type(error).__name__
                )
            ) from None

    def forget(self, name: str) -> bool:
        try:
            self.keyring.delete_password(SERVICE, name)
        except self.keyring.errors.PasswordDeleteError:
            return False
        return True


def open_vault(database_folder: Path) -> FileVault | KeyringVault:
    """The keyring when this machine has one, else the file beside the database."""
    try:
        import keyring
        import keyring.errors
    except ImportError:
        return FileVault(database_folder / FILE_NAME)
    # The refusing fallbacks (fail.Keyring, and a chainer of nothing) rank at or below 0.
    if getattr(keyring.get_keyring(), "priority", 0) <= 0:
        return FileVault(database_folder / FILE_NAME)
    return KeyringVault(keyring)
