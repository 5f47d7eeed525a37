"""`innoff mail ...`: sign in to the organiser's mailbox (Microsoft 365, Google)."""

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from innoff_cli.cli.base import config_file, database_path
from innoff_cli.i18n import _

mail_app = typer.Typer(no_args_is_help=True)


@mail_app.callback()
def mail_group() -> None:
    """Sign in to the mailbox invites are sent from and replies are read in."""


@mail_app.command("login")
def mail_login(
    ctx: typer.Context,
    provider: Annotated[
        Literal["microsoft", "google"],
        typer.Argument(
            help=_(
                "microsoft (Microsoft 365, Exchange Online) or google (Google Workspace, Gmail)."
            )
        ),
    ],
    client_id: Annotated[
        Optional[str],
        typer.Option(
            "--client-id", metavar="ID", help=_("microsoft: your organisation's app (client) id.")
        ),
    ] = None,
    tenant: Annotated[
        str,
        typer.Option("--tenant", metavar="TENANT", help=_("microsoft: the tenant's id or domain.")),
    ] = "organizations",
    authority: Annotated[
        Optional[str],
        typer.Option(
            "--authority",
            metavar="URL",
            help=_(
                "microsoft: another cloud's sign-in address, e.g. https://login.microsoftonline.us/TENANT."
            ),
        ),
    ] = None,
    client_file: Annotated[
        Optional[Path],
        typer.Option(
            "--client-file",
            metavar="FILE",
            help=_("google: the JSON file of a desktop OAuth client."),
        ),
    ] = None,
    browser: Annotated[
        bool,
        typer.Option(
            "--browser/--no-browser", help=_("google: open the sign-in page in a browser.")
        ),
    ] = True,
) -> None:
    """Sign in once; innoff then gets its own tokens for --smtp-auth xoauth2 and IMAP."""
    from innoff_cli import logins
    from innoff_cli.output import settings as output

    def say(text: str) -> None:
        typer.echo(text, err=True)

    # Google's library prints its sign-in address on stdout, which is for data.
    with contextlib.redirect_stdout(sys.stderr):
        report = logins.log_in(
            provider, config_file(), database_path(ctx).parent, say=say, client_id=client_id,
            tenant=tenant, authority=authority, client_file=client_file, open_browser=browser,
        )  # fmt: skip
    for line in output.login_lines(report):
        typer.echo(line, err=True)


@mail_app.command("logout")
def mail_logout(ctx: typer.Context) -> None:
    """Forget the sign-in: its refresh token and which account it was."""
    from innoff_cli import logins
    from innoff_cli.terminal import visible

    login = logins.log_out(config_file(), database_path(ctx).parent)
    if login is None:
        typer.echo("Not signed in: nothing to forget.", err=True)
    else:
        typer.echo(f"Signed out {visible(login.user)} ({login.provider}).", err=True)
