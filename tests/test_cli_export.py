"""`innoff export ics` end to end: files read back with icalendar, and by khal."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest

from tests.test_ical import check_lines

OSLO = "Europe/Oslo"


@pytest.fixture
def registered(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_text(
        "Navn;E-post;Deltar på årsmøte\n"
        'Kari "K" Nordmann;kari@bergen.kommune.no;Ja\n'
        "Øystein Ås;oystein@ntnu.no;Nei\n"
        "Per Nordmann, PhD;per@ks.no;Ja\n",
        encoding="utf-8",
    )
    assert run("registrations", "import", str(export)).exit_code == 0


def parse(path: Path) -> icalendar.Calendar:
    data = path.read_bytes()
    check_lines(data.decode("utf-8"))
    return icalendar.Calendar.from_ical(data)


def manifest(folder: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((folder / "manifest.csv").read_text("utf-8-sig"))))


def local(vevent, prop: str) -> str:
    from zoneinfo import ZoneInfo

    return vevent.decoded(prop).astimezone(ZoneInfo(OSLO)).strftime("%Y-%m-%d %H:%M")


def test_public_calendar_to_stdout_and_file(run, tmp_path):
    result = run("export", "ics")
    assert result.exit_code == 0
    assert result.stdout_bytes.endswith(b"END:VCALENDAR\r\n")
    target = tmp_path / "innoff.ics"
    result = run("export", "ics", "-o", str(target), "--items", "--no-breaks", "--alarm", "15m")
    assert (result.exit_code, result.stderr) == (0, f"Wrote 10 entries to {target}.\n")
    cal = parse(target)
    assert str(cal["METHOD"]) == "PUBLISH"
    vevents = {str(v["UID"]): v for v in cal.walk("VEVENT")}
    assert "studio.pause@innoff.no" not in vevents
    assert local(vevents["studio@innoff.no"], "DTSTART") == "2020-11-17 10:00"
    assert (
        local(vevents["studio.panel-innovasjonsmeldingen@innoff.no"], "DTEND") == "2020-11-17 12:00"
    )
    assert local(vevents["arsmote@innoff.no"], "DTSTART") == "2020-11-17 15:00"
    assert all("ATTENDEE" not in v for v in vevents.values())


@pytest.mark.usefixtures("file_system")
def test_invites_one_request_per_person_and_event(run, registered, tmp_path):
    folder = tmp_path / "invites"
    result = run("export", "ics", "--invites", str(folder))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(
        f"Wrote 5 files to {folder} (5 new); it holds 5 invites and 0 cancellations (0 unchanged)"
    )
    rows = manifest(folder)
    assert [(r["email"], r["event"], r["method"], r["sequence"], r["change"]) for r in rows] == [
        ("kari@bergen.kommune.no", "arsmote", "REQUEST", "0", "new"),
        ("per@ks.no", "arsmote", "REQUEST", "0", "new"),
        ("kari@bergen.kommune.no", "studio", "REQUEST", "0", "new"),
        ("oystein@ntnu.no", "studio", "REQUEST", "0", "new"),
        ("per@ks.no", "studio", "REQUEST", "0", "new"),
    ]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*(r["file"] for r in rows), "manifest.csv"]
    )
    kari = parse(folder / "studio_kari@bergen.kommune.no.ics")
    assert str(kari["METHOD"]) == "REQUEST"
    (vevent,) = kari.walk("VEVENT")  # one UID per REQUEST file
    assert str(vevent["UID"]) == "studio@innoff.no"
    assert vevent["ATTENDEE"].params["CN"] == 'Kari "K" Nordmann'
    assert str(vevent["ORGANIZER"]) == "mailto:post@innoff.no"
    assert (
        local(vevent, "DTSTART") == "2020-11-17 10:00"
        and local(vevent, "DTEND") == "2020-11-17 12:00"
    )
    per = parse(folder / "arsmote_per@ks.no.ics").walk("VEVENT")[0]
    assert per["ATTENDEE"].params["CN"] == "Per Nordmann, PhD"
    assert local(per, "DTSTART") == "2020-11-17 15:00"


def test_manifest_cells_from_people_cannot_run_as_formulas(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_text('Navn;E-post\n=HYPERLINK("http://x");eva@x.no\n', encoding="utf-8")
    assert run("registrations", "import", str(export)).exit_code == 0
    folder = tmp_path / "invites"
    assert run("export", "ics", "--invites", str(folder)).exit_code == 0
    (row,) = manifest(folder)
    assert (row["name"], row["file"], row["sequence"]) == (
        '\'=HYPERLINK("http://x")',
        "studio_eva@x.no.ics",
        "0",
    )


def test_organizer_override(run, registered, tmp_path):
    folder = tmp_path / "invites"
    run("export", "ics", "--invites", str(folder), "--organizer", "Styret <styret@innoff.no>")
    vevent = parse(folder / "studio_per@ks.no.ics").walk("VEVENT")[0]
    assert (str(vevent["ORGANIZER"]), vevent["ORGANIZER"].params["CN"]) == (
        "mailto:styret@innoff.no",
        "Styret",
    )
    assert str(vevent["UID"]) == "studio@innoff.no"  # the organiser never changes a UID


@pytest.mark.usefixtures("file_system")
def test_a_folder_learns_what_changed_since_its_own_manifest(run, registered, tmp_path):
    folder = tmp_path / "invites"
    run("export", "ics", "--invites", str(folder))

    # A programme change and an erased participant between two exports.
    assert run("agenda", "shift", "pause", "+10m", "--following").exit_code == 0
    erased = run("registrations", "remove", "per@ks.no", "--yes")
    assert erased.stderr == "Erased per@ks.no.\n"  # innoff never sent them anything

    dry = run("export", "ics", "--invites", str(folder), "--dry-run")
    assert dry.stderr.startswith(f"Would write 4 files to {folder} (2 cancelled, 2 updated)")
    assert manifest(folder)[1]["method"] == "REQUEST"  # the dry run wrote nothing

    result = run("export", "ics", "--invites", str(folder))
    assert result.exit_code == 0
    rows = {(r["email"], r["event"]): r for r in manifest(folder)}
    assert (
        rows["kari@bergen.kommune.no", "studio"]["sequence"],
        rows["kari@bergen.kommune.no", "studio"]["change"],
    ) == ("1", "updated")
    assert rows["kari@bergen.kommune.no", "arsmote"]["change"] == "unchanged"
    for event in ("studio", "arsmote"):
        cancel = rows["per@ks.no", event]
        assert (cancel["method"], cancel["change"], cancel["name"]) == ("CANCEL", "cancelled", "")
        cal = parse(folder / cancel["file"])
        (vevent,) = cal.walk("VEVENT")
        # One person uninvited: their ATTENDEE, and no STATUS (that would cancel the event).
        assert str(cal["METHOD"]) == "CANCEL" and "STATUS" not in vevent
        assert str(vevent["ATTENDEE"]) == "mailto:per@ks.no"
        assert int(vevent["SEQUENCE"]) == 1
    studio = parse(folder / "studio_kari@bergen.kommune.no.ics").walk("VEVENT")[0]
    assert int(studio["SEQUENCE"]) == 1 and local(studio, "DTEND") == "2020-11-17 12:10"

    third = run("export", "ics", "--invites", str(folder))
    assert third.stderr.startswith(
        f"Wrote 0 files to {folder} (nothing changed); it holds 3 invites and 2 cancellations"
    )
    # Another folder is told from its own (empty) manifest: everything is new there,
    # and nobody is cancelled. Its SEQUENCE is above the cancellation sent to the
    # erased per@ks.no (1): were they to register again, they would not be outdated.
    other = tmp_path / "second"
    run("export", "ics", "--invites", str(other))
    rows = {(r["email"], r["event"]): r for r in manifest(other)}
    assert {r["change"] for r in rows.values()} == {"new"} and len(rows) == 3
    assert rows["oystein@ntnu.no", "studio"]["sequence"] == "2"


def test_a_title_change_is_an_update_and_a_return_outranks_the_cancel(run, registered, tmp_path):
    folder = tmp_path / "invites"
    run("export", "ics", "--invites", str(folder))
    assert run("agenda", "edit", "pause", "--title", "Kaffepause").exit_code == 0
    run("export", "ics", "--invites", str(folder))
    rows = {(r["email"], r["event"]): r for r in manifest(folder)}
    # The programme text changed, not the time or place: an update, SEQUENCE kept.
    oystein = rows["oystein@ntnu.no", "studio"]
    assert (oystein["change"], oystein["sequence"]) == ("updated", "0")
    assert "Kaffepause" in str(
        parse(folder / "studio_oystein@ntnu.no.ics").walk("VEVENT")[0]["DESCRIPTION"]
    )

    run("registrations", "remove", "oystein@ntnu.no", "--yes")
    run("export", "ics", "--invites", str(folder))
    cancel = {(r["email"], r["event"]): r for r in manifest(folder)}["oystein@ntnu.no", "studio"]
    assert (cancel["method"], cancel["sequence"]) == ("CANCEL", "1")
    again = tmp_path / "again.csv"
    again.write_text("Navn;E-post\nØystein Ås;oystein@ntnu.no\n", encoding="utf-8")
    run("registrations", "import", str(again))
    run("export", "ics", "--invites", str(folder))
    back = {(r["email"], r["event"]): r for r in manifest(folder)}["oystein@ntnu.no", "studio"]
    assert (back["method"], back["change"], int(back["sequence"])) == ("REQUEST", "new", 2)
    assert int(parse(folder / back["file"]).walk("VEVENT")[0]["SEQUENCE"]) == 2


@pytest.mark.usefixtures("file_system")
def test_invite_folder_is_private_and_plants_are_not_followed(run, registered, tmp_path):
    folder = tmp_path / "invites"
    folder.mkdir(mode=0o755)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (folder / "studio_per@ks.no.ics").symlink_to(victim)
    assert run("export", "ics", "--invites", str(folder)).exit_code == 0
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (folder / "studio_per@ks.no.ics").is_symlink()
    assert str(parse(folder / "studio_per@ks.no.ics")["METHOD"]) == "REQUEST"
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert folder.stat().st_mode & 0o777 == 0o700


def test_long_and_odd_addresses_get_short_distinct_file_names():
    from innoff_cli.calendars import invite_file_name

    long = "k" * 64 + "@" + "very-long-subdomain." * 9 + "example.org"
    name = invite_file_name("studio", long)
    assert len(name.encode()) < 200 and name.endswith(".ics")
    assert invite_file_name("studio", long.replace("k@", "j@")) != name
    assert invite_file_name("studio", "a+b@x.no") != invite_file_name("studio", "a-b@x.no")


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "existing-folder"])
@pytest.mark.usefixtures("file_system")
def test_crafted_addresses_never_share_an_invite_file(run, tmp_path, existing):
    """'a-b@x.no-<hash of a+b@x.no>' is a valid address whose plain name is the
    hashed name of 'a+b@x.no': each still gets a file of its own."""
    import hashlib

    twin = "a-b@x.no-" + hashlib.sha256(b"a+b@x.no").hexdigest()[:12]
    export = tmp_path / "crafted.csv"
    export.write_text(f"Navn;E-post\nA;a+b@x.no\nB;{twin}\nC;A+B@X.NO\n", encoding="utf-8")
    assert run("registrations", "import", str(export)).exit_code == 0
    folder = tmp_path / "invites"
    if existing:
        folder.mkdir()
    result = run("export", "ics", "--invites", str(folder))
    assert result.exit_code == 0, result.stderr
    attendees = sorted(
        str(parse(path).walk("VEVENT")[0]["ATTENDEE"]) for path in folder.glob("studio_*.ics")
    )
    # Two people (A+B@X.NO is a+b@x.no, folded), two files, each their own.
    assert attendees == sorted([f"mailto:{twin}", "mailto:A+B@x.no"])


@pytest.mark.usefixtures("file_system")
def test_ctrl_c_while_writing_invites_says_what_was_written(run, registered, tmp_path, monkeypatch):
    from innoff_cli import files

    # A new folder is made whole beside its place, or not at all.
    folder = tmp_path / "invites"
    real_new, real_in = files.Folder.write_new, files.Folder.write_in

    def stop_after(real, count):
        written = []

        def write(self, name, text):
            if len(written) == count:
                raise KeyboardInterrupt
            real(self, name, text)
            written.append(name)

        return write, written

    write, _ = stop_after(real_new, 2)
    monkeypatch.setattr(files.Folder, "write_new", write)
    result = run("export", "ics", "--invites", str(folder))
    assert (result.exit_code, result.stderr) == (
        130,
        f"Interrupted: nothing was written to {folder} (it is made whole or not at all)"
        " - run the export again.\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["innoff.db", "neon.csv"]  # no scratch
    monkeypatch.setattr(files.Folder, "write_new", real_new)
    assert run("export", "ics", "--invites", str(folder)).exit_code == 0

    # Into a folder that is there: each file whole, and the manifest last.
    assert run("agenda", "shift", "pause", "+5m", "--following").exit_code == 0
    before = (folder / "manifest.csv").read_bytes()
    write, written = stop_after(real_in, 1)
    monkeypatch.setattr(files.Folder, "write_in", write)
    result = run("export", "ics", "--invites", str(folder))
    assert result.exit_code == 130
    assert result.stderr == (
        f"Interrupted: 1 of 3 invite files written to {folder}, each whole; manifest.csv was"
        " not updated - run the export again to finish.\n"
    )
    assert (folder / "manifest.csv").read_bytes() == before
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]
    monkeypatch.setattr(files.Folder, "write_in", real_in)
    assert run("export", "ics", "--invites", str(folder)).exit_code == 0
    assert {r["sequence"] for r in manifest(folder) if r["event"] == "studio"} == {"1"}


def test_removed_event_is_cancelled_in_the_public_calendar_and_invites(run, registered, tmp_path):
    folder = tmp_path / "invites"
    run("export", "ics", "--invites", str(folder))
    parse_public(run, tmp_path)  # the public calendar's own history knows the meeting
    import sqlite3

    db_path = Path(run("db", "path").stdout.strip())
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM events WHERE slug = 'arsmote'")
    run("export", "ics", "--invites", str(folder))
    rows = [r for r in manifest(folder) if r["event"] == "arsmote"]
    assert {(r["email"], r["method"], r["sequence"]) for r in rows} == {
        ("kari@bergen.kommune.no", "CANCEL", "1"), ("per@ks.no", "CANCEL", "1"),
    }  # fmt: skip
    (vevent,) = parse(folder / rows[0]["file"]).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"  # the event itself is off
    public = parse_public(run, tmp_path)
    (cancelled,) = [v for v in public.walk("VEVENT") if str(v["UID"]) == "arsmote@innoff.no"]
    assert (str(cancelled["STATUS"]), int(cancelled["SEQUENCE"])) == ("CANCELLED", 1)
    assert local(cancelled, "DTSTART") == "2020-11-17 15:00"
    again = run("export", "ics", "--invites", str(folder))
    assert again.stderr.startswith(f"Wrote 0 files to {folder} (nothing changed)")


def test_leaving_breaks_out_does_not_cancel_them(run, tmp_path):
    run("export", "ics", "--items", "-o", str(tmp_path / "all.ics"))
    target = tmp_path / "no-breaks.ics"
    run("export", "ics", "--items", "--no-breaks", "-o", str(target))
    uids = [str(v["UID"]) for v in parse(target).walk("VEVENT")]
    assert "studio.pause@innoff.no" not in uids
    again = tmp_path / "again.ics"
    run("export", "ics", "--items", "-o", str(again))
    (pause,) = [v for v in parse(again).walk("VEVENT") if str(v["UID"]) == "studio.pause@innoff.no"]
    assert (str(pause["STATUS"]), int(pause["SEQUENCE"])) == ("CONFIRMED", 0)


def parse_public(run, tmp_path) -> icalendar.Calendar:
    target = tmp_path / "public.ics"
    run("export", "ics", "-o", str(target))
    return parse(target)


def test_uids_are_stable_across_a_reload(run, tmp_path):
    from innoff_cli.programme import bundled_programme_text

    first = parse_public(run, tmp_path)
    programme_file = tmp_path / "programme.toml"
    programme_file.write_text(bundled_programme_text(), encoding="utf-8")
    assert run("agenda", "load", str(programme_file)).exit_code == 0
    second = parse_public(run, tmp_path)
    assert [str(v["UID"]) for v in first.walk("VEVENT")] == [
        str(v["UID"]) for v in second.walk("VEVENT")
    ]
    assert [int(v["SEQUENCE"]) for v in second.walk("VEVENT")] == [0, 0]


def test_export_mistakes(run, tmp_path):
    assert (
        run("export", "ics", "--alarm", "-5m").stderr
        == "Error: --alarm must be a positive duration such as 15m, not '-5m'\n"
    )
    assert run("export", "ics", "--organizer", "nobody").stderr.startswith(
        "Error: bad organiser 'nobody'"
    )
    assert run("export", "ics", "--event", "gala").exit_code == 1
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run("export", "ics", "--invites", str(blocker / "sub"))
    assert "Traceback" not in result.stderr
    assert result.exit_code == 1 and result.stderr.startswith(
        f"Error: cannot write invites to {blocker / 'sub'}"
    )


def test_khal_lists_the_studio_and_the_annual_meeting(run, registered, tmp_path):
    """A real terminal calendar imports the public calendar and one invite."""
    khal = shutil.which("khal") or str(Path(sys.executable).with_name("khal"))
    if not Path(khal).exists():
        pytest.fail("khal is not installed: pip install -e '.[test]'")
    public = tmp_path / "public.ics"
    run("export", "ics", "-o", str(public))
    folder = tmp_path / "invites"
    run("export", "ics", "--invites", str(folder))
    for name in ("public", "invite"):
        (tmp_path / name).mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(
        f"[calendars]\n[[public]]\npath = {tmp_path / 'public'}\ntype = calendar\n"
        f"[[invite]]\npath = {tmp_path / 'invite'}\ntype = calendar\n"
        f"[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        f"datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        f"local_timezone = {OSLO}\ndefault_timezone = {OSLO}\n"
        f"[sqlite]\npath = {tmp_path / 'khal.db'}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "TZ": "UTC", "HOME": str(tmp_path)}

    def khal_run(*args: str) -> str:
        done = subprocess.run(
            [khal, "-c", str(config), *args], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    khal_run("import", "--batch", "-a", "public", str(public))
    khal_run(
        "import", "--batch", "-a", "invite", str(folder / "arsmote_kari@bergen.kommune.no.ics")
    )
    fmt = "{calendar}: {start-time}-{end-time} {title}"
    listed = khal_run("list", "--format", fmt, "2020-11-17", "1d").splitlines()
    assert "public: 10:00-12:00 INNOFF-studio" in listed
    assert "public: 15:00-16:00 INNOFF Årsmøte" in listed
    assert "invite: 15:00-16:00 INNOFF Årsmøte" in listed


@pytest.mark.skipif(os.name != "posix", reason="process numbers: POSIX")
@pytest.mark.usefixtures("file_system")
def test_a_killed_exports_scratch_folder_is_removed_by_the_next(run, registered, tmp_path):
    """A kill -9 while a new invite folder is written leaves its scratch folder
    (names, addresses) beside it; the next export removes it, and never the
    scratch folder of a run that is still going."""
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    alive = subprocess.Popen(["sleep", "30"])
    try:
        dead_scratch = tmp_path / f".invites.innoff-{gone.pid}-k3x9q2"
        live_scratch = tmp_path / f".invites.innoff-{alive.pid}-a1b2c3"
        for scratch in (dead_scratch, live_scratch):
            scratch.mkdir(mode=0o700)
            (scratch / "studio_per@ks.no.ics").write_text("BEGIN:VCALENDAR\r\n")
        result = run("export", "ics", "--invites", str(tmp_path / "invites"))
        assert result.exit_code == 0, result.stderr
        assert not dead_scratch.exists() and live_scratch.exists()
        assert f"Removed {dead_scratch}, left half-written by an export that was killed." in (
            result.stderr + result.stdout
        )
        assert (tmp_path / "invites" / "manifest.csv").exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".invites.")] == [
            live_scratch.name
        ]
    finally:
        alive.kill()
        alive.wait()
