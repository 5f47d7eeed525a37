"""Values given on the command line, read by cli/coercion.py instead of Typer's
Pydantic adapters: the same values accepted, a bad one refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from innoff_cli.cli import coercion


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("invites", "send", "--rate", "-1"), "-1 is not in the range x>=0."),
        (("invites", "send", "--smtp-port", "0"), "0 is not in the range 1<=x<=65535."),
        (("invites", "send", "--smtp-port", "70000"), "70000 is not in the range 1<=x<=65535."),
        (("invites", "send", "--smtp-port", "1.5"), "'1.5' is not a valid integer."),
        (("attendance", "import", "x.csv", "--min-minutes", "abc"), "'abc' is not a valid number."),
        (
            ("attendance", "import", "x.csv", "--min-minutes", "nan"),
            "nan is not in the range x>=0.",
        ),
        (("agenda", "show", "-f", "xml"), "'xml' is not one of 'table', 'json', 'csv',"),
        (("invites", "send", "--smtp-security", "tls"), "'tls' is not one of 'starttls', 'ssl',"),
    ],
)
def test_a_bad_value_is_one_line_naming_it(run, args, said):
    result = run(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Invalid value for '")
    assert said in lines[0]


def test_good_values_arrive_as_their_types(run, tmp_path):
    run("agenda", "show")  # the bundled programme
    result = run("agenda", "show", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("[")
    missing = tmp_path / "nowhere.csv"
    # A float with a fraction, a list of paths: the import gets that far, to the file.
    result = run("attendance", "import", str(missing), str(missing), "--min-minutes", "2.5")
    assert result.exit_code == 1
    assert f"no such file: {missing}" in result.output


def test_each_kind_of_value_is_read_as_typer_would():
    from typer._coercion import resolve_type_descriptor
    from typer.models import OptionInfo

    def reader(annotation, **info):
        return coercion.plain_value(resolve_type_descriptor(annotation, OptionInfo(**info)))

    class Param:
        multiple, nargs = False, 1

    class Many:
        multiple, nargs = False, -1

    assert reader(str).coerce("æøå", Param(), None) == "æøå"
    assert reader(int, min=0).coerce("12", Param(), None) == 12
    assert reader(float).coerce("2.5", Param(), None) == 2.5
    assert reader(bool).coerce(True, Param(), None) is True
    assert reader(Path).coerce("a/b.csv", Param(), None) == Path("a/b.csv")
    assert reader(list[Path]).coerce(("a", "b"), Many(), None) == [Path("a"), Path("b")]
    assert reader(list[Path]).coerce(None, Many(), None) == ()
    assert reader(str).coerce(None, Param(), None) is None
    # Kinds innoff does not use are Typer's own.
    from datetime import datetime

    assert reader(datetime) is None
    assert reader(int, clamp=True, max=3) is None
