"""`innoff export ics`: the public calendar, and invite files.

The public calendar (METHOD:PUBLISH): innoff remembers per UID what it last
published (`store.calendar_feed`). A change of time, title or location gives
the same UID with SEQUENCE one higher (`Entry.feed_sequence_digest`); a
removed event or item is written once more as cancelled. Invite files: what a
folder's own manifest lists is what its readers were given, so the next export
into that folder writes what each of them needs next (`invite_plans`, the same
planner `invites send` follows against the outbox). The iCalendar text is
`ical`'s.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from innoff_cli import files, ical, invite_plans, itip, store
from innoff_cli.errors import InnoffError, Interrupted
from innoff_cli.i18n import _
from innoff_cli.invite_plans import UID_DOMAIN
from innoff_cli.models import Event

MANIFEST = "manifest.csv"


@dataclass
class FeedPlan:
    """What a public calendar export writes: each current entry's SEQUENCE, and the
    entries to cancel."""

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
            before = self.previous.get(entry.uid)
            out.append(
                f"{entry.uid}: SEQUENCE {sequence} (cancelled)" if before is None
                else f"{entry.uid}: SEQUENCE {before} -> {sequence} (cancelled)" if before != sequence
                else f"{entry.uid}: SEQUENCE {sequence} (cancelled before)"
            )  # fmt: skip
        return out


def _state_row(entry: ical.Entry, sequence: int, cancelled: bool, now: datetime) -> dict:
    return {
        "uid": entry.uid,
        "event": entry.event,
        "item": entry.item,
        "fingerprint": entry.feed_sequence_digest(),
        "sequence": sequence,
        "summary": entry.summary,
        "start_utc": entry.start.astimezone(UTC).isoformat(),
        "end_utc": entry.end.astimezone(UTC).isoformat(),
        "location": entry.location,
        "cancelled": int(cancelled),
        "exported_at": now.astimezone(UTC).isoformat(timespec="seconds"),
    }


def plan_feed(
    entries: list[ical.Entry],
    state: dict[str, dict],
    in_scope: Callable[[dict], bool],
    called_off: list[ical.Entry] = (),
) -> FeedPlan:
    """Pure: SEQUENCE per entry against what was published before, and what to cancel.

    `in_scope(row)` says whether a remembered UID belongs to this export (the
    same events, and items only when items are exported); only those can be
    cancelled by being absent. `called_off`: the entries of cancelled events,
    published as cancelled even when they never were before.
    """
    plan = FeedPlan(entries=entries, sequences={}, changes={})
    current = {entry.uid for entry in entries}
    for entry in entries:
        row = state.get(entry.uid)
        if row is None:
            plan.sequences[entry.uid], plan.changes[entry.uid] = 0, "new"
            continue
        plan.previous[entry.uid] = row["sequence"]
        if row["cancelled"] or row["fingerprint"] != entry.feed_sequence_digest():
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
    # An event called off before it was ever published is published cancelled
    # too, so a calendar that subscribes now learns of it.
    plan.cancelled += [(entry, 0) for entry in called_off if entry.uid not in state]
    return plan


def _scope(event_name: str | None, events: list[Event], items: bool, breaks: bool):
    slugs = {event.slug for event in events}
    # Leaving breaks out of a file is not cancelling them.
    left_out = set() if breaks else {
        ical.uid_for(UID_DOMAIN, e.slug, i.id) for e in events for i in e.items if i.kind == "break"
    }  # fmt: skip

    def in_scope(row: dict) -> bool:
        return (
            (row["item"] is None or items)
            and (event_name is None or row["event"] in slugs)
            and row["uid"] not in left_out
        )

    return in_scope


def _prepare(conn, event: str | None, organizer: str | None, items: bool, breaks: bool = True):
    """The events in scope, the organiser, their calendar entries and SEQUENCE plan."""
    events = invite_plans.events_in_scope(conn, event)
    who = invite_plans.organizer_of(events, organizer)

    def entries_of(chosen: list[Event]) -> list[ical.Entry]:
        out = [ical.event_entry(e, UID_DOMAIN) for e in chosen]
        if items:
            out += [entry for e in chosen for entry in ical.item_entries(e, UID_DOMAIN, breaks)]
        return out

    # A cancelled event (and its items) is published as cancelled: left out of
    # the current entries, it is written with STATUS:CANCELLED.
    entries = entries_of([e for e in events if not e.cancelled])
    called_off = entries_of([e for e in events if e.cancelled])
    scope = _scope(event, events, items, breaks)
    plan = plan_feed(entries, store.calendar_feed.published(conn), scope, called_off)
    return events, who, entries, plan


# --- the public calendar ---------------------------------------------------------------


@dataclass
class PublicReport:
    text: str
    plan: FeedPlan


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
    on_wait: store.OnWait = None,
) -> PublicReport:
    """METHOD:PUBLISH with every event (and with `items`, every item); no attendees."""
    conn = store.connect(db_path, on_wait)
    try:
        events, who, entries, plan = _prepare(conn, event, organizer, items, breaks)
        organizer_line = ical.organizer_line(who)
        bodies = []
        for entry in entries:
            lines, alarm_lines = ical.vevent_lines(
                entry, plan.sequences[entry.uid], "CONFIRMED", alarm
            )
            bodies.append([*lines, organizer_line, *alarm_lines])
        bodies += [
            [*ical.vevent_lines(entry, sequence, "CANCELLED")[0], organizer_line]
            for entry, sequence in plan.cancelled
        ]
        text = ical.calendar("PUBLISH", bodies, now)
        if not dry_run:
            with store.writing(conn, on_wait=on_wait):
                store.calendar_feed.save_published(conn, plan.state_rows(now))
    finally:
        conn.close()
    return PublicReport(text, plan)


# --- invite files ----------------------------------------------------------------------


@dataclass
class InviteReport:
    directory: str
    requests: int = 0  # invites the folder holds after the export
    cancel_files: int = 0  # cancellations it holds
    files: int = 0  # files this export writes
    changes: dict[str, int] = field(default_factory=dict)  # new, updated, unchanged, cancelled
    written: int = 0
    dry_run: bool = False
    per_event: dict[str, dict[str, int]] = field(default_factory=dict)
    # Half-written folders of earlier exports that were killed, removed now.
    removed_scratch: list[str] = field(default_factory=list)


class ManifestRow(NamedTuple):
    """One line of a folder's manifest.csv: what one reader was given for one event."""

    email: str  # the address as written
    name: str
    event: str
    file: str
    method: str  # REQUEST or CANCEL
    sequence: int
    change: str  # new, updated, unchanged, cancelled
    version: str  # '<attendee digest>.<content digest>' of what the file says


MANIFEST_COLUMNS = ManifestRow._fields
FILE_CHANGE = {itip.NEW: "new", itip.UPDATE: "updated", itip.UNINVITED: "cancelled",
               itip.EVENT_CANCELLED: "cancelled"}  # fmt: skip
NAME_ROOM = 100  # characters of the address in a file name; the rest is a hash


def invite_file_name(event_slug: str, email: str) -> str:
    """'studio_kari.nordmann@bergen.kommune.no.ics': safe on every system, and predictable.

    Characters other than letters, digits and . _ @ - become '-', and a long
    address is cut; when either changed the address, a hash of it keeps two
    addresses from ever sharing a file. So does an address that already ends as
    such a hash would ('a-b@x.no-<12 hex>', crafted to take another's name).
    `email` is the key the outbox uses (folded), so case never makes two names.
    """
    safe = re.sub(r"[^a-z0-9._@-]", "-", email.lower())[:NAME_ROOM]
    if safe != email or _HASHED.search(email):
        safe += "-" + hashlib.sha256(email.encode()).hexdigest()[:12]
    return f"{event_slug}_{safe}.ics"


_HASHED = re.compile(r"-[0-9a-f]{12}$")


def _unformula(cell: str) -> str:
    """A manifest cell as it was before spreadsheet_safe() guarded it."""
    from innoff_cli.output import FORMULA_STARTS

    return cell[1:] if cell[:1] == "'" and cell[1:].startswith(FORMULA_STARTS) else cell


def read_manifest(directory: Path) -> dict[tuple[str, str], tuple[itip.Received, ManifestRow]]:
    """What a folder's manifest says its readers were given: (email, uid) -> (Received, row)."""
    path = directory / MANIFEST
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, NotADirectoryError):
        return {}  # a new folder (or none that can be: writing says so)
    except (OSError, UnicodeDecodeError) as error:
        raise InnoffError(
            _("cannot read {path} ({value}) - remove it or choose another folder").format(
                path=path, value=getattr(error, "strerror", None) or "not UTF-8"
            )
        ) from None
    rows = list(csv.DictReader(text.splitlines()))
    if rows and not {"email", "event", "file", "method", "sequence"} <= set(rows[0]):
        raise InnoffError(
            _("{path} is not an innoff manifest - choose another folder for the invites").format(
                path=path
            )
        )
    out = {}
    for row in rows:
        address = _unformula(row["email"])
        version = row.get("version") or ""
        significant, _dot, content = version.partition(".")
        try:
            sequence = int(row["sequence"])
        except ValueError:
            continue
        if row["method"] not in (itip.REQUEST, itip.CANCEL):
            continue
        key = (address.strip().casefold(), ical.uid_for(UID_DOMAIN, row["event"]))
        out[key] = (
            itip.Received(row["method"], sequence, content, significant, sequence, address),
            ManifestRow(
                address,
                _unformula(row.get("name") or ""),
                row["event"],
                row["file"],
                row["method"],
                sequence,
                "unchanged",
                version,
            ),  # fmt: skip
        )
    return out


def write_invites(
    db_path: Path,
    directory: Path,
    *,
    event: str | None = None,
    organizer: str | None = None,
    alarm: timedelta | None = None,
    dry_run: bool = False,
    now: datetime,
    on_wait: store.OnWait = None,
) -> InviteReport:
    """One METHOD:REQUEST file per registration, METHOD:CANCEL for what went away, a manifest.

    Relative to the folder's own manifest: records nothing in the database but
    what each event is now (shared by everyone: no personal data).
    """
    before = read_manifest(directory)
    conn = store.connect(db_path, on_wait)
    try:
        plan = invite_plans.plan_invites(
            conn, {key: received for key, (received, _) in before.items()},
            event=event, organizer=organizer,
        )  # fmt: skip
        if not dry_run:
            with store.writing(conn, on_wait=on_wait):
                invite_plans.save_versions(conn, plan, plan.messages)
    finally:
        conn.close()
    report = InviteReport(str(directory), dry_run=dry_run, per_event=itip.counts(plan.messages))
    to_write, rows = _files_and_manifest(plan.messages, before)
    for row in rows:
        report.changes[row.change] = report.changes.get(row.change, 0) + 1
    report.requests = sum(row.method == itip.REQUEST for row in rows)
    report.cancel_files = len(rows) - report.requests
    report.files = len(to_write)
    if dry_run:
        return report
    texts = _invite_texts(to_write, plan, alarm, now)
    try:
        report.removed_scratch = _remove_dead_scratch(directory)
        if not os.path.lexists(directory):
            _write_new_folder(directory, texts, rows, report)
        else:
            _write_into_folder(directory, texts, rows, report, len(to_write))
    except OSError as error:
        raise InnoffError(
            _(
                "cannot write invites to {directory} ({strerror}) - choose a folder you can write to"
            ).format(directory=directory, strerror=error.strerror)
        ) from None
    return report


def _files_and_manifest(
    messages: list[itip.Message], before: dict[tuple[str, str], tuple[itip.Received, ManifestRow]]
) -> tuple[list[tuple[str, itip.Message]], list[ManifestRow]]:
    """The files to write (name, message), and the manifest after: what the folder
    holds and nobody needs anew stays as it is, then what changes; invites first."""
    planned = {(m.email, m.uid): m for m in messages}
    manifest = {key: row for key, (_, row) in before.items() if key not in planned}
    to_write = []
    for key, message in planned.items():
        file_name = invite_file_name(message.event, message.email)
        manifest[key] = ManifestRow(
            message.address, message.name, message.event, file_name, message.method,
            message.sequence, FILE_CHANGE[message.change],
            f"{message.significant}.{message.content}",
        )  # fmt: skip
        to_write.append((file_name, message))
    rows = sorted(
        manifest.values(), key=lambda r: (r.method != itip.REQUEST, r.event, r.email.casefold())
    )
    return to_write, rows


def _invite_texts(to_write, plan: itip.InvitePlan, alarm: timedelta | None, now: datetime):
    """(file name, iCalendar text) for each file: each event is serialised once
    per version, and a file only adds its attendee."""
    templates: dict[tuple, ical.InviteTemplate] = {}
    for file_name, message in to_write:
        key = (message.uid, message.sequence, message.method, message.change)
        template = templates.get(key)
        if template is None:
            template = templates[key] = ical.InviteTemplate(
                plan.entries[message.uid], message.sequence, plan.organizer,
                message.method, now, alarm if message.method == itip.REQUEST else None,
                message.whole_event,
            )  # fmt: skip
        yield file_name, template.render(message.address, message.name)


def _write_new_folder(
    directory: Path, texts, rows: list[ManifestRow], report: InviteReport
) -> None:
    """A folder that is not there yet is written whole beside it, then renamed into place."""
    import shutil
    import tempfile

    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.mkdtemp(dir=directory.parent, prefix=_scratch_prefix(directory))  # 0700
    try:
        with files.Folder(Path(scratch)) as folder:
            for file_name, text in texts:
                folder.write_new(file_name, text)
                report.written += 1
        with files.written_whole(Path(scratch) / MANIFEST, "utf-8-sig") as stream:
            _write_manifest(stream, rows)
        os.rename(scratch, directory)
    except KeyboardInterrupt:
        shutil.rmtree(scratch, ignore_errors=True)
        raise Interrupted(
            f"Interrupted: nothing was written to {directory} (it is made whole or not at all)"
            " - run the export again."
        ) from None
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _scratch_prefix(directory: Path, pid: int | None = None) -> str:
    """'.invites.innoff-<pid>-': the scratch folder names the run that writes it."""
    return f".{directory.name}.innoff-{os.getpid() if pid is None else pid}-"


def _remove_dead_scratch(directory: Path) -> list[str]:
    """Remove the scratch folders of `directory` whose run is gone (killed
    before it could clean up: it holds names and addresses); their names.

    A run is gone when no process has its number (POSIX), or, where that cannot
    be asked safely (Windows: signal 0 there is CTRL_C_EVENT), after a day.
    """
    import shutil
    import time

    mine = re.compile(re.escape(f".{directory.name}.innoff-") + r"(\d+)-\w+")
    removed = []
    try:
        entries = list(os.scandir(directory.parent))
    except OSError:
        return removed
    for entry in entries:
        found = mine.fullmatch(entry.name)
        if not found or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(found[1])
        if os.name == "posix":
            if pid == os.getpid():
                continue
            try:
                os.kill(pid, 0)
                continue  # still running: its folder is its own
            except ProcessLookupError:
                pass
            except OSError:  # another user's process: not ours to judge
                continue
        elif time.time() - entry.stat(follow_symlinks=False).st_mtime < 86400:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.name)
    return removed


def _write_into_folder(directory: Path, texts, rows: list[ManifestRow], report: InviteReport,
                       total: int) -> None:  # fmt: skip
    """Into a folder that is there: each file whole, then the manifest."""
    folder = _private_folder(directory)
    try:
        for file_name, text in texts:
            folder.write_in(file_name, text)
            report.written += 1
        with files.written_whole(directory / MANIFEST, "utf-8-sig") as stream:
            _write_manifest(stream, rows)
    except KeyboardInterrupt:
        raise Interrupted(
            f"Interrupted: {report.written} of {total} invite files written to"
            f" {directory}, each whole; {MANIFEST} was not updated"
            " - run the export again to finish."
        ) from None
    finally:
        folder.close()


def _private_folder(directory: Path) -> files.Folder:
    """The folder, made private (0700) if new, opened for writing files into it by name."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return files.Folder(directory, private=True)
    except OSError as error:
        raise InnoffError(
            _(
                "cannot write invites to {directory} ({strerror}) - choose a folder you can write to"
            ).format(directory=directory, strerror=error.strerror)
        ) from None


def write_calendar(path: Path, text: str) -> None:
    """Write the public calendar whole or not at all (a reader never sees half a file)."""
    with files.written_whole(path) as stream:
        stream.write(text)


def _write_manifest(stream, rows: list[ManifestRow]) -> None:
    from innoff_cli.output import spreadsheet_safe

    writer = csv.writer(stream)
    writer.writerow(MANIFEST_COLUMNS)
    # Only the address and the name come from people; the rest is innoff's own
    # (the file name starts with the event's slug).
    for email, name, *ours in rows:
        writer.writerow([spreadsheet_safe(email), spreadsheet_safe(name), *ours])
