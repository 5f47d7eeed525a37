"""A password or a token never leaves innoff's memory: not in its output, not in a
traceback (--debug included), not in any file it writes (the database and its
journal included), not in any process's argument list while it is in use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.smtp_server import SmtpServer

PASSWORD = "hemmelig-Passord-4711"
TOKEN = "ya29.hemmelig-token-0815"


def command_lines() -> str:
    """Every process's arguments on this machine, now."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            found.append(
                (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            )
        except OSError:  # gone, or not ours to read
            continue
    return "\n".join(found)


class Watching:
    """The tokens a test server takes; each sign-in looks at every process's arguments."""

    def __init__(self, accept: bool):
        self.accept = accept
        self.seen_in_arguments: list[bool] = []

    def __contains__(self, token: str) -> bool:
        self.seen_in_arguments.append(TOKEN in command_lines() or PASSWORD in command_lines())
        return self.accept and token == TOKEN


def innoff(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "innoff_cli", "--debug", *args], env=env, capture_output=True,
        text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    env = {**os.environ, "INNOFF_DB": str(tmp_path / "innoff.db"), "HOME": str(tmp_path)}
    export = tmp_path / "neon.csv"
    export.write_text("Navn;E-post\nKari Nordmann;kari@bergen.kommune.no\nPer Ås;per@ks.no\n")
    assert innoff(env, "registrations", "import", str(export)).returncode == 0
    return env


def written(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
@pytest.mark.parametrize("accept", [True, False], ids=["taken", "refused"])
def test_a_token_is_in_no_output_file_or_argument_list(env, tmp_path, accept):
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho {TOKEN}\n")
    script.chmod(0o700)
    tokens = Watching(accept)
    with SmtpServer(tokens=tokens) as server:  # type: ignore[arg-type]
        env = {
            **env,
            **server.env(),
            "INNOFF_SMTP_AUTH": "xoauth2",
            "INNOFF_SMTP_TOKEN_CMD": str(script),
        }
        result = innoff(env, "invites", "send", "--yes", "--rate", "0")
        status = innoff(env, "invites", "status", "--format", "json")
    assert result.returncode == (0 if accept else 1), result.stderr
    if not accept:
        assert "Traceback" in result.stderr  # --debug: the traceback is shown, without it
    assert server.handler.sign_ins and server.handler.sign_ins[0][2] == TOKEN  # it was used
    assert tokens.seen_in_arguments and not any(tokens.seen_in_arguments)
    for text in (result.stdout, result.stderr, status.stdout, status.stderr):
        assert TOKEN not in text
    assert TOKEN.encode() not in written(tmp_path).replace(script.read_bytes(), b"")


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
@pytest.mark.parametrize("accept", [True, False], ids=["taken", "refused"])
def test_a_password_is_in_no_output_file_or_argument_list(env, tmp_path, accept):
    tokens = Watching(accept)
    with SmtpServer(user="post@innoff.no", password=PASSWORD if accept else "another") as server:
        # Arguments looked at while innoff is signed in: at the first message.
        server.handler.after_each = lambda count, _: tokens.seen_in_arguments.append(
            PASSWORD in command_lines()
        )
        env = {
            **env,
            **server.env(),
            "INNOFF_SMTP_USER": "post@innoff.no",
            "INNOFF_SMTP_PASSWORD": PASSWORD,
        }
        result = innoff(env, "invites", "send", "--yes", "--rate", "0")
    assert result.returncode == (0 if accept else 1), result.stderr
    assert len(server.received) == (2 if accept else 0)
    if accept:
        assert tokens.seen_in_arguments == [False, False]
    else:
        assert "Traceback" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert PASSWORD.encode() not in written(tmp_path)
