"""What `innoff attendance import` says: per report, what it read and matched,
then the event's registered, attended, no-shows and walk-ins."""

from __future__ import annotations

import sys

from innoff_cli.output import write_json
from innoff_cli.terminal import shown

LISTED = 20  # unmatched people named in the summary; JSON has them all


def render_import(reports, fmt: str) -> None:
    if fmt == "json":
        write_json([report.as_dict() for report in reports])
        return
    for report in reports:
        for line in summary(report):
            print(line, file=sys.stderr)


def summary(report) -> list[str]:
    verb = "Would record" if report.dry_run else "Recorded"
    lines = [
        f"{shown(report.file, 120)}: {report.platform} attendance report ({report.encoding},"
        f" {'tab' if report.delimiter == chr(9) else report.delimiter}) for {report.event}:"
        f" {report.people} people in it.",
        "  Columns: "
        + ", ".join(f"{shown(c, 40)} = {u}" for c, u in report.plan if c and u != "not read"),
        f"  {verb}: {len(report.attended)} registered who attended, {len(report.walk_ins)} walk-ins"
        f" (attended, never registered)"
        + ("" if report.changed or report.dry_run else "; nothing changed (read before)."),
    ]
    if report.short:
        lines.append(
            f"  {len(report.short)} registered were there for less than --min-minutes: not counted."
        )
    if report.running:
        lines.append(f"  {report.running} organisers, presenters or hosts: not attendees.")
    if report.sidelined:
        lines.append(f"  {report.sidelined} rows of hosts and panelists: not attendees.")
    if report.unknown_time:
        lines.append(
            f"  {report.unknown_time} present for a time the report does not give: counted as attended."
        )
    if report.unreadable:
        lines.append(
            f"  {report.unreadable} times or durations could not be read: unknown, not zero."
        )
    if report.unmatched:
        lines.append(f"  {len(report.unmatched)} not matched to anyone (never guessed):")
        lines += [f"    {shown(item, 120)}" for item in report.unmatched[:LISTED]]
        if len(report.unmatched) > LISTED:
            lines.append(
                f"    ... and {len(report.unmatched) - LISTED} more (--format json lists them all)"
            )
    lines.append(
        f"  {report.event}: {report.registered} registered, {report.attended_total} attended,"
        f" {report.no_shows} no-shows, {report.walk_ins_total} walk-ins (every report so far)."
    )
    return lines
