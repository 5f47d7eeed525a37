"""Invites: what `invites send` will send and did, the files an export wrote, each person's status, and the replies read."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from innoff_cli.i18n import _, ngettext
from innoff_cli.output import (
    Column,
    console,
    rich_table,
    write_json,
    write_json_streamed,
)
from innoff_cli.terminal import visible


def _counted(n: int, what: str) -> str:
    """'2 new invites' in the user's language."""
    if what == "new":
        return ngettext("{n} new invite", "{n} new invites", n).format(n=n)
    if what == "update":
        return ngettext("{n} update", "{n} updates", n).format(n=n)
    if what == "cancel":
        return ngettext("{n} cancellation", "{n} cancellations", n).format(n=n)
    if what == "event-cancelled":
        return ngettext(
            "{n} cancellation of the event", "{n} cancellations of the event", n
        ).format(n=n)
    return ngettext("{n} invite sent again", "{n} invites sent again", n).format(n=n)


def _per_event(counts: dict[str, dict[str, int]]) -> list[str]:
    """'  studio: 2 new invites, 1 cancellation', one line per event."""
    return [
        f"  {event}: " + ", ".join(_counted(n, what) for what, n in kinds.items() if n)
        for event, kinds in counts.items()
    ]


def send_summary(outgoing, dry_run: bool) -> list[str]:
    """What `invites send` is about to send, per event, before it asks."""
    messages = outgoing.messages
    if not messages:
        lines = [_("Nothing to send: everyone has the current invites.")]
    else:
        verb = _("Would send: {n} messages") if dry_run else _("To send: {n} messages")
        lines = [verb.format(n=len(messages))]
        lines += _per_event(outgoing.counts())
    if outgoing.queued_before:
        lines.append(
            "  "
            + _(
                "{n} of them were queued by a run that stopped; one that went out then goes"
                " again as the same message (same UID and SEQUENCE)."
            ).format(n=outgoing.queued_before)
        )
    if outgoing.plan.held:
        lines.append(
            "  "
            + _(
                "{n} held back: a server refused them before (`innoff invites status` says"
                " why; --retry-failed tries again)."
            ).format(n=outgoing.plan.held)
        )
    return lines


def no_link_warning(slug: str) -> str:
    return _(
        "Warning: {slug} has no join link, so its invites carry none - set it with"
        " `innoff agenda event {slug} --join-url URL` (--require-link refuses to send)"
    ).format(slug=slug)


def send_question(count: int, maildir: Path | None, host: str | None) -> str:
    if maildir is not None:
        return _("Send {n} messages into {folder}?").format(n=count, folder=maildir)
    return _("Send {n} messages through {host}?").format(n=count, host=host)


def invite_files_report(report, folder: Path) -> list[str]:
    """`export ics --invites`: what this export writes, and what the folder then holds."""
    written = ", ".join(
        f"{n} {what}" for what, n in sorted(report.changes.items()) if what != "unchanged"
    )
    held = report.changes.get("unchanged", 0)
    verb = "Would write" if report.dry_run else "Wrote"
    lines = [
        f"{verb} {report.files} files to {folder} ({written or 'nothing changed'});"
        f" it holds {report.requests} invites and {report.cancel_files} cancellations"
        f" ({held} unchanged)"
        + ("." if report.dry_run else f", listed in {folder / 'manifest.csv'}.")
    ]
    lines += _per_event(report.per_event)
    lines += [
        f"Removed {folder.parent / name}, left half-written by an export that was killed."
        for name in report.removed_scratch
    ]
    return lines


def send_report(report, dry_run: bool) -> list[str]:
    return sent_lines(
        report, dry_run, _("Dry run: wrote {n} messages to {via}; nothing was recorded."),
        _("Sent {n} messages ({via})."),
    )  # fmt: skip


def sent_lines(report, dry_run: bool, dry: str, sent: str) -> list[str]:
    """What a send did (invites, reminders, follow-ups), in the caller's words for
    what was sent, already in the user's language: '{n}' and '{via}' are filled in."""
    lines = [(dry if dry_run else sent).format(n=report.sent, via=report.via)]
    if report.failed:
        lines.append(
            _("{n} refused by the server and marked failed - see `innoff invites status`.").format(
                n=len(report.failed)
            )
        )
    return lines


@contextmanager
def send_progress(total: int):
    """A progress bar on stderr when stderr is a terminal; else nothing."""
    if not sys.stderr.isatty() or total < 2:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Sending", total=total)
        yield lambda: bar.advance(task)


INVITE_STATUS_COLUMNS = [
    Column("event", "Event", lambda r: r["event"]),
    Column("email", "E-mail", lambda r: r["email"]),
    Column("name", "Name", lambda r: r["name"]),
    Column(
        "last", "Last sent", lambda r: f"{r['method']} {r['sequence']}" if r["method"] else ""
    ),  # fmt: skip
    Column(
        "state", "State", lambda r: (r["state"] or "") + (f": {r['reason']}" if r["reason"] else "")
    ),
    Column("time", "Time (Oslo)", lambda r: _oslo(r["time"])),
    Column("pending", "Pending", lambda r: r["pending"]),
    Column(
        "answer",
        "Answer",
        lambda r: (
            (r["answer"] or "")
            + (f" (SEQUENCE {r['answer_sequence']})" if r["answer"] else "")
            + (f"; proposes {r['counter']}" if r["counter"] else "")
        ),
    ),
    Column(
        "mailings",
        "Reminders",
        lambda r: ", ".join(
            f"{m['occasion'].partition('@')[0]} {m['state']}"
            for m in r["mailings"]
            if m["kind"] == "reminder"
        ),
    ),  # fmt: skip
]


def _oslo(utc_text: str | None) -> str:
    """'17.11.2020 10:05' in Oslo time for a table; JSON keeps the UTC time."""
    if not utc_text:
        return ""
    return (
        datetime.fromisoformat(utc_text)
        .astimezone(ZoneInfo("Europe/Oslo"))
        .strftime("%d.%m.%Y %H:%M")  # one form for people: 17.11.2020 10:00
    )


def render_invite_status(rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        write_json(rows)
        return
    out = console()
    out.print(rich_table(rows, INVITE_STATUS_COLUMNS))
    pending = sum(bool(r["pending"]) for r in rows)
    out.print(
        ngettext("{n} invite, {pending} pending", "{n} invites, {pending} pending", len(rows))
        .format(n=len(rows), pending=pending),
        style="dim",
    )  # fmt: skip


# --- replies ----------------------------------------------------------------------------


def render_replies(report, fmt: str) -> None:
    """What `invites replies` read: counts, then each kind of exception, by Message-ID."""
    if fmt == "json":
        write_json_streamed(report.as_dict())
        return
    import typer

    from innoff_cli.replies import SHOWN_MOST

    def line(text: str) -> None:
        typer.echo(visible(text))

    def listed(title: str, rows, say) -> None:
        if not rows:
            return
        line(f"{title}: {len(rows)}")
        for row in rows.head(SHOWN_MOST):
            line(f"  {say(row)}")
        if len(rows) > SHOWN_MOST:
            line(f"  ... and {len(rows) - SHOWN_MOST} more (--format json lists them all)")

    answers = ", ".join(f"{n} {kind}" for kind, n in report.answers.items()) or "none"
    line(f"Read {report.messages} messages from {', '.join(report.sources)}.")
    line(f"Answers recorded: {len(report.recorded)} ({answers})")
    if report.already_read:
        line(f"Already read before: {report.already_read} (nothing changed)")
    if report.superseded:
        line(f"Older than the answer already recorded: {report.superseded}")
    if report.other_mail:
        line(f"Mail with no answer in it (other mail, invites): {report.other_mail}")
    if report.server_ids:
        line(f"Sent invites whose Message-ID Exchange replaced, now known: {report.server_ids}")
    if report.before_since:
        line(f"Before --since: {report.before_since}")
    listed(
        "Answers to an earlier version (stale: a newer invite was sent since)",
        report.stale,
        lambda r: (
            f"{r['email']} {r['event']}: {r['answer']} to SEQUENCE {r['sequence']},"
            f" last sent {r['last_sent']} <{r['message_id']}>"
        ),
    )
    listed(
        "Matched by the From address (the ATTENDEE names no one invited)",
        report.matched_by_from,
        lambda r: (
            f"{r['from']} {r['event']} (ATTENDEE {r['attendee'] or 'missing'}) <{r['message_id']}>"
        ),
    )
    listed(
        "Not applied (not the person's own answer)",
        report.not_applied,
        lambda r: f"{r['attendee']} {r['event']}: {r['reason']} <{r['message_id']}>",
    )
    listed(
        "Proposals of another time (COUNTER; recorded, not applied)",
        report.counters,
        lambda r: (
            f"{r['email']} {r['event']}: {r['start']} - {r['end']}"
            + (f" {r['tzid']}" if r["tzid"] else "")
            + (f' "{r["comment"]}"' if r["comment"] else "")
        ),
    )
    listed(
        "Ignored",
        report.ignored,
        lambda r: (
            f"{r['from'] or '(sender not shown)'}: {r['reason']} (UID {r['uid']})"
            f" <{r['message_id']}>"
        ),
    )
    listed("Not read", report.errors, lambda r: f"{r['where']}: {r['reason']}")
    if report.dry_run:
        line("Dry run: nothing was recorded.")
