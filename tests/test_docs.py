"""Every command has help text and is documented in the README."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from innoff_cli.cli import app
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def all_commands() -> list[tuple[str, ...]]:
    """Every leaf command, found the way --help finds them (groups load on demand)."""
    root = typer.main.get_command(app)

    def walk(group, ctx, prefix):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if hasattr(command, "list_commands"):
                yield from walk(
                    command,
                    command.make_context(name, [], parent=ctx, resilient_parsing=True),
                    (*prefix, name),
                )
            else:
                yield (*prefix, name)

    return sorted(walk(root, root.make_context("innoff", [], resilient_parsing=True), ()))


COMMANDS = all_commands()


def test_the_command_list_is_found():
    assert ("agenda", "show") in COMMANDS and ("db", "path") in COMMANDS
    assert ("export", "ics") in COMMANDS and len(COMMANDS) == 28


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_command_has_help(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    summary = result.stdout.split("Usage:")[-1]
    assert re.search(r"\n\s+\w.{10,}", summary), "no help text"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_command_is_in_the_readme(command):
    assert f"innoff {' '.join(command)}" in README


def test_readme_starts_with_the_two_newcomer_commands():
    first_block = README.split("```")[1]
    lines = [line for line in first_block.splitlines()[1:] if line.strip()]
    assert len(lines) == 2
    assert "innoff agenda show" in lines[0] and "pip install" in lines[0]
    assert "[test]" in lines[1] and "pytest" in lines[1]


def test_help_shows_defaults_written_in_brackets():
    # Rich reads "[default: ...]" as markup and would swallow it.
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "[default: innoff.db in the user's data directory]" in result.stdout


@pytest.mark.parametrize(
    "command", [(), *sorted({c[:1] for c in COMMANDS}), *COMMANDS], ids=" ".join
)
def test_help_names_values_in_words_not_python_types(command):
    """No `<bool>` on a flag, no `<str>` or `<list[str]>` on a value (Typer's own labels)."""
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert not re.search(r"<(bool|str|int|path|list\[[^\]]*\])>", result.stdout), result.stdout


def test_a_bad_choice_is_said_as_click_says_it():
    result = CliRunner().invoke(
        app, ["agenda", "show", "--format", "xml"], env={"COLUMNS": "200"}, prog_name="innoff"
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert result.stderr.rstrip().endswith("(see innoff agenda show --help)")
    assert "'xml' is not one of 'table', 'json', 'csv', 'markdown', 'html', 'pdf'." in result.output
    assert "Value error" not in result.output


def test_the_map_fields_are_in_the_help():
    result = CliRunner().invoke(app, ["registrations", "import", "--help"], env={"COLUMNS": "200"})
    for field in ("first_name", "registered_at", "event:SLUG", "extra"):
        assert field in result.stdout


def test_the_readme_reference_is_the_help():
    from tests.command_reference import reference

    generated = README.split("]]] -->\n", 1)[1].split("<!-- [[[end]]] -->", 1)[0]
    assert generated == reference(), "run: cog -r README.md"
