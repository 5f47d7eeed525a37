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


# --- survey tools: several header rows, rows that are no answers --------------------

SURVEYMONKEY = """\
Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,Custom Data 1,Kontaktinformasjon,,,Hvilke arrangementer vil du delta på?,
,,,,,,,,,Navn,Bedrift,E-postadresse,INNOFF-studio,Årsmøte
11825311791,431234567,11/05/2020 09:12:44 AM,11/05/2020 09:14:02 AM,88.88.1.1,,,,,Kari Nordmann,Bergen kommune,kari@bergen.kommune.example,INNOFF-studio,Årsmøte
11825311792,431234567,11/05/2020 10:01:00 AM,11/05/2020 10:03:00 AM,88.88.1.2,,,,,Per Ås,KS,per@ks.example,INNOFF-studio,
11825311793,431234567,11/06/2020 01:01:00 PM,11/06/2020 01:03:00 PM,88.88.1.3,,,,,Eva Li,NTNU,eva@ntnu.example,,Årsmøte
"""


def test_surveymonkey_two_header_rows_and_a_checkbox_block(run, tmp_path):
    """The question over its sub-fields is one header ('Kontaktinformasjon /
    E-postadresse'); the empty built-in Email Address column does not win; each
    checkbox column (the option as header and cell) names its event."""
    report = imported(run, write(tmp_path, "surveymonkey.csv", SURVEYMONKEY))
    assert report["header_line"] == 1 and report["rejected"] == 0
    uses = {column["column"]: column["use"] for column in report["plan"]}
    assert uses["Kontaktinformasjon / E-postadresse"] == "email"
    assert uses["Email Address"] == "extra"
    assert people(run) == [
        person("eva@ntnu.example", "Eva Li", ("arsmote",), organisation="NTNU",
               registered_at="2020-11-06T13:03:00+01:00"),
        person("kari@bergen.kommune.example", "Kari Nordmann", ("studio", "arsmote"),
               organisation="Bergen kommune", registered_at="2020-11-05T09:14:02+01:00"),
        person("per@ks.example", "Per Ås", organisation="KS", registered_at="2020-11-05T10:03:00+01:00"),
    ]  # fmt: skip


QUALTRICS = """\
StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,RecipientLastName,RecipientFirstName,RecipientEmail,ExternalReference,DistributionChannel,UserLanguage,Q1,Q2,Q3_1,Q3_2
Start Date,End Date,Response Type,IP Address,Progress,Duration (in seconds),Finished,Recorded Date,Response ID,Recipient Last Name,Recipient First Name,Recipient Email,External Data Reference,Distribution Channel,User Language,Navn,E-post,Hvilke arrangementer? - INNOFF-studio,Hvilke arrangementer? - Årsmøte
"{""ImportId"":""startDate"",""timeZone"":""Europe/Oslo""}","{""ImportId"":""endDate"",""timeZone"":""Europe/Oslo""}","{""ImportId"":""status""}","{""ImportId"":""ipAddress""}","{""ImportId"":""progress""}","{""ImportId"":""duration""}","{""ImportId"":""finished""}","{""ImportId"":""recordedDate"",""timeZone"":""Europe/Oslo""}","{""ImportId"":""_recordId""}","{""ImportId"":""recipientLastName""}","{""ImportId"":""recipientFirstName""}","{""ImportId"":""recipientEmail""}","{""ImportId"":""externalDataReference""}","{""ImportId"":""distributionChannel""}","{""ImportId"":""userLanguage""}","{""ImportId"":""QID1_TEXT""}","{""ImportId"":""QID2_TEXT""}","{""ImportId"":""QID3"",""choiceId"":""1""}","{""ImportId"":""QID3"",""choiceId"":""2""}"
2020-11-02 09:00:00,2020-11-02 09:02:00,Survey Preview,,100,120,True,2020-11-02 09:02:01,R_test,,,,,preview,NO,Test Testesen,test@innoff.example,1,1
2020-11-05 10:00:00,2020-11-05 10:03:00,IP Address,88.1.1.1,100,180,True,2020-11-05 10:03:01,R_1,,,,,anonymous,NO,Kari Nordmann,kari@bergen.kommune.example,1,
2020-11-05 11:00:00,2020-11-05 11:01:00,IP Address,88.1.1.2,40,60,False,2020-11-06 11:01:00,R_2,,,,,anonymous,NO,Halv Ferdig,halv@x.example,,1
2020-11-05 12:00:00,2020-11-05 12:03:00,Spam,88.1.1.3,100,180,True,2020-11-05 12:03:01,R_3,,,,,anonymous,NO,Spam Spammesen,spam@x.example,1,1
2020-11-05 13:00:00,2020-11-05 13:03:00,IP Address,88.1.1.4,100,180,True,2020-11-05 13:03:01,R_4,,,,,anonymous,NO,Per Ås,per@ks.example,1,1
"""


def test_qualtrics_three_header_rows_a_preview_spam_and_an_unfinished_answer(run, tmp_path):
    report = imported(run, write(tmp_path, "qualtrics.csv", QUALTRICS))
    assert report["header_line"] == 2  # the texts; the ImportId row is never data
    assert report["rejected_lines"] == [
        "line 4: not an answer (Response Type: Survey Preview)",
        "line 6: an answer left unfinished (Finished: False)",
        "line 7: not an answer (Response Type: Spam)",
    ]
    assert people(run) == [
        person("kari@bergen.kommune.example", "Kari Nordmann", registered_at="2020-11-05T10:03:00+01:00"),
        person("per@ks.example", "Per Ås", ("studio", "arsmote"), registered_at="2020-11-05T13:03:00+01:00"),
    ]  # fmt: skip


PARTIAL_ANSWERS = """\
Respondent ID,Response Status,Navn,E-postadresse
118,Completed,Kari Nordmann,kari@bergen.kommune.example
119,Partial,Halv Ferdig,halv@x.example
120,Ufullstendig,Også Halv,ogsa@x.example
"""


def test_answers_a_status_column_calls_partial_are_reported_not_registered(run, tmp_path):
    report = imported(run, write(tmp_path, "partial.csv", PARTIAL_ANSWERS))
    assert report["rejected_lines"] == [
        "line 3: an answer left unfinished (Response Status: Partial)",
        "line 4: an answer left unfinished (Response Status: Ufullstendig)",
    ]
    assert [p["email"] for p in people(run)] == ["kari@bergen.kommune.example"]


MUNICIPALITY_SHEET = """\
Påmeldte fra Bodø kommune til INNOFF-studio;;;
;;;
Navn;E-post;Studio;Årsmøte
Kari Nordmann;kari@bodo.kommune.example;x;x
Per Ås;per@bodo.kommune.example;x;
Eva Li;eva@bodo.kommune.example;;x
Sum påmeldte;;2;2
Frist for påmelding er 1. november;;;
"""


def test_a_municipalitys_sheet_with_x_marks_a_totals_row_and_a_note(run, tmp_path):
    """The totals row (counts under the x columns) no longer turns the event
    columns off; it and the note are reported, not registered."""
    report = imported(run, write(tmp_path, "bodo.csv", MUNICIPALITY_SHEET, "cp1252"))
    assert report["rejected_lines"] == [
        "line 7: a totals row, not a person", "line 8: no e-mail address",
    ]  # fmt: skip
    assert people(run) == [
        person("eva@bodo.kommune.example", "Eva Li", ("arsmote",)),
        person("kari@bodo.kommune.example", "Kari Nordmann", ("studio", "arsmote")),
        person("per@bodo.kommune.example", "Per Ås"),
    ]
