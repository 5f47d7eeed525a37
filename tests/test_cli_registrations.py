"""`innoff registrations ...` end to end, on export files the tests write themselves."""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innoff_cli import participants, store
from tests.conftest import snapshot


def people(run, *args: str) -> list[dict]:
    """The list as JSON, without the answers and attendance: these files were
    never invited or met, so everyone's answer for each of their events is
    'none', and no one attended (checked here)."""
    result = run("registrations", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    for person in listed:
        assert person.pop("rsvp") == {event: "none" for event in person["events"]}
        assert person.pop("rsvp_before_change") == {}
        assert person.pop("attended") == {}
    return listed


def dump(db_path) -> dict[str, list]:
    return snapshot(db_path)


def person(email, name, events=("studio",), **fields) -> dict:
    return {
        "email": email, "name": name, "organisation": "", "role": "", "municipality": "",
        "phone": "", "registered_at": None, "events": list(events), **fields,
    }  # fmt: skip


def import_json(run, path, *args):
    result = run("registrations", "import", str(path), "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    (report,) = json.loads(result.stdout)
    return report


# --- the dialects --------------------------------------------------------------------


def test_bom_semicolon_norwegian_headers(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_bytes(
        codecs.BOM_UTF8
        + (
            "Fornavn;Etternavn;E-post;Organisasjon;Stilling;Kommune;Telefon;Påmeldt;Deltar på årsmøte\r\n"
            "Kari;Nordmann;Kari.Nordmann@Bergen.Kommune.no;Bergen kommune;rådgiver;Bergen;+47 999 99 999;16.11.2020 09:13;Ja\r\n"
            "Øystein;Ås;oystein@ntnu.no;NTNU;professor;Trondheim;;17.11.2020 08:00;Nei\r\n"
        ).encode()
    )
    report = import_json(run, export)
    assert (report["encoding"], report["delimiter"], report["new"], report["rejected"]) == (
        "utf-8-sig",
        "semicolon",
        2,
        0,
    )
    assert "Deltar på årsmøte → registered for arsmote (yes/no)" in report["columns"]
    assert people(run) == [
        person("Kari.Nordmann@bergen.kommune.no", "Kari Nordmann", ("studio", "arsmote"),
               organisation="Bergen kommune", role="rådgiver", municipality="Bergen",
               phone="+47 999 99 999", registered_at="2020-11-16T09:13:00+01:00"),
        person("oystein@ntnu.no", "Øystein Ås", organisation="NTNU", role="professor",
               municipality="Trondheim", registered_at="2020-11-17T08:00:00+01:00"),
    ]  # fmt: skip


def test_windows_1252_from_excel(run, tmp_path):
    export = tmp_path / "excel.csv"
    export.write_bytes(
        "Navn;E-post;Virksomhet;Tidsmerke\r\nSølvi Ærland;solvi@tromso.kommune.no;Tromsø kommune;02.11.2020 10:00\r\n".encode(
            "cp1252"
        )
    )
    assert import_json(run, export)["encoding"] == "cp1252"
    assert people(run) == [
        person("solvi@tromso.kommune.no", "Sølvi Ærland", organisation="Tromsø kommune",
               registered_at="2020-11-02T10:00:00+01:00")
    ]  # fmt: skip


def test_microsoft_forms_with_anonymous_columns(run, tmp_path):
    export = tmp_path / "forms.csv"
    export.write_text(
        "ID,Start time,Completion time,Email,Name,Navn,E-post,Organisasjon,Deltar du på årsmøtet?\n"
        "1,11/2/20 9:00:01,11/2/20 9:01:12,anonymous,anonymous,Per Hansen,per@ks.no,KS,Ja\n"
        "2,11/12/20 14:00:00,11/12/20 14:03:00,anonymous,anonymous,Lise Berg,lise@nifu.no,NIFU,Nei\n",
        encoding="utf-8",
    )
    import_json(run, export)
    assert people(run) == [
        person("lise@nifu.no", "Lise Berg", organisation="NIFU", registered_at="2020-11-12T14:03:00+01:00"),
        person("per@ks.no", "Per Hansen", ("studio", "arsmote"), organisation="KS", registered_at="2020-11-02T09:01:12+01:00"),
    ]  # fmt: skip
    shown = json.loads(run("registrations", "show", "per@ks.no", "--format", "json").stdout)
    assert shown["extra"] == {
        "ID": "1",
        "Start time": "11/2/20 9:00:01",
        "Email": "anonymous",
        "Name": "anonymous",
    }


def test_microsoft_forms_in_norwegian(run, tmp_path):
    # Norwegian Forms: its own columns in Norwegian, times day-first, "anonym".
    export = tmp_path / "skjema.csv"
    export.write_text(
        "ID;Starttidspunkt;Fullføringstidspunkt;E-post;Navn;Fullt navn;E-postadresse;"
        "Virksomhet;Blir du med på årsmøtet?\n"
        "1;2.11.2020 09:00:01;2.11.2020 09:01:12;anonym;;Anne Lie;Anne.Lie@Sintef.no;SINTEF;Ja, digitalt\n"
        "2;12.11.2020 14:00:00;12.11.2020 14:03:00;anonym;;Bjørn Dahl;bjorn@oslo.kommune.no;Oslo kommune;Nei takk\n",
        encoding="utf-8",
    )
    import_json(run, export)
    assert people(run) == [
        person("Anne.Lie@sintef.no", "Anne Lie", ("studio", "arsmote"), organisation="SINTEF", registered_at="2020-11-02T09:01:12+01:00"),
        person("bjorn@oslo.kommune.no", "Bjørn Dahl", organisation="Oslo kommune", registered_at="2020-11-12T14:03:00+01:00"),
    ]  # fmt: skip


def test_eventbrite_english_with_ticket_types(run, tmp_path):
    export = tmp_path / "eventbrite.csv"
    export.write_text(
        "Order #,Order Date,First Name,Last Name,Email,Ticket Type,Company,Job Title\n"
        "111,2020-11-02 09:01:12+01:00,Anne,Lie,anne@sintef.no,INNOFF-studio,SINTEF,Forsker\n"
        '112,2020-11-03 10:00:00+01:00,Bjørn,Dahl,bjorn@oslo.kommune.no,"INNOFF-studio, Årsmøte",Oslo kommune,Rådgiver\n',
        encoding="utf-8",
    )
    assert "Ticket Type → events" in import_json(run, export)["columns"]
    assert people(run) == [
        person("anne@sintef.no", "Anne Lie", organisation="SINTEF", role="Forsker", registered_at="2020-11-02T09:01:12+01:00"),
        person("bjorn@oslo.kommune.no", "Bjørn Dahl", ("studio", "arsmote"), organisation="Oslo kommune",
               role="Rådgiver", registered_at="2020-11-03T10:00:00+01:00"),
    ]  # fmt: skip


MESSY = (
    "  Navn  ,E-post,Organisasjon,Kommentar,Arrangementer\n"
    '"Ola ""Sitat"" Nordmann", ola@example.org ,"Org, AS","Linje 1\nLinje 2",INNOFF-studio;Årsmøte\n'
    "\n"
    '=HYPERLINK("http://x"),evil@example.org,+47 999,@SUM(1),studio\n'
    "Ingen epost,,Org,,\n"
    "Feil,feil@@x,Org,,\n"
)


def test_cancelled_registrations_and_names_as_lists_write_them(run, tmp_path):
    # An attendee report: one row per ticket, cancelled tickets included, names
    # as a list sorted by surname writes them.
    export = tmp_path / "attendees.csv"
    export.write_text(
        "Navn;E-post;Billettype;Status\n"
        "Nordmann, Kari;kari@x.no;INNOFF-studio;Påmeldt\n"
        "Nordmann, Kari;kari@x.no;Årsmøte;Avmeldt\n"
        "OLSEN, PER;per@x.no;Årsmøte;Kansellert\n",
        encoding="utf-8",
    )
    report = import_json(run, export)
    assert (report["new"], report["rejected"]) == (1, 2)
    assert report["rejected_lines"] == [
        "line 3: not coming (Status: Avmeldt)",
        "line 4: not coming (Status: Kansellert)",
    ]
    assert report["warnings"] == [
        "names written 'Last, First', turned around: 1 (line 2: Nordmann, Kari)"
    ]
    assert people(run) == [person("kari@x.no", "Kari Nordmann")]
    shown = json.loads(run("registrations", "show", "kari@x.no", "--format", "json").stdout)
    assert shown["extra"] == {"Status": "Påmeldt"}


def test_messy_file(run, tmp_path):
    export = tmp_path / "messy.csv"
    export.write_text(MESSY, encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = run("registrations", "import", str(export), "--rejects", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert "new 2 · updated 0 · unchanged 0 · duplicates in file 0 · rejected 2" in result.stdout
    assert "line 6: no e-mail address" in result.stdout
    assert people(run) == [
        person("evil@example.org", '=HYPERLINK("http://x")', organisation="+47 999"),
        person(
            "ola@example.org", 'Ola "Sitat" Nordmann', ("studio", "arsmote"), organisation="Org, AS"
        ),
    ]
    shown = json.loads(run("registrations", "show", "OLA@example.org", "--format", "json").stdout)
    assert shown["extra"] == {"Kommentar": "Linje 1\nLinje 2"}  # the line break survives
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert rows == [
        ["  Navn  ", "E-post", "Organisasjon", "Kommentar", "Arrangementer", "reason"],
        ["Ingen epost", "", "Org", "", "", "line 6: no e-mail address"],
        ["Feil", "feil@@x", "Org", "", "", rows[2][5]],
    ]
    assert rows[2][5].startswith("line 7: bad e-mail address 'feil@@x'")


def test_title_lines_and_excel_sep_hint_above_the_header(run, tmp_path):
    export = tmp_path / "rapport.csv"
    export.write_text(
        "sep=,\n"
        "Deltakerliste INNOFF-studio 17.11.2020\n"
        "Generert 16.11.2020;av NEON\n"
        "\n"
        "Navn,E-post,Organisasjon\n"
        "Kari Nordmann,kari@ks.no,KS\n"
        "Totalt: 1 påmeldt,,\n",
        encoding="utf-8",
    )
    report = import_json(run, export)
    assert (report["delimiter"], report["skipped_before_header"], report["new"]) == ("comma", 3, 1)
    assert report["rejected_lines"] == [
        "line 7: no e-mail address"
    ]  # the total line is not lost silently
    assert people(run) == [person("kari@ks.no", "Kari Nordmann", organisation="KS")]


def test_map_overrides_and_headerless_email(run, tmp_path):
    export = tmp_path / "map.csv"
    export.write_text("Deltaker;Kontakt;Notat\nKari;kari@x.no;vegetar\n", encoding="utf-8")
    import_json(run, export, "--map", "Notat=role", "--event", "årsmøte")
    assert people(run) == [person("kari@x.no", "Kari", ("arsmote",), role="vegetar")]


# --- duplicates and re-imports ----------------------------------------------------------


def test_duplicates_in_a_file_and_across_imports(run, tmp_path, db_path):
    first = tmp_path / "first.csv"
    first.write_text(
        "Navn;E-post;Organisasjon;Påmeldt;Allergi\n"
        "Kari N;kari@x.no;KS;01.11.2020 10:00;nøtter\n"
        "Kari Nordmann;KARI@x.no ;;03.11.2020 10:00;\n"
        "Kari Gammel;kari@x.no;Gammel AS;02.11.2020 10:00;\n",
        encoding="utf-8",
    )
    report = import_json(run, first)
    assert (report["rows"], report["new"], report["duplicates"]) == (3, 1, 2)
    (kari,) = people(run)
    # The most recent row wins, the address as it wrote it too; what it leaves
    # empty comes from the next most recent.
    assert (kari["email"], kari["name"], kari["organisation"], kari["registered_at"]) == (
        "KARI@x.no",
        "Kari Nordmann",
        "Gammel AS",
        "2020-11-03T10:00:00+01:00",
    )
    extra = json.loads(run("registrations", "show", "kari@x.no", "-f", "json").stdout)["extra"]
    assert extra == {"Allergi": "nøtter"}

    older = tmp_path / "older.csv"
    older.write_text(
        "Navn;E-post;Påmeldt;Deltar på årsmøte\nK. Nordmann;kari@x.no;01.10.2020 10:00;Ja\n",
        encoding="utf-8",
    )
    report = import_json(run, older)
    assert (report["new"], report["updated"]) == (0, 1)  # the events changed
    (kari,) = people(run)
    assert kari["name"] == "Kari Nordmann"  # an older registration does not win
    assert kari["events"] == ["studio", "arsmote"]  # the union

    newer = tmp_path / "newer.csv"
    newer.write_text(
        "Navn;E-post;Påmeldt;Arrangement\nKari Ny;kari@x.no;05.11.2020 10:00;Årsmøte\n",
        encoding="utf-8",
    )
    import_json(run, newer, "--replace")
    (kari,) = people(run)
    assert (kari["name"], kari["events"]) == ("Kari Ny", ["arsmote"])


@pytest.mark.parametrize("undated_first", [True, False])
def test_a_row_without_a_time_counts_as_the_newest(run, tmp_path, undated_first):
    dated = "Kari Datert;kari@x.no;KS;01.11.2020 10:00\n"
    undated = "Kari Udatert;kari@x.no;;\n"
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Organisasjon;Påmeldt\n"
        + (undated + dated if undated_first else dated + undated),
        encoding="utf-8",
    )
    import_json(run, export)
    (kari,) = people(run)
    # The undated row decides; what it leaves empty comes from the dated one.
    assert (kari["name"], kari["organisation"], kari["registered_at"]) == (
        "Kari Udatert",
        "KS",
        "2020-11-01T10:00:00+01:00",
    )


def test_rows_of_one_person_far_apart_in_the_file_fold_into_one(run, tmp_path):
    # Rows of several people interleaved, runs of two and three, and people
    # whose addresses sort right next to each other (a@x.no, a@x.nu).
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Organisasjon;Påmeldt;Deltar på årsmøte\n"
        "Kari N;kari@x.no;KS;01.11.2020 10:00;Nei\n"
        "Anne;a@x.no;;;Nei\n"
        "Ola;ola@x.no;NTNU;02.11.2020 10:00;Ja\n"
        "Kari Nordmann;KARI@x.no;;03.11.2020 10:00;Ja\n"
        "Anders;a@x.nu;SINTEF;;Nei\n"
        "Ola Hansen;ola@x.no;;01.11.2020 09:00;Nei\n"
        "Kari;kari@x.no;Bergen kommune;02.11.2020 10:00;Nei\n",
        encoding="utf-8",
    )
    report = import_json(run, export)
    assert (report["rows"], report["new"], report["duplicates"]) == (7, 4, 3)
    assert people(run) == [
        person("a@x.nu", "Anders", organisation="SINTEF"),
        person("a@x.no", "Anne"),
        person("KARI@x.no", "Kari Nordmann", ("studio", "arsmote"), organisation="Bergen kommune",
               registered_at="2020-11-03T10:00:00+01:00"),
        person("ola@x.no", "Ola", ("studio", "arsmote"), organisation="NTNU",
               registered_at="2020-11-02T10:00:00+01:00"),
    ]  # fmt: skip


def test_reimport_changes_nothing_and_says_so(run, tmp_path, db_path):
    export = tmp_path / "neon.csv"
    export.write_text(MESSY, encoding="utf-8")
    assert import_json(run, export)["written"] is True
    before = dump(db_path)
    result = run("registrations", "import", str(export))
    assert result.exit_code == 0
    assert "new 0 · updated 0 · unchanged 2" in result.stdout
    assert "Nothing changed: imported with the same options on " in result.stdout
    assert "(not read again)" in result.stdout
    assert dump(db_path) == before


def test_a_reimport_is_read_again_after_any_change(run, tmp_path, db_path, monkeypatch):
    from innoff_cli.registration_exports import RowReader

    export = tmp_path / "neon.csv"
    export.write_text(MESSY, encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text("Navn;E-post\nOla;ola@x.no\n", encoding="utf-8")
    import_json(run, export)
    reads = []
    real = RowReader.rows

    def counted(self, *args):
        reads.append(1)
        return real(self, *args)

    monkeypatch.setattr(RowReader, "rows", counted)
    assert import_json(run, export)["not_read_again"] is True and reads == []
    # Other options are another import.
    assert import_json(run, export, "--replace")["not_read_again"] is False and len(reads) == 1
    for change in (
        ("registrations", "import", str(other)),
        ("agenda", "edit", "pause", "--title", "Kaffe"),
        ("registrations", "remove", "ola@x.no", "--yes"),
    ):
        assert import_json(run, export)["not_read_again"] is True
        assert run(*change).exit_code == 0
        count = len(reads)
        assert import_json(run, export)["not_read_again"] is False
        assert len(reads) > count


def test_dry_run_writes_nothing(run, tmp_path, db_path):
    run("agenda", "show")
    before = dump(db_path)
    export = tmp_path / "neon.csv"
    export.write_text(MESSY, encoding="utf-8")
    result = run("registrations", "import", str(export), "--dry-run")
    assert "new 2" in result.stdout and "Dry run: nothing was written." in result.stdout
    assert dump(db_path) == before


def test_every_import_is_recorded(run, tmp_path, db_path):
    export = tmp_path / "neon.csv"
    export.write_text(MESSY, encoding="utf-8")
    report = import_json(run, export)
    conn = sqlite3.connect(db_path)
    (row,) = store.imports.import_history(conn)
    assert (row["file_name"], row["sha256"], row["rows"], row["new"], row["rejected"]) == (
        "neon.csv", report["sha256"], 4, 2, 2,
    )  # fmt: skip
    assert row["imported_at"].endswith("+00:00")


# --- nothing half-done ------------------------------------------------------------------


def test_interrupted_import_leaves_the_database_unchanged(run, tmp_path, db_path, monkeypatch):
    run("agenda", "show")
    before = dump(db_path)
    export = tmp_path / "big.csv"
    export.write_text(
        "Navn;E-post\n" + "".join(f"P{i};p{i}@x.no\n" for i in range(5000)), encoding="utf-8"
    )
    original = store.imports.ImportSession._insert
    calls = {"n": 0}

    def interrupted(self, staged):
        calls["n"] += 1
        if calls["n"] == 3:  # after two batches were staged
            raise KeyboardInterrupt
        return original(self, staged)

    monkeypatch.setattr(store.imports.ImportSession, "_insert", interrupted)
    rejects = tmp_path / "rejects.csv"
    result = run("registrations", "import", str(export), "--rejects", str(rejects))
    assert result.exit_code == 130
    assert result.stderr == "Interrupted: nothing was written.\n"
    assert dump(db_path) == before
    assert not rejects.exists() and list(tmp_path.glob(".*.part")) == []


def test_an_event_removed_while_the_file_is_read_stops_the_import(
    run, tmp_path, db_path, monkeypatch
):
    """Imports skip SQLite's per-row foreign key checks (store.writing with
    check_references=False); the events, read before the write began, are
    checked instead."""
    run("agenda", "show")
    export = tmp_path / "export.csv"
    export.write_text("Navn;E-post;Deltar på årsmøte\nKari;kari@x.no;Ja\n", encoding="utf-8")
    original = store.writing

    def another_run_edits_the_programme_first(conn, **options):
        with sqlite3.connect(db_path) as other:
            other.execute("PRAGMA foreign_keys = ON")
            other.execute("DELETE FROM events WHERE slug = 'arsmote'")
        return original(conn, **options)

    monkeypatch.setattr(store, "writing", another_run_edits_the_programme_first)
    before = dump(db_path)
    result = run("registrations", "import", str(export))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: event 'arsmote' left the programme while the file was read - import it again\n"
    )
    after = dump(db_path)
    assert after["participants"] == before["participants"] == []
    assert after["registrations"] == [] and after["imports"] == []
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty - export the registrations again"),
        (
            b"\x00\x01\x02PK\x03\x04" * 10,
            "does not look like a CSV file - export the registrations as CSV",
        ),
        (
            b"Navn;By\nKari;Bergen\n",
            "no e-mail column found - name it with --map 'HEADER=email' (the columns are: Navn, By)",
        ),
        (b"\n\n\n", "has no rows - export the registrations again"),
    ],
)
def test_bad_files_give_one_error_line(run, tmp_path, db_path, content, message):
    run("agenda", "show")
    before = dump(db_path)
    export = tmp_path / "bad.csv"
    export.write_bytes(content)
    result = run("registrations", "import", str(export))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.endswith(message + "\n")
    assert result.stderr.count("\n") == 1
    assert dump(db_path) == before


def test_option_mistakes(run, tmp_path):
    export = tmp_path / "ok.csv"
    export.write_text("E-post\na@x.no\n", encoding="utf-8")
    assert (
        run("registrations", "import", str(tmp_path / "nope.csv")).stderr
        == f"Error: no such file: {tmp_path / 'nope.csv'} - check the path\n"
    )
    assert (
        run("registrations", "import", str(export), "--encoding", "klingon").stderr
        == "Error: unknown encoding 'klingon' - try utf-8 or cp1252\n"
    )
    for codec in ("rot13", "base64", "hex", "zlib"):  # codecs, but not for text
        result = run("registrations", "import", str(export), "--encoding", codec)
        assert (result.exit_code, result.stderr) == (
            1, f"Error: '{codec}' is not a text encoding - try utf-8 or cp1252\n",
        )  # fmt: skip
    assert run("registrations", "import", str(export), "--event", "gala").stderr.startswith(
        "Error: no event called 'gala'"
    )
    wrong = run("registrations", "import", str(export), "--encoding", "utf-16")
    assert wrong.exit_code == 1 and "pass the right --encoding" in wrong.stderr
    assert run("registrations", "import", str(export), "--map", "nonsense").exit_code == 2
    assert run("registrations", "import", str(export), "--delimiter", "x").exit_code == 2


# --- around the import ------------------------------------------------------------------


@pytest.fixture
def imported(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Organisasjon;Kommune;Deltar på årsmøte\n"
        "Kari Nordmann;kari@bergen.kommune.no;Bergen kommune;;Ja\n"
        "Øystein Ås;oystein@ntnu.no;NTNU;Trondheim;Nei\n"
        "Åse Ørn;ase@forskningsradet.no;Norges forskningsråd;Oslo;Nei\n"
        "Per Privat;per@example.org;;;Nei\n",
        encoding="utf-8",
    )
    import_json(run, export)


def test_list_search_and_event(run, imported):
    assert [p["email"] for p in people(run, "--search", "ØRN")] == ["ase@forskningsradet.no"]
    assert [p["email"] for p in people(run, "--event", "årsmøte")] == ["kari@bergen.kommune.no"]
    rows = list(csv.DictReader(io.StringIO(run("registrations", "list", "--format", "csv").stdout)))
    assert [r["email"] for r in rows] == [
        "kari@bergen.kommune.no",
        "per@example.org",
        "oystein@ntnu.no",
        "ase@forskningsradet.no",
    ]
    table = run("registrations", "list").stdout
    assert "Øystein Ås" in table and "4 participants" in table


def test_stats(run, imported):
    stats = json.loads(run("registrations", "stats", "--format", "json").stdout)
    by_kind = stats.pop("answers per organisation kind")
    assert stats == {
        "participants": {"total": 4},
        "events": {"studio": 4, "arsmote": 1},
        "organisation kinds": {
            "public agency": 1, "municipality or county": 1,
            "research and higher education": 1, "other": 1,
        },
        "municipalities": {"(not given)": 1, "Bergen": 1, "Oslo": 1, "Trondheim": 1},
        # No invite was sent, so no one has answered.
        "answers per event": {
            event: {"accepted": 0, "tentative": 0, "declined": 0, "delegated": 0, "none": n}
            for event, n in (("studio", 4), ("arsmote", 1))
        },
    }  # fmt: skip
    # Per kind, each registration's answer (a person in both events counts twice).
    assert set(by_kind) == set(stats["organisation kinds"])
    assert sum(counts.pop("none") for counts in by_kind.values()) == 5
    assert all(n == 0 for counts in by_kind.values() for n in counts.values())


def test_remove_erases_everything_about_a_person(run, imported, db_path):
    refused = run("registrations", "remove", "kari@bergen.kommune.no")
    assert refused.exit_code == 1 and "pass --yes" in refused.stderr
    result = run("registrations", "remove", "KARI@bergen.kommune.no", "--yes")
    assert (result.exit_code, result.stderr) == (0, "Erased KARI@bergen.kommune.no.\n")
    with sqlite3.connect(db_path) as conn:
        for table in ("participants", "registrations", "participant_imports"):
            assert (
                conn.execute(
                    f"SELECT count(*) FROM {table} WHERE email = 'kari@bergen.kommune.no'"
                ).fetchone()[0]
                == 0
            )
    missing = run("registrations", "remove", "kari@bergen.kommune.no", "--yes")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no participant with e-mail")


def test_export_is_excel_safe(run, tmp_path):
    export = tmp_path / "in.csv"
    export.write_text(MESSY, encoding="utf-8")
    import_json(run, export)
    target = tmp_path / "out.csv"
    result = run("registrations", "export", "-o", str(target))
    assert (result.exit_code, result.stderr) == (0, f"Wrote 2 participants to {target}.\n")
    raw = target.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    evil = next(r for r in rows if r["email"] == "evil@example.org")
    assert evil["name"] == '\'=HYPERLINK("http://x")' and evil["organisation"] == "'+47 999"
    ola = next(r for r in rows if r["email"] == "ola@example.org")
    assert (ola["name"], ola["events"]) == ('Ola "Sitat" Nordmann', "studio, arsmote")
    only = tmp_path / "arsmote.csv"
    run("registrations", "export", "-o", str(only), "--event", "arsmote")
    assert len(list(csv.DictReader(io.StringIO(only.read_text("utf-8-sig")), delimiter=";"))) == 1


def test_progress_is_reported_for_large_files(tmp_path, db_path, monkeypatch):
    from datetime import UTC, datetime

    from innoff_cli import participants
    from innoff_cli.output import registrations as output

    export = tmp_path / "big.csv"
    export.write_text(
        "Navn;E-post\n" + "".join(f"P{i};p{i}@x.no\n" for i in range(6000)), encoding="utf-8"
    )
    seen: list[tuple[int, int]] = []
    participants.import_file(
        db_path,
        export,
        now=datetime.now(UTC),
        progress=lambda done, total: seen.append((done, total)),
    )
    size = export.stat().st_size
    assert len(seen) >= 2 and all(total == size for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)

    # The bar itself appears only on a terminal, and only for files worth waiting for.
    with output.import_progress(export) as bar:
        assert bar is None  # small, and stderr is not a terminal here
    monkeypatch.setattr(output, "PROGRESS_FROM_BYTES", 1)
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    with output.import_progress(export) as bar:
        assert callable(bar)
        bar(size // 2, size)


def test_the_sample_exports_import(run):
    """data/samples/ is what the README tells newcomers to try: it must stay importable."""
    from tests.conftest import REPO

    samples = REPO / "data" / "samples"
    result = run(
        "registrations", "import", *(str(p) for p in sorted(samples.glob("*.csv"))), "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    forms, neon = json.loads(result.stdout)
    assert (neon["new"], neon["duplicates"], neon["rejected"]) == (5, 1, 1)
    assert (forms["new"], forms["rejected"]) == (2, 0)
    kari = json.loads(
        run("registrations", "show", "kari.nordmann@bergen-kommune.example", "-f", "json").stdout
    )
    assert (kari["email"], kari["role"]) == (
        "Kari.Nordmann@bergen-kommune.example",
        "seniorrådgiver",
    )


def test_every_csv_for_people_guards_formulas_and_export_goes_to_stdout(run, tmp_path):
    export = tmp_path / "farlig.csv"
    export.write_text(
        'Navn;E-post;Telefon\n=HYPERLINK("http://x","klikk");eva@x.no;+47 999 99 999\n',
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    listed = list(
        csv.DictReader(io.StringIO(run("registrations", "list", "--format", "csv").stdout))
    )
    assert (listed[0]["name"], listed[0]["phone"]) == (
        '\'=HYPERLINK("http://x","klikk")', "'+47 999 99 999",
    )  # fmt: skip
    out = run("registrations", "export", "-o", "-")
    assert out.exit_code == 0 and out.stderr == "Wrote 1 participants to stdout.\n"
    assert not (tmp_path / "-").exists()
    text = out.stdout_bytes.decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert row["name"] == '\'=HYPERLINK("http://x","klikk")'
    run("agenda", "edit", "pause", "--title", "=1+1")
    agenda = list(csv.DictReader(io.StringIO(run("agenda", "show", "--format", "csv").stdout)))
    assert [r["title"] for r in agenda if r["id"] == "pause"] == ["'=1+1"]


HOSTILE_TEXT = [
    "\x1b[2J",
    "\x1b]8;;http://evil.example\x07klikk\x1b]8;;\x07",
    "\x07",
    "\x9b31m",
    "\u202e",
    "\x7f",
]


def test_hostile_text_never_reaches_the_terminal_raw(run, tmp_path):
    names = [f"KARI{bad}NORDMANN" for bad in HOSTILE_TEXT]
    export = tmp_path / "fiendtlig.csv"
    export.write_text(
        "Navn;E-post;Organisasjon\n"
        + "".join(
            f'"{name}";k{i}@x.no;"Org{bad}"\n'
            for i, (name, bad) in enumerate(zip(names, HOSTILE_TEXT))
        ),
        encoding="utf-8",
    )
    outputs = [run("registrations", "import", str(export))]
    run("agenda", "edit", "pause", "--title", "Pause\x1b[31m\u202e")
    outputs += [
        run("registrations", "list"), run("registrations", "show", "k1@x.no"),
        run("registrations", "stats"), run("agenda", "show"),
        run("registrations", "show", "nobody\x1b[2J@x.no"),
    ]  # fmt: skip
    for result in outputs:
        for text in (result.stdout, result.stderr):
            assert not any(bad in text for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\x7f")), text
    assert "\\x1b[2J" in outputs[1].stdout.replace("\n", "")
    assert outputs[-1].stderr.count("\n") == 1 and "\\x1b[2J" in outputs[-1].stderr
    # JSON stays exact.
    listed = people(run)
    assert {p["organisation"] for p in listed} == {f"Org{bad}" for bad in HOSTILE_TEXT}


def test_a_second_writer_waits_its_turn_and_says_so(run, tmp_path, db_path, monkeypatch):
    import threading
    import time

    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 15.0)  # bounded, should anything go wrong
    run("agenda", "show")  # the database exists
    export = tmp_path / "neon.csv"
    export.write_text("Navn;E-post\nKari Nordmann;kari@x.no\n", encoding="utf-8")
    holder = sqlite3.connect(db_path, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another innoff run, writing
    released = threading.Timer(1.0, holder.rollback)
    released.start()
    start = time.monotonic()
    result = run("registrations", "import", str(export))
    released.join()
    holder.close()
    assert result.exit_code == 0, result.stderr
    assert "Waiting for another innoff run to finish writing to the database ..." in result.stderr
    assert time.monotonic() - start >= 0.9
    assert [p["email"] for p in people(run)] == ["kari@x.no"]


def test_a_reader_part_way_through_never_blocks_an_import(run, tmp_path, db_path, monkeypatch):
    import time

    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 2.0)  # a blocked import fails fast
    first = tmp_path / "first.csv"
    first.write_text("Navn;E-post\nAse Ås;ase@x.no\nBo Berg;bo@x.no\n", encoding="utf-8")
    assert run("registrations", "import", str(first)).exit_code == 0
    # A list paused after its first row, as in a pager: its read stays open.
    reading = participants.list_participants(db_path)
    assert next(reading)["email"] == "ase@x.no"
    more = tmp_path / "more.csv"
    more.write_text("Navn;E-post\nCecilie Dahl;cecilie@x.no\n", encoding="utf-8")
    start = time.monotonic()
    result = run("registrations", "import", str(more))
    assert result.exit_code == 0, result.stderr
    assert "Waiting" not in result.stderr and time.monotonic() - start < 1.5
    # The paused reader goes on in the snapshot it started with ...
    assert [p["email"] for p in reading] == ["bo@x.no"]
    # ... and the next one sees the import.
    assert [p["email"] for p in people(run)] == ["ase@x.no", "bo@x.no", "cecilie@x.no"]


def test_a_long_list_is_a_plain_aligned_table(run, tmp_path):
    export = tmp_path / "mange.csv"
    export.write_text(
        "Navn;E-post;Organisasjon\n"
        + "".join(f"Person {i:03d};p{i:03d}@x.no;Org {i % 7}\n" for i in range(250))
        + '"Lang \x1b[2J '
        + "x" * 80
        + '";lang@x.no;Org\n',
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0
    lines = run("registrations", "list").stdout.splitlines()
    assert lines[0].split() == [
        "Name",
        "E-mail",
        "Organisation",
        "Municipality",
        "Registered",
        "Events",
        "Answers",
    ]
    assert len(lines) == 2 + 251 + 1 and lines[-1] == "251 participants"
    assert (
        lines[2].startswith("Lang \\x1b[2J xxx")
        and "…" in lines[2]
        and "\x1b" not in "".join(lines)
    )
    starts = {line.index("@x.no") for line in lines[3:-1]}
    assert len(starts) == 1  # the e-mail column lines up


def test_the_list_is_in_norwegian_order_whatever_the_import_order(run, tmp_path):
    export = tmp_path / "rekke.csv"
    names = ["Åse Berg", "Zara Li", "Øyvind Ek", "Ærlend Ås", "anne Lie", "Émile Roux", "Ola Dal"]
    export.write_text(
        "Navn;E-post\n" + "".join(f"{n};p{i}@x.no\n" for i, n in enumerate(names)), encoding="utf-8"
    )
    run("registrations", "import", str(export))
    listed = [p["name"] for p in people(run)]
    # Æ, Ø and Å after Z, É with E, case folded.
    assert listed == ["anne Lie", "Émile Roux", "Ola Dal", "Zara Li", "Ærlend Ås", "Øyvind Ek",
                      "Åse Berg"]  # fmt: skip


NAME_LETTERS = st.sampled_from(list("aAeEoOzZæÆøØåÅéÉüÜ -'") + ["aa", "Aa", "ß", "ﬁ"])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(NAME_LETTERS, min_size=1, max_size=8).map("".join).map(str.strip)
                .filter(bool), min_size=2, max_size=12))  # fmt: skip
def test_the_stored_sort_key_orders_as_the_collation_does(tmp_path_factory, names):
    """The list walks the stored key (an index); its order is the one the
    Norwegian collation gives, whatever the names (issue 23)."""
    from innoff_cli.collation import norwegian_order
    from tests.conftest import invoke

    folder = tmp_path_factory.mktemp("order")
    export = folder / "navn.csv"
    export.write_text(
        "Navn;E-post\n" + "".join(f"{n};P{i}@x.no\n" for i, n in enumerate(names)),
        encoding="utf-8",
    )
    db = folder / "innoff.db"
    assert invoke(db, "registrations", "import", str(export)).exit_code == 0
    listed = json.loads(invoke(db, "registrations", "list", "--format", "json").stdout)
    expected = sorted(listed, key=lambda p: (norwegian_order(p["name"]), p["email"]))
    assert [p["email"] for p in listed] == [p["email"] for p in expected]


def test_the_list_walks_the_name_index(db_path, run, tmp_path):
    """No sort in the plan: SQLite reads participants in the index's order."""
    import sqlite3

    export = tmp_path / "x.csv"
    export.write_text("Navn;E-post\nÅse;a@x.no\nOla;o@x.no\n", encoding="utf-8")
    run("registrations", "import", str(export))
    with sqlite3.connect(db_path) as conn:
        plan = " ".join(row[-1] for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT email FROM participants"
            " ORDER BY sort_key, coalesce(nullif(address, ''), email)"))  # fmt: skip
    assert "participants_by_name" in plan and "TEMP B-TREE" not in plan


def test_a_terminated_export_leaves_no_half_file(tmp_path):
    """`kill` (SIGTERM) is handled as Ctrl-C: the part-written file is removed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "innoff.db"
    export = tmp_path / "big.csv"
    export.write_text(
        "Navn;E-post\n" + "".join(f"P{i};p{i}@x.no\n" for i in range(60000)), encoding="utf-8"
    )
    env = {**os.environ, "INNOFF_DB": str(db)}
    command = [sys.executable, "-m", "innoff_cli"]
    subprocess.run([*command, "registrations", "import", str(export)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    target = tmp_path / "out" / "participants.csv"
    target.parent.mkdir()
    running = subprocess.Popen(
        [*command, "registrations", "export", "-o", str(target)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    for _ in range(400):  # until it is writing, 20 s at most
        if any(target.parent.glob(".*.part")) or running.poll() is not None:
            break
        time.sleep(0.05)
    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=30)
    if running.returncode == 0:
        pytest.skip("the export finished before it could be stopped")
    assert running.returncode == 130, stderr
    assert b"Traceback" not in stderr
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"], ids=["cr", "lf", "crlf"])
def test_excel_for_mac_csv_is_mac_roman(run, tmp_path, newline):
    """Excel for Mac's "CSV" (not "CSV UTF-8") is Mac Roman, its lines ending in CR:
    read as Windows-1252, Bjørg Sæbø became 'Bj¿rg S¾b¿' and Årsmøte was lost.
    With other line ends the letters decide."""
    text = newline.join([
        "Navn;E-post;Årsmøte", "Bjørg Sæbø;bjorg@x.no;Ja", "Pål Ås;pal@y.no;Nei",
        "Åse Ødegård;ase@z.no;Ja", "",
    ])  # fmt: skip
    path = tmp_path / "mac.csv"
    path.write_bytes(text.encode("mac_roman"))
    report = import_json(run, path)
    assert report["encoding"] == "mac-roman"
    assert sorted(people(run), key=lambda p: p["email"]) == [
        person("ase@z.no", "Åse Ødegård", ("studio", "arsmote")),
        person("bjorg@x.no", "Bjørg Sæbø", ("studio", "arsmote")),
        person("pal@y.no", "Pål Ås"),
    ]
    # The same letters from a Norwegian PC stay Windows-1252.
    windows = tmp_path / "windows.csv"
    windows.write_bytes(
        text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n").encode("cp1252")
    )
    assert import_json(run, windows)["encoding"] == "cp1252"


@pytest.mark.parametrize(
    "yes, no, reading",
    [("1", "2", "1 = ja, 2 = nei"), ("1", "0", "yes/no"), ("x", "", "yes/no"), ("Ja", "Nei", "yes/no")],
    ids=["enalyzer-1-2", "nettskjema-1-0", "x-marks", "ja-nei"],
)  # fmt: skip
def test_coded_answers_register_by_their_code_and_no_to_all_registers_nobody(
    run, tmp_path, yes, no, reading
):
    """Enalyzer exports a yes/no question as its label numbers (1 = Ja, 2 = Nei),
    Nettskjema's codebook as 1/0, a hand-made sheet as x marks: each registers by
    its code; a person who said no to every event is no registration, and one
    registered by an earlier import stays as they were."""
    earlier = tmp_path / "earlier.csv"
    earlier.write_text("Navn;E-post\nOla Nordmann;ola@z.no\n", encoding="utf-8")
    assert run("registrations", "import", str(earlier)).exit_code == 0
    export = tmp_path / "survey.csv"
    export.write_text(
        "Respondent;E-post;Navn;Deltar du på INNOFF-studio?;Deltar du på årsmøtet?\n"
        f"1;kari@x.no;Kari Nordmann;{yes};{no}\n2;per@y.no;Per Ås;{no};{yes}\n"
        f"3;ola@z.no;Ola Nordmann;{no};{no}\n4;eva@w.no;Eva Li;{yes};{yes}\n",
        encoding="utf-8",
    )
    report = import_json(run, export, "--rejects", str(tmp_path / "rejects.csv"))
    uses = {column["column"]: column for column in report["plan"]}
    assert uses["Deltar du på årsmøtet?"]["use"] == "event:arsmote"
    assert uses["Deltar du på årsmøtet?"].get("reading", "yes/no") == reading
    assert report["rejected"] == 1 and report["not_coming"] == {"answered no to every event": 1}
    assert {p["email"]: p["events"] for p in people(run)} == {
        "kari@x.no": ["studio"], "per@y.no": ["arsmote"], "eva@w.no": ["studio", "arsmote"],
        "ola@z.no": ["studio"],  # from the earlier import, left as it was
    }  # fmt: skip
    rejected = (tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejected[1].startswith("3;ola@z.no;") and rejected[1].endswith(
        "answered no to every event"
    )


def test_a_column_naming_an_event_that_cannot_be_read_is_said(run, tmp_path):
    export = tmp_path / "survey.csv"
    export.write_text(
        "E-post;Navn;Årsmøtet\nkari@x.no;Kari;Kanskje\nper@y.no;Per;Vet ikke ennå\n",
        encoding="utf-8",
    )
    report = import_json(run, export)
    assert any(
        line.startswith("columns that name an event but hold no yes/no innoff can read")
        and "Årsmøtet (arsmote)" in line
        for line in report["warnings"]
    ), report["warnings"]


@pytest.mark.parametrize(
    "data, args",
    [("Bjørg Sæbø".encode().decode("cp1252").encode("utf-8"), ()),
     ("Bjørg Sæbø".encode("mac_roman"), ("--encoding", "cp1252"))],
    ids=["utf-8-twice", "mac-roman-as-cp1252"],
)  # fmt: skip
def test_a_name_that_looks_garbled_is_a_warning_naming_encoding(run, tmp_path, data, args):
    path = tmp_path / "garbled.csv"
    path.write_bytes(b"Navn;E-post\n" + data + b";bjorg@x.no\n")
    report = import_json(run, path, *args)
    assert any(
        line.startswith("names that look garbled (the wrong encoding?), pass --encoding")
        for line in report["warnings"]
    ), report["warnings"]


def test_yes_values_say_which_answers_are_yes(run, tmp_path):
    """A code innoff cannot guess (1 = kommer, 3 = kanskje) is read as the user says."""
    export = tmp_path / "coded.csv"
    export.write_text(
        "E-post;Navn;Kommer du på årsmøtet?\nkari@x.no;Kari;1\nper@y.no;Per;3\neva@z.no;Eva;1\n",
        encoding="utf-8",
    )
    guessed = import_json(run, export, "--dry-run")
    assert {c["column"]: c["use"] for c in guessed["plan"]}["Kommer du på årsmøtet?"] == "extra"
    report = import_json(run, export, "--yes-values", "1")
    (column,) = [c for c in report["plan"] if c["column"] == "Kommer du på årsmøtet?"]
    assert column["use"] == "event:arsmote"
    assert column["reading"] == "1 = ja, anything else = nei"
    assert {p["email"]: p["events"] for p in people(run)} == {
        "kari@x.no": ["studio", "arsmote"], "per@y.no": ["studio"], "eva@z.no": ["studio", "arsmote"],
    }  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=20))
def test_the_quick_sort_key_is_the_decomposed_one(text):
    from innoff_cli import collation

    assert collation.norwegian_order(text) == collation._decomposed(text.casefold())
