"""Signing in to Google with google-auth-oauthlib: the loopback redirect with PKCE.

Google's device flow refuses mail scopes, so the user signs in in a browser
that Google sends back to a one-time server on 127.0.0.1. The client comes
from the JSON file Google Cloud gives for a desktop client ("client secret":
Google says a desktop client's secret is not one, but we keep it with the
refresh token all the same).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _

# The mail scope, and the address (so innoff knows who signed in).
SCOPES = ["https://mail.google.com/", "openid", "https://www.googleapis.com/auth/userinfo.email"]
SIGN_IN_SECONDS = 300
DONE_PAGE = "innoff is signed in. You can close this window. / innoff er logget inn."


def _flow_class():
    try:
        from google_auth_oauthlib.flow import InstalledAppFlow
    except ImportError:
        raise InnoffError(
            _("signing in to Google needs google-auth-oauthlib - pip install 'innoff[google]'")
        ) from None
    return InstalledAppFlow


def _email(id_token: str | None) -> str:
    """The address in the ID token Google just gave us over TLS (no signature check needed)."""
    try:
        payload = (id_token or "").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    return claims.get("email", "") if isinstance(claims, dict) else ""


def sign_in(client_file: Path, open_browser: bool) -> tuple[str, str, str]:
    """(the account's address, the client id, what to keep) after the user signs in."""
    flow_class = _flow_class()
    try:
        flow = flow_class.from_client_secrets_file(str(client_file), scopes=SCOPES)
    except FileNotFoundError:
        raise InnoffError(
            _("{client_file} does not exist - give the JSON file of a desktop OAuth client").format(
                client_file=client_file
            )
        ) from None
    except (ValueError, KeyError, OSError) as error:
        raise InnoffError(
            _(
                "{client_file} is not a Google OAuth client file ({name}) - download the JSON of a desktop client from Google Cloud's Credentials page"
            ).format(client_file=client_file, name=type(error).__name__)
        ) from None
    client = flow.client_config
    try:
        credentials = flow.run_local_server(
            host="127.0.0.1", port=0, open_browser=open_browser,
            authorization_prompt_message="Open this address to sign in to Google:\n{url}",
            success_message=DONE_PAGE, timeout_seconds=SIGN_IN_SECONDS,
            prompt="consent",  # a refresh token every time, not only at the first consent
        )  # fmt: skip
    except Exception as error:  # the library's own errors, oauthlib's and requests'
        raise InnoffError(
            _(
                "Google did not sign you in ({name}: {value}) - try again, and check that the client is a desktop client with the Gmail scope"
            ).format(name=type(error).__name__, value=str(error)[:200])
        ) from None
    if not credentials.refresh_token:
        raise InnoffError(
            _(
                "Google gave no refresh token - remove innoff's access in your Google account and sign in again"
            )
        )
    kept = {
        "refresh_token": credentials.refresh_token,
        "client_id": client["client_id"],
        "client_secret": client.get("client_secret", ""),
        "token_uri": client["token_uri"],
    }
    return _email(getattr(credentials, "id_token", None)), client["client_id"], json.dumps(kept)


def access_token(kept: str) -> str:
    """A new access token from the kept refresh token."""
    _flow_class()
    from google.auth.exceptions import GoogleAuthError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    try:
        secrets = json.loads(kept)
        credentials = Credentials(
            None, refresh_token=secrets["refresh_token"], token_uri=secrets["token_uri"],
            client_id=secrets["client_id"], client_secret=secrets["client_secret"], scopes=SCOPES,
        )  # fmt: skip
        credentials.refresh(Request())
    except (ValueError, KeyError, GoogleAuthError) as error:
        raise InnoffError(
            _(
                "the stored Google login gives no token ({name}) - run `innoff mail login google` again"
            ).format(name=type(error).__name__)
        ) from None
    return credentials.token
