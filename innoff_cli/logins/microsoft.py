"""Signing in to Microsoft 365 (Entra ID) with msal: the device code flow (RFC 8628).

A command-line program cannot take a browser's redirect on a server or over SSH,
so it shows a code and an address, and waits while the user signs in anywhere.
msal keeps the tokens in a cache we serialise into the vault; the refresh token
in it gets a new access token (about an hour) whenever one is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _

# One token for both: they are scopes of the same resource. msal adds
# offline_access (the refresh token), openid and profile itself.
SCOPES = [
    "https://outlook.office.com/SMTP.Send",
    "https://outlook.office.com/IMAP.AccessAsUser.All",
]
AUTHORITY = "https://login.microsoftonline.com/{tenant}"
# Clouds msal knows; any other authority (a test server, an ADFS) skips discovery.
KNOWN_HOSTS = (
    "login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn",
    "login.microsoftonline.de", "login.partner.microsoftonline.cn",
)  # fmt: skip
HINT = "check --client-id and --tenant, and that the app is a public client (see the README)"


def _msal():
    try:
        import msal
    except ImportError:
        raise InnoffError(
            _("signing in to Microsoft needs msal - pip install 'innoff[microsoft]'")
        ) from None
    return msal


def _application(client_id: str, authority: str, cache):
    msal = _msal()
    try:
        return msal.PublicClientApplication(
            client_id, authority=authority, token_cache=cache,
            instance_discovery=urlsplit(authority).hostname in KNOWN_HOSTS,
        )  # fmt: skip
    except ValueError as error:
        raise InnoffError(
            _("Microsoft's sign-in refused the authority ({error}) - {HINT}").format(
                error=error, HINT=HINT
            )
        ) from None


def _refused(result: dict) -> str:
    """The error code and the first line of its description: never the whole answer."""
    code = result.get("error", "no answer")
    first_line = (result.get("error_description") or "").strip().splitlines()[:1]
    return f"{code}: {first_line[0][:200]}" if first_line else code


def sign_in(client_id: str, authority: str, say: Callable[[str], None]) -> tuple[str, str]:
    """(the account's address, the cache to keep) after the user signs in."""
    msal = _msal()
    cache = msal.SerializableTokenCache()
    application = _application(client_id, authority, cache)
    flow = application.initiate_device_flow(scopes=SCOPES)
    if "user_code" not in flow:
        raise InnoffError(
            _("Microsoft would not start the sign-in ({flow}) - {HINT}").format(
                flow=_refused(flow), HINT=HINT
            )
        )
    say(flow["message"])  # the address to open and the code to type, in Microsoft's words
    result = application.acquire_token_by_device_flow(flow)  # waits, at most until the code expires
    if "access_token" not in result:
        raise InnoffError(
            _("Microsoft did not sign you in ({result}) - {HINT}").format(
                result=_refused(result), HINT=HINT
            )
        )
    claims = result.get("id_token_claims") or {}
    user = claims.get("preferred_username") or claims.get("email") or ""
    return user, cache.serialize()


def access_token(
    client_id: str, authority: str, kept: str, save: Callable[[str], None], fresh: bool
) -> str:
    """An access token from the kept cache (a new one when `fresh`: the server
    refused the last); `save` gets the cache when msal changed it."""
    msal = _msal()
    cache = msal.SerializableTokenCache()
    cache.deserialize(kept)
    application = _application(client_id, authority, cache)
    accounts = application.get_accounts()
    result = (
        application.acquire_token_silent_with_error(SCOPES, accounts[0], force_refresh=fresh)
        if accounts
        else None
    )
    if not result or "access_token" not in result:
        reason = f" ({_refused(result)})" if result else ""
        raise InnoffError(
            _(
                "the stored Microsoft login gives no token{reason} - run `innoff mail login microsoft` again"
            ).format(reason=reason)
        )
    if cache.has_state_changed:
        save(cache.serialize())
    return result["access_token"]
