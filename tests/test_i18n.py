"""Norwegian for people, English for scripts: the catalogue is whole and compiled,
the language follows the locale (or INNOFF_LANG), and JSON never changes."""

from __future__ import annotations

import pytest

from innoff_cli import i18n
from tests import i18n_catalogue


def test_every_message_has_its_norwegian_and_the_catalogue_nothing_else():
    catalogue = i18n_catalogue.read()
    wanted = {m if isinstance(m, str) else m[0] for m in i18n_catalogue.messages()}
    have = {message.id if isinstance(message.id, str) else message.id[0]
            for message in catalogue if message.id}  # fmt: skip
    assert sorted(wanted - have) == [], "missing: run python tests/i18n_catalogue.py"
    assert sorted(have - wanted) == [], "no longer used"
    for message in catalogue:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), f"untranslated: {message.id!r}"


def test_the_compiled_catalogue_is_the_catalogue():
    compiled = i18n_catalogue.CATALOGUE.with_suffix(".mo").read_bytes()
    assert compiled == i18n_catalogue.compiled(), "run python tests/i18n_catalogue.py --compile"


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "nb_NO.UTF-8"}, "nb"), ({"LANG": "no_NO"}, "nb"), ({"LANG": "nn_NO.UTF-8"}, "nb"),
        ({"LANG": "C.UTF-8"}, "en"), ({"LANG": "en_GB.UTF-8"}, "en"), ({}, "en"),
        ({"LANG": "en_US.UTF-8", "INNOFF_LANG": "nb"}, "nb"),
        ({"LANG": "nb_NO.UTF-8", "INNOFF_LANG": "en"}, "en"),
        ({"LC_ALL": "C", "LANG": "nb_NO.UTF-8"}, "en"),  # LC_ALL wins, as POSIX has it
        ({"LC_MESSAGES": "nb_NO.UTF-8", "LANG": "C"}, "nb"),
    ],
)  # fmt: skip
def test_the_language_follows_the_locale(environ, language):
    assert i18n.language(environ) == language


@pytest.fixture
def in_locale(monkeypatch):
    def use(lang: str) -> None:
        monkeypatch.delenv("INNOFF_LANG", raising=False)
        monkeypatch.delenv("LC_ALL", raising=False)
        monkeypatch.delenv("LC_MESSAGES", raising=False)
        monkeypatch.setenv("LANG", lang)

    return use


def test_people_read_norwegian_under_a_norwegian_locale_and_scripts_the_same_json(
    run, in_locale, tmp_path
):
    export = tmp_path / "neon.csv"
    export.write_text("Navn;E-post;Organisasjon\nKari;kari@bergen.kommune.no;Bergen kommune\n",
                      encoding="utf-8")  # fmt: skip
    outputs = {}
    for lang in ("nb_NO.UTF-8", "C.UTF-8"):
        in_locale(lang)
        imported = run("registrations", "import", str(export), "--dry-run")
        table = run("agenda", "show", "--event", "studio").stdout
        stats = run("registrations", "stats").stdout
        listed = run("registrations", "list").stdout
        json_out = [run(*command, "--format", "json").stdout for command in (
            ("agenda", "show"), ("registrations", "stats"), ("registrations", "list"))]  # fmt: skip
        outputs[lang] = (imported.stdout, table, stats, listed, json_out)
    nb, en = outputs["nb_NO.UTF-8"], outputs["C.UTF-8"]
    assert "nye 1 · endret 0" in nb[0] and "new 1 · updated 0" in en[0]
    assert "Tid" in nb[1] and "Innhold" in nb[1] and "Hvem" in nb[1]
    assert "Time" in en[1] and "Item" in en[1] and "Who" in en[1]
    assert "Deltakere" in nb[2] and "Participants" in en[2]
    assert nb[4] == en[4]  # JSON keys and values never change with the language


def test_every_translation_keeps_its_placeholders():
    """A Norwegian message fills in what the English one does ({path}, {n}, ...)."""
    import re

    for message in i18n_catalogue.read():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(re.findall(r"\{[^{}]*\}", ids[-1])))
        for string in strings:
            assert sorted(set(re.findall(r"\{[^{}]*\}", string))) == wanted, message.id


def test_errors_are_norwegian_under_a_norwegian_locale(run, in_locale):
    in_locale("nb_NO.UTF-8")
    result = run("registrations", "import", "finnes-ikke.csv")
    assert result.exit_code == 1
    assert result.stderr == "Feil: ingen slik fil: finnes-ikke.csv - sjekk stien\n"
    in_locale("C.UTF-8")
    assert run("registrations", "import", "finnes-ikke.csv").stderr.startswith(
        "Error: no such file"
    )


def test_help_is_norwegian_under_a_norwegian_locale():
    """In a process of its own: help texts are read once, when a group loads."""
    import os
    import subprocess
    import sys

    def help_of(lang: str) -> str:
        env = {**os.environ, "LANG": lang, "COLUMNS": "100"}
        env.pop("INNOFF_LANG", None)
        done = subprocess.run([sys.executable, "-m", "innoff_cli", "agenda", "shift", "--help"],
                              env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    norwegian, english = help_of("nb_NO.UTF-8"), help_of("C.UTF-8")
    assert "Flytt et punkt i tid" in norwegian and "Argumenter" in norwegian
    assert "[påkrevd]" in norwegian
    assert "Move an item in time" in english and "Arguments" in english
