"""Writing files whole, never through a planted link: as POSIX has it (through an
open folder) and as Windows has it (by path), see conftest's `file_system`."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innoff_cli import files


@pytest.mark.usefixtures("file_system")
def test_a_file_replaces_a_link_at_its_name_and_a_link_at_its_temporary_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.ics").symlink_to(victim)
    (folder / f".b.ics.{os.getpid()}.part").symlink_to(victim)  # as a killed run would leave
    with files.Folder(folder, private=True) as out:
        out.write_in("a.ics", "A\r\n")
        out.write_in("b.ics", "B\r\n")
        out.write_new("c.ics", "C\r\n")
        with pytest.raises(FileExistsError):
            out.write_new("c.ics", "again")  # new means new: never over what is there
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (folder / "a.ics").is_symlink()
    assert sorted(p.name for p in folder.iterdir()) == ["a.ics", "b.ics", "c.ics"]
    assert (folder / "a.ics").read_bytes() == b"A\r\n"  # line ends as written
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}
    assert folder.stat().st_mode & 0o777 == 0o700


def test_the_windows_like_run_really_has_no_unix_calls(file_system):
    if file_system == "windows-like":
        assert not hasattr(os, "O_DIRECTORY") and not hasattr(os, "fchmod")
        assert files._descriptors() is False
    else:
        assert files._descriptors() is (os.name == "posix")


@pytest.mark.skipif(os.name != "posix", reason="the stand-in pager is a shell script")
def test_a_long_listing_streams_into_the_pager(tmp_path, monkeypatch):
    """The pager gets lines as they come: when it quits after a screenful, the
    rest of a million-line listing is never built."""
    import io
    import shutil

    from innoff_cli import output

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = tmp_path / "shown.txt"
    monkeypatch.setattr("sys.stdout", Terminal())
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a: os.terminal_size((80, 24)))
    pager = tmp_path / "pager"  # a pager that reads a screenful and quits
    pager.write_text(f"#!/bin/sh\nhead -n 30 > '{shown}'\n", encoding="utf-8")
    pager.chmod(0o700)
    monkeypatch.setenv("PAGER", str(pager))
    made = []

    def lines():
        for number in range(1_000_000):
            made.append(number)
            yield f"line {number}"

    output.page(lines(), lambda: "footer")
    assert shown.read_text().splitlines()[:2] == ["line 0", "line 1"]
    assert len(made) < 1_000_000


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5) | st.integers() | st.booleans(), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES, st.integers(0, 3))
def test_indented_json_is_the_json_modules_to_the_byte(value, level):
    import json

    from innoff_cli.output import indented_json

    expected = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
    assert indented_json(value, level) == expected
