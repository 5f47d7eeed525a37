"""`registrations list --format json` and `--format csv` as SQLite writes them
(store.listings) are, to the byte, what Python writes of the same people
(output.indented_json and write_csv of participant_fields.public): on a
database with every kind of field, hostile text, answers to confirm, several
UIDs for one event, attendance, and registration times on both sides of summer
time and in forms the store does not write itself."""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from innoff_cli import participants, store
from innoff_cli.output import write_csv, write_json_list
from innoff_cli.output.registrations import PARTICIPANT_COLUMNS, write_participants

HOSTILE = [
    'Kari "K" Nordmann', "back\\slash", "tab\there", "new\nline", "cr\rreturn", "\x00nul",
    "\x1b[31mred", "\x7fdel", "\u2028line sep", "😀 emoji", "=HYPERLINK(\"x\")", "+47 22",
    "-minus", "@at", "Ærlig Østby Åse", "é\u0301 combining", "", " spaced ", "\ufeffbom",
    "\u202eRTL", "a,b;c", "{\"json\": 1}", "</script>",
]  # fmt: skip


def captured(write) -> str:
    import sys

    out = io.StringIO()
    real, sys.stdout = sys.stdout, out
    try:
        write()
    finally:
        sys.stdout = real
    return out.getvalue()


def python_bytes(db_path, event=None, fmt="json") -> str:
    people = participants.list_participants(db_path, event)
    if fmt == "json":
        return captured(lambda: write_json_list(people))
    return captured(lambda: write_csv(people, PARTICIPANT_COLUMNS))


def sqlite_bytes(db_path, event=None, fmt="json") -> str:
    written = participants.list_participants_written(db_path, event, fmt)
    return captured(lambda: write_participants(written, fmt))


def import_people(run, tmp_path, rows: list[dict]) -> None:
    export = tmp_path / "people.csv"
    with export.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Navn", "E-post", "Organisasjon", "Rolle", "Kommune", "Telefon",
                         "Registrert", "Arrangement"])  # fmt: skip
        for row in rows:
            writer.writerow(list(row.values()))
    result = run("registrations", "import", str(export))
    assert result.exit_code == 0, result.output


def hostile_database(run, db_path, tmp_path) -> None:
    rows = []
    for i, text in enumerate(HOSTILE):
        clean = text.replace("\x00", "")
        rows.append({
            "name": clean or f"Navn {i}", "email": f"Person.{i}@Example.org",
            "organisation": clean, "role": clean[::-1], "municipality": clean[:3],
            "phone": clean[-4:],
            # Summer and winter time, and the nights the clocks change.
            "registered": ["2020-11-16 09:03", "2020-06-01 12:00", "2020-03-29 02:30",
                           "2020-10-25 02:30", "2019-12-31 23:59", ""][i % 6],
            "events": ["INNOFF-studio", "Årsmøte", "INNOFF-studio, Årsmøte"][i % 3],
        })  # fmt: skip
    import_people(run, tmp_path, rows)
    with sqlite3.connect(db_path) as conn:
        # A time with a fraction and one with another offset, as an older store
        # or another tool may have left them: Python writes these.
        conn.execute(
            "UPDATE participants SET registered_utc = '2020-11-16T08:03:00.250000+00:00'"
            " WHERE email = 'person.1@example.org'"
        )
        conn.execute(
            "UPDATE participants SET registered_utc = '2020-11-16T09:03:00+01:00'"
            " WHERE email = 'person.2@example.org'"
        )
        conn.execute(
            "UPDATE participants SET registered_utc = NULL WHERE email = 'person.3@example.org'"
        )
        # A registration for an event the programme no longer has (written with
        # foreign keys off, as a hand-edited file may be): no list shows it.
        conn.execute(
            "INSERT INTO registrations (email, event) VALUES ('person.0@example.org', 'gone')"
        )
        # Cells a spreadsheet would run, as an import keeps them (it trims).
        conn.execute(
            "UPDATE participants SET organisation = char(9) || 'tab first', role = char(13)"
            " || 'cr first', municipality = '\"quoted\", and more', phone = char(10) || 'x'"
            " WHERE email = 'person.5@example.org'"
        )
        events = dict(conn.execute("SELECT slug, slug FROM events"))
        studio = "studio" if "studio" in events else next(iter(events))
        # Answers: one as it stands, one from before a change (the invite was
        # sent again with a higher SEQUENCE), and an event answered under two UIDs.
        for n, (email, uid, partstat, sequence) in enumerate([
            ("person.0@example.org", "uid-b", "ACCEPTED", 0),
            ("person.0@example.org", "uid-a", "DECLINED", 0),
            ("person.3@example.org", "uid-a", "TENTATIVE", 0),
            ("person.6@example.org", "uid-a", "ACCEPTED", 0),
        ]):  # fmt: skip
            conn.execute(
                "INSERT INTO replies (email, uid, event, partstat, sequence, message_id, read_utc)"
                " VALUES (?, ?, ?, ?, ?, ?, '2020-11-17T00:00:00+00:00')",
                [email, uid, studio, partstat, sequence, f"<r{n}@x>"],
            )
        conn.execute(
            "INSERT INTO outbox (email, address, event, uid, method, change, sequence, content,"
            " significant, message_id, stamp_utc, state) VALUES ('person.6@example.org',"
            " 'person.6@example.org', ?, 'uid-a', 'REQUEST', 'time', 1, '', '', '<o1@x>',"
            " '2020-11-17T00:00:00+00:00', 'sent')",
            [studio],
        )
        for email, minutes in [("person.0@example.org", 87.5), ("person.3@example.org", None),
                               ("person.4@example.org", 0.1 + 0.2),
                               ("walk.in@example.org", 12.0)]:  # fmt: skip
            conn.execute(
                "INSERT INTO attendance (event, email, name, minutes, attended, registered,"
                " source, sha256, imported_utc) VALUES (?, ?, '', ?, 1, 1, 'r.csv', 'x',"
                " '2020-11-17T00:00:00+00:00')",
                [studio, email, minutes],
            )


def test_sqlite_writes_the_bytes_python_writes(run, db_path, tmp_path):
    hostile_database(run, db_path, tmp_path)
    expected = python_bytes(db_path)
    assert json.loads(expected)  # people, and valid JSON
    assert "to confirm" not in expected and '"rsvp_before_change": {\n' in expected
    assert '"attended": {\n' in expected and "T09:03:00.250000+01:00" in expected
    assert sqlite_bytes(db_path) == expected
    for event in ("studio", "arsmote"):
        assert sqlite_bytes(db_path, event) == python_bytes(db_path, event)


def test_sqlite_writes_the_csv_python_writes(run, db_path, tmp_path):
    hostile_database(run, db_path, tmp_path)
    expected = python_bytes(db_path, fmt="csv")
    # Guarded and quoted. (Not read back with the csv module: it writes a CR
    # inside a cell unquoted, and then refuses to read it.)
    assert '\n"\'=HYPERLINK(""x"")",' in expected
    assert ',\'\ttab first,\'\rcr first,"""quoted"", and more","\nx",' in expected
    assert sqlite_bytes(db_path, fmt="csv") == expected
    for event in ("studio", "arsmote"):
        assert sqlite_bytes(db_path, event, "csv") == python_bytes(db_path, event, "csv")


def test_an_empty_list_is_the_same(run, db_path):
    run("agenda", "show")
    assert sqlite_bytes(db_path) == python_bytes(db_path) == "[]\n"
    assert sqlite_bytes(db_path, fmt="csv") == python_bytes(db_path, fmt="csv")


def test_the_command_takes_the_sqlite_path_and_filters_the_python_one(run, db_path, tmp_path):
    hostile_database(run, db_path, tmp_path)
    for fmt in ("json", "csv"):
        listed = run("registrations", "list", "--format", fmt)
        assert listed.exit_code == 0
        assert listed.output == python_bytes(db_path, fmt=fmt)
    searched = run("registrations", "list", "--format", "json", "--search", "østby")
    assert [p["email"] for p in json.loads(searched.output)] == ["Person.14@example.org"]


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(names=st.lists(TEXT, min_size=1, max_size=6), seconds=st.integers(0, 4 * 365 * 86400))
def test_generated_people_give_the_same_bytes(tmp_path_factory, names, seconds):
    from datetime import UTC, datetime, timedelta

    db_path = tmp_path_factory.mktemp("bytes") / "innoff.db"
    conn = store.connect(db_path)
    try:
        with conn:
            moment = datetime(2018, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
            for i, name in enumerate(names):
                conn.execute(
                    "INSERT INTO participants (email, address, name, organisation, role,"
                    " sort_key, registered_utc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [f"p{i}@x.no", f"P{i}@x.no" if i % 2 else "", name, name[::-1],
                     string.printable[i], name.casefold(),
                     (moment + timedelta(hours=i * 997)).isoformat(timespec="seconds")],
                )  # fmt: skip
    finally:
        conn.close()
    assert sqlite_bytes(db_path) == python_bytes(db_path)
    assert sqlite_bytes(db_path, fmt="csv") == python_bytes(db_path, fmt="csv")


def python_export(db_path, delimiter: str) -> str:
    """`registrations export` as Python wrote it, cell by cell, before SQLite did."""
    from innoff_cli.output import spreadsheet_safe
    from innoff_cli.output.registrations import participant_columns
    from innoff_cli.participant_fields import EXPORT_FIELDS

    columns = participant_columns(EXPORT_FIELDS)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([column.key for column in columns])
    for person in participants.list_participants(db_path):
        writer.writerow([spreadsheet_safe(column.get(person)) for column in columns])
    return out.getvalue()


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|", "]"])
def test_the_export_is_what_python_wrote(run, db_path, tmp_path, delimiter):
    hostile_database(run, db_path, tmp_path)
    target = tmp_path / "export.csv"
    count = participants.export_csv(db_path, target, delimiter=delimiter)
    assert count == len(HOSTILE)
    raw = target.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    assert raw[3:].decode("utf-8") == python_export(db_path, delimiter)


def test_each_person_is_looked_up_by_an_index(run, db_path, tmp_path):
    """A listing asks per person for their events, answers and attendance: each
    must be an index search, never a scan of a whole table (people times rows)."""
    from innoff_cli.store import registrations, replies

    hostile_database(run, db_path, tmp_path)
    with sqlite3.connect(db_path) as conn:
        for query in (
            registrations.list_query("", True),
            f"SELECT {replies.ANSWER_NOW} FROM replies a",
        ):
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query)]
            scans = [step for step in plan if step.startswith("SCAN") and "USING" not in step]
            assert [s for s in scans if not s.startswith(("SCAN (", "SCAN a"))] == [], plan
            assert not any("outbox_state" in step for step in plan), plan


@pytest.mark.parametrize("most", [200, 0])
def test_the_table_is_what_python_drew(run, db_path, tmp_path, monkeypatch, most):
    """The table from SQLite's cells, drawn by Rich (few rows) or as plain lines
    (many: `most` 0 makes any number many), is the table drawn from people read
    in Python (`--search ''` filters nothing, and takes that path)."""
    from innoff_cli.output import registrations as output

    hostile_database(run, db_path, tmp_path)
    monkeypatch.setattr(output, "RICH_MOST_ROWS", most)
    for args in ((), ("--event", "arsmote"), ("--format", "json"), ("--format", "csv")):
        fast = run("registrations", "list", *args)
        slow = run("registrations", "list", *args, "--search", "")
        assert fast.exit_code == slow.exit_code == 0
        assert fast.output == slow.output
    table = run("registrations", "list").output
    assert "\\x1b[31mred" in table and "\x1b" not in table  # shown as text, never acting
    assert "Kari" in table and "Organisation" in table


def test_with_no_answers_or_attendance_stored_their_look_ups_are_left_out_alike(
    run, db_path, tmp_path
):
    """Before any answer or attendance is stored, the list does not look for them
    person by person: the rows are the ones the look-ups give ('{}' each)."""
    from innoff_cli.store.registrations import list_query, tails_held

    hostile_database(run, db_path, tmp_path)
    with sqlite3.connect(db_path) as conn:
        assert tails_held(conn) == {"answers": True, "attended": True}
        conn.execute("DELETE FROM replies")
        conn.execute("DELETE FROM attendance")
        assert tails_held(conn) == {"answers": False, "attended": False}
        for by_name in (False, True):
            full = conn.execute(list_query("", by_name)).fetchall()
            short = list_query("", by_name, answers=False, attended=False)
            assert conn.execute(short).fetchall() == full and len(full) > 10
            plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + short))
            assert "replies" not in plan and "attendance" not in plan, plan


@settings(max_examples=200, deadline=None)
@example(  # Oslo's clocks, spring and autumn 2020 (01:00 UTC), the seconds either side
    zone="Europe/Oslo", odd="",
    moments=[954_291_599, 954_291_600, 954_295_199, 954_295_200, 972_435_599, 972_435_600, 972_439_199, 972_439_200],
)  # fmt: skip
@given(
    zone=st.sampled_from(
        ["Europe/Oslo", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "UTC"]
    ),
    moments=st.lists(st.integers(0, 60 * 366 * 24 * 3600), min_size=1, max_size=40),
    odd=st.sampled_from(
        ["", None, "2020-11-17T09:58:01.5+00:00", "2020-11-17T10:58:01+01:00", "2020-11-17"]
    ),
)
def test_local_times_by_the_hour_are_what_local_time_says(zone, moments, odd):
    """A list's registration times are shown by the hour (each worked out once):
    the text is local_time's, in any zone (half hours, half-hour summer time,
    the nights the clocks change) and for times the store did not write itself."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from innoff_cli import participant_fields

    home = participant_fields.HOME_ZONE
    participant_fields.HOME_ZONE = ZoneInfo(zone)
    try:
        shown = participant_fields.LocalTimes()
        start = datetime(1990, 1, 1, tzinfo=UTC)
        stored = [(start + timedelta(seconds=s)).isoformat() for s in moments] + [odd]
        for text in stored * 2:  # the second time from what was worked out
            assert shown(text) == participant_fields.local_time(text), (zone, text)
    finally:
        participant_fields.HOME_ZONE = home


def test_with_no_answer_stored_the_stats_count_every_registration_as_none_alike(
    run, db_path, tmp_path
):
    """Before any answer is stored, `stats` counts answers without a look-up a
    registration: the counts are the ones the look-ups give."""
    from innoff_cli.store import replies

    hostile_database(run, db_path, tmp_path)
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM replies")
        without = sorted(replies.answer_counts(conn))
        # An answer of someone registered for nothing: the look-ups run, and find nothing.
        conn.execute(
            "INSERT INTO replies (email, uid, event, partstat, sequence, message_id, read_utc)"
            " VALUES ('nobody@x.no', 'uid-n', 'studio', 'ACCEPTED', 0, '<n@x>', '2020-11-17')"
        )
        looked_up = sorted(replies.answer_counts(conn))
    assert without == looked_up and {answer for _, _, answer, _ in without} == {"none"}
    assert sum(count for *_, count in without) > 10
