"""The README's command reference, generated from the commands' own --help.

The README holds it between cog markers (as sqlite-utils and llm keep theirs);
`cog -r README.md` writes it again after a command changes, and
tests/test_docs.py fails while the README and the help differ.
"""

from __future__ import annotations

import os

from typer.testing import CliRunner

WIDTH = "88"


def reference() -> str:
    """Markdown: a heading and the plain (not boxed) --help of every command."""
    import typer.core

    from innoff_cli.cli import app
    from tests.test_docs import all_commands

    before, typer.core.HAS_RICH = typer.core.HAS_RICH, False  # Click's plain help
    env = {"COLUMNS": WIDTH, "INNOFF_LANG": "en", "NO_COLOR": "1", "TERM": "dumb"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        parts = []
        for command in all_commands():
            result = CliRunner().invoke(app, [*command, "--help"], prog_name="innoff", env=env)
            assert result.exit_code == 0, result.output
            # Typer escapes '[' for Rich ('\\[default: ...]'); plain help keeps the
            # backslash, which no reader should see.
            text = result.output.rstrip().replace("\\[", "[")
            parts.append(f"### innoff {' '.join(command)}\n\n```\n{text}\n```\n")
        return "\n".join(parts)
    finally:
        typer.core.HAS_RICH = before
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


if __name__ == "__main__":
    print(reference())
