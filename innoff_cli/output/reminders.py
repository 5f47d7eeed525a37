"""What `innoff reminders send` says: per event, whether its window is open and
who gets a reminder; then what was sent. In the user's language (i18n)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from innoff_cli.i18n import _
from innoff_cli.terminal import shown


def _local(moment, event) -> str:
    return f"{moment.astimezone(ZoneInfo(event.timezone)):%d.%m.%Y %H:%M}"


def plan_summary(plan, dry_run: bool) -> list[str]:
    lines = []
    label = plan.occasion
    for each in plan.events:
        slug = shown(each.event.slug, 60)
        words = {"slug": slug, "label": label, "opens": _local(each.opens, each.event),
                 "closes": _local(each.closes, each.event)}  # fmt: skip
        if each.state == "cancelled":
            lines.append(_("{slug}: called off - no reminders.").format(**words))
        elif each.state == "no link":
            lines.append(
                _(
                    "Warning: {slug} has no join link, so it gets no reminders - set it with"
                    " `innoff agenda event {slug} --join-url URL`"
                ).format(**words)
            )
        elif each.state == "early":
            lines.append(
                _(
                    "{slug}: the {label} reminder is due between {opens} and {closes}"
                    " - nothing to send yet."
                ).format(**words)
            )
        elif each.state == "late":
            lines.append(
                _(
                    "{slug}: the {label} reminder was due between {opens} and {closes}; that"
                    " time has passed - nothing sent (a late reminder would come at the"
                    " wrong time)."
                ).format(**words)
            )
        else:
            verb = (
                _("Would send {n} {label} reminders for {slug} (due between {opens} and {closes})")
                if dry_run
                else _(
                    "To send {n} {label} reminders for {slug} (due between {opens} and {closes})"
                )
            )
            parts = [verb.format(n=len(each.people), **words)]
            if each.already:
                parts.append(_("{n} had theirs already").format(n=each.already))
            if each.not_coming:
                parts.append(_("{n} declined and get none").format(n=each.not_coming))
            lines.append(", ".join(parts) + ".")
            if each.queued_before:
                lines.append(
                    "  "
                    + _(
                        "{n} of them were queued by a run that stopped; one that went out"
                        " then goes again as the same message."
                    ).format(n=each.queued_before)
                )
    if not plan.events:
        lines.append(_("Nothing to send: the programme has no events."))
    elif not plan.mailings and any(each.state == "open" for each in plan.events):
        if any(each.already for each in plan.events):
            lines.append(_("Nothing to send: everyone has had this reminder."))
        else:
            lines.append(_("Nothing to send: no one registered for it is to be reminded."))
    return lines


def question(count: int, maildir: Path | None, host: str | None) -> str:
    if maildir is not None:
        return _("Send {n} reminders into {folder}?").format(n=count, folder=maildir)
    return _("Send {n} reminders through {host}?").format(n=count, host=host)


def send_report(report, dry_run: bool) -> list[str]:
    from innoff_cli.output.invites import sent_lines

    return sent_lines(
        report, dry_run, _("Dry run: wrote {n} reminders to {via}; nothing was recorded."),
        _("Sent {n} reminders ({via})."),
    )  # fmt: skip
