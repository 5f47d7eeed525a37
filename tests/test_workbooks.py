"""Registrations from Excel workbooks, written here with openpyxl, XlsxWriter and xlwt (not the reader
innoff uses): merged title cells, Excel dates in both epochs, phones typed as
numbers, a pivot sheet first, hidden rows; and a CSV and the workbook saved
from the same rows import to the same participants."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime

import openpyxl
import pytest
import xlsxwriter
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from tests.conftest import invoke
from tests.test_cli_registrations import import_json, people, person

HEADER = ["Påmeldingstidspunkt", "Navn", "E-post", "Telefon", "Organisasjon", "Deltar på årsmøte"]
ROWS = [
    [datetime(2020, 11, 5, 9, 53), "Kari Nordmann", "kari@bergen.kommune.no", 91234567, "Bergen kommune", "Ja"],
    [datetime(2020, 11, 6, 14, 5, 30), "Øystein Ås", "oystein@ntnu.no", 4790000000, "NTNU", "Nei"],
    [datetime(2020, 11, 7, 23, 59), "Per Nordmann", "per@ks.no", None, "KS", "Ja"],
]  # fmt: skip
EXPECTED = [
    person("kari@bergen.kommune.no", "Kari Nordmann", ("studio", "arsmote"), phone="91234567",
           organisation="Bergen kommune", registered_at="2020-11-05T09:53:00+01:00"),
    person("oystein@ntnu.no", "Øystein Ås", phone="4790000000", organisation="NTNU",
           registered_at="2020-11-06T14:05:30+01:00"),
    person("per@ks.no", "Per Nordmann", ("studio", "arsmote"), organisation="KS",
           registered_at="2020-11-07T23:59:00+01:00"),
]  # fmt: skip


def municipality_workbook(path, epoch_1904: bool = False, pivot_first: bool = True):
    workbook = openpyxl.Workbook()
    if epoch_1904:
        workbook.epoch = CALENDAR_MAC_1904
    first = workbook.active
    if pivot_first:  # a summary sheet before the list, as people make them
        first.title = "Oppsummering"
        first.append(["Kommune", "Antall"])
        first.append(["Bergen kommune", 1])
        sheet = workbook.create_sheet("Påmeldte")
    else:
        sheet = first
        sheet.title = "Påmeldte"
    sheet.append(["Påmeldte fra kommunene til INNOFF-studio"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=4, min_col=1, max_col=1):
        row[0].number_format = "dd.mm.yyyy hh:mm"
    sheet.append([datetime(2020, 11, 8), "Uten Adresse", None, None, "", "Nei"])
    sheet.row_dimensions[1].hidden = True  # the title row hidden, as a tidy sheet has it
    sheet.row_dimensions[3].hidden = True  # and the header: hidden is not gone
    workbook.save(path)


@pytest.mark.parametrize("epoch_1904", [False, True], ids=["1900", "1904"])
def test_a_municipalitys_workbook_imports_as_typed(run, tmp_path, epoch_1904):
    path = tmp_path / "påmeldte.xlsx"
    municipality_workbook(path, epoch_1904)
    report = import_json(run, path, "--rejects", str(tmp_path / "avvist.csv"))
    assert (report["encoding"], report["delimiter"]) == ("Excel workbook", "sheet 'Påmeldte'")
    assert report["header_line"] == 3 and report["skipped_before_header"] == 1
    assert report["rejected"] == 1  # the row without an address
    assert people(run) == sorted(EXPECTED, key=lambda p: p["name"])
    # Rejects of a workbook are CSV, as Excel on a Norwegian PC opens it.
    rejected = list(csv.reader((tmp_path / "avvist.csv").open(encoding="utf-8-sig"), delimiter=";"))
    assert rejected[0] == [*HEADER, "reason"]
    assert rejected[1][:3] == ["2020-11-08", "Uten Adresse", ""]
    assert rejected[1][-1] == "line 7: no e-mail address"
    again = import_json(run, path)
    assert again["written"] is False and again["previously_imported"]


def test_the_sheet_can_be_named_and_a_wrong_name_lists_them(run, tmp_path):
    path = tmp_path / "påmeldte.xlsx"
    municipality_workbook(path)
    wrong = run("registrations", "import", str(path), "--sheet", "Ark1")
    assert wrong.exit_code == 1
    assert wrong.stderr == (
        f"Error: {path} has no sheet 'Ark1' - its sheets are 'Oppsummering', 'Påmeldte'\n"
    )
    right = import_json(run, path, "--sheet", "Påmeldte", "--dry-run")
    assert right["new"] == 3


@pytest.mark.parametrize(
    "content, args, message",
    [
        (b"%PDF-1.7\n...", (), "is a PDF, not a registration export"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, (), "is not a workbook innoff can read"),
        (b"PK\x03\x04" + b"\x00" * 100, (), "is not a workbook innoff can read"),
        (None, ("--encoding", "utf-8"), "is a workbook: --encoding and --delimiter are for CSV files"),
        (b"Navn;E-post\nA;a@b.no\n", ("--sheet", "Ark1"), "is not a workbook: --sheet is for .xlsx files"),
        (b"", (), "is a folder - name the export file in it"),
    ],
    ids=["pdf", "ole2", "zip", "encoding", "sheet-on-csv", "folder"],
)  # fmt: skip
def test_files_that_are_not_what_they_seem_are_one_line(run, tmp_path, content, args, message):
    path = tmp_path / "eksport.xlsx"
    if content == b"":
        path.mkdir()
    elif content is None:
        municipality_workbook(path)
    else:
        path.write_bytes(content)
    result = run("registrations", "import", str(path), *args)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_sheet_damaged_part_way_is_one_line_and_imports_nobody(run, tmp_path):
    """The streaming reader meets the damage after the header and the first rows
    are read: the import stops with one line and writes nothing."""
    whole = tmp_path / "whole.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Navn", "E-post"])
    for number in range(3000):
        book.active.append([f"Person {number}", f"p{number}@example.no"])
    book.save(whole)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as old, zipfile.ZipFile(damaged, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 2 // 3] + b"<c><<"
            new.writestr(item, data)
    result = run("registrations", "import", str(damaged))
    assert result.exit_code == 1, result.stdout
    assert result.stderr.count("\n") == 1 and "is not a workbook innoff can read" in result.stderr
    assert "Traceback" not in result.stderr
    assert people(run) == []


def test_an_xls_from_an_older_excel_imports_as_typed(run, tmp_path):
    """.xls (BIFF8, written here by xlwt) is read by python-calamine."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Påmeldte")
    when = xlwt.easyxf(num_format_str="dd.mm.yyyy hh:mm")
    for column, title in enumerate(HEADER):
        sheet.write(0, column, title)
    for number, row in enumerate(ROWS, 1):
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(
                    number, column, value, when if column == 0 else xlwt.Style.default_style
                )
    book.save(str(tmp_path / "påmeldte.xls"))
    report = import_json(run, tmp_path / "påmeldte.xls")
    assert report["encoding"] == "Excel 97-2003 workbook" and report["rejected"] == 0
    assert people(run) == sorted(EXPECTED, key=lambda p: p["name"])


def test_an_opendocument_sheet_imports_as_typed(run, tmp_path):
    """.ods (LibreOffice, Google Sheets), written here to the OpenDocument schema by
    hand: a date-time cell, a phone as a float, a repeated empty column."""

    def cell(value):
        if isinstance(value, datetime):
            return (
                f'<table:table-cell office:value-type="date" office:date-value='
                f'"{value.isoformat()}"><text:p>{value:%d.%m.%Y %H:%M}</text:p></table:table-cell>'
            )
        if isinstance(value, int):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        if value is None:
            return '<table:table-cell table:number-columns-repeated="1"/>'
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    rows = "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>"
        for row in [HEADER, *ROWS]
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Påmeldte">'
        f"{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest'
        ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry'
        ' manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    path = tmp_path / "påmeldte.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    report = import_json(run, path)
    assert report["rejected"] == 0, report
    assert people(run) == sorted(EXPECTED, key=lambda p: p["name"])


def test_an_excel_workbook_with_shared_strings_imports_as_typed(run, tmp_path):
    """XlsxWriter writes as Excel does: every text in the shared strings, dates as
    numbers in a date style."""
    path = tmp_path / "påmeldte.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Påmeldte")
    when = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    sheet.write_row(0, 0, HEADER)
    for number, row in enumerate(ROWS, 1):
        for column, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(number, column, value, when)
            elif value is not None:
                sheet.write(number, column, value)
    book.close()
    import_json(run, path)
    assert people(run) == sorted(EXPECTED, key=lambda p: p["name"])


CELLS = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=";\"'=+-@"),
    min_size=1, max_size=20,
).map(str.strip).filter(bool)  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(CELLS, st.from_regex(r"[a-z]{1,8}@[a-z]{2,8}\.no", fullmatch=True),
                  st.sampled_from(["Ja", "Nei"]), st.integers(10000000, 99999999)),
        min_size=1, max_size=12, unique_by=lambda r: r[1],
    )
)  # fmt: skip
def test_a_csv_and_the_workbook_of_the_same_rows_import_alike(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("same")
    header = ["Navn", "E-post", "Deltar på årsmøte", "Telefon"]
    with (folder / "rows.csv").open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(list(row))
    workbook.save(folder / "rows.xlsx")
    listed = []
    for name in ("rows.csv", "rows.xlsx"):
        db = folder / f"{name}.db"
        result = invoke(db, "registrations", "import", str(folder / name))
        assert result.exit_code == 0, result.stderr
        listed.append(json.loads(invoke(db, "registrations", "list", "--format", "json").stdout))
    assert listed[0] == listed[1] and len(listed[0]) == len(rows)
