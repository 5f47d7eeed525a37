"""Calendar exports: the public calendar, invites, and what changed since last time.

innoff remembers per UID what it last exported (store.calendar_state). A change
of time, title or location gives the same UID with SEQUENCE one higher; a
removed event or item is written once more as cancelled. Invites remember per
person and UID what was sent (store.invites), so a person removed or erased
after their invite gets a METHOD:CANCEL file. The iCalendar text is `ical`'s.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from innoff_cli import files, ical, programme, store
from innoff_cli.errors import InnoffError
from innoff_cli.models import Event

# UIDs end in this domain whoever the organiser of the day is, so they never change.
UID_DOMAIN = "innoff.no"
MANIFEST = "manifest.csv"


@dataclass
class Plan:
    """What an export writes: each current entry's SEQUENCE, and the entries to cancel."""

    entries: list[ical.Entry]
    sequences: dict[str, int]
    changes: dict[str, str]  # uid -> new | updated | unchanged
    cancelled: list[tuple[ical.Entry, int]] = field(default_factory=list)
    previous: dict[str, int] = field(default_factory=dict)  # uid -> SEQUENCE before

    def state_rows(self, now: datetime) -> list[dict]:
        rows = [_state_row(e, self.sequences[e.uid], False, now) for e in self.entries]
        rows += [_state_row(e, sequence, True, now) for e, sequence in self.cancelled]
        return rows

    def lines(self) -> list[str]:
        """'studio@innoff.no: SEQUENCE 0 -> 1 (updated)', one per UID, for --dry-run and reports."""
        out = []
        for entry in self.entries:
            before = self.previous.get(entry.uid)
            now = self.sequences[entry.uid]
            change = self.changes[entry.uid]
            out.append(
                f"{entry.uid}: SEQUENCE {now} (new)" if before is None
                else f"{entry.uid}: SEQUENCE {before} -> {now} ({change})"
            )  # fmt: skip
        for entry, sequence in self.cancelled:
            before = self.previous[entry.uid]
            out.append(
                f"{entry.uid}: SEQUENCE {before} -> {sequence} (cancelled)" if before != sequence
                else f"{entry.uid}: SEQUENCE {sequence} (cancelled before)"
            )  # fmt: skip
        return out


def _state_row(entry: ical.Entry, sequence: int, cancelled: bool, now: datetime) -> dict:
    return {
        "uid": entry.uid,
        "event": entry.event,
        "item": entry.item,
        "fingerprint": entry.fingerprint(),
        "sequence": sequence,
        "summary": entry.summary,
        "start_utc": entry.start.astimezone(UTC).isoformat(),
        "end_utc": entry.end.astimezone(UTC).isoformat(),
        "location": entry.location,
        "cancelled": int(cancelled),
        "exported_at": now.astimezone(UTC).isoformat(timespec="seconds"),
    }


def plan_sequences(
    entries: list[ical.Entry],
    state: dict[str, dict],
    in_scope: callable,
) -> Plan:
    """Pure: SEQUENCE per entry against what was exported before, and what to cancel.

    `in_scope(row)` says whether a remembered UID belongs to this export (the
    same events, and items only when items are exported); only those can be
    cancelled by being absent.
    """
    plan = Plan(entries=entries, sequences={}, changes={})
    current = {entry.uid for entry in entries}
    for entry in entries:
        row = state.get(entry.uid)
        if row is None:
            plan.sequences[entry.uid], plan.changes[entry.uid] = 0, "new"
            continue
        plan.previous[entry.uid] = row["sequence"]
        if row["cancelled"] or row["fingerprint"] != entry.fingerprint():
            plan.sequences[entry.uid], plan.changes[entry.uid] = row["sequence"] + 1, "updated"
        else:
            plan.sequences[entry.uid], plan.changes[entry.uid] = row["sequence"], "unchanged"
    for uid, row in sorted(state.items()):
        if uid in current or not in_scope(row):
            continue
        # Cancelled ones stay in every later export, so a calendar that missed
        # one export still learns of it; only the first time raises SEQUENCE.
        plan.previous[uid] = row["sequence"]
        gone = ical.Entry(
            uid=uid,
            event=row["event"],
            item=row["item"],
            summary=row["summary"],
            start=datetime.fromisoformat(row["start_utc"]),
            end=datetime.fromisoformat(row["end_utc"]),
            location=row["location"],
        )
        plan.cancelled.append((gone, row["sequence"] + (0 if row["cancelled"] else 1)))
    return plan


def _events(conn, event_name: str | None) -> list[Event]:
    events = store.load_events(conn)
    return [programme.match_event(events, event_name)] if event_name else events


def _organizer(events: list[Event], override: str | None) -> ical.Organizer:
    if override:
        return ical.parse_organizer(override)
    for event in events:
        if event.organizer_email:
            return ical.Organizer(event.organizer_name, event.organizer_email)
    raise InnoffError(
        "the programme names no organiser e-mail - add [organizer] email to the programme "
        'file or pass --organizer "Name <address>"'
    )


def _scope(event_name: str | None, events: list[Event], items: bool):
    slugs = {event.slug for event in events}

    def in_scope(row: dict) -> bool:
        return (row["item"] is None or items) and (event_name is None or row["event"] in slugs)

    return in_scope


def _prepare(conn, event: str | None, organizer: str | None, items: bool, breaks: bool = True):
    """The events in scope, the organiser, their calendar entries and SEQUENCE plan."""
    events = _events(conn, event)
    who = _organizer(events, organizer)
    entries = [ical.event_entry(e, UID_DOMAIN) for e in events]
    if items:
        entries += [entry for e in events for entry in ical.item_entries(e, UID_DOMAIN, breaks)]
    plan = plan_sequences(entries, store.calendar_state(conn), _scope(event, events, items))
    return events, who, entries, plan


# --- the public calendar ---------------------------------------------------------------


@dataclass
class PublicReport:
    text: str
    plan: Plan


def public_calendar(
    db_path: Path,
    *,
    event: str | None = None,
    items: bool = False,
    breaks: bool = True,
    organizer: str | None = None,
    alarm: timedelta | None = None,
    dry_run: bool = False,
    now: datetime,
) -> PublicReport:
    """METHOD:PUBLISH with every event (and with `items`, every item); no attendees."""
    conn = store.connect(db_path)
    try:
        events, who, entries, plan = _prepare(conn, event, organizer, items, breaks)
        organizer_line = ical.organizer_line(who)
        bodies = [
            [*ical.vevent_lines(entry, plan.sequences[entry.uid], False, alarm), organizer_line]
            for entry in entries
        ]
        bodies += [
            [*ical.vevent_lines(entry, sequence, True, None), organizer_line]
            for entry, sequence in plan.cancelled
        ]
        text = ical.calendar("PUBLISH", bodies, now)
        if not dry_run:
            with conn:
                store.save_calendar_state(conn, plan.state_rows(now))
    finally:
        conn.close()
    return PublicReport(text, plan)


# --- invites ---------------------------------------------------------------------------


@dataclass
class InviteReport:
    directory: str
    plan: Plan
    requests: int = 0
    cancels: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


def invite_file_name(event_slug: str, email: str) -> str:
    """'studio_kari.nordmann@bergen.kommune.no.ics': safe on every system, and predictable.

    Characters other than letters, digits and . _ @ - become '-'; when that
    changed the address, a short hash keeps two addresses from sharing a file.
    """
    safe = re.sub(r"[^a-z0-9._@-]", "-", email.lower())
    if safe != email:
        safe += "-" + hashlib.sha1(email.encode()).hexdigest()[:8]
    return f"{event_slug}_{safe}.ics"


def write_invites(
    db_path: Path,
    directory: Path,
    *,
    event: str | None = None,
    organizer: str | None = None,
    alarm: timedelta | None = None,
    dry_run: bool = False,
    now: datetime,
) -> InviteReport:
    """One METHOD:REQUEST file per registration, METHOD:CANCEL for what went away, a manifest."""
    conn = store.connect(db_path)
    try:
        events, who, entries, plan = _prepare(conn, event, organizer, items=False)
        uid_of = {entry.event: entry.uid for entry in entries}
        sent_before = store.invites(conn)
        people = store.invitees(conn, [e.slug for e in events])

        report = InviteReport(str(directory), plan, dry_run=dry_run)
        manifest: list[list] = []
        # (file name, UID, SEQUENCE, method, address, name) of every file to write.
        to_write: list[tuple[str, str, int, str, str, str]] = []
        sent: list[tuple[str, str, int]] = []
        for email, address, name, slug in people:
            uid = uid_of[slug]
            sequence = plan.sequences[uid]
            before = sent_before.get((email, uid))
            change = (
                "new" if before is None else "unchanged" if before[0] == sequence else "updated"
            )
            report.changes[change] = report.changes.get(change, 0) + 1
            file_name = invite_file_name(slug, email)
            manifest.append([address, name, slug, file_name, "REQUEST", sequence, change])
            to_write.append((file_name, uid, sequence, "REQUEST", address, name))
            sent.append((email, uid, sequence))

        # Cancellations: a removed event for everyone invited to it; a person
        # erased, or no longer registered, for the events they were invited to.
        wanted = {(email, uid) for email, uid, _ in sent}
        by_uid = {entry.uid: entry for entry in entries}
        by_uid.update({entry.uid: entry for entry, _ in plan.cancelled})
        event_cancel = {entry.uid: sequence for entry, sequence in plan.cancelled}
        cancelled: list[tuple[str, str]] = []
        for (email, uid), (sequence, _erased) in sorted(sent_before.items()):
            if uid not in by_uid or (email, uid) in wanted:
                continue
            cancel_sequence = event_cancel.get(uid, max(sequence, plan.sequences.get(uid, 0)) + 1)
            slug = by_uid[uid].event
            file_name = invite_file_name(slug, email)
            manifest.append([email, "", slug, file_name, "CANCEL", cancel_sequence, "cancelled"])
            to_write.append((file_name, uid, cancel_sequence, "CANCEL", email, ""))
            cancelled.append((email, uid))
        report.requests, report.cancels = len(sent), len(cancelled)

        if dry_run:
            return report
        # Each event is serialised once per (SEQUENCE, method); a file only adds its attendee.
        templates: dict[tuple[str, int, str], ical.InviteTemplate] = {}
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)  # names and addresses
            folder = str(directory)  # plain strings: a Path per file costs more than its write
            for file_name, uid, sequence, method, address, name in to_write:
                template = templates.get((uid, sequence, method))
                if template is None:
                    template = templates[uid, sequence, method] = ical.InviteTemplate(
                        by_uid[uid],
                        sequence,
                        who,
                        method,
                        now,
                        alarm if method == "REQUEST" else None,
                    )
                _write(os.path.join(folder, file_name), template.render(address, name))
            _write_manifest(directory / MANIFEST, manifest)
        except OSError as error:
            raise InnoffError(
                f"cannot write invites to {directory} ({error.strerror}) - choose a folder you can write to"
            ) from None
        with conn:
            store.save_calendar_state(conn, plan.state_rows(now))
            store.record_invites(conn, sent, cancelled)
    finally:
        conn.close()
    return report


def write_calendar(path: Path, text: str) -> None:
    """Write the public calendar whole or not at all (a reader never sees half a file)."""
    with files.written_whole(path) as stream:
        stream.write(text)


def _write(path: str, text: str) -> None:
    # newline="" keeps the CRLF line ends exactly as written.
    with open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)


def _write_manifest(path: Path, rows: list[list]) -> None:
    from innoff_cli.participants import spreadsheet_safe

    with files.written_whole(path, "utf-8-sig") as stream:
        writer = csv.writer(stream)
        writer.writerow(["email", "name", "event", "file", "method", "sequence", "change"])
        # Only the address and the name come from people; the rest is innoff's own
        # (the file name starts with the event's slug).
        for email, name, *ours in rows:
            writer.writerow([spreadsheet_safe(email), spreadsheet_safe(name), *ours])
