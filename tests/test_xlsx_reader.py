"""innoff's streaming .xlsx reader against python-calamine, an independent reader
of the same files: workbooks written by XlsxWriter (shared strings and number
styles, as Excel saves them) and by openpyxl (inline strings), with dates and
times in both epochs, elapsed times, booleans, formulas, rich text, gaps,
escaped control characters and hidden sheets, must read to the same values."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from innoff_cli.registration_exports import xlsx

FORMATS = [
    "General", "0", "0.00", "@", "yyyy-mm-dd", "dd.mm.yyyy hh:mm", "d/m/yy;@", "hh:mm",
    "h:mm:ss AM/PM", "[h]:mm:ss", "mm:ss", '"Y"0', "#,##0*y", "[$-414]d. mmmm yyyy",
    "[Red]0.0", "0%", "mmm-yy",
]  # fmt: skip
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
CELL = st.one_of(
    st.none(),
    st.tuples(st.just("text"), TEXT),
    st.tuples(st.just("number"), st.one_of(
        st.integers(-10**9, 10**12), st.floats(-1e6, 3e6, allow_nan=False).map(lambda f: round(f, 6))
    ), st.sampled_from(FORMATS[:4])),
    # Excel's dates run from 0 (1900-01-00) to 2958465 (9999-12-31); it shows others as ####.
    st.tuples(st.just("number"), st.one_of(
        st.integers(0, 2958465), st.floats(0, 2958465, allow_nan=False).map(lambda f: round(f, 6))
    ), st.sampled_from(FORMATS[4:])),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(st.just("formula"), st.sampled_from(["ab", "", "x y"])),
    st.tuples(st.just("rich"), TEXT.filter(bool), TEXT.filter(bool)),
)  # fmt: skip
PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
SHEET = st.lists(st.lists(CELL, max_size=6), max_size=8)


def write_xlsxwriter(sheets, epoch_1904: bool, hidden: int | None) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"date_1904": epoch_1904, "in_memory": True})
    formats = {code: book.add_format({"num_format": code}) for code in FORMATS}
    bold = book.add_format({"bold": True})
    for index, rows in enumerate(sheets):
        sheet = book.add_worksheet(f"Ark {index}")
        if index == hidden and len(sheets) > 1:
            sheet.hide()
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                kind, *value = cell
                if kind == "text":
                    sheet.write_string(r, c, value[0])
                elif kind == "number":
                    sheet.write_number(r, c, value[0], formats[value[1]])
                elif kind == "bool":
                    sheet.write_boolean(r, c, value[0])
                elif kind == "formula":
                    sheet.write_formula(r, c, f'="{value[0]}"', None, value[0])
                else:
                    sheet.write_rich_string(r, c, bold, value[0], value[1])
    book.close()
    return buffer.getvalue()


def calamine_rows(data: bytes, name: str) -> dict[int, list]:
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(name)
    if not sheet.start:
        return {}
    # Its rows start at the sheet's first row, but at its first used column.
    left = sheet.start[1]
    return trimmed((number, [""] * left + row) for number, row in enumerate(sheet.iter_rows(), 1))


def innoff_rows(data: bytes, name: str) -> dict[int, list]:
    book = xlsx.Workbook(io.BytesIO(data))
    (sheet,) = [sheet for sheet in book.sheets if sheet.name == name]
    return trimmed(book.rows(sheet))


def trimmed(rows) -> dict[int, list]:
    """Rows with a value, without the empty cells at their ends."""
    out = {}
    for number, row in rows:
        row = list(row)
        while row and row[-1] == "":
            row.pop()
        if row:
            out[number] = row
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SHEET, min_size=1, max_size=3), st.booleans(), st.none() | st.integers(0, 2))
def test_an_excel_style_workbook_reads_as_calamine_reads_it(sheets, epoch_1904, hidden):
    data = write_xlsxwriter(sheets, epoch_1904, hidden)
    book = xlsx.Workbook(io.BytesIO(data))
    metadata = CalamineWorkbook.from_filelike(io.BytesIO(data)).sheets_metadata
    assert [(s.name, s.visible) for s in book.sheets] == [
        (m.name, m.visible == SheetVisibleEnum.Visible) for m in metadata
    ]
    for index in range(len(sheets)):
        name = f"Ark {index}"
        assert innoff_rows(data, name) == calamine_rows(data, name)


@settings(max_examples=30, deadline=None)
@example(rows=[["\xa0", "\u2003", " ", "\t", "x"]], epoch_1904=False)  # blank to XML, or text
@given(st.lists(st.lists(st.one_of(st.none(), PRINTABLE, st.integers(-10**6, 10**6), st.booleans(),
                                   st.datetimes(datetime(1904, 1, 2), datetime(2100, 1, 1))),
                         max_size=5), max_size=6), st.booleans())  # fmt: skip
def test_an_openpyxl_workbook_reads_as_calamine_reads_it(rows, epoch_1904):
    book = openpyxl.Workbook()
    if epoch_1904:
        book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    assert innoff_rows(data, book.active.title) == calamine_rows(data, book.active.title)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("DD/MM/YY", xlsx.DATE), ("H:MM:SS;@", xlsx.DATE), ('m"M"d"D";@', xlsx.DATE),
        ("[h]:mm:ss", xlsx.DURATION), ("[ss]", xlsx.DURATION), ("[Blue]\\+[h]:mm", xlsx.DURATION),
        ("#,##0\\ [$\\u20bd-46D]", 0), ('"$"#,##0_);[Red]("$"#,##0)', 0), ("\\Y000000", 0),
        ('#,##0.0####" YMD"', 0), ("[>=100][Magenta]General", 0), ("#,##0*y", 0),
        ("*-yyyy-mm-dd", xlsx.DATE), ("0.00;[Red]-0.00;\"d\"", 0),
    ],
)  # fmt: skip
def test_number_formats_that_show_dates(code, kind):
    assert xlsx.number_format_kind(code) == kind


def test_a_number_outside_excels_dates_stays_a_number():
    # calamine makes -1 in a date style midnight; Excel shows ####; innoff keeps -1.
    assert xlsx.excel_time(-1.0, xlsx.DATE, False) == -1.0
    assert xlsx.excel_time(3e6, xlsx.DATE, False) == 3e6
    assert xlsx.excel_time(1.5, xlsx.DATE, True) == datetime(1904, 1, 2, 12)


def test_a_workbook_with_a_dtd_is_refused():
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["a"])
    book.save(buffer)
    source = io.BytesIO(buffer.getvalue())
    target = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaa">]><worksheet', 1
                )
            new.writestr(item, data)
    book = xlsx.Workbook(io.BytesIO(target.getvalue()))
    with pytest.raises(xlsx.WorkbookDamage, match="DTD"):
        list(book.rows(book.sheets[0]))
