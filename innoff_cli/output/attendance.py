"""What `innoff attendance import` says: per report, what it read and matched,
then the event's registered, attended, no-shows and walk-ins. In the user's
language (i18n); --format json keeps its keys."""

from __future__ import annotations

import sys

from innoff_cli.i18n import _
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
    delimiter = "tab" if report.delimiter == "\t" else report.delimiter
    read = ", ".join(f"{shown(c, 40)} = {u}" for c, u in report.plan if c and u != "not read")
    lines = [
        _("{file}: {platform} attendance report ({encoding}, {delimiter}) for {event}:"
          " {n} people in it.").format(
            file=shown(report.file, 120), platform=report.platform, encoding=report.encoding,
            delimiter=delimiter, event=report.event, n=report.people,
        ),
        "  " + _("Columns: {columns}").format(columns=read),
        "  " + (_("Would record: {attended} registered who attended, {walk_ins} walk-ins"
                  " (attended, never registered)") if report.dry_run else
                _("Recorded: {attended} registered who attended, {walk_ins} walk-ins"
                  " (attended, never registered)")).format(
            attended=len(report.attended), walk_ins=len(report.walk_ins),
        ) + ("" if report.changed or report.dry_run else "; " + _("nothing changed (read before).")),
    ]  # fmt: skip
    notes = (
        (report.short, _("{n} registered were there for less than --min-minutes: not counted.")),
        (report.running, _("{n} organisers, presenters or hosts: not attendees.")),
        (report.sidelined, _("{n} rows of hosts and panelists: not attendees.")),
        (report.waiting, _("{n} rows of time in the waiting room: not attendance.")),
        (report.unknown_time,
         _("{n} present for a time the report does not give: counted as attended.")),
        (report.unreadable, _("{n} times or durations could not be read: unknown, not zero.")),
    )  # fmt: skip
    for count, text in notes:
        count = len(count) if isinstance(count, list) else count
        if count:
            lines.append("  " + text.format(n=count))
    if report.same_meeting:
        earlier = ", ".join(shown(source, 60) for source in report.same_meeting)
        lines.append(
            "  "
            + (
                _(
                    "The same meeting as {earlier}, imported before and fuller: kept, this one not recorded."
                )
                if report.kept_earlier
                else _(
                    "The same meeting as {earlier}, imported before: this one stands for it (a meeting counts once)."
                )
            ).format(earlier=earlier)
        )
    if report.unmatched:
        lines.append(
            "  " + _("{n} not matched to anyone (never guessed):").format(n=len(report.unmatched))
        )
        lines += [f"    {shown(item, 120)}" for item in report.unmatched[:LISTED]]
        if len(report.unmatched) > LISTED:
            lines.append(
                "    "
                + _("... and {n} more (--format json lists them all)").format(
                    n=len(report.unmatched) - LISTED
                )
            )
    lines.append(
        "  "
        + _(
            "{event}: {registered} registered, {attended} attended, {no_shows} no-shows,"
            " {walk_ins} walk-ins (every report so far)."
        ).format(
            event=report.event, registered=report.registered, attended=report.attended_total,
            no_shows=report.no_shows, walk_ins=report.walk_ins_total,
        )
    )  # fmt: skip
    return lines
