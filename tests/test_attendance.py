"""`innoff attendance import`: reports built here from the platforms' published
layouts (Teams' three sections in UTF-16 with tabs, and the comma variant; Zoom's
participants report and webinar attendee report; a Google Meet sheet), against
registrations: rejoins fold, organisers and hosts are no attendees, a guest is
matched by name only when the name is one registered person's."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

OSLO = ZoneInfo("Europe/Oslo")
KARI, OYSTEIN, PER = "kari.nordmann@bergen.kommune.no", "oystein@ntnu.no", "per@ks.no"


@pytest.fixture
def registered(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Organisasjon;Deltar på årsmøte\n"
        f"Kari Nordmann;{KARI};Bergen kommune;Ja\n"
        f"Øystein Ås;{OYSTEIN};NTNU;Nei\n"
        f"Per Nordmann;{PER};KS;Ja\n"
        "Anne Hansen;anne@bodo.kommune.no;Bodø kommune;Nei\n"
        "Anne Hansen;anne.hansen@ks.no;KS;Nei\n",
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0


def attend(run, path, *args: str, expect: int = 0) -> list[dict]:
    result = run("attendance", "import", str(path), "--format", "json", *args)
    assert result.exit_code == expect, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout) if expect == 0 else result


def attended(run, event: str = "studio") -> dict[str, float | None]:
    people = json.loads(run("registrations", "list", "--format", "json").stdout)
    return {p["email"]: p["attended"][event] for p in people if event in p.get("attended", {})}


TEAMS = """\
1. Summary
Meeting title\tINNOFF-studio
Attended participants\t6
Start time\t11/17/20, 9:55:12 AM
End time\t11/17/20, 12:04:40 PM
Meeting duration\t2h 9m 28s
Average attendance time\t1h 30m 2s

2. Participants
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole
INNOFF Post\t11/17/20, 9:55:12 AM\t11/17/20, 12:04:40 PM\t2h 9m 28s\tpost@innoff.no\tpost@innoff.no\tOrganizer
Foredragsholder Fri\t11/17/20, 9:59:00 AM\t11/17/20, 10:40:00 AM\t41m 0s\tfri@example.org\tfri@example.org\tPresenter
Kari Nordmann\t11/17/20, 9:58:01 AM\t11/17/20, 12:00:05 PM\t1h 56m 8s\t{kari}\t{kari}\tAttendee
Per Nordmann (Guest)\t11/17/20, 10:02:00 AM\t11/17/20, 11:00:00 AM\t58m 0s\t\t\tAttendee
Anne Hansen (Guest)\t11/17/20, 10:05:00 AM\t11/17/20, 10:50:00 AM\t45m 0s\t\t\tAttendee
Ukjent Gjest (Guest)\t11/17/20, 10:05:00 AM\t11/17/20, 10:50:00 AM\t45m 0s\t\t\tAttendee
Walk In\t11/17/20, 10:00:00 AM\t11/17/20, 10:20:00 AM\t20m 0s\twalkin@example.org\twalkin@example.org\tAttendee

3. In-Meeting Activities
Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole
INNOFF Post\t11/17/20, 9:55:12 AM\t11/17/20, 12:04:40 PM\t2h 9m 28s\tpost@innoff.no\tOrganizer
Kari Nordmann\t11/17/20, 9:58:01 AM\t11/17/20, 10:30:00 AM\t31m 59s\t{kari}\tAttendee
Kari Nordmann\t11/17/20, 10:35:00 AM\t11/17/20, 11:20:00 AM\t45m 0s\t{kari}\tAttendee
Kari Nordmann\t11/17/20, 11:19:00 AM\t11/17/20, 12:00:05 PM\t41m 5s\t{kari}\tAttendee
Per Nordmann (Guest)\t11/17/20, 10:02:00 AM\t11/17/20, 11:00:00 AM\t58m 0s\t\tAttendee
Anne Hansen (Guest)\t11/17/20, 10:05:00 AM\t11/17/20, 10:50:00 AM\t45m 0s\t\tAttendee
Ukjent Gjest (Guest)\t11/17/20, 10:05:00 AM\t11/17/20, 10:50:00 AM\t45m 0s\t\tAttendee
Walk In\t11/17/20, 10:00:00 AM\t11/17/20, 10:20:00 AM\t20m 0s\twalkin@example.org\tAttendee
""".format(kari="Kari.Nordmann@Bergen.Kommune.no")


def test_a_teams_report_in_utf16_with_three_sections(run, registered, tmp_path):
    path = tmp_path / "meetingAttendanceReport(INNOFF-studio).csv"
    path.write_bytes(TEAMS.encode("utf-16"))  # with the BOM, little-endian here
    (report,) = attend(run, path)
    assert report["platform"] == "Microsoft Teams" and report["event"] == "studio"
    assert report["encoding"] == "utf-16" and report["delimiter"] == "\t"
    assert report["organisers_and_presenters"] == 2  # the organiser and the presenter
    assert report["walk_ins"] == ["walkin@example.org"]
    assert report["unmatched"] == [
        "Anne Hansen: no e-mail, and 2 people registered have that name",
        "Ukjent Gjest: no e-mail, and no one registered has that name",
    ]
    assert (report["event_registered"], report["event_attended"]) == (5, 2)
    assert (report["event_no_shows"], report["event_walk_ins"]) == (3, 1)
    # Kari's three stretches, two of them overlapping by a minute, count once:
    # 09:58:01-10:30:00 and 10:35:00-12:00:05.
    minutes = attended(run)
    assert minutes[KARI] == pytest.approx(31 + 59 / 60 + 85 + 5 / 60, abs=0.01)
    assert minutes[PER] == 58  # the guest, by the one registered name
    assert OYSTEIN not in minutes
    again = attend(run, path)
    assert again[0]["changed"] == 0 and attended(run) == minutes


TEAMS_COMMAS = """\
1. Summary
Meeting title,INNOFF-studio
2. Participants
Name,First Join,Last Leave,In-Meeting Duration,Email,Participant ID (UPN),Role
"Nordmann, Kari","11/17/20, 9:58:01 AM","11/17/20, 12:00:05 PM",1h 56m 8s,,,Attendee
"Ås, Øystein","11/17/20, 10:00:00 AM","11/17/20, 10:00:30 AM",30s,oystein@ntnu.no,oystein@ntnu.no,Attendee
"""


def test_the_comma_variant_with_last_name_first_and_a_short_stay(run, registered, tmp_path):
    path = tmp_path / "teams.csv"
    path.write_text(TEAMS_COMMAS, encoding="utf-8")
    (report,) = attend(run, path, "--event", "studio")
    assert report["delimiter"] == ","
    assert report["under_min_minutes"] == 1  # Øystein: 30 seconds
    assert attended(run) == {KARI: pytest.approx(116.13, abs=0.01)}  # Øystein: too short
    people = json.loads(
        run("registrations", "list", "--attended", "yes", "--format", "json").stdout
    )
    assert [p["email"] for p in people] == [KARI]


ZOOM = """\
Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants
812 3456 7890,INNOFF-studio,11/17/2020 09:55:12 AM,11/17/2020 12:04:40 PM,post@innoff.no,130,5

Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,Recording Consent
INNOFF (INNOFF Post),post@innoff.no,11/17/2020 09:55:12 AM,11/17/2020 12:04:40 PM,130,No,
Kari N (Kari Nordmann),kari.nordmann@bergen.kommune.no,11/17/2020 09:58:01 AM,11/17/2020 10:30:00 AM,32,No,Y
Kari N (Kari Nordmann),kari.nordmann@bergen.kommune.no,11/17/2020 10:35:00 AM,11/17/2020 12:00:05 PM,86,No,Y
Per Nordmann,,11/17/2020 10:02:00 AM,11/17/2020 11:00:00 AM,58,Yes,Y
Øystein Ås,oystein@ntnu.no,11/17/2020 10:02:00 AM,11/17/2020 10:12:00 AM,ukjent,No,Y
"""


def test_a_zoom_participants_report_with_rejoins(run, registered, tmp_path):
    path = tmp_path / "participants_81234567890.csv"
    path.write_text(ZOOM, encoding="utf-8")
    (report,) = attend(run, path)
    assert report["platform"] == "Zoom" and report["event"] == "studio"
    assert report["organisers_and_presenters"] == 1  # the organiser's address
    minutes = attended(run)
    assert minutes[KARI] == pytest.approx(117.07, abs=0.01)
    assert minutes[PER] == 58
    assert minutes[OYSTEIN] == 10  # the times say it; the unreadable duration is not needed
    assert report["unreadable_times"] == 0


# Zoom's participants export since 2023: time in the waiting room is a row of its
# own, marked Yes (Kari waited five minutes; Per was never let in).
ZOOM_WAITING = f"""\
Name (original name),Email,Join time,Leave time,Duration (minutes),Guest,In waiting room
INNOFF,post@innoff.no,11/17/2020 09:50:00 AM,11/17/2020 12:04:40 PM,135,No,No
Kari Nordmann,{KARI},11/17/2020 09:55:00 AM,11/17/2020 10:00:00 AM,5,No,Yes
Kari Nordmann,{KARI},11/17/2020 10:00:00 AM,11/17/2020 11:00:00 AM,60,No,No
Per Nordmann,{PER},11/17/2020 09:58:00 AM,11/17/2020 10:30:00 AM,32,No,Yes
"""
# "Show unique users": one row a person, the whole time, no join or leave.
ZOOM_UNIQUE = f"""\
Name (Original Name),User Email,Total Duration (Minutes),Guest
Kari N (Kari Nordmann),{KARI},61,No
Per Nordmann (Guest),,58,Yes
"""


def test_zoom_waiting_room_rows_and_unique_users(run, registered, tmp_path):
    """Time in the waiting room is not attendance, and someone never let in did
    not attend; the unique-users list's total minutes are a person's time."""
    path = tmp_path / "participants_waiting.csv"
    path.write_text(ZOOM_WAITING, encoding="utf-8")
    (report,) = attend(run, path, "--event", "studio")
    assert report["waiting_room_rows"] == 2
    assert {"column": "In waiting room", "use": "waiting"} in report["plan"]
    assert attended(run) == {KARI: 60}
    table = run("attendance", "import", str(path), "--event", "studio")
    assert "2 rows of time in the waiting room: not attendance." in table.stderr
    unique = tmp_path / "participants_unique.csv"
    unique.write_text(ZOOM_UNIQUE, encoding="utf-8")
    (report,) = attend(run, unique, "--event", "arsmote")
    assert report["unmatched"] == [] and report["time_unknown"] == 0
    assert attended(run, "arsmote") == {KARI: 61, PER: 58}  # Per by his name, the one registered


WEBINAR = """\
Attendee Report
Report Generated:,"11/17/2020 12:30 PM"
Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),# Registered,# Cancelled,Unique Viewers,Total Users,Max Concurrent Views
INNOFF-studio,812 3456 7890,"Nov 17, 2020 09:55 AM",130,4,0,3,3,3
Host Details
Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name
Yes,INNOFF,post@innoff.no,"Nov 17, 2020 09:55:12 AM","Nov 17, 2020 12:04:40 PM",130,No,Norway
Panelist Details
Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name
Yes,Kari Nordmann,kari.nordmann@bergen.kommune.no,"Nov 17, 2020 09:57:00 AM","Nov 17, 2020 10:20:00 AM",23,No,Norway
Attendee Details
Attended,User Name (Original Name),First Name,Last Name,Email,Registration Time,Approval Status,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name
Yes,Per Nordmann,Per,Nordmann,per@ks.no,"Nov 10, 2020 10:00:00 AM",approved,"Nov 17, 2020 10:02:00 AM","Nov 17, 2020 11:00:00 AM",58,No,Norway
No,Øystein Ås,Øystein,Ås,oystein@ntnu.no,"Nov 10, 2020 10:00:00 AM",approved,--,--,--,No,
"""


def test_a_zoom_webinar_report_reads_only_the_attendees(run, registered, tmp_path):
    path = tmp_path / "webinar.csv"
    path.write_text(WEBINAR, encoding="utf-8")
    (report,) = attend(run, path)
    assert report["platform"] == "Zoom webinar"
    assert report["host_and_panelist_rows"] == 2
    assert report["unreadable_times"] == 0  # '--' is no time, not a bad one
    assert attended(run) == {PER: 58}  # Øystein: Attended No; Kari was a panelist


MEET = """\
First name,Last name,Email,Duration,Time joined,Time exited
Kari,Nordmann,kari.nordmann@bergen.kommune.no,1 hr 57 min,9:58 AM,12:00 PM
Per,Nordmann,,58 min,10:02 AM,11:00 AM
"""


def test_a_google_meet_sheet(run, registered, tmp_path):
    path = tmp_path / "meet.csv"
    path.write_text(MEET, encoding="utf-8")
    (report,) = attend(run, path, "--event", "studio")
    assert report["platform"] == "Google Meet"
    assert attended(run) == {KARI: 122, PER: 58}


def test_reports_that_cannot_be_read_are_one_line(run, registered, tmp_path):
    nobody = tmp_path / "tom.csv"
    nobody.write_text("Hei;på;deg\n1;2;3\n", encoding="utf-8")
    result = attend(run, nobody, expect=1)
    assert result.stderr.startswith("Error:") and result.stderr.count("\n") == 1
    assert "holds no attendees innoff can read" in result.stderr
    book = tmp_path / "rapport.xlsx"
    book.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    damaged = attend(run, book, expect=1).stderr
    assert "is not a workbook innoff can read" in damaged and damaged.count("\n") == 1


TEAMS_ACTIVITIES_WITHOUT_ADDRESSES = f"""\
1. Summary
Meeting title\tINNOFF-studio
2. Participants
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole
Kari Nordmann\t11/17/20, 10:00:00 AM\t11/17/20, 11:30:00 AM\t1h 30m\t{KARI}\t{KARI}\tAttendee
Øystein Ås\t11/17/20, 10:00:00 AM\t11/17/20, 10:40:00 AM\t40m\t{OYSTEIN}\t{OYSTEIN}\tAttendee
3. In-Meeting Activities
Name\tJoin Time\tLeave Time\tDuration\tRole
Kari Nordmann\t11/17/20, 10:00:00 AM\t11/17/20, 10:50:00 AM\t50m\tAttendee
Kari Nordmann\t11/17/20, 11:00:00 AM\t11/17/20, 11:30:00 AM\t30m\tAttendee
Øystein Ås\t11/17/20, 10:00:00 AM\t11/17/20, 10:40:00 AM\t40m\tAttendee
"""


def test_activities_without_addresses_are_the_participants_named_above(run, registered, tmp_path):
    """A list whose joins and leaves name people without their addresses (the
    participants section has them): each person is one person, counted once,
    their time the stretches' (Kari left for ten minutes), not the whole time."""
    path = tmp_path / "teams.csv"
    path.write_bytes(TEAMS_ACTIVITIES_WITHOUT_ADDRESSES.encode("utf-16"))
    (report,) = attend(run, path, "--event", "studio")
    assert report["people_in_report"] == 2 and report["attended"] == 2
    assert report["unmatched"] == []
    assert attended(run) == {KARI: 80, OYSTEIN: 40}


def test_what_people_put_in_brackets_after_their_name_is_not_their_name(run, registered, tmp_path):
    """Guests are matched by name: 'Per Nordmann (han/ham)' is Per Nordmann;
    only Zoom's 'Name (Original Name)' holds an account's own name in brackets
    ('Møterom 3 (Per Nordmann)' is Per), and a workplace there is none."""
    teams = tmp_path / "teams.csv"
    teams.write_text(
        "Name,First Join,Last Leave,In-Meeting Duration,Email,Role\n"
        '"Per Nordmann (han/ham) (Guest)","11/17/20, 10:00:00 AM","11/17/20, 10:30:00 AM"'
        ",30m,,Attendee\n",
        encoding="utf-8",
    )
    (report,) = attend(run, teams, "--event", "studio")
    assert report["unmatched"] == [] and attended(run) == {PER: 30}
    zoom = tmp_path / "zoom.csv"
    zoom.write_text(
        "Name (original name),Email,Join time,Leave time,Duration (minutes),Guest\n"
        "Møterom 3 (Per Nordmann),,11/17/2020 01:00:00 PM,11/17/2020 01:20:00 PM,20,Yes\n"
        "Ukjent (Bergen kommune),,11/17/2020 01:00:00 PM,11/17/2020 01:20:00 PM,20,Yes\n",
        encoding="utf-8",
    )
    (report,) = attend(run, zoom, "--event", "studio")
    assert report["unmatched"] == ["Ukjent: no e-mail, and no one registered has that name"]
    assert attended(run) == {PER: 50}


def test_a_report_of_another_day_is_refused_for_the_event_named(run, registered, tmp_path):
    """Last week's report, or another meeting's, named for the studio would
    record people as attending what they never saw: refused, nothing recorded."""
    path = tmp_path / "teams.csv"
    path.write_bytes(TEAMS.replace("11/17/20", "11/24/20").encode("utf-16"))
    result = attend(run, path, "--event", "studio", expect=1)
    assert result.stderr == (
        f"Error: {path} is a report of 24.11.2020, and studio is on 17.11.2020"
        " - check that it is the right report, and the right --event\n"
    )
    assert attended(run) == {}
    # Another event of the same day: the organiser's choice, taken.
    path.write_bytes(TEAMS.encode("utf-16"))
    (report,) = attend(run, path, "--event", "arsmote")
    assert report["event"] == "arsmote"


def test_reports_saved_as_excel_workbooks(run, registered, tmp_path, db_path):
    """A Teams list opened in Excel and saved (its times now date cells, its
    durations text), and a Meet sheet downloaded as .xlsx (times of day as time
    cells, a notes sheet first): read as their CSVs are."""
    import openpyxl
    import xlsxwriter

    teams = tmp_path / "teams.xlsx"
    book = xlsxwriter.Workbook(teams)
    sheet = book.add_worksheet("meetingAttendanceReport")
    when = book.add_format({"num_format": "m/d/yy h:mm:ss AM/PM"})
    rows = [
        ["1. Summary"], ["Meeting title", "INNOFF-studio"], [],
        ["2. Participants"],
        ["Name", "First Join", "Last Leave", "In-Meeting Duration", "Email",
         "Participant ID (UPN)", "Role"],
        ["INNOFF Post", datetime(2020, 11, 17, 9, 55), datetime(2020, 11, 17, 12, 0), "2h 5m",
         "post@innoff.no", "post@innoff.no", "Organizer"],
        ["Kari Nordmann", datetime(2020, 11, 17, 9, 58, 1), datetime(2020, 11, 17, 11, 58, 1),
         "2h 0m 0s", KARI, KARI, "Attendee"],
        ["Per Nordmann (Guest)", datetime(2020, 11, 17, 10, 2), datetime(2020, 11, 17, 11, 0),
         "58m", "", "", "Attendee"],
    ]  # fmt: skip
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(number, column, value, when)
            else:
                sheet.write(number, column, value)
    book.close()
    (report,) = attend(run, teams, "--event", "studio")
    assert report["encoding"] == "Excel workbook"
    assert report["delimiter"] == "sheet 'meetingAttendanceReport'"
    assert report["platform"] == "Microsoft Teams" and report["organisers_and_presenters"] == 1
    assert attended(run) == {KARI: 120, PER: 58}
    assert first_joins(db_path)[KARI] == "2020-11-17T08:58:01+00:00"  # 09:58:01 in Oslo

    meet = tmp_path / "meet.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Om rapporten"
    book.active.append(["Attendance report for INNOFF-årsmøte"])
    sheet = book.create_sheet("Deltakere")
    sheet.append(["First name", "Last name", "Email", "Duration", "Time joined", "Time exited"])
    sheet.append(["Øystein", "Ås", OYSTEIN, "45 min", time(15, 0), time(15, 45)])
    book.save(meet)
    (report,) = attend(run, meet, "--event", "arsmote")
    assert report["platform"] == "Google Meet" and report["delimiter"] == "sheet 'Deltakere'"
    assert attended(run, "arsmote") == {OYSTEIN: 45}


def test_an_erased_person_leaves_no_attendance(run, registered, tmp_path, db_path):
    path = tmp_path / "teams.csv"
    path.write_bytes(TEAMS.encode("utf-16"))
    attend(run, path)
    assert run("registrations", "remove", KARI, "--yes").exit_code == 0
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        assert conn.execute(
            "SELECT count(*) FROM attendance WHERE email = ?", [KARI]
        ).fetchone() == (0,)


TEAMS_NORWEGIAN = f"""\
1. Sammendrag
Møtetittel\tINNOFF-studio
2. Deltakere
Navn\tFørste deltakelse\tSiste gang forlatt\tVarighet i møtet\tE-post\tDeltaker-ID (UPN)\tRolle
INNOFF Post\t17.11.2020, 09:55:12\t17.11.2020, 12:04:40\t2 t 9 m 28 s\tpost@innoff.no\tpost@innoff.no\tArrangør
Kari Nordmann\t17.11.2020, 09:58:01\t17.11.2020, 12:00:05\t1 t 56 m 8 s\t{KARI}\t{KARI}\tDeltaker
3. Aktiviteter i møtet
Navn\tInn\tUt\tVarighet\tE-post\tRolle
Kari Nordmann\t17.11.2020, 09:58:01\t17.11.2020, 10:30:00\t31 m 59 s\t{KARI}\tDeltaker
Kari Nordmann\t17.11.2020, 10:35:00\t17.11.2020, 12:00:05\t1 t 25 m 5 s\t{KARI}\tDeltaker
"""


def test_a_norwegian_teams_report_and_columns_known_by_their_values(run, registered, tmp_path):
    """Section titles and headers in Norwegian; 'Inn' and 'Ut' are in no
    vocabulary, and are read as join and leave by what they hold."""
    path = tmp_path / "deltakelse.csv"
    path.write_bytes(TEAMS_NORWEGIAN.encode("utf-16"))
    (report,) = attend(run, path)
    assert report["platform"] == "Microsoft Teams" and report["organisers_and_presenters"] == 1
    uses = {column["column"]: column["use"] for column in report["plan"]}
    assert uses["Inn"] == "join (by its values)" and uses["Ut"] == "leave (by its values)"
    assert attended(run) == {KARI: pytest.approx(31 + 59 / 60 + 85 + 5 / 60, abs=0.01)}


def test_stats_count_attendance_per_event_kind_and_answer(run, registered, tmp_path):
    path = tmp_path / "teams.csv"
    path.write_bytes(TEAMS.encode("utf-16"))
    attend(run, path)
    stats = json.loads(run("registrations", "stats", "--format", "json").stdout)
    assert stats["attendance per event"]["studio"] == {
        "registered": 5, "attended": 2, "no-show": 3, "walk-ins": 1,
    }  # fmt: skip
    assert stats["attendance by answer"]["studio: none"] == {
        "registered": 5, "attended": 2, "no-show": 3,
    }  # fmt: skip
    kinds = stats["attendance per organisation kind"]
    assert sum(k["attended"] for k in kinds.values()) == 2
    no_shows = json.loads(
        run(
            "registrations", "list", "--event", "studio", "--attended", "no", "--format", "json"
        ).stdout
    )
    assert sorted(p["email"] for p in no_shows) == sorted(
        [OYSTEIN, "anne@bodo.kommune.no", "anne.hansen@ks.no"]
    )


def test_an_unreadable_duration_is_unknown_not_zero(run, registered, tmp_path):
    path = tmp_path / "zoom.csv"
    path.write_text(
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
        f"Kari Nordmann,{KARI},,,en stund,No\n",
        encoding="utf-8",
    )
    (report,) = attend(run, path, "--event", "studio")
    assert report["unreadable_times"] == 1 and report["time_unknown"] == 1
    assert attended(run) == {KARI: None}  # attended, for a time no one can say


def test_a_walk_in_can_be_erased(run, registered, tmp_path, db_path):
    path = tmp_path / "teams.csv"
    path.write_bytes(TEAMS.encode("utf-16"))
    attend(run, path)
    result = run("registrations", "remove", "walkin@example.org", "--yes")
    assert result.exit_code == 0, result.stderr
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        assert conn.execute(
            "SELECT count(*) FROM attendance WHERE email = 'walkin@example.org'"
        ).fetchone() == (0,)
    assert run("registrations", "remove", "walkin@example.org", "--yes").exit_code == 1


TEAMS_GERMAN = f"""\
1. Zusammenfassung
Besprechungstitel\tINNOFF-studio
Teilnehmende Personen\t3
2. Teilnehmer
Name\tErster Beitritt\tLetzter Austritt\tBesprechungsdauer\tE-Mail\tTeilnehmer-ID (UPN)\tRolle
INNOFF Post\t17.11.2020, 09:55:12\t17.11.2020, 12:04:40\t2 Std. 9 Min. 28 Sek.\tpost@innoff.no\tpost@innoff.no\tOrganisator
Kari Nordmann\t17.11.2020, 09:58:01\t17.11.2020, 12:00:05\t1 Std. 56 Min. 8 Sek.\t{KARI}\t{KARI}\tTeilnehmer
Per Nordmann (Gast)\t17.11.2020, 10:02:00\t17.11.2020, 11:00:00\t58 Min.\t\t\tTeilnehmer
3. Aktivitäten in der Besprechung
Name\tBeitrittszeit\tAustrittszeit\tDauer\tE-Mail\tRolle
Kari Nordmann\t17.11.2020, 09:58:01\t17.11.2020, 10:30:00\t31 Min. 59 Sek.\t{KARI}\tTeilnehmer
Kari Nordmann\t17.11.2020, 10:35:00\t17.11.2020, 12:00:05\t1 Std. 25 Min. 5 Sek.\t{KARI}\tTeilnehmer
Per Nordmann (Gast)\t17.11.2020, 10:02:00\t17.11.2020, 11:00:00\t58 Min.\t\tTeilnehmer
"""


def test_a_teams_report_in_a_language_innoff_has_no_words_for(run, registered, tmp_path):
    """German: the numbered sections are known by their numbers, the join and leave
    columns by their values, the organiser by the role's word in the vocabulary."""
    path = tmp_path / "Besprechungsteilnahmebericht.csv"
    path.write_bytes(TEAMS_GERMAN.encode("utf-16"))
    (report,) = attend(run, path)
    assert report["organisers_and_presenters"] == 1 and report["unmatched"] == []
    assert attended(run) == {KARI: pytest.approx(117.07, abs=0.01), PER: 58}


TEAMS_2021 = f"""\
Meeting Summary
Total Number of Participants\t3
Meeting Title\tINNOFF-studio
Meeting Start Time\t11/17/2020, 9:55:12 AM
Meeting End Time\t11/17/2020, 12:04:40 PM

Full Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\tParticipant ID (UPN)
Kari Nordmann\t11/17/2020, 9:58:01 AM\t11/17/2020, 10:30:00 AM\t31m 59s\t{KARI}\tAttendee\t{KARI}
Kari Nordmann\t11/17/2020, 10:20:00 AM\t11/17/2020, 12:00:05 PM\t1h 40m 5s\t{KARI}\tAttendee\t{KARI}
INNOFF Post\t11/17/2020, 9:55:12 AM\t11/17/2020, 12:04:40 PM\t2h 9m 28s\tpost@innoff.no\tOrganizer\tpost@innoff.no
"""

TEAMS_2020 = """\
Full Name\tUser Action\tTimestamp
Kari Nordmann\tJoined\t11/17/2020, 9:58:01 AM
Kari Nordmann\tLeft\t11/17/2020, 10:30:00 AM
Kari Nordmann\tJoined\t11/17/2020, 10:35:00 AM
Kari Nordmann\tLeft\t11/17/2020, 12:00:05 PM
Per Nordmann\tJoined before\t11/17/2020, 10:02:00 AM
"""


def test_older_teams_reports_a_row_per_stretch_or_per_join_and_leave(run, registered, tmp_path):
    """Teams' 2021 list has a row per stretch (two devices overlap: counted once);
    its 2020 list a row per join and per leave, paired here; a join never closed
    is attended for a time the report does not give."""
    report_2021 = tmp_path / "2021.csv"
    report_2021.write_bytes(TEAMS_2021.encode("utf-16"))
    (report,) = attend(run, report_2021, "--event", "studio")
    assert report["organisers_and_presenters"] == 1
    assert attended(run) == {KARI: pytest.approx(122.07, abs=0.01)}  # 09:58:01-12:00:05
    report_2020 = tmp_path / "2020.csv"
    report_2020.write_bytes(TEAMS_2020.encode("utf-16"))
    (report,) = attend(run, report_2020, "--event", "studio")
    assert report["time_unknown"] == 1  # Per joined; the list never says he left
    minutes = attended(run)
    assert minutes[PER] is None
    # The same meeting as the first list (Kari there at the same times): it
    # stands for that one, and Kari's morning counts once.
    assert report["same_meeting_as"] == ["2021.csv"] and not report["kept_earlier"]
    assert minutes[KARI] == pytest.approx(117.07, abs=0.02)


def test_the_same_meeting_again_counts_once_and_another_session_adds_up(run, registered, tmp_path):
    """Zoom writes when it made a report: downloaded twice, the same meeting is
    two files. Imported again it stands for the first (the minutes are not
    doubled); a download made while it ran, imported after, leaves the fuller
    one; the event's afternoon session, at other times, adds up."""
    first, again = tmp_path / "webinar.csv", tmp_path / "webinar (1).csv"
    first.write_text(WEBINAR, encoding="utf-8")
    again.write_text(
        WEBINAR.replace("11/17/2020 12:30 PM", "11/18/2020 08:02 AM"), encoding="utf-8"
    )
    attend(run, first)
    (report,) = attend(run, again)
    assert report["same_meeting_as"] == ["webinar.csv"]
    assert attended(run) == {PER: 58}
    early = tmp_path / "early.csv"  # downloaded while it ran: Per's stay half as long
    early.write_text(
        WEBINAR.replace("11/17/2020 12:30 PM", "11/17/2020 10:30 AM").replace(
            '"Nov 17, 2020 11:00:00 AM",58', '"Nov 17, 2020 10:30:00 AM",28'
        ),
        encoding="utf-8",
    )
    (report,) = attend(run, early)
    assert report["same_meeting_as"] == ["webinar (1).csv"] and report["kept_earlier"]
    assert report["changed"] == 0 and attended(run) == {PER: 58}
    afternoon = tmp_path / "afternoon.csv"
    afternoon.write_text(
        "Name (original name),Email,Join time,Leave time,Duration (minutes),Guest\n"
        f"Per Nordmann,{PER},11/17/2020 01:00:00 PM,11/17/2020 01:30:00 PM,30,No\n",
        encoding="utf-8",
    )
    (report,) = attend(run, afternoon, "--event", "studio")
    assert report["same_meeting_as"] == []
    assert attended(run) == {PER: 58 + 30}


TEAMS_LIVE_EVENT = f"""\
Session Id,Participant Id,Full Name,UserAgent,UTC Event Timestamp,Action,Role
a1,{KARI},Kari Nordmann,"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",11/17/2020 9:01:22 AM,Joined,Attendee
a1,{KARI},Kari Nordmann,"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",11/17/2020 10:31:22 AM,Left,Attendee
b2,pia@example.org,Pia Produsent,Teams,11/17/2020 8:50:00 AM,Joined,Producer
b2,pia@example.org,Pia Produsent,Teams,11/17/2020 11:05:00 AM,Left,Producer
c3,8c3e0f6a-1b2c-4d5e-9f00-112233445566,Anonymous,Chrome,11/17/2020 9:05:00 AM,Joined,Attendee
c3,8c3e0f6a-1b2c-4d5e-9f00-112233445566,Anonymous,Chrome,11/17/2020 9:35:00 AM,Left,Attendee
"""


def first_joins(db_path) -> dict[str, str]:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        return dict(conn.execute("SELECT email, first_join_utc FROM attendance"))


def test_a_teams_live_event_report_is_in_utc_and_its_producer_runs_it(
    run, registered, tmp_path, db_path
):
    """Teams' live events (the 2020 way to stream a conference) report a row per
    join and per leave, stamped in UTC as the header says: 9:01 UTC is 10:01 in
    Oslo, not 9:01 Oslo time."""
    path = tmp_path / "AttendeeReport.csv"
    path.write_text(TEAMS_LIVE_EVENT, encoding="utf-8")
    (report,) = attend(run, path, "--event", "studio")
    assert report["platform"] == "Microsoft Teams live event"
    assert report["organisers_and_presenters"] == 1  # the producer
    assert report["unmatched"] == ["Anonymous: no e-mail, and no one registered has that name"]
    assert attended(run) == {KARI: 90}
    assert first_joins(db_path) == {KARI: "2020-11-17T09:01:22+00:00"}


NNBSP = "\u202f"  # what newer Windows and Teams write before AM and PM
TEAMS_GAPS = f"""\
1. Summary
Meeting title\tINNOFF-studio
2. Participants
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole
Kari Nordmann (External)\t11/17/20, 10:00:10{NNBSP}AM\t11/17/20, 11:30:15{NNBSP}AM\t1h 20m 5s\t{KARI}\t{KARI}\tAttendee
Per Nordmann (Unverified)\t\t11/17/20, 11:00:00{NNBSP}AM\t30m\t\t\tAttendee
Øystein Ås\t11/17/20, 10:00:00{NNBSP}AM\t\t25m\t{OYSTEIN}\t{OYSTEIN}\tAttendee
3. In-Meeting Activities
Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole
Kari Nordmann (External)\t11/17/20, 10:00:10{NNBSP}AM\t11/17/20, 10:50:15{NNBSP}AM\t50m 5s\t{KARI}\tAttendee
Kari Nordmann (External)\t\t11/17/20, 11:30:15{NNBSP}AM\t30m\t{KARI}\tAttendee
Per Nordmann (Unverified)\t\t11/17/20, 11:00:00{NNBSP}AM\t30m\t\tAttendee
Øystein Ås\t11/17/20, 10:00:00{NNBSP}AM\t\t25m\t{OYSTEIN}\tAttendee
"""


def test_a_teams_report_with_missing_times_counts_each_stay_once(
    run, registered, tmp_path, db_path
):
    """Teams leaves a join or a leave out now and then, and writes a narrow
    no-break space before AM and PM. A duration with one of the times is a
    stretch; a person the report times only by duration, in both its
    sections, is there that long once, not twice."""
    path = tmp_path / "teams.csv"
    path.write_bytes(TEAMS_GAPS.encode("utf-16"))
    (report,) = attend(run, path, "--event", "studio")
    assert report["unreadable_times"] == 0 and report["unmatched"] == []
    minutes = attended(run)
    # 10:00:10-10:50:15, then the half hour before 11:30:15: 80 min 5 s.
    assert minutes[KARI] == pytest.approx(80 + 5 / 60, abs=0.01)
    assert minutes[PER] == 30  # "(Unverified)" is Teams', not the name
    assert minutes[OYSTEIN] == 25
    assert first_joins(db_path)[KARI] == "2020-11-17T09:00:10+00:00"  # 10:00:10 in Oslo


def _fold_all(presences) -> dict:
    """The reference: every row through Person.fold, in the report's order."""
    from innoff_cli.attendance_reports import Person

    people = {}
    for row in presences:
        people.setdefault(row.key, Person()).rows.append(row)
    for person in people.values():
        person.fold()
    return people


_MOMENTS = [datetime(2020, 11, 17, 9, 50, tzinfo=OSLO) + timedelta(minutes=7 * n) for n in range(8)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["kari@x.no", "per@x.no", "name:gjest"]),
            st.sampled_from(["", "Kari", "Per P"]),
            st.sampled_from(["", "kari@x.no"]),
            st.sampled_from(["", "Attendee", "Presenter"]),
            st.none() | st.sampled_from(_MOMENTS),
            st.none() | st.sampled_from(_MOMENTS),
            st.sampled_from([None, None, True, False]),
            st.booleans(),
            st.sampled_from(["", "12m 3s", "1h 2m", "garbage", "--"]),
        ),
        max_size=60,
    )
)
def test_gathering_a_reports_rows_folds_them_as_fold_does(rows):
    """The import's loop folds most rows itself (a stretch at a time): what it
    gives each person is what Person.fold gives them, row by row in order."""
    from innoff_cli import attendance_reports
    from innoff_cli.attendance_reports import Person, gather

    presences = [attendance_reports.Presence(*row) for row in rows]
    expected = _fold_all(presences)
    got = gather(iter(presences))
    assert got.keys() == expected.keys()
    for key, person in got.items():
        for field in Person.__slots__:
            if field != "rows":
                assert getattr(person, field) == getattr(expected[key], field), (key, field)
        assert person.minutes == expected[key].minutes


_PEOPLE = [("Kari Nordmann", "kari@x.no"), ("Per", "PER@x.no"), ("", "per@x.no"),
           ("Gjest (Guest)", ""), ("Åse", "ase@x.no"), ("Ola", "not an address"),
           ("Per Hansen", "per@x.no")]  # fmt: skip
_TIMES = ["11/17/20, 9:58:01 AM", "11/17/20, 10:30:00 AM", "11/17/20, 9:30:00 AM",
          "11/17/20, 11:02:03 AM", "", "--", "garbage", "11/17/20, 12:00:05 PM"]  # fmt: skip


@settings(max_examples=500, deadline=None)
@example(  # a person met without a name, then named on a row the lane could take
    with_participants=False, header=["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"],
    rows=[(2, 0, 1, "", "", False), (2, 0, 1, "", "", False), (6, 0, 1, "", "", False)],
)  # fmt: skip
@example(  # a join without its leave waits on the person; a plain stretch follows it
    with_participants=False, header=["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"],
    rows=[(0, 0, 1, "", "", False), (0, 3, 4, "", "", False), (0, 0, 1, "", "", False)],
)  # fmt: skip
@given(
    with_participants=st.booleans(),
    header=st.sampled_from(
        [
            ["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"],
            ["Name", "Email", "Join Time", "Leave Time"],
            [
                "Name (Original Name)",
                "User Email",
                "Join Time",
                "Leave Time",
                "Duration (Minutes)",
                "Guest",
                "In waiting room",
            ],
        ]
    ),  # fmt: skip
    rows=st.lists(
        st.tuples(
            st.integers(0, len(_PEOPLE) - 1),
            st.integers(0, len(_TIMES) - 1),
            st.integers(0, len(_TIMES) - 1),
            st.sampled_from(["Attendee", "Presenter", "", "attendee"]),
            st.sampled_from(["No", "Yes", ""]),
            st.booleans(),  # a short row
        ),
        max_size=40,
    ),
)
def test_reading_a_report_folds_plain_stretches_as_gathering_them_does(
    with_participants, header, rows
):
    """read_people folds a known person's plain stretches as it reads them; what
    each person becomes is what gathering every row the careful way gives."""
    from datetime import date

    from innoff_cli import attendance_reports as reports

    lines = []
    if with_participants:
        lines += [
            ["2. Participants"],
            ["Name", "First Join", "Last Leave", "In-Meeting Duration", "Email", "Role"],
        ]
        lines += [
            [name, _TIMES[0], _TIMES[7], "2h 0m 4s", email, "Attendee"]
            for name, email in _PEOPLE[:3]
        ]
        lines += [[], ["3. In-Meeting Activities"]]  # fmt: skip
    lines.append(header)
    for who, join, leave, role, waiting, short in rows:
        name, email = _PEOPLE[who]
        cells = {
            "name": name,
            "email": email,
            "join": _TIMES[join],
            "leave": _TIMES[leave],
            "duration": "31m 59s",
            "role": role,
            "waiting": waiting,
            "guest": "No",
        }
        uses = ["name", "join", "leave", "duration", "email", "role"] if len(header) == 6 else (
            ["name", "email", "join", "leave"] if len(header) == 4
            else ["name", "email", "join", "leave", "duration", "guest", "waiting"])  # fmt: skip
        row = [cells[use] for use in uses]
        lines.append(row[:-1] if short else row)

    def read(fast: bool):
        shape = reports.ReportShape()
        copies = iter([list(line) for line in lines])
        day = date(2020, 11, 17)
        if fast:
            return reports.read_people(copies, OSLO, day, shape), shape
        return reports.gather(reports.read_rows(copies, OSLO, day, shape)), shape

    (fast, fast_shape), (careful, careful_shape) = read(True), read(False)
    assert fast.keys() == careful.keys()
    assert fast_shape == careful_shape
    for key, person in fast.items():
        for field in reports.Person.__slots__:
            assert getattr(person, field) == getattr(careful[key], field), (key, field)
