"""Exports shaped like those of the systems Norwegian organisers use, with fictional people.

Each is imported with default options into a fresh database and compared, person
by person and field by field, with what a careful person would have typed in.
"""

from __future__ import annotations

import codecs
import json
import sqlite3

from tests.test_cli_registrations import dump, people, person


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    data = text.encode(encoding)
    path.write_bytes(codecs.BOM_UTF8 + data if encoding == "utf-8-sig" else data)
    return str(path)


def imported(run, path, *args) -> dict:
    result = run("registrations", "import", path, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    (report,) = json.loads(result.stdout)
    return report


ZOOM_REGISTRATION = """\
Registration Report
Report Generated:,"11/10/2020 10:12 AM"
Topic,Webinar ID,Scheduled Time,Duration (Minutes),# Registered,# Cancelled
INNOFF-studio,812 3456 7890,"Nov 17, 2020 10:00 AM",120,3,0

Host Details
User Name (Original Name),Email,Join Time
INNOFF Vert,vert@innoff.example,

Panelist Details
User Name (Original Name),Email
Panel Deltaker,panel@menon.example

Registrant Details
First Name,Last Name,Email,Organization,Job Title,Registration Time,Approval Status
Kari,Nordmann,kari.nordmann@bergen.kommune.example,Bergen kommune,Rådgiver,11/03/2020 12:06:52 PM,approved
Ola,Hansen,ola.hansen@ntnu.example,NTNU,Professor,11/04/2020 09:15:00 AM,approved
Per,Avvist,per@spam.example,,,11/05/2020 01:00:00 PM,denied
"""


def test_zoom_registration_report_reads_the_registrants_block(run, tmp_path):
    report = imported(run, write(tmp_path, "zoom.csv", ZOOM_REGISTRATION))
    assert people(run) == [
        person("kari.nordmann@bergen.kommune.example", "Kari Nordmann", organisation="Bergen kommune",
               role="Rådgiver", registered_at="2020-11-03T12:06:52+01:00"),
        person("ola.hansen@ntnu.example", "Ola Hansen", organisation="NTNU", role="Professor",
               registered_at="2020-11-04T09:15:00+01:00"),
    ]  # fmt: skip
    assert report["header_line"] == 15
    assert report["rejected"] == 1
    assert report["rejected_lines"] == ["line 18: not coming (Approval Status: denied)"]
    assert report["not_coming"] == {"Approval Status: denied": 1}
    plan = {column["column"]: column["use"] for column in report["plan"]}
    assert plan["Approval Status"] == "status" and plan["Registration Time"] == "registered_at"


MICROSOFT_FORMS_NO = """\
ID;Starttidspunkt;Fullføringstidspunkt;E-post;Navn;Tidspunkt for siste endring;E-post2;Navn2;Hvilken kommune/organisasjon representerer du?;Deltar du på årsmøtet?
1;11/2/20 9:01:12;11/2/20 9:03:40;anonymous;anonymous;;kari@bergen.kommune.example;Kari Nordmann;Bergen kommune;Ja
2;11/3/20 14:20:01;11/3/20 14:22:09;anonymous;anonymous;;ola@ntnu.example;Ola Hansen;NTNU;Nei
"""


def test_norwegian_microsoft_forms_resaved_by_excel(run, tmp_path):
    imported(run, write(tmp_path, "forms.csv", MICROSOFT_FORMS_NO, "cp1252"))
    assert people(run) == [
        person("kari@bergen.kommune.example", "Kari Nordmann", ("studio", "arsmote"),
               organisation="Bergen kommune", registered_at="2020-11-02T09:03:40+01:00"),
        person("ola@ntnu.example", "Ola Hansen", organisation="NTNU",
               registered_at="2020-11-03T14:22:09+01:00"),
    ]  # fmt: skip


CHECKIN = """\
Ordrenummer;Bestiller navn;Bestiller e-post;Bestiller telefon;Billettype;Fornavn;Etternavn;E-post;Firma;Stilling;Påmeldt
1001;Økonomiavdelingen Bergen;faktura@bergen.kommune.example;55 55 55 55;INNOFF-studio;Kari;Nordmann;kari@bergen.kommune.example;Bergen kommune;Rådgiver;02.11.2020 10:00
1001;Økonomiavdelingen Bergen;faktura@bergen.kommune.example;55 55 55 55;INNOFF-studio;Lise;Berg;lise@bergen.kommune.example;;Konsulent;02.11.2020 10:00
"""


def test_checkin_buyer_never_replaces_the_participant(run, tmp_path):
    imported(run, write(tmp_path, "checkin.csv", CHECKIN))
    assert people(run) == [
        # The buyer's phone fills the field the participant's columns lack.
        person("kari@bergen.kommune.example", "Kari Nordmann", organisation="Bergen kommune",
               role="Rådgiver", phone="55 55 55 55", registered_at="2020-11-02T10:00:00+01:00"),
        person("lise@bergen.kommune.example", "Lise Berg", role="Konsulent",
               phone="55 55 55 55", registered_at="2020-11-02T10:00:00+01:00"),
    ]  # fmt: skip


TICKETCO = """\
Order ID,Purchased at,Kjøper,Buyer email,Ticket type,Navn på billett,Deltakers e-post,Arbeidssted,Status
T-1,2020-11-03 12:06:52,Kari Nordmann,kari@bergen.kommune.example,Studio,Per Hansen,per@bergen.kommune.example,Bergen kommune,Paid
T-2,2020-11-04 08:00:00,Ola Hansen,ola@ntnu.example,Studio,Ola Hansen,ola@ntnu.example,NTNU,Refunded
"""


def test_ticketco_ticket_holder_and_purchase_time(run, tmp_path):
    report = imported(run, write(tmp_path, "ticketco.csv", TICKETCO))
    assert people(run) == [
        person("per@bergen.kommune.example", "Per Hansen", organisation="Bergen kommune",
               registered_at="2020-11-03T12:06:52+01:00"),
    ]  # fmt: skip
    assert report["not_coming"] == {"Status: Refunded": 1}


GOOGLE_FORMS = """\
Tidsmerke,E-postadresse,Fullt navn,"Arbeidssted (kommune, universitet, institutt ...)",Stilling,Hvilke deler vil du delta på?
02.11.2020 09.13.45,kari@bergen.kommune.example,Kari Nordmann,Bergen kommune,rådgiver,"INNOFF-studio, Årsmøte"
03.11.2020 10.00.00,ola@uib.example,Ola Hansen,Universitetet i Bergen,forsker,INNOFF-studio
"""


def test_google_forms_workplace_question_is_the_organisation(run, tmp_path):
    imported(run, write(tmp_path, "google.csv", GOOGLE_FORMS))
    assert people(run) == [
        person("kari@bergen.kommune.example", "Kari Nordmann", ("studio", "arsmote"),
               organisation="Bergen kommune", role="rådgiver",
               registered_at="2020-11-02T09:13:45+01:00"),
        person("ola@uib.example", "Ola Hansen", organisation="Universitetet i Bergen",
               role="forsker", registered_at="2020-11-03T10:00:00+01:00"),
    ]  # fmt: skip
    stats = json.loads(run("registrations", "stats", "--format", "json").stdout)
    assert stats["municipalities"] == {"Bergen": 1, "(not given)": 1}


TYPEFORM = """\
#,Hva heter du?,Hva er e-postadressen din?,Hvor jobber du?,Start Date (UTC),Submit Date (UTC),Network ID
a1b2,Kari Nordmann,kari@bergen.kommune.example,Bergen kommune,2020-11-02 08:10:00,2020-11-02 08:13:30,9f8e
c3d4,Ola Hansen,ola@ntnu.example,NTNU,2020-11-03 12:00:00,2020-11-03 12:02:00,7a6b
"""


def test_typeform_questions_and_utc_submit_time(run, tmp_path):
    imported(run, write(tmp_path, "typeform.csv", TYPEFORM))
    assert people(run) == [
        person("kari@bergen.kommune.example", "Kari Nordmann", organisation="Bergen kommune",
               registered_at="2020-11-02T09:13:30+01:00"),
        person("ola@ntnu.example", "Ola Hansen", organisation="NTNU",
               registered_at="2020-11-03T13:02:00+01:00"),
    ]  # fmt: skip


DELTAGER = """\
Påmeldingsnr;Navn;E-post;Organisasjon;Status;Påmeldt dato
1;Kari Nordmann;kari@bergen.kommune.example;Bergen kommune;Påmeldt;06.11.2020 08:28
2;Ola Hansen;ola@ntnu.example;NTNU;Venteliste;06.11.2020 09:00
3;Lise Berg;lise@ks.example;KS;På venteliste;06.11.2020 09:10
"""


def test_deltager_waiting_list_registers_nobody(run, tmp_path):
    report = imported(run, write(tmp_path, "deltager.csv", DELTAGER))
    assert [p["email"] for p in people(run)] == ["kari@bergen.kommune.example"]
    assert report["not_coming"] == {"Status: Venteliste": 1, "Status: På venteliste": 1}


def test_a_file_that_gives_no_participant_is_an_error(run, tmp_path, db_path):
    run("agenda", "show")  # the database exists
    before = dump(db_path)
    path = write(
        tmp_path, "feil.csv", "Navn;E-post;Organisasjon\nKari;anonymous;Bergen\nOla;-;NTNU\n"
    )
    rejects = tmp_path / "avvist.csv"
    result = run("registrations", "import", path, "--rejects", str(rejects))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: none of its 2 data rows gave a participant (2 rejected: no e-mail"
        " address) - the header is line 1 and e-mail was taken from 'E-post'; name the right"
        " column with --map 'HEADER=email'\n"
    )
    assert dump(db_path) == before and not rejects.exists()


def test_a_date_column_that_is_no_dates_is_an_error(run, tmp_path, db_path):
    path = write(
        tmp_path,
        "dato.csv",
        "Navn;E-post;Påmeldt\nKari;kari@x.example;snart\nOla;ola@x.example;i morgen\n",
    )
    result = run("registrations", "import", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {path}: column 'Påmeldt' was taken as the registration time, but none of its"
        " 2 values is a date"
    )
    assert "--map 'Påmeldt=extra'" in result.stderr


def test_dry_run_shows_the_column_plan(run, tmp_path):
    result = run(
        "registrations", "import", write(tmp_path, "zoom.csv", ZOOM_REGISTRATION), "--dry-run"
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "  header on line 15 (11 rows above it skipped)" in lines
    assert "  Email → email (kari.nordmann@bergen.kommune.example)" in lines
    assert "  Approval Status → status: rows not coming are rejected (approved)" in lines
    assert "  not coming, registered nobody: Approval Status: denied 1" in lines
    with sqlite3.connect(tmp_path / "innoff.db") as conn:
        assert conn.execute("SELECT count(*) FROM participants").fetchone() == (0,)


ZOOM_ATTENDEES_THEN_PANELISTS = """\
Attendee Report
Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),# Registered
INNOFF-studio,812 3456 7890,"Nov 17, 2020 10:00 AM",121,2

Attendee Details
Attended,User Name (Original Name),First Name,Last Name,Email,Registration Time,Approval Status
Yes,Kari,Kari,Nordmann,kari@bergen.kommune.example,11/03/2020 12:06:52 PM,approved
No,Ola,Ola,Hansen,ola@ntnu.example,11/04/2020 09:15:00 AM,approved

Panelist Details
Attended,User Name (Original Name),Email,Join Time
Yes,Panel Deltaker,panel@menon.example,11/17/2020 09:55:00 AM
"""


def test_a_later_block_of_panelists_is_not_registered(run, tmp_path):
    report = imported(run, write(tmp_path, "attendees.csv", ZOOM_ATTENDEES_THEN_PANELISTS))
    assert [p["email"] for p in people(run)] == ["kari@bergen.kommune.example", "ola@ntnu.example"]
    assert report["stopped_at"] == 10 and report["rejected"] == 0
    assert (
        "a later block is not registrants, not read: 1 (from line 10: Panelist Details)"
        in report["warnings"]
    )


def test_error_messages_quote_headers_escaped_and_on_one_line(run, tmp_path):
    path = write(tmp_path, "rar.csv", '"\x1b[2J\x01\nNavn";Telefon\nKari;999\n')
    result = run("registrations", "import", path)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr
    assert "(the columns are: \\x1b[2J\\x01\\nNavn, Telefon)" in result.stderr
