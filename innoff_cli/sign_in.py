"""Signing in to a mail server the way mail programs do now: OAuth 2.0 tokens.

Microsoft 365 switches password sign-in for SMTP off by default at the end of
December 2026, and Google has refused it since 2024. A token comes from a
command the user names (INNOFF_SMTP_TOKEN_CMD, INNOFF_IMAP_TOKEN_CMD), as
msmtp's `passwordeval` and aerc's `*-cred-cmd` work: `oama access`,
`mutt_oauth2.py`, or a company's own helper. It is run when a connection is
opened and once more when the server refuses the token; its output is never
printed, logged or stored. The SASL strings (XOAUTH2, and OAUTHBEARER from
RFC 7628) are built here and handed to smtplib's and imaplib's own AUTH.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _

MECHANISMS = ("password", "xoauth2", "oauthbearer")
TOKEN_MECHANISMS = ("xoauth2", "oauthbearer")
# How long a token command may take: a helper may open a browser once and wait.
TOKEN_COMMAND_SECONDS = 120.0

Token = Callable[[], str]


def token_command(command: str, variable: str) -> Token:
    """A function that runs `command` (through the shell, with no input) and returns
    the first line it prints: an access token. InnoffError, naming `variable` and
    the exit status but never the output, when it fails."""

    def token() -> str:
        try:
            result = subprocess.run(
                command, shell=True, stdin=subprocess.DEVNULL, capture_output=True,
                timeout=TOKEN_COMMAND_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise InnoffError(
                _(
                    "the command in {variable} gave no token in {TOKEN_COMMAND_SECONDS} s - run it by hand to see why"
                ).format(variable=variable, TOKEN_COMMAND_SECONDS=int(TOKEN_COMMAND_SECONDS))
            ) from None
        except OSError as error:
            raise InnoffError(
                _("the command in {variable} could not be run ({strerror}) - check it").format(
                    variable=variable, strerror=error.strerror
                )
            ) from None
        if result.returncode != 0:
            raise InnoffError(
                _(
                    "the command in {variable} failed (exit status {returncode}) - run it by hand to see why (innoff does not show its output)"
                ).format(variable=variable, returncode=result.returncode)
            )
        lines = result.stdout.decode("utf-8", "replace").strip().splitlines()
        if not lines or not lines[0].strip():
            raise InnoffError(
                _(
                    "the command in {variable} printed no token - it must print an access token on its first line"
                ).format(variable=variable)
            )
        return lines[0].strip()

    return token


def xoauth2(user: str, token: str) -> str:
    """Google's and Microsoft's XOAUTH2 initial response (before base64)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def oauthbearer(user: str, token: str, host: str, port: int) -> str:
    """RFC 7628's OAUTHBEARER initial response (before base64)."""
    name = user.replace("=", "=3D").replace(",", "=2C")  # RFC 5801 saslname
    return f"n,a={name},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"


def initial_response(mechanism: str, user: str, token: str, host: str, port: int) -> str:
    if mechanism == "xoauth2":
        return xoauth2(user, token)
    return oauthbearer(user, token, host, port)


def responder(text: str) -> Callable[..., str]:
    """smtplib's authobject: the initial response, then an empty answer to the
    server's error challenge (both mechanisms end a refusal that way)."""
    said = [False]

    def answer(challenge: bytes | None = None) -> str:
        if said[0]:
            return ""
        said[0] = True
        return text

    return answer


def with_fresh_tokens(
    authenticate: Callable[[Callable[..., str]], object],
    response: Callable[[], str],
    refused: type[Exception],
) -> None:
    """Sign in: `authenticate(responder)` with the `response()` of a fresh token,
    and when the server refuses it (`refused`: it may have expired on the way)
    once more with another. A second refusal is the caller's to report."""
    try:
        authenticate(responder(response()))
    except refused:
        authenticate(responder(response()))
