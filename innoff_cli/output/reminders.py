"""What `innoff reminders send` says: per event, whether its window is open and
who gets a reminder; then what was sent."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from innoff_cli.terminal import shown


def _local(moment, event) -> str:
    return f"{moment.astimezone(ZoneInfo(event.timezone)):%d.%m.%Y %H:%M}"


def plan_summary(plan, dry_run: bool) -> list[str]:
    lines = []
    label = plan.occasion
    for each in plan.events:
        slug = shown(each.event.slug, 60)
        window = f"between {_local(each.opens, each.event)} and {_local(each.closes, each.event)}"
        if each.state == "cancelled":
            lines.append(f"{slug}: called off - no reminders.")
        elif each.state == "no link":
            lines.append(
                f"Warning: {slug} has no join link, so it gets no reminders - set it with"
                f" `innoff agenda event {slug} --join-url URL`"
            )
        elif each.state == "early":
            lines.append(f"{slug}: the {label} reminder is due {window} - nothing to send yet.")
        elif each.state == "late":
            lines.append(
                f"{slug}: the {label} reminder was due {window}; that time has passed -"
                " nothing sent (a late reminder would come at the wrong time)."
            )
        else:
            verb = "Would send" if dry_run else "To send"
            parts = [f"{verb} {len(each.people)} {label} reminders for {slug} (due {window})"]
            if each.already:
                parts.append(f"{each.already} had theirs already")
            if each.not_coming:
                parts.append(f"{each.not_coming} declined and get none")
            lines.append(", ".join(parts) + ".")
            if each.queued_before:
                lines.append(
                    f"  {each.queued_before} of them were queued by a run that stopped; one that"
                    " went out then goes again as the same message."
                )
    if not plan.events:
        lines.append("Nothing to send: the programme has no events.")
    elif not plan.mailings and any(each.state == "open" for each in plan.events):
        lines.append("Nothing to send: everyone has had this reminder.")
    return lines


def question(count: int, maildir: Path | None, host: str | None) -> str:
    where = f"into {maildir}" if maildir is not None else f"through {host}"
    return f"Send {count} reminders {where}?"


def send_report(report, dry_run: bool) -> list[str]:
    if dry_run:
        lines = [f"Dry run: wrote {report.sent} reminders to {report.via}; nothing was recorded."]
    else:
        lines = [f"Sent {report.sent} reminders ({report.via})."]
    if report.failed:
        lines.append(
            f"{len(report.failed)} refused by the server and marked failed"
            " - see `innoff invites status`."
        )
    return lines
