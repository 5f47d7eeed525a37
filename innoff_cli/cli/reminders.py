"""`innoff reminders ...`: mail with the join link before an event starts."""

from typing import Annotated

import typer

from innoff_cli.cli.base import (
    EventOption,
    OrganizerOption,
    database_path,
    say_waiting,
)
from innoff_cli.cli.invites import (
    FromOption,
    MaildirOption,
    RateOption,
    SmtpAuthOption,
    SmtpHostOption,
    SmtpPortOption,
    SmtpSecurityOption,
    SmtpUserOption,
    ToOption,
    send_planned,
    use_mail_settings,
)
from innoff_cli.errors import OptionError
from innoff_cli.i18n import _

reminders_app = typer.Typer(no_args_is_help=True)


@reminders_app.callback()
def reminders_group(ctx: typer.Context) -> None:
    """Remind people before an event starts, with the join link (run it every few minutes)."""
    use_mail_settings(ctx)


@reminders_app.command("send")
def reminders_send(
    ctx: typer.Context,
    before: Annotated[
        str,
        typer.Option(
            "--before",
            metavar="1d|2h|30m",
            help=_(
                "How long before the start; it goes out only within a window around that"
                " moment (a twelfth of it either side, at least 10 minutes)."
            ),
            show_default=False,
        ),
    ],
    event: EventOption = None,
    to: ToOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Show who would get one; send and record nothing."))
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
    """Send the reminder to everyone registered who has not declined, once each."""  # fmt: skip
    from innoff_cli import invites, reminders
    from innoff_cli.output import reminders as output

    try:
        invites.check_security(smtp_host, smtp_security)
        plan = reminders.plan(database_path(ctx), before, event=event, to=to, organizer=organizer)
    except OptionError as error:
        raise typer.BadParameter(str(error), param_hint=error.option) from None
    for line in output.plan_summary(plan, dry_run):
        typer.echo(line, err=True)
    if not plan.mailings:
        return
    send_planned(
        ctx, len(plan.mailings), plan.organizer, sender=sender, dry_run=dry_run, yes=yes,
        maildir=maildir, smtp=(smtp_host, smtp_port, smtp_security, smtp_user, smtp_auth),
        rate=rate, question=output.question, report_lines=output.send_report,
        deliver=lambda transport, rate, tick: reminders.deliver(
            database_path(ctx), plan, transport, sender=sender, rate=rate, progress=tick,
            record=not dry_run, on_wait=say_waiting,
        ),
    )  # fmt: skip
