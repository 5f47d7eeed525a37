"""`innoff agenda ...` end to end through CliRunner on a temporary database."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

STUDIO_ITEMS = [
    ("velkommen", "10:00", "10:05", "welcome"),
    ("introduksjon", "10:05", "10:10", "introduction"),
    ("forkommune-erfaringer", "10:10", "10:30", "talk"),
    ("gode-eksempler-1", "10:30", "10:40", "showcase"),
    ("panel-forutsetninger", "10:40", "11:00", "panel"),
    ("pause", "11:00", "11:10", "break"),
    ("gode-eksempler-2", "11:10", "11:20", "showcase"),
    ("store-og-sma-kommuner", "11:20", "11:35", "talk"),
    ("panel-innovasjonsmeldingen", "11:35", "12:00", "panel"),
]


def iso(hhmm: str, offset: str = "+01:00") -> str:
    return f"2020-11-17T{hhmm}:00{offset}"


def agenda_json(run, *args: str) -> list[dict]:
    result = run("agenda", "show", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def dump(db_path) -> list:
    with sqlite3.connect(db_path) as conn:
        return (
            conn.execute("SELECT * FROM items ORDER BY id").fetchall()
            + conn.execute("SELECT * FROM events ORDER BY slug").fetchall()
        )


def test_show_json_on_first_use(run):
    studio, meeting = agenda_json(run)
    assert meeting == {
        "slug": "arsmote",
        "title": "INNOFF Årsmøte",
        "start": iso("15:00"),
        "end": iso("16:00"),
        "timezone": "Europe/Oslo",
        "location": "Digitalt",
        "url": "",
        "join_url": "",
        "recording_url": "",
        "cancelled": False,
        "aliases": ["Årsmøte", "årsmøtet", "annual meeting"],
        "part_of": "",
        "registration": "",
        "recorded": False,
        "partners": [],
        "items": [],
    }
    assert {
        k: studio[k] for k in ("slug", "title", "start", "end", "timezone", "location", "url")
    } == {
        "slug": "studio",
        "title": "INNOFF-studio",
        "start": iso("10:00"),
        "end": iso("12:00"),
        "timezone": "Europe/Oslo",
        "location": "Digitalt",
        "url": "https://www.innoff.no",
    }
    assert [(i["id"], i["start"], i["end"], i["kind"]) for i in studio["items"]] == [
        (id_, iso(start), iso(end), kind) for id_, start, end, kind in STUDIO_ITEMS
    ]
    assert studio["items"][0] == {
        "id": "velkommen",
        "start": iso("10:00"),
        "end": iso("10:05"),
        "title": "Velkommen og kort om INNOFF",
        "kind": "welcome",
        "speakers": [
            {"name": "Ann Karin Tennås Holmen", "role": "styreleder", "organisation": "INNOFF"}
        ],
    }
    assert studio["items"][4]["speakers"] == [
        {"organisation": "Norges forskningsråd"},
        {"organisation": "Menon"},
        {"organisation": "INNOFF"},
    ]


def test_show_one_event_by_alias_in_another_zone(run):
    (meeting,) = agenda_json(run, "--event", "årsmøte", "--tz", "UTC")
    assert (meeting["slug"], meeting["start"], meeting["end"]) == (
        "arsmote",
        "2020-11-17T14:00:00+00:00",
        "2020-11-17T15:00:00+00:00",
    )


def test_show_csv_parses_back(run):
    result = run("agenda", "show", "--format", "csv", "--event", "studio")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["id"], r["start"][11:16], r["end"][11:16], r["kind"]) for r in rows] == STUDIO_ITEMS
    assert rows[2]["minutes"] == "20"
    assert rows[2]["who"] == "Kaja Høiseth-Gilje (partner, Menon)"
    assert rows[4]["who"] == "Norges forskningsråd; Menon; INNOFF"


def test_show_table_reads_like_a_printed_programme(run):
    result = run("agenda", "show")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "INNOFF-studio · tirsdag 17. november 2020 · 10:00-12:00"
    assert (
        lines[1]
        == "Digitalt · lenke for deltakelse mangler · https://www.innoff.no · del av NEON-konferansen"
    )
    assert "10:10-10:30" in result.stdout and "20 min" in result.stdout
    assert "Bent Aslak Brandtzæg (seniorforsker, Telemarksforskning)" in result.stdout
    assert "INNOFF Årsmøte · tirsdag 17. november 2020 · 15:00-16:00" in result.stdout
    assert "▶" not in result.stdout


def test_show_marks_the_item_that_is_on_now(run):
    result = run("agenda", "show", "--now", "2020-11-17T11:05:00+01:00")
    marked = [line for line in result.stdout.splitlines() if "▶" in line]
    assert len(marked) == 1 and "11:00-11:10" in marked[0] and "Pause" in marked[0]


def test_show_markdown(run):
    result = run("agenda", "show", "--format", "markdown", "--event", "studio")
    assert result.stdout.startswith("## INNOFF-studio · tirsdag 17. november 2020 · 10:00-12:00\n")
    assert "| 11:00-11:10 | 10 min | Pause |  |" in result.stdout


def test_brackets_in_user_text_print_as_written(run):
    result = run("agenda", "edit", "pause", "--title", "[Pause] [/bold] kaffe [red]")
    assert result.exit_code == 0, result.stderr
    shown = run("agenda", "show", "--event", "studio")
    assert "[Pause] [/bold] kaffe [red]" in shown.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ("agenda", "show", "--event", "gala"),
            "Error: no event called 'gala' - known events: studio, arsmote\n",
        ),
        (
            ("agenda", "show", "--tz", "Mars/Olympus"),
            "Error: unknown time zone 'Mars/Olympus' - use an IANA name such as Europe/Oslo or UTC\n",
        ),
        (
            ("agenda", "add", "Kaffe", "--start", "25:99"),
            "Error: bad time '25:99' - write it as HH:MM, for example 10:45\n",
        ),
        (
            ("agenda", "shift", "pause", "soon"),
            "Error: bad duration 'soon' - write minutes or hours such as +10m, -5m, 1h or 1h30m\n",
        ),
        (
            ("agenda", "remove", "nope"),
            "Error: no item with id 'nope' - see the ids with `innoff agenda show --format json`\n",
        ),
        (
            ("agenda", "add", "Kaffe", "--start", "10:15", "--kind", "party"),
            "Error: unknown kind 'party' - use one of welcome, introduction, talk, showcase, panel, break\n",
        ),
    ],
)
def test_user_mistakes_print_one_error_line_and_exit_1(run, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr == message
    assert result.stdout == ""


def test_overlapping_add_is_refused_and_nothing_changes(run, db_path):
    run("agenda", "show")
    before = dump(db_path)
    result = run("agenda", "add", "Lyntale", "--start", "10:15", "--end", "10:25")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'forkommune-erfaringer' (10:10-10:30) overlaps 'lyntale' (10:15-10:25)"
        " - nothing was changed; choose other times\n"
    )
    assert dump(db_path) == before


def test_add_edit_shift_remove(run):
    assert run("agenda", "edit", "panel-forutsetninger", "--end", "10:50").exit_code == 0
    result = run(
        "agenda", "add", "Lyntale", "--start", "10:50", "--speaker", "Kari Nordmann; rådgiver; KS"
    )
    assert (result.exit_code, result.stderr) == (0, "Added 'lyntale' at 10:50.\n")
    (studio,) = agenda_json(run, "--event", "studio")
    added = next(i for i in studio["items"] if i["id"] == "lyntale")
    assert (added["start"], added["end"], added["kind"]) == (iso("10:50"), iso("11:00"), "talk")
    assert added["speakers"] == [
        {"name": "Kari Nordmann", "role": "rådgiver", "organisation": "KS"}
    ]

    result = run("agenda", "shift", "pause", "+10m", "--following")
    assert (result.exit_code, result.stderr) == (0, "Moved 'pause' to 11:10.\n")
    (studio,) = agenda_json(run, "--event", "studio")
    assert studio["end"] == iso("12:10")
    assert studio["items"][-1]["start"] == iso("11:45")

    result = run("agenda", "shift", "pause", "-10m")  # negative durations are not options
    assert result.exit_code == 0, result.stderr

    assert run("agenda", "remove", "lyntale").exit_code == 0
    (studio,) = agenda_json(run, "--event", "studio")
    assert "lyntale" not in [i["id"] for i in studio["items"]]


def test_load_updates_and_reloading_changes_nothing(run, db_path, tmp_path):
    from innoff_cli.programme import bundled_programme_text

    changed = bundled_programme_text().replace(
        'start = "11:00"\n  kind = "break"', 'start = "11:00"\n  end = "11:05"\n  kind = "break"'
    )
    changed = changed.replace(
        '  [[events.items]]\n  id = "gode-eksempler-2"',
        '  [[events.items]]\n  id = "ekstra"\n  start = "11:05"\n  title = "Ekstra"\n\n  [[events.items]]\n  id = "gode-eksempler-2"',
    )
    changed = changed.replace(
        '  [[events.items]]\n  id = "introduksjon"\n  start = "10:05"\n  kind = "introduction"\n  title = "Introduksjon til tema"\n  speakers = [{ organisation = "INNOFF" }]\n',
        "",
    )
    programme_file = tmp_path / "neste.toml"
    programme_file.write_text(changed, encoding="utf-8")

    first = run("agenda", "load", str(programme_file))
    assert (first.exit_code, first.stderr) == (0, "Updated: studio\nUnchanged: arsmote\n")
    ids = [i["id"] for i in agenda_json(run, "--event", "studio")[0]["items"]]
    assert "introduksjon" not in ids and "ekstra" in ids
    before = dump(db_path)
    again = run("agenda", "load", str(programme_file))
    assert (again.exit_code, again.stderr) == (0, "Unchanged: studio, arsmote\n")
    assert dump(db_path) == before


def test_load_refuses_a_broken_file_and_keeps_the_database(run, db_path, tmp_path):
    run("agenda", "show")
    before = dump(db_path)
    broken = tmp_path / "broken.toml"
    broken.write_text(
        "[[events]]\nslug = 'x'\ntitle = 'X'\ndate = 2020-11-17\nstart = '10:00'\nend = '11:00'\n[[events.items]]\ntitle='A'\nstart='10:00'\n[[events.items]]\ntitle='B'\nstart='10:00'\n"
    )
    result = run("agenda", "load", str(broken))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert dump(db_path) == before
    missing = run("agenda", "load", str(tmp_path / "nope.toml"))
    assert missing.stderr == f"Error: no such file: {tmp_path / 'nope.toml'} - check the path\n"


def test_not_an_innoff_database(run, db_path):
    db_path.write_text("hello")
    result = run("agenda", "show")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {db_path} is not an innoff database - pass another file with --db\n",
    )


def test_read_only_database_gives_a_clear_error(run, db_path, monkeypatch):
    import os
    import sqlite3

    run("agenda", "show")
    db_path.chmod(0o400)
    if os.geteuid() == 0:
        # Root writes to a 0400 file regardless: the refusal is SQLite's own, from
        # a file opened read-only, as it is for anyone else.
        connect = sqlite3.connect

        def read_only(path, *args, **kwargs):
            return connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

        monkeypatch.setattr(sqlite3, "connect", read_only)
    result = run("agenda", "shift", "pause", "+1m", "--following")
    assert result.exit_code == 1 and result.stderr.startswith(
        f"Error: cannot open database {db_path} for writing: it or its folder is read-only"
    )
    assert result.stderr.count("\n") == 1


def test_a_full_disk_is_named_as_such(db_path, tmp_path):
    """SQLite's own SQLITE_FULL (a page limit stands in for the disk), as innoff says it."""
    from innoff_cli.store import database_error

    conn = sqlite3.connect(tmp_path / "full.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.Error) as caught:
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    assert str(database_error(db_path, caught.value)) == (
        f"the disk that holds {db_path} is full; nothing was written - free some space and"
        " run it again"
    )


def test_db_path_follows_option_then_environment(run, db_path, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from innoff_cli.cli import app

    assert run("db", "path").stdout == f"{db_path}\n"
    other = tmp_path / "env.db"
    result = CliRunner().invoke(app, ["db", "path"], env={"INNOFF_DB": str(other)})
    assert result.stdout == f"{other}\n"
    result = CliRunner().invoke(app, ["db", "path"], env={"INNOFF_DB": None})
    assert result.stdout.strip().endswith("innoff.db")


def test_usage_errors_exit_2(run):
    assert run("agenda", "show", "--format", "yaml").exit_code == 2
    assert run("agenda", "frobnicate").exit_code == 2


def test_a_database_that_cannot_be_created_gives_a_clear_error(tmp_path):
    from typer.testing import CliRunner

    from innoff_cli.cli import app

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = blocker / "innoff.db"  # a folder that can never be made, even by root
    result = CliRunner().invoke(app, ["--db", str(target), "agenda", "show"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot create database {target}: {blocker} is a file, not a folder"
        " - pass another location with --db or INNOFF_DB\n"
    )


def test_event_links_and_times(run, db_path):
    link = "https://zoom.us/j/123?pwd=a,b;c"
    result = run("agenda", "event", "studio", "--join-url", link, "--recording-url",
                 "https://www.innoff.no/opptak")  # fmt: skip
    assert (result.exit_code, result.stderr) == (0, "Changed studio: join_url, recording_url.\n")
    studio = agenda_json(run, "--event", "studio")[0]
    assert (studio["join_url"], studio["recording_url"]) == (link, "https://www.innoff.no/opptak")
    heading = run("agenda", "show", "--event", "studio").stdout.splitlines()[1]
    assert (
        heading == f"Digitalt · bli med: {link} · https://www.innoff.no · del av NEON-konferansen"
    )

    before = dump(db_path)
    late = run("agenda", "event", "studio", "--start", "10:30")
    assert late.exit_code == 1
    assert late.stderr.startswith(
        "Error: 'velkommen' (10:00-10:05) is outside studio (10:30-12:00); 'introduksjon'"
    )
    assert late.stderr.endswith("- nothing was changed; choose other times\n")
    bad = run("agenda", "event", "studio", "--join-url", "javascript:alert(1)")
    assert bad.stderr == (
        "Error: --join-url: 'javascript:alert(1)' is not a web link"
        " - write it as https://... without spaces\n"
    )
    backwards = run("agenda", "event", "arsmote", "--end", "14:00")
    assert backwards.stderr.startswith("Error: arsmote would end at 14:00, not after it starts")
    assert run("agenda", "event", "studio").stderr.startswith("Error: nothing to change")
    assert dump(db_path) == before

    assert (
        run("agenda", "event", "årsmøte", "--end", "16:30", "--title", "Årsmøte 2020").exit_code
        == 0
    )
    meeting = agenda_json(run, "--event", "arsmote")[0]
    assert (meeting["title"], meeting["end"]) == ("Årsmøte 2020", iso("16:30"))


def test_programme_file_links_and_organiser_are_checked(run, tmp_path):
    from innoff_cli.programme import bundled_programme_text

    good = bundled_programme_text().replace(
        'join_url = ""', 'join_url = "https://meet.example/x"', 1
    )
    path = tmp_path / "p.toml"
    path.write_text(good, encoding="utf-8")
    assert run("agenda", "load", str(path)).exit_code == 0
    assert agenda_json(run, "--event", "studio")[0]["join_url"] == "https://meet.example/x"
    for broken, message in [
        ('join_url = "www.innoff.no"', "`join_url`: 'www.innoff.no' is not a web link"),
        ('email = "post@innoff.no"', None),
    ]:
        text = good.replace('join_url = "https://meet.example/x"', broken, 1)
        if message is None:
            text = good.replace(
                'email = "post@innoff.no"', 'email = "post@innoff.no\\nBcc: x@y.no"'
            )
            message = "organiser e-mail 'post@innoff.no\\nBcc: x@y.no' is not one valid address"
        path.write_text(text, encoding="utf-8")
        result = run("agenda", "load", str(path))
        assert result.exit_code == 1 and message in result.stderr, result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_loading_never_takes_an_item_from_another_event(run, tmp_path, db_path):
    run("agenda", "show")
    before = dump(db_path)
    other = tmp_path / "annet.toml"
    other.write_text(
        '[organizer]\nname = "INNOFF"\nemail = "post@innoff.no"\n\n'
        '[[events]]\nslug = "seminar"\ntitle = "Seminar"\ndate = 2020-12-01\n'
        'start = "09:00"\nend = "10:00"\n\n'
        '  [[events.items]]\n  id = "velkommen"\n  start = "09:00"\n  title = "Velkommen"\n',
        encoding="utf-8",
    )
    result = run("agenda", "load", str(other))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {other}: item 'velkommen' of seminar is already an item of studio in the"
        " database - give it another id (or move it with the event studio)\n"
    )
    assert dump(db_path) == before
    huge = tmp_path / "stor.toml"
    huge.write_text("# " + "x" * (1024 * 1024 + 10), encoding="utf-8")
    assert run("agenda", "load", str(huge)).stderr.startswith(
        f"Error: {huge} is 1024 KiB, more than"
    )
