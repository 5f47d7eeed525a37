"""Bytes -> text: the encoding and the delimiter of an export, and quoting a cell.

Pure, and streaming: the encoding is decided in one pass over the file's chunks.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import threading
from collections.abc import Iterable

from innoff_cli.terminal import shown  # noqa: F401  (cells quoted in messages)


def detect_encoding(chunks: Iterable[bytes]) -> tuple[str, str]:
    """(encoding, sha256 hex) of a file read in chunks, in one pass and flat memory.

    UTF-8 (with or without BOM) when every byte decodes as UTF-8, UTF-16 when
    it starts with a UTF-16 BOM (Excel's "Unicode text"), else Windows-1252,
    what Excel writes on a Norwegian PC, or Mac Roman, what Excel for Mac
    writes as "CSV" (not "CSV UTF-8"): its lines end in CR alone, and its
    Norwegian letters are bytes that are symbols in Windows-1252 (ø is ¿).
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding: str | None = None
    first = True
    cr_only = False
    letters = {"cp1252": 0, "mac_roman": 0}  # Norwegian letters each would read
    for chunk in chunks:
        # hashlib lets go of the GIL for large inputs: the chunk is hashed on
        # a second core while this one decodes it.
        hashing = threading.Thread(target=digest.update, args=(chunk,))
        hashing.start()
        if first:
            first = False
            if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                encoding = "utf-16"
            elif chunk.startswith(codecs.BOM_UTF8):
                encoding = "utf-8-sig"
            cr_only = b"\r" in chunk and b"\n" not in chunk
        if encoding in (None, "utf-8-sig"):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                encoding = "cp1252"
        if encoding == "cp1252":  # counted from the chunk that was not UTF-8 on
            for codec, found in _LETTER_BYTES.items():
                letters[codec] += sum(map(chunk.count, found))
        hashing.join()
    if encoding in (None, "utf-8-sig"):
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "cp1252"
    if encoding == "cp1252" and (cr_only or letters["mac_roman"] > letters["cp1252"]):
        encoding = "mac_roman"
    return encoding or "utf-8", digest.hexdigest()


# The bytes of æ ø å Æ Ø Å é ö ä ü in each legacy encoding (the letters a Norwegian
# export holds); each set is symbols or unused in the other encoding.
_LETTER_BYTES = {
    codec: [bytes([b]) for b in "æøåÆØÅéöäü".encode(codec)] for codec in ("cp1252", "mac_roman")
}


def sniff_delimiter(sample: str) -> str:
    """The delimiter among ; , tab | that splits the first lines into the most steady columns.

    Excel's own hint, a first line "sep=;", is obeyed.
    """
    hint = re.match(r"\ufeff?sep=(.)\r?\n", sample)
    if hint:
        return hint.group(1)
    # Split on line feeds only: str.splitlines() would also break at \x85 and
    # friends, which are text inside a cell. The last line may be cut short.
    raw_lines = sample.split("\n")
    lines = [line for line in raw_lines[:-1] or raw_lines if line.strip()]
    text = "\n".join(lines[:40])
    best, best_score = ",", 0.0
    for delimiter in (";", ",", "\t", "|"):
        try:
            # newline="" as for the file itself: a bare \r ends a record, not the sniff.
            stream = io.StringIO(text, newline="")
            rows = [row for row in csv.reader(stream, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        # Rows of one cell say nothing about the delimiter: a bare \r in a cell
        # (which some writers leave unquoted) breaks a row into such pieces.
        split = [row for row in rows if len(row) > 1]
        steady = sum(1 for row in split if len(row) == width) / len(split)
        score = width * steady
        if steady >= 0.6 and score > best_score:
            best, best_score = delimiter, score
    return best
