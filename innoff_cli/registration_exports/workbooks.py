"""Excel workbooks (and OpenDocument sheets) -> the same numbered rows of text a
CSV gives, so one header search, column plan and row reader serve both.

.xlsx and .xlsm, what nearly every system exports, are streamed by innoff's own
reader (xlsx.py: flat memory at any size). .xls, .xlsb and .ods are read by
python-calamine (Rust), which loads the whole sheet; those come from older or
rarer tools and are small. Both give the same values: a date cell becomes an
ISO time (in the workbook's 1900 or 1904 epoch), a whole number keeps its
digits (a phone number typed as a number is not '90000000.0'), a merged title
is one cell over empty ones, as a title row in a CSV is.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import N_, _
from innoff_cli.registration_exports import xlsx

# How a file starts: the formats this module reads, and some it must name.
ZIP, OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
NOT_EXPORTS = {
    b"%PDF": "a PDF",
    b"{\\rtf": "an RTF document",
    b"<?xml": "an XML file",
    b"<!DOC": "a web page",
    b"<html": "a web page",
}
# The way out of every workbook innoff cannot read (a registration export or an
# attendance report alike), in the user's language where it is said.
SAVE_AS = N_("save it from Excel as 'CSV UTF-8', or export it again")
SEARCH_ROWS = 80  # rows of a sheet looked at for the participants' addresses


def is_workbook(start: bytes) -> bool:
    """Whether a file that starts with `start` is a workbook (or a zip or OLE2 file
    that should be one: an encrypted .xlsx is OLE2 too)."""
    return start.startswith(ZIP) or start.startswith(OLE2)


def refuse_non_export(start: bytes, name: str) -> None:
    """One clear line for a file that is plainly not an export (a PDF, a page)."""
    head = start.lstrip()[:5]
    for magic, what in NOT_EXPORTS.items():
        if head.lower().startswith(magic.lower()):
            raise InnoffError(
                _("{name} is {what}, not a registration export - {SAVE_AS} as CSV or Excel").format(
                    name=name, what=what, SAVE_AS=_(SAVE_AS)
                )
            )


def kind(path) -> str:
    """What a workbook is, by its name, for a summary line (where a CSV has its encoding)."""
    return {".ods": "OpenDocument sheet", ".xls": "Excel 97-2003 workbook"}.get(
        Path(path).suffix.lower(), "Excel workbook"
    )


def _calamine():
    import python_calamine

    return python_calamine


def open_workbook(stream: BinaryIO, name: str, sheet: str | None):
    """(sha256 of the file, the chosen sheet's name, its numbered rows of text)."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    if _is_office_open_xml(stream):
        return (digest.hexdigest(), *_open_xlsx(stream, name, sheet))
    stream.seek(0)
    calamine = _calamine()
    try:
        workbook = calamine.CalamineWorkbook.from_filelike(stream)
    except calamine.PasswordError:
        raise InnoffError(
            _(
                "{name} is a password-protected workbook - open it in Excel, remove the password (File > Info > Protect Workbook), or {SAVE_AS}"
            ).format(name=name, SAVE_AS=_(SAVE_AS))
        ) from None
    except Exception as error:  # calamine's own errors, and zip or XML damage
        raise InnoffError(
            _("{name} is not a workbook innoff can read ({name2}) - {SAVE_AS}").format(
                name=name, name2=type(error).__name__, SAVE_AS=_(SAVE_AS)
            )
        ) from None
    chosen = _choose_sheet(workbook, name, sheet)
    return digest.hexdigest(), chosen.name, _rows(chosen)


def _is_office_open_xml(stream: BinaryIO) -> bool:
    """Whether a file is a zip that holds a workbook as XML (.xlsx, .xlsm), not
    as binary records (.xlsb) or OpenDocument (.ods)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        stream.seek(0)
    return "[Content_Types].xml" in names and not any(
        n.endswith(".bin") for n in names if n.startswith("xl/workbook")
    )


def _open_xlsx(stream: BinaryIO, name: str, wanted: str | None):
    """(the chosen sheet's name, its numbered rows of text) of an .xlsx or .xlsm."""
    try:
        workbook = xlsx.Workbook(stream)
    except xlsx.WorkbookDamage as error:
        raise _unreadable(name, error) from None
    names = [sheet.name for sheet in workbook.sheets]
    if wanted is not None:
        chosen = next((s for s in workbook.sheets if s.name == wanted), None)
        if chosen is None:
            raise _no_such_sheet(name, wanted, names)
        if not chosen.worksheet:
            raise InnoffError(
                _("{name}: '{wanted}' is a chart, not a sheet of rows - {SAVE_AS}").format(
                    name=name, wanted=wanted, SAVE_AS=_(SAVE_AS)
                )
            )
    else:
        candidates = [s for s in workbook.sheets if s.worksheet and s.visible] or [
            s for s in workbook.sheets if s.worksheet
        ]
        if not candidates:
            raise InnoffError(
                _("{name} has no sheets - {SAVE_AS}").format(name=name, SAVE_AS=_(SAVE_AS))
            )
        # A pivot or a notes sheet may come first: the list is the first sheet with
        # an address in its first rows. Each search reads only those rows.
        searched = candidates if len(candidates) > 1 else []
        chosen = next(
            (s for s in searched if _has_addresses(_xlsx_rows(workbook, s, name))),
            candidates[0],
        )
    return chosen.name, _xlsx_rows(workbook, chosen, name)


def _xlsx_rows(workbook, sheet, name: str) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, row in workbook.rows(sheet):
            # Most cells are text already: no call for those (a million a big sheet).
            yield number, [cell if type(cell) is str else cell_text(cell) for cell in row]
    except xlsx.WorkbookDamage as error:
        raise _unreadable(name, error) from None


def _has_addresses(rows: Iterator[tuple[int, list[str]]]) -> bool:
    """Whether a sheet's first rows hold an e-mail address (a participant list,
    not a pivot or a notes sheet)."""
    for _row, (_line, cells) in zip(range(SEARCH_ROWS), rows):
        if any("@" in cell for cell in cells):
            return True
    return False


def _unreadable(name: str, error: Exception) -> InnoffError:
    return InnoffError(
        _("{name} is not a workbook innoff can read ({error}) - {SAVE_AS}").format(
            name=name, error=error, SAVE_AS=_(SAVE_AS)
        )
    )


def _no_such_sheet(name: str, wanted: str, names: list[str]) -> InnoffError:
    return InnoffError(
        _("{name} has no sheet '{wanted}' - its sheets are {value}").format(
            name=name, wanted=wanted, value=", ".join(map(repr, names))
        )
    )


def _choose_sheet(workbook, name: str, wanted: str | None):
    """`wanted`, else the first visible worksheet with an e-mail address in its first
    rows (a pivot or a notes sheet may come first), else the first worksheet.
    Each sheet is loaded once: the one chosen is the one searched."""
    calamine = _calamine()
    names = workbook.sheet_names
    if wanted is not None:
        if wanted not in names:
            raise _no_such_sheet(name, wanted, names)
        return workbook.get_sheet_by_name(wanted)
    sheets = [
        meta.name
        for meta in workbook.sheets_metadata
        if meta.typ == calamine.SheetTypeEnum.WorkSheet
        and meta.visible == calamine.SheetVisibleEnum.Visible
    ] or list(names)
    if not sheets:
        raise InnoffError(
            _("{name} has no sheets - {SAVE_AS}").format(name=name, SAVE_AS=_(SAVE_AS))
        )
    if len(sheets) == 1:
        return workbook.get_sheet_by_name(sheets[0])
    for sheet_name in sheets:
        sheet = workbook.get_sheet_by_name(sheet_name)
        if _has_addresses(_rows(sheet)):
            return sheet
        del sheet  # let it go before the next one is loaded
    return workbook.get_sheet_by_name(sheets[0])


def _rows(sheet) -> Iterator[tuple[int, list[str]]]:
    """(the row's number in Excel, its cells as text). calamine's rows start at the
    sheet's first row but at its first used column, so the columns before it are
    put back (the streaming reader gives them as they are in the sheet)."""
    before = [""] * (sheet.start[1] if sheet.start else 0)
    for number, row in enumerate(sheet.iter_rows(), 1):
        yield number, before + [cell_text(cell) for cell in row]


def cell_text(cell) -> str:
    """A cell as the text a CSV export of it would hold, the type kept in the form."""
    if cell is None or cell == "":
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        # A whole number typed into a cell (a phone, an id) keeps its digits.
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e16 else repr(cell)
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ", timespec="seconds")
    if isinstance(cell, date | time):
        return cell.isoformat()
    if isinstance(cell, timedelta):
        return str(cell)
    return str(cell)
