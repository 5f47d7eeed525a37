"""`innoff attendance import`: the platforms' reports -> who attended each event.

Each report is read (attendance_reports), each person's rows folded into one
(rejoins and two devices counted once), then matched to the event's
registrations: by e-mail address, or, for a row without one (a guest), by
name only when exactly one person registered for the event has that name; a
name that matches none or several is listed as unmatched, never guessed.
Organisers, presenters and hosts (by their role, or the organiser's address)
are not attendees. Someone with an address who never registered is a walk-in.
One transaction per report; the same report again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from innoff_cli import attendance_reports as reports
from innoff_cli import clock, collector, files, store
from innoff_cli.attendance_reports import Person
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.models import Event
from innoff_cli.programme import match_event, normalise_name
from innoff_cli.store.attendance import ATTENDED, EMAIL, FIRST_JOIN, LAST_LEAVE, MINUTES
from innoff_cli.terminal import shown


@dataclass
class ImportReport:
    file: str
    sha256: str = ""
    encoding: str = ""
    delimiter: str = ""
    platform: str = ""
    event: str = ""
    plan: list[tuple[str, str]] = field(default_factory=list)
    people: int = 0  # people in the report, after folding
    attended: list[str] = field(default_factory=list)  # registered, long enough
    short: list[str] = field(default_factory=list)  # registered, under --min-minutes
    walk_ins: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # 'Name: why'
    running: int = 0  # organisers, presenters, hosts
    sidelined: int = 0  # rows in host and panelist blocks
    waiting: int = 0  # rows of time in the waiting room
    unknown_time: int = 0  # present, time unreadable or not given
    unreadable: int = 0  # times and durations that could not be read
    changed: int = 0
    registered: int = 0  # the event's registrations, after this report
    attended_total: int = 0  # of them, attended (every report)
    walk_ins_total: int = 0
    # Stored reports of the same meeting (a download again, a copy saved as a
    # workbook), which this one stands for; or, kept_earlier, one of them is
    # fuller and stays, and this one is not recorded.
    same_meeting: list[str] = field(default_factory=list)
    kept_earlier: bool = False
    dry_run: bool = False

    @property
    def no_shows(self) -> int:
        return self.registered - self.attended_total

    def as_dict(self) -> dict:
        return {
            "file": self.file, "sha256": self.sha256, "encoding": self.encoding,
            "delimiter": self.delimiter, "platform": self.platform, "event": self.event,
            "plan": [{"column": c, "use": u} for c, u in self.plan if c],
            "people_in_report": self.people, "attended": len(self.attended),
            "under_min_minutes": len(self.short), "walk_ins": self.walk_ins,
            "unmatched": self.unmatched, "organisers_and_presenters": self.running,
            "host_and_panelist_rows": self.sidelined, "waiting_room_rows": self.waiting,
            "time_unknown": self.unknown_time,
            "unreadable_times": self.unreadable, "changed": self.changed,
            "event_registered": self.registered, "event_attended": self.attended_total,
            "event_no_shows": self.no_shows, "event_walk_ins": self.walk_ins_total,
            "same_meeting_as": self.same_meeting, "kept_earlier": self.kept_earlier,
            "dry_run": self.dry_run,
        }  # fmt: skip


def import_reports(
    db_path: Path, paths: list[Path], *, event: str | None = None, min_minutes: float = 1.0,
    encoding: str | None = None, delimiter: str | None = None, dry_run: bool = False,
    on_wait: store.OnWait = None,
) -> list[ImportReport]:  # fmt: skip
    conn = store.connect(db_path, on_wait)
    try:
        events = store.programme.load_events(conn)
        if not events:
            raise InnoffError(
                _("the database has no events - load one with `innoff agenda load FILE`")
            )
        named = match_event(events, event) if event else None
        with collector.paused():  # a report's rows: no cycles among them to look for
            return [
                _import_one(
                    conn, path, events, named, min_minutes, encoding, delimiter, dry_run, on_wait
                )  # fmt: skip
                for path in paths
            ]
    finally:
        conn.close()


def _import_one(conn, path, events, named, min_minutes, encoding, delimiter, dry_run, on_wait):
    from innoff_cli.registration_exports import csv_errors, csv_rows, workbooks

    report = ImportReport(str(path), dry_run=dry_run)
    if path.is_dir():
        raise InnoffError(_("{path} is a folder - name the report file in it").format(path=path))
    if not path.is_file():
        raise InnoffError(_("no such file: {path} - check the path").format(path=path))
    anchor = named or events[0]
    tz, day = anchor.start.tzinfo, anchor.start.date()
    shape = reports.ReportShape()
    with files.reading(path) as stream:
        start = stream.read(8)
        stream.seek(0)
        if workbooks.is_workbook(start):
            # A report opened in Excel and saved, or a Meet sheet downloaded as
            # .xlsx: its rows as text, as the CSV would have them.
            sha256, sheet, numbered = workbooks.open_workbook(stream, str(path), None)
            rows = (cells for _line, cells in numbered)
            people = reports.read_people(rows, tz, day, shape)
            report.encoding, report.delimiter = workbooks.kind(path), f"sheet '{shown(sheet, 40)}'"
        else:
            if delimiter is None:
                delimiter = _report_delimiter(stream, encoding)
            sha256, source, rows = csv_rows(stream, str(path), encoding, delimiter, numbered=False)
            with csv_errors(str(path), source.encoding):
                people = reports.read_people(rows, tz, day, shape)
            report.encoding, report.delimiter = source.encoding, source.delimiter
    reports.merge_named(people)
    report.sha256 = sha256
    report.platform, report.plan, report.sidelined = shape.platform, shape.plan, shape.sidelined
    report.waiting = shape.waiting
    report.unreadable = shape.unreadable_times + sum(p.unreadable for p in people.values())
    if not people:
        raise InnoffError(
            _(
                "{path} holds no attendees innoff can read (the columns are: {value}) - download the participants' attendance report as CSV"
            ).format(
                path=path, value=", ".join(shown(c, 40) for c, _ in shape.plan if c) or "none found"
            )
        )
    if named is not None:
        _require_its_day(people.values(), named, path)
    chosen = named or _event_of(people.values(), events, path)
    report.event = chosen.slug
    rows = _match(conn, chosen, people, report, min_minutes)
    with store.writing(conn, on_wait=on_wait, keep=not dry_run):
        _record(conn, chosen.slug, rows, report)
        _event_totals(conn, chosen, report)
    return report


def _record(conn, event: str, rows: list[list], report: ImportReport) -> None:
    """Store the report's rows for the event, in place of the stored reports of
    the same meeting; unless one of those is fuller (more people, then more
    minutes: a download made while the meeting ran is not), which stays."""
    earlier = _same_meeting(conn, event, report.sha256, rows)
    report.same_meeting = [found["source"] for found in earlier.values()]
    mine = (len(rows), sum(row[MINUTES] or 0 for row in rows))
    if any((len(found["people"]), found["minutes"]) > mine for found in earlier.values()):
        report.kept_earlier = True
        return
    for other in earlier:
        store.attendance.drop_report(conn, event, other)
    report.changed = store.attendance.replace_report(conn, event, report.sha256, rows)
    report.changed += sum(len(found["people"]) for found in earlier.values())


def _same_meeting(conn, event: str, sha256: str, rows: list[list]) -> dict[str, dict]:
    """The event's stored reports that are this meeting again: most people both
    name were in both at overlapping times. A report downloaded twice (Zoom
    writes when it made each one), or saved again as a workbook, would
    otherwise count everyone's minutes twice; two rooms or platforms at once
    share few people, and those in both add up as before."""
    mine = {
        row[EMAIL]: (row[FIRST_JOIN], row[LAST_LEAVE])
        for row in rows
        if row[FIRST_JOIN] and row[LAST_LEAVE]
    }
    if not mine:
        return {}
    same = {}
    for other, found in store.attendance.reports_of(conn, event, sha256).items():
        theirs = found["people"]
        both = [email for email in mine if email in theirs and all(theirs[email])]
        overlapping = sum(
            mine[email][0] <= theirs[email][1] and theirs[email][0] <= mine[email][1]
            for email in both
        )
        if (
            both
            and 2 * len(both) >= min(len(mine), len(theirs))
            and 5 * overlapping >= 4 * len(both)
        ):
            same[other] = found
    return same


def _report_delimiter(stream, encoding: str | None) -> str:
    """Tab, semicolon or comma: the one found in the most of the first lines.
    (A report's sections have different widths, and its dates hold commas,
    so the registrations' sniffer, which looks for one steady width, would
    pick wrong: Teams' "11/17/20, 9:58:01 AM" in a tab-separated file.)"""
    from innoff_cli.registration_exports.text import detect_encoding

    start = stream.read(1 << 16)
    stream.seek(0)
    try:
        text = start.decode(encoding or detect_encoding([start])[0], errors="replace")
    except LookupError:
        return ","  # the unknown encoding is csv_rows' to report
    lines = [line for line in text.splitlines()[:60] if line.strip()]
    counts = {d: sum(d in line for line in lines) for d in ("\t", ";", ",")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _require_its_day(people, event: Event, path: Path) -> None:
    """Refuse a report none of whose joins is within half a day of the event
    named for it: another meeting's, or last week's, would record people as
    attending what they never saw."""
    joins = [p.first_join for p in people if p.first_join]
    start, end = event.start - timedelta(hours=12), event.end + timedelta(hours=12)
    if joins and not any(start <= join <= end for join in joins):
        first = min(joins).astimezone(event.start.tzinfo)
        raise InnoffError(
            _(
                "{path} is a report of {day}, and {event} is on {event_day} - check that it is the right report, and the right --event"
            ).format(
                path=path,
                day=first.strftime("%d.%m.%Y"),
                event=event.slug,
                event_day=event.start.strftime("%d.%m.%Y"),
            )
        )


def _event_of(people, events: list[Event], path: Path) -> Event:
    """The event the report's joins fall in (two hours' margin either side)."""
    joins = [p.first_join for p in people if p.first_join]
    votes = {}
    for event in events:
        start, end = event.start - timedelta(hours=2), event.end + timedelta(hours=2)
        votes[event.slug] = sum(start <= join <= end for join in joins)
    best = max(votes.values(), default=0)
    if best and list(votes.values()).count(best) == 1:
        return next(e for e in events if votes[e.slug] == best)
    raise InnoffError(
        _(
            "cannot tell which event {path} is for (its join times fit no event, or more than one) - name it with --event ({value})"
        ).format(path=path, value=", ".join(e.slug for e in events))
    )


def _match(conn, event: Event, people: dict[str, Person], report: ImportReport,
           min_minutes: float) -> list[list]:  # fmt: skip
    """The rows to store for `event` (store.attendance.COLUMNS); the report's lists filled in."""
    registered = store.registrations.names_registered(conn, event.slug)
    by_name: dict[str, list[str]] = {}
    if any(key.startswith("name:") for key in people):  # guests: their names are needed
        for email, name in registered.items():
            by_name.setdefault(normalise_name(name), []).append(email)
    organiser = event.organizer_email.casefold()
    now = clock.now().astimezone(UTC).isoformat(timespec="seconds")
    source = Path(report.file).name
    utc = _Utc()
    rows: dict[str, list] = {}
    shown: dict[str, str] = {}  # key -> how the report's lists show them
    report.people = len(people)
    for key, person in people.items():
        if person.runs_the_meeting or (organiser and key == organiser):
            report.running += 1
            continue
        if key.startswith("name:"):
            found = by_name.get(normalise_name(person.name), [])
            if len(found) != 1:
                why = (
                    "no e-mail, and no one registered has that name" if not found
                    else f"no e-mail, and {len(found)} people registered have that name"
                )  # fmt: skip
                report.unmatched.append(f"{person.name}: {why}")
                continue
            key = found[0]
        minutes = person.minutes
        said = person.said_attended
        if said and not any(said):
            attended = False  # a webinar's "Attended: No"
        elif minutes is None:
            attended = True  # there, for a time the report does not give
            report.unknown_time += 1
        else:
            attended = minutes >= min_minutes
        is_registered = key in registered
        row = rows.get(key)
        if row is not None:  # two of the report's people are one (a name and an address)
            if attended and not row[ATTENDED] and is_registered:  # counted once, as attended
                report.short.remove(shown[key])
                report.attended.append(shown[key])
            row[ATTENDED] = int(row[ATTENDED] or attended)
            continue
        shown_as = shown[key] = person.email or person.name
        if is_registered:
            (report.attended if attended else report.short).append(shown_as)
        elif attended:
            report.walk_ins.append(shown_as)
        else:
            continue  # a walk-in who was not there is no one
        rows[key] = [  # store.attendance.COLUMNS
            event.slug, key, person.name, minutes, utc(person.first_join),
            utc(person.last_leave), int(attended), int(is_registered), source, report.sha256, now,
        ]  # fmt: skip
    return list(rows.values())


def _event_totals(conn, event: Event, report: ImportReport) -> None:
    report.registered, report.attended_total, report.walk_ins_total = store.attendance.event_counts(
        conn, event.slug
    )


class _Utc:
    """A join or leave as stored (UTC, to the second); a report's times repeat,
    so each is written once."""

    def __init__(self) -> None:
        self.written: dict[datetime, str] = {}

    def __call__(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        text = self.written.get(moment)
        if text is None:
            text = self.written[moment] = moment.astimezone(UTC).isoformat(timespec="seconds")
        return text
