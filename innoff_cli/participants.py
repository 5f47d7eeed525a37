"""Participant operations: import registration files, list, show, count, erase, export.

Each function is one command's whole job. Reading exports is `registration_exports`
(pure); every SQL statement is in `store`. An import is one transaction per
file: an error or Ctrl-C leaves the database as it was.
"""

from __future__ import annotations

import csv
import itertools
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from innoff_cli import files, organisations, programme, store
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.participant_fields import EXPORT_FIELDS, HOME_ZONE, RSVP_KINDS, answer_now, public

REJECTED_SHOWN = 5


@dataclass
class ImportReport:
    file: str
    sha256: str
    encoding: str
    delimiter: str
    columns: list[str]
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_lines: list[str] = field(default_factory=list)
    not_coming: dict[str, int] = field(default_factory=dict)  # 'Status: Venteliste' -> rows
    header_line: int = 0
    plan: list[dict] = field(default_factory=list)  # each column: what innoff made of it
    skipped_before_header: int = 0
    stopped_at: int | None = None  # the line where a later block (hosts, panelists) begins
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    previously_imported: str | None = None
    not_read_again: bool = False  # the same file and options, nothing changed since

    def as_dict(self) -> dict:
        return asdict(self)


def _describe_delimiter(delimiter: str) -> str:
    return {"\t": "tab", ";": "semicolon", ",": "comma", "|": "bar"}.get(delimiter, delimiter)


def import_file(
    db_path: Path,
    path: Path,
    *,
    event: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    yes_values: list[str] | None = None,
    replace: bool = False,
    dry_run: bool = False,
    rejects: Path | None = None,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    on_wait: store.OnWait = None,
) -> ImportReport:
    """Import one registration export; see README 'Registrations' for every rule.

    Open, read (registration_exports), stage, merge, record, report: one
    transaction, so an error or Ctrl-C leaves the database as it was.
    """
    from innoff_cli import registration_exports

    size = _size(path)
    conn = store.connect(db_path, on_wait)
    try:
        events = store.programme.load_events(conn)
        default = (
            programme.match_event(events, event) if event else programme.main_event(events)
        ).slug
        with files.reading(path) as raw:
            export = registration_exports.read_export(
                raw, events, default, tz=HOME_ZONE, name=str(path), encoding=encoding,
                delimiter=delimiter, mapping=mapping, sheet=sheet, yes_values=yes_values,
            )  # fmt: skip
            report = _report(path, export, dry_run)
            previous = store.imports.find_import(conn, export.sha256)
            if previous:
                report.previously_imported = previous["imported_at"]
            options = json.dumps(
                {"event": default, "encoding": export.encoding, "delimiter": export.delimiter,
                 "mapping": mapping or {}, "replace": replace,
                 **({"sheet": export.sheet} if export.kind == "workbook" else {}),
                 **({"yes_values": yes_values} if yes_values else {})},
                sort_keys=True, ensure_ascii=False,
            )  # fmt: skip
            same = (
                store.imports.same_import(conn, export.sha256, options) if rejects is None else None
            )
            if same is not None:
                # Imported with the same options, and nothing has changed since:
                # reading it again could change nothing.
                _same_as_before(report, same)
                return report
            tick = (lambda: progress(raw.tell(), size)) if progress else None
            _import_rows(conn, export, report, replace, rejects, now, tick, options, on_wait)
    finally:
        conn.close()
    return report


def _size(path: Path) -> int:
    if path.is_dir():
        raise InnoffError(_("{path} is a folder - name the export file in it").format(path=path))
    if not path.is_file():
        raise InnoffError(_("no such file: {path} - check the path").format(path=path))
    size = path.stat().st_size
    if size == 0:
        raise InnoffError(_("{path} is empty - export the registrations again").format(path=path))
    return size


def _report(path: Path, export, dry_run: bool) -> ImportReport:
    from innoff_cli.registration_exports import workbooks

    return ImportReport(
        file=str(path),
        sha256=export.sha256,
        # A workbook: what it is and which sheet, where a CSV has its encoding and delimiter.
        encoding=export.encoding if export.kind == "csv" else workbooks.kind(path),
        delimiter=(
            _describe_delimiter(export.delimiter)
            if export.kind == "csv"
            else f"sheet '{export.sheet}'"
        ),
        columns=export.plan.describe(),
        header_line=export.header_line,
        plan=export.plan.table([cells for _, cells in export.sample]),
        skipped_before_header=export.skipped,
        dry_run=dry_run,
    )


def _same_as_before(report: ImportReport, before: dict) -> None:
    report.not_read_again = True
    report.previously_imported = before["checked_at"]
    for key in ("rows", "unchanged", "duplicates", "rejected"):
        setattr(report, key, before[key])


def _import_rows(conn, export, report: ImportReport, replace: bool, rejects: Path | None,
                 now: datetime, tick, options: str, on_wait: store.OnWait) -> None:  # fmt: skip
    """Stage the rows, refuse a file whose columns failed, merge, and record the import:
    one transaction (rolled back for a dry run, which reports what it would do)."""
    reasons: Counter[str] = Counter()
    with (
        _rejected_rows(export, rejects, report, reasons) as reject,
        store.writing(conn, on_wait=on_wait, check_references=False, keep=not report.dry_run),
    ):  # every reference holds by construction: see ImportSession.apply
        session = store.imports.ImportSession(conn, export.reader.bits)
        session.stage(export.rows(reject), tick)
        _note_later_block(export, report)
        _check_whole_columns(export.name, session, report, export.plan, export.reader, reasons)
        counts = session.merge(replace)
        for key in ("new", "updated", "unchanged", "duplicates"):
            setattr(report, key, counts[key])
        report.rows = counts["rows"] + report.rejected
        report.warnings = export.reader.warnings.lines()
        if not report.dry_run:
            _record(conn, session, export, report, replace, options, now)


@contextmanager
def _rejected_rows(export, rejects: Path | None, report: ImportReport, reasons: Counter[str]):
    """The callback each rejected row goes to: counted, the first few shown, and with
    --rejects written out as they came plus a reason, in the file's own encoding and
    delimiter (the file appears only if the import completes)."""
    rejects_file = (
        files.written_whole(rejects, export.encoding, errors="replace")
        if rejects
        else nullcontext()
    )
    with rejects_file as stream:
        rejected_out = csv.writer(stream, delimiter=export.delimiter) if stream else None
        if rejected_out:
            rejected_out.writerow([*export.header, "reason"])

        def reject(row) -> None:
            report.rejected += 1
            if row.status:
                report.not_coming[row.status] = report.not_coming.get(row.status, 0) + 1
            reasons[row.reason if not row.status else "not coming"] += 1
            said = f"line {row.line}: {row.reason}"
            if len(report.rejected_lines) < REJECTED_SHOWN:
                report.rejected_lines.append(said)
            if rejected_out:
                rejected_out.writerow([*row.cells, said])

        yield reject


def _note_later_block(export, report: ImportReport) -> None:
    """Where the file's registrants end and a later block (hosts, panelists) begins."""
    if export.stopped:
        from innoff_cli.registration_exports import shown

        line, title = export.stopped[0]
        report.stopped_at = line
        export.reader.warnings.add(
            "a later block is not registrants, not read", f"from line {line}: {shown(title)}"
        )


def _record(conn, session, export, report: ImportReport, replace: bool, options: str,
            now: datetime) -> None:  # fmt: skip
    """Write what the import changed, and remember that the file was read in full,
    so the next run of the same file need not read it again."""
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    check = {
        "sha256": export.sha256, "options": options, "checked_at": at,
        "rows": report.rows, "unchanged": report.new + report.updated + report.unchanged,
        "duplicates": report.duplicates, "rejected": report.rejected,
    }  # fmt: skip
    if report.new or report.updated:
        import_id = store.imports.record_import(
            conn,
            {
                "file_name": Path(report.file).name, "sha256": export.sha256,
                "imported_at": at, "encoding": export.encoding, "delimiter": report.delimiter,
                **{k: getattr(report, k) for k in ("rows", "new", "updated", "unchanged", "duplicates", "rejected")},
            },
        )  # fmt: skip
        session.apply(import_id, replace)
        report.written = True
    store.imports.checked_import(conn, check)


def _check_whole_columns(path, session, report, plan, reader, reasons) -> None:
    """Refuse an import in which a whole column failed: no participant at all, or a
    time column none of whose values is a date. Exit 0 must mean every data row
    was imported or rejected for a reason of its own."""
    from innoff_cli.registration_exports import UNREAD_DATES, shown

    if not session.staged and report.rejected:
        why = "; ".join(f"{n} rejected: {reason}" for reason, n in reasons.most_common(2))
        email = plan.header[plan.fields["email"]]
        raise InnoffError(
            _(
                "{path}: none of its {rejected} data rows gave a participant ({why}) - the header is line {header_line} and e-mail was taken from '{email}'; name the right column with --map 'HEADER=email'"
            ).format(
                path=path,
                rejected=report.rejected,
                why=why,
                header_line=report.header_line,
                email=shown(email),
            )
        )
    if "registered_at" in plan.fields and session.staged:
        unread = reader.warnings.counts.get(UNREAD_DATES, 0)
        if unread and not session.count_dated():
            column = shown(plan.header[plan.fields["registered_at"]])
            raise InnoffError(
                _(
                    "{path}: column '{column}' was taken as the registration time, but none of its {unread} values is a date - keep it as extra with --map '{column}=extra', or name the time column with --map 'HEADER=registered_at'"
                ).format(path=path, column=column, unread=unread)
            )


# --- around the import -------------------------------------------------------------


def _event_slug(conn: sqlite3.Connection, event: str | None) -> str | None:
    return programme.match_event(store.programme.load_events(conn), event).slug if event else None


def list_participants(
    db_path: Path,
    event: str | None = None,
    search: str | None = None,
    rsvp: str | None = None,
    attended: str | None = None,
) -> Iterator[dict]:
    """Participants in Norwegian alphabetical order, one at a time (SQLite sorts).

    `rsvp` (accepted, tentative, declined, delegated, none): only those whose
    answer for `event`, or for any of their events, is that. `attended` (yes,
    no): only those who attended `event` (or any of theirs), or who did not
    attend it (or one of theirs: a no-show).
    """
    conn = store.connect(db_path)
    try:
        slug = _event_slug(conn, event)
        wanted = search.casefold() if search else None
        for person in store.registrations.participants(conn, slug, by_name=True):
            # In Python, not SQL: LIKE folds only ASCII, and "Ø" must find "ø".
            if wanted is not None and not any(
                wanted in (person[key] or "").casefold()
                for key in ("name", "email", "organisation", "municipality", "role")
            ):
                continue
            shown = public(person)
            if rsvp is not None:
                answers = shown["rsvp"]
                if not (answers.get(slug) == rsvp if slug else rsvp in answers.values()):
                    continue
            if attended is not None:
                there = shown["attended"]
                absent = [e for e in shown["events"] if e not in there]
                if attended == "yes" and not (slug in there if slug else there):
                    continue
                if attended == "no" and not (slug not in there if slug else absent):
                    continue
            yield shown
    finally:
        conn.close()


def list_participants_written(
    db_path: Path, event: str | None = None, fmt: str = "json"
) -> Iterator:
    """list_participants(db_path, event) as `registrations list` writes each
    of them in `fmt` (json: at a list's first level; csv: a line; table: a
    row of cells), in the same order, most of it made by SQLite (store.listings)."""
    from innoff_cli.output.registrations import (
        PARTICIPANT_COLUMNS,
        TABLE_HEAD_KEYS,
        csv_tail,
        table_tail,
    )

    conn = store.connect(db_path)
    try:
        slug = _event_slug(conn, event)
        if fmt == "json":
            yield from store.listings.participants_json(conn, slug, by_name=True)
            return
        if fmt == "table":  # rows of cells
            yield from store.listings.participants_cells(
                conn, slug, True, TABLE_HEAD_KEYS, table_tail
            )
            return
        keys = tuple(column.key for column in PARTICIPANT_COLUMNS)
        head = keys[: keys.index("registered_at") + 1]
        tail = csv_tail(keys[len(head) :])
        yield from store.listings.participants_csv(conn, slug, True, head, tail)
    finally:
        conn.close()


def show_participant(db_path: Path, email: str) -> dict:
    import json

    conn = store.connect(db_path)
    try:
        person = store.registrations.participant(conn, email)
    finally:
        conn.close()
    if person is None:
        raise InnoffError(
            _("no participant with e-mail '{email}' - see `innoff registrations list`").format(
                email=email
            )
        )
    return {
        **public(person),
        "extra": json.loads(person["extra"]),
        "imports": person["imports"],
    }


def stats(db_path: Path) -> dict[str, dict]:
    """Counts per event, kind of organisation and municipality, and the answers
    (RSVP) per event and per kind of organisation.

    SQLite counts; Python classifies only each distinct organisation and
    municipality (a few hundred, however many people there are).
    """
    conn = store.connect(db_path)
    try:
        total, groups, starts = store.registrations.counts(conn)
        attendance = {}
        if store.attendance.recorded(conn):
            # One pass over the registrations gives both: each one's answer and
            # whether they came (the answer is the costly part to work out).
            present_groups = store.attendance.counts(conn)
            attendance = _attendance_stats(present_groups, store.attendance.walk_in_counts(conn))
            answer_groups = _without_presence(present_groups)
        else:
            answer_groups = store.replies.answer_counts(conn)
    finally:
        conn.close()
    registrations: Counter[str] = Counter()
    for event, _organisation, _answer, count in answer_groups:
        registrations[event] += count
    # By count, then in programme order.
    per_event = sorted(registrations.items(), key=lambda kv: (-kv[1], starts[kv[0]], kv[0]))
    kinds: Counter[str] = Counter()
    places: Counter[str] = Counter()
    for organisation, municipality, count in groups:
        kinds[organisations.organisation_kind(organisation)] += count
        place = organisations.municipality_of(municipality, organisation) or "(not given)"
        places[place] += count
    answers: dict[str, Counter[str]] = {}
    by_kind: dict[str, Counter[str]] = {}
    for event, organisation, answer, count in answer_groups:
        now = answer_now(answer)
        answers.setdefault(event, Counter())[now] += count
        kind = organisations.organisation_kind(organisation)
        by_kind.setdefault(kind, Counter())[now] += count
    return {
        "participants": {"total": total},
        "events": dict(per_event),
        "answers per event": {
            event: {k: answers[event][k] for k in RSVP_KINDS} for event, _ in per_event
        },
        "answers per organisation kind": {
            kind: {k: by_kind[kind][k] for k in RSVP_KINDS}
            for kind in organisations.KINDS
            if kind in by_kind
        },
        "organisation kinds": {kind: kinds[kind] for kind in organisations.KINDS if kinds[kind]},
        "municipalities": dict(sorted(places.items(), key=lambda kv: (-kv[1], kv[0]))),
        **attendance,
    }


def _without_presence(groups) -> list[tuple[str, str, str, int]]:
    """store.attendance.counts' groups as store.replies.answer_counts gives them."""
    folded: Counter[tuple[str, str, str]] = Counter()
    for event, organisation, answer, _present, count in groups:
        folded[event, organisation, answer] += count
    return [(*key, count) for key, count in folded.items()]


def _attendance_stats(groups, walk_ins: dict[str, int]) -> dict[str, dict]:
    """Registered, attended and no-shows per event, per kind of organisation, and
    per event and answer (who accepted but did not come); walk-ins per event."""
    per_event: dict[str, Counter[str]] = {}
    per_kind: dict[str, Counter[str]] = {}
    per_answer: dict[str, Counter[str]] = {}
    for event, organisation, answer, present, count in groups:
        kind = organisations.organisation_kind(organisation)
        for table, key in ((per_event, event), (per_kind, kind),
                           (per_answer, f"{event}: {answer_now(answer)}")):  # fmt: skip
            counter = table.setdefault(key, Counter())
            counter["registered"] += count
            counter["attended"] += count if present else 0
            counter["no-show"] += 0 if present else count
    columns = ("registered", "attended", "no-show")
    return {
        "attendance per event": {
            event: {**{c: counts[c] for c in columns}, "walk-ins": walk_ins.get(event, 0)}
            for event, counts in per_event.items()
        },
        "attendance per organisation kind": {
            kind: {c: per_kind[kind][c] for c in columns}
            for kind in organisations.KINDS
            if kind in per_kind
        },  # fmt: skip
        "attendance by answer": {
            key: {c: per_answer[key][c] for c in columns} for key in sorted(per_answer)
        },
    }


def remove_participant(db_path: Path, email: str, on_wait: store.OnWait = None) -> int:
    """Erase a person; returns how many of their invites still need a cancellation."""
    conn = store.connect(db_path, on_wait)
    try:
        found, pending = store.registrations.erase_participant(conn, email, on_wait)
        if not found:
            raise InnoffError(
                _("no participant with e-mail '{email}' - see `innoff registrations list`").format(
                    email=email
                )
            )
    finally:
        conn.close()
    return pending


def export_csv(
    db_path: Path, target: Path | None, event: str | None = None, delimiter: str = ";"
) -> int:
    """Write participants to `target` (None: stdout) as UTF-8 with BOM; returns how many."""
    from innoff_cli.output import write_in_blocks
    from innoff_cli.output.registrations import csv_tail

    written = 0
    line_end = "\r\n"  # the csv module's own
    head = EXPORT_FIELDS[: EXPORT_FIELDS.index("registered_at") + 1]
    tail = csv_tail(EXPORT_FIELDS[len(head) :], delimiter, line_end)

    def write(stream) -> None:
        nonlocal written
        conn = store.connect(db_path)
        try:
            slug = _event_slug(conn, event)
            lines = store.listings.participants_csv(
                conn, slug, True, head, tail, delimiter, line_end
            )
            first = next(lines, None)  # an unknown event is said before anything is written
            csv.writer(stream, delimiter=delimiter).writerow(EXPORT_FIELDS)
            # As they come (SQLite writes most of each line): flat memory.
            written = write_in_blocks(
                stream.write, itertools.chain([first] if first is not None else [], lines)
            )
        finally:
            conn.close()

    if target is None:
        import io
        import sys

        stream = io.TextIOWrapper(sys.stdout.buffer, "utf-8-sig", newline="", write_through=True)
        write(stream)
        stream.detach()
    else:
        with files.written_whole(target, "utf-8-sig") as stream:
            write(stream)
    return written
