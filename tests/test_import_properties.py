"""Property tests: whatever the file, an import is clean or a clear error, never half done."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from innoff_cli.collation import norwegian_order
from tests.conftest import copy_db, invoke, snapshot

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def dump(db_path):
    return snapshot(db_path)


def fresh(tmp_path) -> Path:
    """A folder of its own per example: hypothesis reuses the function's tmp_path."""
    return Path(tempfile.mkdtemp(dir=tmp_path))


def assert_clean_outcome(result, before, after):
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        return
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert after == before  # nothing half-written


@SETTINGS
@given(content=st.binary(max_size=3000))
def test_arbitrary_bytes(tmp_path, template_db, content):
    tmp_path = fresh(tmp_path)
    db_path = copy_db(template_db, tmp_path / "innoff.db")
    export = tmp_path / "export.csv"
    export.write_bytes(content)
    before = dump(db_path)
    result = invoke(db_path, "registrations", "import", str(export))
    assert_clean_outcome(result, before, dump(db_path))


cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=15
)
email_cell = st.one_of(
    st.integers(0, 30).map(lambda i: f"Person{i}@Example.org"),
    st.sampled_from(["", "not-an-email", "x@", "anonymous"]),
)


@SETTINGS
@given(
    rows=st.lists(st.tuples(cell_text, email_cell, cell_text), max_size=25),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    line_ending=st.sampled_from(["\n", "\r\n"]),
)
# Found by hypothesis: \x85 split lines in the sniffer; a bare \r, which Python's
# csv writer leaves unquoted, made every delimiter fail there.
@example(
    rows=[("0\x85", "Person0@Example.org", "")], delimiter=";", encoding="utf-8", line_ending="\n"
)
@example(
    rows=[("", "Person0@Example.org", "\r0")], delimiter=";", encoding="utf-8", line_ending="\n"
)
@example(
    rows=[("", "Person0@Example.org", "\r0\r0")], delimiter=";", encoding="utf-8", line_ending="\n"
)
def test_well_formed_csv(tmp_path, template_db, rows, delimiter, encoding, line_ending):
    tmp_path = fresh(tmp_path)
    db_path = copy_db(template_db, tmp_path / "innoff.db")
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator=line_ending)
    writer.writerow(["Navn", "E-post", "Organisasjon"])
    writer.writerows(rows)
    try:
        data = text.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = text.getvalue().encode("utf-8")
    export = tmp_path / "export.csv"
    export.write_bytes(data)
    before = dump(db_path)
    result = invoke(db_path, "registrations", "import", str(export))
    assert_clean_outcome(result, before, dump(db_path))
    # Addresses come back as written, with the domain in lower case.
    expected = {
        email.replace("Example.org", "example.org")
        for _, email, _ in rows
        if email.startswith("Person")
    }
    if not expected and any(any(cell.strip() for cell in row) for row in rows):
        # Rows, and not one participant among them: an error, and nothing written.
        assert result.exit_code == 1 and "gave a participant" in result.stderr
        assert dump(db_path) == before
        return
    assert result.exit_code == 0, result.stderr
    listed = json.loads(invoke(db_path, "registrations", "list", "--format", "json").stdout)
    assert {p["email"] for p in listed} == expected
    assert all(p["events"] == ["studio"] for p in listed)


person = st.integers(0, 12)
NAMES = ("Person {p}", "Åse Ødegård {p}", "ÆRLEND {p}", "émile {p}", "")
answer = st.sampled_from(["Ja", "Nei", "", "Begge"])


@SETTINGS
@given(
    files=st.lists(
        st.tuples(st.lists(st.tuples(person, answer), min_size=1, max_size=12), st.booleans()),
        min_size=1,
        max_size=3,
    )
)
def test_imports_keep_every_reference_whole(tmp_path, template_db, files):
    """Imports write without SQLite's per-row foreign key checks (store.writing with check_references=False):
    after any sequence of them, with --replace or not, every registration and
    every import line still points at a participant, an event and an import."""
    tmp_path = fresh(tmp_path)
    db_path = copy_db(template_db, tmp_path / "innoff.db")
    for number, (rows, replace) in enumerate(files):
        export = tmp_path / f"export{number}.csv"
        # A person's rows name them differently (or not at all): the name the
        # merge keeps must bring its own sort key along.
        export.write_text(
            "Navn;E-post;Deltar på årsmøte\n"
            + "".join(
                f"{NAMES[(p + len(a)) % len(NAMES)].format(p=p)};person{p}@example.org;{a}\n"
                for p, a in rows
            ),
            encoding="utf-8",
        )
        options = ["--replace"] if replace else []
        result = invoke(db_path, "registrations", "import", str(export), *options)
        assert result.exit_code == 0, result.stderr
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            everyone = {row[0] for row in conn.execute("SELECT email FROM participants")}
            lines = {row[0] for row in conn.execute("SELECT email FROM participant_imports")}
            registered = {row[0] for row in conn.execute("SELECT email FROM registrations")}
            conn.create_function("norwegian_order", 1, norwegian_order)
            (stale,) = conn.execute(
                "SELECT count(*) FROM participants WHERE sort_key IS NOT norwegian_order(name)"
            ).fetchone()
        assert stale == 0
        assert {f"person{p}@example.org" for p, _ in rows} <= everyone == lines
        assert registered <= everyone
