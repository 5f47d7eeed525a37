"""`innoff followup ...`: after an event, a mail to those who came, or did not."""

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from innoff_cli.cli.base import OrganizerOption, database_path, say_waiting
from innoff_cli.cli.invites import (
    FromOption,
    MaildirOption,
    RateOption,
    SmtpAuthOption,
    SmtpHostOption,
    SmtpPortOption,
    SmtpSecurityOption,
    SmtpUserOption,
    send_planned,
    use_mail_settings,
)
from innoff_cli.errors import OptionError
from innoff_cli.i18n import _

followup_app = typer.Typer(no_args_is_help=True)


@followup_app.callback()
def followup_group(ctx: typer.Context) -> None:
    """After an event: thanks to those who attended, the recording to those who did not."""
    use_mail_settings(ctx)


@followup_app.command("send")
def followup_send(
    ctx: typer.Context,
    event: Annotated[
        str, typer.Option("--event", "-e", metavar="SLUG", help=_("The event."), show_default=False)
    ],
    group: Annotated[
        Literal["attended", "no-show", "registered"],
        typer.Option(
            "--to",
            help=_(
                "Who: attended (walk-ins too), no-show (registered, not there, not"
                " declined), registered (all but who declined)."
            ),
            show_default=False,
        ),
    ],
    subject: Annotated[
        Optional[str],
        typer.Option(
            "--subject", metavar="TEXT", help=_("The subject \\[default: a built-in one].")
        ),
    ] = None,
    body: Annotated[
        Optional[Path],
        typer.Option(
            "--body",
            metavar="FILE",
            help=_(
                "The text (UTF-8; {navn}, {arrangement}, {opptak} are filled in)"
                " \\[default: a built-in Norwegian text]."
            ),
        ),
    ] = None,
    only: Annotated[
        Optional[list[str]],
        typer.Option(
            "--only", metavar="EMAIL", help=_("Only to this person of the group (repeatable).")
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Show who would get it; send and record nothing."))
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
) -> None:
    """Send one follow-up mail to a group of the event's people, once each."""
    from innoff_cli import followups, invites
    from innoff_cli.output import followups as output

    try:
        invites.check_security(smtp_host, smtp_security)
    except OptionError as error:
        raise typer.BadParameter(str(error), param_hint=error.option) from None
    plan = followups.plan(
        database_path(ctx), event, group, subject=subject, body_file=body, to=only,
        organizer=organizer,
    )  # fmt: skip
    for line in output.plan_summary(plan, dry_run):
        typer.echo(line, err=True)
    if not plan.people:
        return
    send_planned(
        ctx, len(plan.people), plan.organizer, sender=sender, dry_run=dry_run, yes=yes,
        maildir=maildir, smtp=(smtp_host, smtp_port, smtp_security, smtp_user, smtp_auth),
        rate=rate, question=output.question, report_lines=output.send_report,
        deliver=lambda transport, rate, tick: followups.deliver(
            database_path(ctx), plan, transport, sender=sender, rate=rate, progress=tick,
            record=not dry_run, on_wait=say_waiting,
        ),
    )  # fmt: skip
