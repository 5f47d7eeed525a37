"""What `innoff followup send` says: the mail, who gets it, then what was sent."""

from __future__ import annotations

from pathlib import Path

from innoff_cli.terminal import shown

GROUP_WORDS = {
    "attended": "who attended",
    "no-show": "who registered and did not come",
    "registered": "who registered",
}


def plan_summary(plan, dry_run: bool) -> list[str]:
    verb = "Would send" if dry_run else "To send"
    lines = [
        f"{verb} '{shown(plan.subject, 80)}' to {len(plan.people)} {GROUP_WORDS[plan.group]}"
        f" ({plan.event.slug})."
    ]
    if plan.already:
        lines.append(f"  {plan.already} had this mail already.")
    if plan.declined:
        lines.append(f"  {plan.declined} declined the invite and get none.")
    if not plan.people:
        lines.append("Nothing to send.")
    return lines


def question(plan, maildir: Path | None, host: str | None) -> str:
    where = f"into {maildir}" if maildir is not None else f"through {host}"
    return f"Send {len(plan.people)} mails {where}?"


def send_report(report, dry_run: bool) -> list[str]:
    if dry_run:
        lines = [f"Dry run: wrote {report.sent} mails to {report.via}; nothing was recorded."]
    else:
        lines = [f"Sent {report.sent} mails ({report.via})."]
    if report.failed:
        lines.append(
            f"{len(report.failed)} refused by the server and marked failed"
            " - see `innoff invites status`."
        )
    return lines
