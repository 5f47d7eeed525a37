"""What `innoff followup send` says: the mail, who gets it, then what was sent.
In the user's language (i18n)."""

from __future__ import annotations

from pathlib import Path

from innoff_cli.i18n import N_, _
from innoff_cli.terminal import shown

GROUP_WORDS = {
    "attended": N_("who attended"),
    "no-show": N_("who registered and did not come"),
    "registered": N_("who registered"),
}


def plan_summary(plan, dry_run: bool) -> list[str]:
    verb = (
        _("Would send '{subject}' to {n} {group} ({slug}).")
        if dry_run
        else _("To send '{subject}' to {n} {group} ({slug}).")
    )
    lines = [
        verb.format(
            subject=shown(plan.subject, 80),
            n=len(plan.people),
            group=_(GROUP_WORDS[plan.group]),
            slug=plan.event.slug,
        )  # fmt: skip
    ]
    if plan.already:
        lines.append("  " + _("{n} had this mail already.").format(n=plan.already))
    if plan.declined:
        lines.append("  " + _("{n} declined the invite and get none.").format(n=plan.declined))
    if not plan.people:
        lines.append(_("Nothing to send."))
    return lines


def question(count: int, maildir: Path | None, host: str | None) -> str:
    if maildir is not None:
        return _("Send {n} mails into {folder}?").format(n=count, folder=maildir)
    return _("Send {n} mails through {host}?").format(n=count, host=host)


def send_report(report, dry_run: bool) -> list[str]:
    from innoff_cli.output.invites import sent_lines

    return sent_lines(
        report, dry_run, _("Dry run: wrote {n} mails to {via}; nothing was recorded."),
        _("Sent {n} mails ({via})."),
    )  # fmt: skip
