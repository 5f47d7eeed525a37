"""`innoff mail login`: sign in to Microsoft 365 or Google once, then send and
read with tokens innoff gets itself, with no helper script.

Who is signed in (provider, account, app, authority: nothing secret) is kept in
the settings file; the refresh token in the vault (the keyring, or a 0600 file
beside the database). The providers' libraries are optional extras, imported
only here: `pip install 'innoff[microsoft]'` or `'innoff[google]'`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from innoff_cli import settings
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.logins.vault import open_vault

PROVIDERS = ("microsoft", "google")
# What a fresh login sets when the settings file does not say otherwise.
SERVERS = {"microsoft": "smtp.office365.com", "google": "smtp.gmail.com"}


@dataclass(frozen=True)
class Login:
    provider: str
    user: str
    client_id: str
    authority: str

    @property
    def name(self) -> str:
        """The name its secret is kept under."""
        return f"{self.provider}:{self.user.lower()}"

    @property
    def values(self) -> dict[str, str]:
        return {
            "login.provider": self.provider, "login.user": self.user,
            "login.client-id": self.client_id, "login.authority": self.authority,
        }  # fmt: skip


def stored(values: dict[str, str | int]) -> Login | None:
    """The login the settings name, if any."""
    if "login.provider" not in values:
        return None
    return Login(*(str(values.get(key, "")) for key in (
        "login.provider", "login.user", "login.client-id", "login.authority"
    )))  # fmt: skip


@dataclass
class LoginReport:
    login: Login
    kept_in: str
    settings_set: dict[str, str]


def log_in(
    provider: str,
    config: Path,
    database_folder: Path,
    *,
    say: Callable[[str], None],
    client_id: str | None = None,
    tenant: str = "organizations",
    authority: str | None = None,
    client_file: Path | None = None,
    open_browser: bool = True,
) -> LoginReport:
    """Sign in with `provider`, keep the refresh token, and record the login."""
    values = settings.load(config)  # a broken settings file stops us before the sign-in
    if provider == "microsoft":
        from innoff_cli.logins import microsoft

        if not client_id:
            raise InnoffError(
                _(
                    "signing in to Microsoft needs your organisation's app: pass --client-id (see the README's section for IT)"
                )
            )
        authority = authority or microsoft.AUTHORITY.format(tenant=tenant)
        user, kept = microsoft.sign_in(client_id, authority, say)
    else:
        from innoff_cli.logins import google

        if client_file is None:
            raise InnoffError(
                _(
                    "signing in to Google needs your organisation's desktop client: pass --client-file with its JSON (see the README's section for IT)"
                )
            )
        user, client_id, kept = google.sign_in(client_file, open_browser)
        authority = "https://accounts.google.com"
    if not user:
        raise InnoffError(
            _("{provider} did not say which account signed in - try again").format(
                provider=provider
            )
        )
    login = Login(provider, user, client_id, authority)
    vault = open_vault(database_folder)
    old = stored(values)
    if old is not None and old.name != login.name:
        vault.forget(old.name)
    vault.put(login.name, kept)
    defaults = {"smtp.host": SERVERS[provider], "smtp.auth": "xoauth2", "imap.auth": "xoauth2"}
    added = {key: value for key, value in defaults.items() if key not in values}
    settings.save(config, {**values, **added, **login.values})
    return LoginReport(login, vault.where, added)


def log_out(config: Path, database_folder: Path) -> Login | None:
    """Forget the login (its secret, then its record); None when there was none."""
    values = settings.load(config)
    login = stored(values)
    if login is None:
        return None
    open_vault(database_folder).forget(login.name)
    settings.save(config, {k: v for k, v in values.items() if not k.startswith("login.")})
    return login


def token_source(login: Login, database_folder: Path) -> Callable[[], str]:
    """A function giving an access token from the stored login: a refreshed one
    after the first call (the first may be refused: it may have expired)."""
    vault = open_vault(database_folder)
    calls = [0]

    def kept() -> str:
        secret = vault.get(login.name)
        if secret is None:
            raise InnoffError(
                _(
                    "no sign-in for {user} is kept in {where} - run `innoff mail login {provider}` again"
                ).format(user=login.user, where=vault.where, provider=login.provider)
            )
        return secret

    def token() -> str:
        fresh, calls[0] = calls[0] > 0, calls[0] + 1
        if login.provider == "microsoft":
            from innoff_cli.logins import microsoft

            return microsoft.access_token(
                login.client_id, login.authority, kept(), lambda new: vault.put(login.name, new),
                fresh,
            )  # fmt: skip
        from innoff_cli.logins import google

        return google.access_token(kept())

    return token
