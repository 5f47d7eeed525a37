"""`innoff invites ...`: send calendar invites by e-mail, and see what each person has."""

import os
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from innoff_cli.cli.base import (
    AlarmOption,
    EventOption,
    OrganizerOption,
    config_file,
    database_path,
    say_waiting,
)
from innoff_cli.errors import InnoffError, OptionError
from innoff_cli.i18n import _

invites_app = typer.Typer(no_args_is_help=True)


# A callback makes this a group, and its docstring is the group's help.
@invites_app.callback()
def invites_group(ctx: typer.Context) -> None:
    """Send calendar invites, updates and cancellations by e-mail."""
    use_mail_settings(ctx)


def use_mail_settings(ctx: typer.Context) -> None:
    """The settings file stands in for the `send` command's options not given and
    variables not set (Click's default_map comes after both). Read in a group's
    callback: only the mail commands need it."""
    from innoff_cli import settings

    values = settings.load(config_file())
    ctx.ensure_object(dict)["settings"] = values
    ctx.default_map = {"send": settings.send_defaults(values)}


def send_planned(ctx: typer.Context, count: int, organizer, *, sender: str | None,
                 dry_run: bool, yes: bool, maildir, smtp: tuple, rate: int, question, deliver,
                 report_lines) -> None:  # fmt: skip
    """What every send command does once it knows what to send (`count` messages):
    refuse a bad --from, stop a dry run without a Maildir, open the transport
    (`smtp`: host, port, security, user, auth; the password asked for when needed,
    or a token), ask unless --yes, then `deliver(transport, rate, progress)` and
    say `report_lines(report, dry_run)`. `question(count, maildir, host)` asks."""
    from innoff_cli import invites
    from innoff_cli.output.invites import send_progress

    envelope = invites.sender_from(organizer, sender)[1]  # a bad --from is refused first
    if dry_run and maildir is None:
        typer.echo(_("Dry run: nothing was sent or recorded."), err=True)
        return
    host, port, security, user, auth = smtp
    transport, rate = invites.transport_for(
        maildir, host, port, security, user, lambda: _password("SMTP", "SMTP password"), rate,
        auth=auth, token=_token(ctx, "smtp"), identity=envelope,
    )  # fmt: skip
    if not yes and not dry_run:
        if not sys.stdin.isatty():
            raise InnoffError(_("sending needs confirmation - pass --yes to send without asking"))
        typer.confirm(question(count, maildir, host), abort=True, err=True)
    with send_progress(count) as tick:
        report = deliver(transport, rate, tick)
    for line in report_lines(report, dry_run):
        typer.echo(line, err=True)


Security = Literal["starttls", "ssl", "none"]

# How messages leave: the options of every command that sends mail.
RateOption = Annotated[
    int,
    typer.Option(
        "--rate", min=0, metavar="N", help=_("Messages per minute to the server; 0 for no limit.")
    ),
]
MaildirOption = Annotated[
    Optional[Path],
    typer.Option(
        "--maildir",
        metavar="DIR",
        help=_(
            "Write the messages into this Maildir instead of sending them (recorded as"
            " delivered there; with --dry-run, recorded nowhere)."
        ),
    ),
]
SmtpHostOption = Annotated[
    Optional[str],
    typer.Option("--smtp-host", envvar="INNOFF_SMTP_HOST", metavar="HOST", help=_("SMTP server.")),
]
SmtpPortOption = Annotated[
    Optional[int],
    typer.Option(
        "--smtp-port",
        envvar="INNOFF_SMTP_PORT",
        metavar="PORT",
        min=1,
        max=65535,
        help=_("SMTP port \\[default: 587 for starttls, 465 for ssl, 25 for none]."),
    ),
]
SmtpSecurityOption = Annotated[
    Security,
    typer.Option(
        "--smtp-security",
        envvar="INNOFF_SMTP_SECURITY",
        help=_("starttls, ssl, or none (only to a server on this machine)."),
    ),
]
SmtpAuth = Literal["password", "xoauth2", "oauthbearer"]
SmtpAuthOption = Annotated[
    Optional[SmtpAuth],
    typer.Option(
        "--smtp-auth",
        envvar="INNOFF_SMTP_AUTH",
        help=_(
            "Sign-in: password, or a token (xoauth2, oauthbearer) from `innoff mail login`"
            " or the command in INNOFF_SMTP_TOKEN_CMD \\[default: password with --smtp-user, else none]."
        ),
    ),
]
SmtpUserOption = Annotated[
    Optional[str],
    typer.Option(
        "--smtp-user",
        envvar="INNOFF_SMTP_USER",
        metavar="USER",
        help=_("Login; the password comes from INNOFF_SMTP_PASSWORD or a prompt."),
    ),
]


# Who gets what.
ToOption = Annotated[
    Optional[list[str]],
    typer.Option("--to", metavar="EMAIL", help=_("Only to this participant (repeatable).")),
]
FromOption = Annotated[
    Optional[str],
    typer.Option(
        "--from", metavar="'NAME <ADDRESS>'", help=_("From header \\[default: the organiser].")
    ),
]
AgainOption = Annotated[
    bool,
    typer.Option(
        "--again",
        help=_('With --to: send them their current invites once more ("I never got it").'),
    ),
]


@invites_app.command("send")
def invites_send(
    ctx: typer.Context,
    event: EventOption = None,
    to: ToOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Show what would go out; send and record nothing."))
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help=_("Send without asking."))] = False,
    rate: RateOption = 30,
    maildir: MaildirOption = None,
    smtp_host: SmtpHostOption = None,
    smtp_port: SmtpPortOption = None,
    smtp_security: SmtpSecurityOption = "starttls",
    smtp_user: SmtpUserOption = None,
    smtp_auth: SmtpAuthOption = None,
    sender: FromOption = None,
    organizer: OrganizerOption = None,
    alarm: AlarmOption = None,
    require_link: Annotated[
        bool,
        typer.Option("--require-link", help=_("Refuse to send while an event has no join link.")),
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help=_("Try again the messages a server refused."))
    ] = False,
    again: AgainOption = False,
) -> None:
    """Send invites, updates and cancellations (iMIP) to everyone who needs one."""
    from innoff_cli import invites, programme
    from innoff_cli.output import invites as output

    try:
        invites.check_security(smtp_host, smtp_security)
    except OptionError as error:
        raise typer.BadParameter(str(error), param_hint=error.option) from None
    reminder = programme.parse_alarm(alarm)
    db_path = database_path(ctx)
    try:
        outgoing = invites.plan_send(
            db_path, event=event, to=to, organizer=organizer, retry_failed=retry_failed,
            again=again,
        )  # fmt: skip
    except OptionError as error:
        raise typer.BadParameter(str(error), param_hint=error.option) from None
    for slug in invites.check_links(outgoing, require_link):
        typer.echo(output.no_link_warning(slug), err=True)
    for line in output.send_summary(outgoing, dry_run):
        typer.echo(line, err=True)
    if not outgoing.messages:
        return
    send_planned(
        ctx, len(outgoing.messages), outgoing.plan.organizer, sender=sender, dry_run=dry_run,
        yes=yes, maildir=maildir, smtp=(smtp_host, smtp_port, smtp_security, smtp_user, smtp_auth),
        rate=rate, question=output.send_question, report_lines=output.send_report,
        deliver=lambda transport, rate, tick: invites.deliver(
            db_path, outgoing, transport, sender=sender, rate=rate, alarm=reminder,
            progress=tick, record=not dry_run, on_wait=say_waiting,
        ),
    )  # fmt: skip


@invites_app.command("status")
def invites_status(
    ctx: typer.Context,
    event: EventOption = None,
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help=_("Output format."))
    ] = "table",
) -> None:
    """Show what each person was last sent, and what they still need."""
    from innoff_cli import invites
    from innoff_cli.output import invites as output

    output.render_invite_status(invites.status(database_path(ctx), event=event), format)


@invites_app.command("replies")
def invites_replies(
    ctx: typer.Context,
    sources: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE...",
            help=_(
                "A .eml file, a folder of them, an mbox file, a Maildir, or"
                " imap[s]://USER@HOST[:PORT]/FOLDER (password from INNOFF_IMAP_PASSWORD or a prompt)."
            ),
            show_default=False,
        ),
    ],
    since: Annotated[
        Optional[str],
        typer.Option("--since", metavar="YYYY-MM-DD", help=_("Only mail from this day on.")),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Show what the answers say; record nothing."))
    ] = False,
    format: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help=_("Output format."))
    ] = "table",
) -> None:
    """Read the answers (Accept, Tentative, Decline) that calendars send back."""
    from datetime import date

    from innoff_cli import replies
    from innoff_cli.output import invites as output

    day = None
    if since:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            raise typer.BadParameter(
                _("give a day as YYYY-MM-DD, e.g. 2020-11-01"), param_hint="--since"
            ) from None
    from innoff_cli import settings

    auth = settings.first(os.environ, _settings(ctx), "imap.auth")
    if auth and auth not in ("password", "xoauth2", "oauthbearer"):
        raise InnoffError(
            _("INNOFF_IMAP_AUTH is {auth!r} - set it to password, xoauth2 or oauthbearer").format(
                auth=auth
            )
        )
    token = _token(ctx, "imap") if auth in ("xoauth2", "oauthbearer") else None
    report = replies.read_replies(
        database_path(ctx), sources, since=day, dry_run=dry_run, password=_imap_password,
        imap_auth=auth, imap_token=token, on_wait=say_waiting,
    )  # fmt: skip
    try:
        output.render_replies(report, format)
    finally:
        report.close()


def _settings(ctx: typer.Context) -> dict:
    return ctx.find_root().obj["settings"]


def _token(ctx: typer.Context, server: str):
    """Where `server`'s (smtp, imap) tokens come from: the token command of its
    variable or of the settings file, else the stored login, else nowhere (None)."""
    from innoff_cli import logins, settings, sign_in

    key = f"{server}.token-command"
    variable = settings.SETTINGS[key].variable
    values = _settings(ctx)
    if os.environ.get(variable):
        return sign_in.token_command(os.environ[variable], variable)
    if key in values:
        return sign_in.token_command(str(values[key]), f"{key} (innoff config)")
    login = logins.stored(values)
    return logins.token_source(login, database_path(ctx).parent) if login else None


def _imap_password(user: str) -> str:
    return _password("IMAP", f"IMAP password for {user}")


def _password(server: str, prompt: str) -> str:
    """From INNOFF_<SERVER>_PASSWORD, else a hidden prompt on a terminal: never an
    option, so it stays out of the shell's history and the process list."""
    variable = f"INNOFF_{server}_PASSWORD"
    password = os.environ.get(variable)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise InnoffError(
            _("the {server} login needs a password - set {variable}").format(
                server=server, variable=variable
            )
        )
    return typer.prompt(prompt, hide_input=True, err=True)
