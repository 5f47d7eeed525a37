"""Excel's own files (.xlsx, .xlsm: Office Open XML) read as a stream, row by row.

Why not a library: python-calamine (used for .xls, .xlsb and .ods) loads a whole
sheet before the first row comes back (about 100 MB at 100,000 rows of nine
columns), and openpyxl's streaming read-only mode takes about 25 s for those rows.
A sheet is one XML stream in a zip file; expat (the C parser in the standard
library) reads it in about 4 s at 15 MB, whatever the size. What the stream
needs besides is small: the sheet list (workbook.xml and its relationships),
the shared strings, and which cell styles are dates (styles.xml).

Values come back as python-calamine gives them, so both readers feed the same
`workbooks.cell_text` (tests/test_xlsx_reader.py compares the two on generated
workbooks): text as text, numbers as float, booleans as bool, error cells
empty, and a number in a date style as a date (a whole day), a time (under a
day), a datetime, or a timedelta for an elapsed-time style ([h]:mm), in the
workbook's 1900 or 1904 epoch, rounded to the millisecond.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import BinaryIO
from xml.etree import ElementTree
from xml.parsers import expat

# The two spellings of the spreadsheet namespace (transitional and strict), and
# none at all, as a few hand-made writers leave it out.
MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
CHUNK = 1 << 17
DIGITS = "0123456789"
DATE, DURATION = 1, 2  # what a cell style makes of a number
# Excel's built-in number formats that show dates and times (ECMA-376 18.8.30).
BUILT_IN_FORMATS = {**dict.fromkeys((*range(14, 23), 45, 47), DATE), 46: DURATION}
DAY_MS = 86_400_000
# A character XML cannot carry (a control, a CR Excel would lose) is written
# _xHHHH_ in a string, and a literal '_x' as _x005F_x.
ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


# Blank text in a <t> without xml:space="preserve" is layout, not a value (as
# Excel and calamine read it). Blank as XML means it: spaces, tabs and line
# ends; a no-break space (what Excel users type to keep a cell "empty") is text.
XML_SPACE = "http://www.w3.org/XML/1998/namespace space"
XML_BLANKS = " \t\r\n"


def _unescape(text: str) -> str:
    return ESCAPED.sub(lambda match: chr(int(match[1], 16)), text) if "_x" in text else text


class WorkbookDamage(Exception):
    """The zip or XML is not a workbook this module can read; the message says what."""


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str  # its XML in the zip
    worksheet: bool  # not a chart or dialog sheet
    visible: bool


def _tags(*local: str) -> dict[str, str]:
    """expat's name of each element (namespace URI, space, local name) -> local name."""
    return {(f"{space} {name}" if space else name): name for space in (*MAIN, "") for name in local}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _no_doctype(*_args) -> None:
    # A workbook's XML never declares a DTD; one that does may be an entity bomb.
    raise WorkbookDamage("an XML part declares a DTD")


class Workbook:
    """An open .xlsx: its sheets, shared strings and date styles, read once; each
    sheet's rows streamed on demand."""

    def __init__(self, stream: BinaryIO):
        try:
            self.zip = zipfile.ZipFile(stream)
            self.sheets, self.epoch_1904, rels = self._workbook()
            self.strings = self._shared_strings(rels.get("sharedStrings"))
            self.styles = self._styles(rels.get("styles"))
        except (
            zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError, expat.ExpatError
        ) as error:  # fmt: skip
            raise WorkbookDamage(str(error) or type(error).__name__) from None

    # -- the parts read whole: small, read once ----------------------------------
    def _xml(self, part: str) -> ElementTree.Element:
        data = self.zip.read(part)
        if b"<!DOCTYPE" in data[:4096].upper():
            _no_doctype()
        return ElementTree.fromstring(data)

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id -> (type's last word, the target part)."""
        folder, base = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        if rels_part not in self.zip.NameToInfo:
            return {}
        found = {}
        for rel in self._xml(rels_part):
            if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            target = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            found[rel.get("Id", "")] = (rel.get("Type", "").rpartition("/")[2], target)
        return found

    def _workbook(self) -> tuple[list[Sheet], bool, dict[str, str]]:
        main = next(
            (
                target
                for kind, target in self._relationships("").values()
                if kind == "officeDocument"
            ),
            "xl/workbook.xml",
        )
        rels = self._relationships(main)
        root = self._xml(main)
        epoch_1904 = False
        sheets = []
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "workbookPr":
                epoch_1904 = element.get("date1904", "0").lower() in ("1", "true")
            elif tag == "sheet":
                rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
                kind, part = rels.get(rel_id, ("", ""))
                sheets.append(
                    Sheet(
                        element.get("name", ""),
                        part,
                        kind == "worksheet" and part in self.zip.NameToInfo,
                        element.get("state", "visible") == "visible",
                    )
                )
        by_kind = {kind: part for kind, part in rels.values()}
        return sheets, epoch_1904, by_kind

    def _styles(self, part: str | None) -> list[int]:
        """Per cell style (the `s` of a cell): DATE, DURATION or 0."""
        if part is None or part not in self.zip.NameToInfo:
            return []
        root = self._xml(part)
        custom = {
            element.get("numFmtId"): number_format_kind(element.get("formatCode", ""))
            for element in root.iter()
            if _local(element.tag) == "numFmt"
        }
        kinds = []
        for element in root.iter():
            if _local(element.tag) == "cellXfs":
                for xf in element:
                    format_id = xf.get("numFmtId", "0")
                    if format_id in custom:
                        kinds.append(custom[format_id])
                    else:
                        kinds.append(BUILT_IN_FORMATS.get(int(format_id), 0))
                break
        return kinds

    # -- the parts streamed: as large as the sheet -------------------------------
    def _parse(self, part: str, start, end, data) -> Iterator[None]:
        """Feed `part` to expat with these handlers, yielding after each chunk."""
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _no_doctype
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        with self.zip.open(part) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
                yield
        parser.Parse(b"", True)
        yield

    def _shared_strings(self, part: str | None) -> SharedStrings:
        strings = SharedStrings()
        if part is None or part not in self.zip.NameToInfo:
            return strings
        tags = _tags("si", "t", "rPh")
        text = ""
        keep = phonetic = preserve = False
        mark = 0

        def start(name, attrs):
            nonlocal keep, phonetic, preserve, mark
            tag = tags.get(name)
            if tag == "t":
                keep = not phonetic
                preserve, mark = attrs.get(XML_SPACE) == "preserve", len(text)
            elif tag == "rPh":  # a reading guide over East Asian text, not the text
                phonetic = True

        def end(name):
            nonlocal keep, phonetic, text
            tag = tags.get(name)
            if tag == "t":
                keep = False
                if not preserve and text[mark:] and not text[mark:].strip(XML_BLANKS):
                    text = text[:mark]  # layout, not a value (see XML_SPACE)
            elif tag == "rPh":
                phonetic = False
            elif tag == "si":
                strings.append(_unescape(text))
                text = ""

        def data(chars):
            nonlocal text
            if keep:
                text += chars

        for _ in self._parse(part, start, end, data):
            pass
        return strings

    def rows(self, sheet: Sheet) -> Iterator[tuple[int, list]]:
        """(the row's number in Excel, its values by column), rows that hold no cell left out.

        The handlers run once or twice a cell, so they are written for speed: the
        common cells (a shared string; a number in a plain style) are read inline.
        """
        tags = _tags("row", "c", "v", "t", "is", "rPh")
        columns = _ColumnNumbers()
        buffer, ends = self.strings.buffer, self.strings.ends
        dated = {str(index): kind for index, kind in enumerate(self.styles) if kind}
        epoch_1904 = self.epoch_1904
        done: list[tuple[int, list]] = []
        row: list = []
        raw = ""
        number = column = mark = 0
        kind = style = None
        keep = phonetic = preserve = False

        def start(name, attrs):
            nonlocal number, column, kind, style, keep, phonetic, preserve, mark, row, raw
            tag = tags.get(name)
            if tag == "c":
                ref = attrs.get("r")
                column = columns[ref.rstrip(DIGITS)] if ref else len(row)
                kind = attrs.get("t", "n")
                style = attrs.get("s")
                raw = ""
            elif tag == "v":
                keep = True
            elif tag == "t":
                keep = not phonetic
                preserve, mark = attrs.get(XML_SPACE) == "preserve", len(raw)
            elif tag == "row":
                given = attrs.get("r")
                number = int(given) if given else number + 1
                row = []
            elif tag == "rPh":
                phonetic = True

        def end(name):
            nonlocal keep, phonetic, raw
            tag = tags.get(name)
            if tag == "c":
                if kind == "s" and raw:
                    index = int(raw)
                    value = buffer[ends[index - 1] if index else 0 : ends[index]].decode(
                        "utf-8", "surrogatepass"
                    )
                elif kind == "n" and raw:
                    value = float(raw)
                    if style in dated:
                        value = excel_time(value, dated[style], epoch_1904)
                else:
                    value = _value(raw, kind)
                if column == len(row):
                    row.append(value)
                elif column > len(row):
                    row.extend([""] * (column - len(row)))
                    row.append(value)
                else:  # a cell out of order: Excel never writes one, others might
                    row[column] = value
            elif tag == "v":
                keep = False
            elif tag == "t":
                keep = False
                if not preserve and raw[mark:] and not raw[mark:].strip(XML_BLANKS):
                    raw = raw[:mark]  # layout, not a value (see XML_SPACE)
            elif tag == "row":
                done.append((number, row))
            elif tag == "rPh":
                phonetic = False

        def data(chars):
            nonlocal raw
            if keep:
                raw += chars

        try:
            for _ in self._parse(sheet.part, start, end, data):
                yield from done
                done.clear()
        except (zipfile.BadZipFile, KeyError, expat.ExpatError, ValueError, IndexError) as error:
            raise WorkbookDamage(f"sheet '{sheet.name}': {error}") from None


class SharedStrings:
    """The workbook's shared strings, packed as UTF-8 in one buffer: a list of
    str would cost about 60 bytes a string beyond the text, and an export of
    100,000 people holds half a million of them. String i is
    buffer[ends[i - 1]:ends[i]]; `Workbook.rows` reads it there, inline (its
    hot loop)."""

    def __init__(self):
        self.buffer = bytearray()
        self.ends = array("Q")

    def append(self, text: str) -> None:
        self.buffer += text.encode("utf-8", "surrogatepass")
        self.ends.append(len(self.buffer))


class _ColumnNumbers(dict):
    """'C' (of 'C7') -> 2: a column's letters worked out once."""

    def __missing__(self, letters: str) -> int:
        column = 0
        for letter in letters.upper():
            if not "A" <= letter <= "Z":
                raise ValueError(f"a cell reference '{letters[:12]}' is not a cell")
            column = column * 26 + ord(letter) - 64
        if not 1 <= column <= 16_384:  # Excel's last column is XFD
            raise ValueError(f"a cell reference '{letters[:12]}' is not a cell")
        self[letters] = column - 1
        return column - 1


def _value(raw: str, kind: str | None):
    """A cell's value, for the kinds `Workbook.rows` does not read inline."""
    if kind == "inlineStr" or kind == "str":
        return _unescape(raw)
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "e" or not raw:  # #N/A, #DIV/0! and the like: no value
        return ""
    if kind == "d":  # an ISO 8601 date, written by a few tools instead of a number
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return raw
    return raw  # a kind the standard does not name: the text as it is


def excel_time(serial: float, kind: int, epoch_1904: bool):
    """A number in a date or elapsed-time style, as Excel shows it."""
    ms = round(serial * DAY_MS)
    if kind == DURATION:
        return timedelta(milliseconds=ms)
    if serial < 0:  # no date or time before the epoch: the number as it is
        return serial
    if serial < 1:  # a time of day (a whole day's rounding wraps to midnight)
        return _clock(ms)
    days, ms = divmod(ms, DAY_MS)
    if epoch_1904:
        start = date(1904, 1, 1)
    elif days <= 60:  # Excel's 1900 counts a 29 February 1900 that never was
        start, days = date(1899, 12, 31), min(days, 59)
    else:
        start = date(1899, 12, 30)
    try:
        day = start + timedelta(days=days)
    except OverflowError:
        return serial
    if serial.is_integer():  # a day; a time that rounds to midnight is still a time
        return day
    return datetime.combine(day, _clock(ms))


def _clock(ms: int) -> time:
    seconds, ms = divmod(ms % DAY_MS, 1000)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, ms * 1000)


def number_format_kind(code: str) -> int:
    """DATE, DURATION or 0 for a number format code: its first section shows a date
    or time when it has d, m, y, h or s outside quotes, escapes and [brackets];
    an elapsed time when [h], [m] or [s] come first."""
    quoted = escaped = False
    depth = 0
    bracket = ""
    for char in code:
        if escaped:
            escaped = False
        elif quoted:
            quoted = char != '"'
        elif char in "\\_*":  # the next character is shown (or fills), not a code
            escaped = True
        elif char == '"':
            quoted = True
        elif char == ";":
            return 0
        elif char == "[":
            depth += 1
            bracket = ""
        elif char == "]":
            depth = max(depth - 1, 0)
            if bracket and set(bracket.lower()) <= set("hms") and len(set(bracket.lower())) == 1:
                return DURATION
        elif depth:
            bracket += char
        elif char in "dmyhsDMYHS":
            return DATE
    return 0
