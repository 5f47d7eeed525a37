"""`innoff config`: settings that stay, read strictly, and below options and variables."""

from __future__ import annotations

import tomllib

import pytest

from tests.smtp_server import SmtpServer


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "settings" / "config.toml"
    monkeypatch.setenv("INNOFF_CONFIG", str(path))
    return path


def test_set_get_list_unset_round_trip_through_a_private_toml_file(run, config):
    assert run("config", "path").stdout == f"{config}\n"
    assert run("config", "set", "smtp.host", "smtp.office365.com").exit_code == 0
    assert run("config", "set", "smtp.port", " 587 ").exit_code == 0
    odd = 'Kari "K" \\ Nordmann æøå \u202e'
    assert run("config", "set", "smtp.from", odd).exit_code == 0
    assert tomllib.loads(config.read_text(encoding="utf-8")) == {
        "smtp": {"host": "smtp.office365.com", "port": 587, "from": odd}
    }
    assert config.stat().st_mode & 0o777 == 0o600
    assert config.parent.stat().st_mode & 0o777 == 0o700
    assert run("config", "get", "smtp.port").stdout == "587\n"
    assert run("config", "get", "smtp.from").stdout == f"{odd}\n"  # exact for scripts
    listed = run("config", "list").stdout
    assert listed.splitlines()[0] == "smtp.host = smtp.office365.com"
    assert "\\u202e" in listed and "\u202e" not in listed  # shown as text, never as control
    unset = run("config", "get", "smtp.user")
    assert unset.exit_code == 1 and unset.stdout == ""
    assert run("config", "unset", "smtp.port").exit_code == 0
    assert "port" not in tomllib.loads(config.read_text(encoding="utf-8"))["smtp"]
    again = run("config", "unset", "smtp.port")
    assert again.exit_code == 0 and again.stderr == "smtp.port was not set.\n"
    every = run("config", "list", "--all").stdout
    assert "smtp.port (not set: SMTP port; --smtp-port, INNOFF_SMTP_PORT; default: 587" in every


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("smtp.port", "99999", "Error: smtp.port takes a whole number 1-65535, not '99999'"),
        (
            "smtp.auth",
            "basic",
            "Error: smtp.auth is one of password, xoauth2, oauthbearer, not 'basic'",
        ),
        ("smtp.host", "a\nb", "Error: smtp.host takes one line of text"),
        ("smtp.hots", "x", "Error: no setting 'smtp.hots' - did you mean smtp.host?"),
        ("smtp.password", "hemmelig", "Error: innoff keeps no passwords or tokens in its settings"),
        ("imap.token", "ya29", "Error: innoff keeps no passwords or tokens in its settings"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(run, config, key, value, message):
    result = run("config", "set", key, value)
    assert result.exit_code == 1 and result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "hemmelig" not in result.stderr
    assert not config.exists()


def test_a_login_setting_is_left_to_mail_login(run, config):
    result = run("config", "set", "login.user", "x@example.org")
    assert result.exit_code == 2 and "login.user is written by `innoff mail login`" in result.stderr


@pytest.mark.parametrize(
    "text, message",
    [
        ("[smtp]\nhots = 'x'\n", "no setting 'smtp.hots' - did you mean smtp.host?"),
        ("[smtp]\npassword = 'hemmelig'\n", "innoff keeps no passwords or tokens"),
        ("[smtp]\nport = 'many'\n", "smtp.port takes a whole number 1-65535"),
        ("[smtp\n", "is not a TOML file"),
        ("smtp = 1\n", "smtp is not a [section]"),
    ],
)
def test_a_broken_settings_file_stops_mail_commands_with_its_name(run, config, text, message):
    config.parent.mkdir()
    config.write_text(text, encoding="utf-8")
    result = run("invites", "status")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {config}") and message in result.stderr
    assert "hemmelig" not in result.stderr


@pytest.fixture
def registered(run, tmp_path):
    export = tmp_path / "neon.csv"
    export.write_text("Navn;E-post\nKari Nordmann;kari@bergen.kommune.no\n", encoding="utf-8")
    assert run("registrations", "import", str(export)).exit_code == 0


def test_option_then_variable_then_file_then_default(run, config, registered, tmp_path):
    with SmtpServer() as good, SmtpServer() as other:
        for key, value in (("host", "127.0.0.1"), ("port", good.port), ("security", "none")):
            assert run("config", "set", f"smtp.{key}", str(value)).exit_code == 0
        assert run("config", "set", "smtp.from", "INNOFF <post@innoff.no>").exit_code == 0
        # The file alone: nothing exported, nothing typed.
        sent = run("invites", "send", "--yes", "--rate", "0")
        assert sent.exit_code == 0, sent.stderr
        assert len(good.received) == 1 and len(other.received) == 0
        assert good.received[0].message["From"] == "INNOFF <post@innoff.no>"
        # A variable beats the file; an option beats the variable.
        to_other = {"INNOFF_SMTP_PORT": str(other.port)}
        again = ["invites", "send", "--yes", "--to", "kari@bergen.kommune.no", "--again"]
        assert run(*again, env=to_other).exit_code == 0
        assert len(other.received) == 1 and len(good.received) == 1
        assert run(*again, "--smtp-port", str(good.port), env=to_other).exit_code == 0
        assert len(good.received) == 2 and len(other.received) == 1


def test_a_token_command_in_the_file_is_used_and_its_variable_wins(
    run, config, registered, tmp_path
):
    good, bad = tmp_path / "good.sh", tmp_path / "bad.sh"
    good.write_text("#!/bin/sh\necho ya29.from-file\n")
    bad.write_text("#!/bin/sh\nexit 7\n")
    for script in (good, bad):
        script.chmod(0o700)
    with SmtpServer(tokens={"ya29.from-file"}) as server:
        for key, value in (("host", "127.0.0.1"), ("port", server.port), ("security", "none"),
                           ("auth", "xoauth2"), ("token-command", str(good))):  # fmt: skip
            assert run("config", "set", f"smtp.{key}", str(value)).exit_code == 0
        failed = run("invites", "send", "--yes", env={"INNOFF_SMTP_TOKEN_CMD": str(bad)})
        assert failed.exit_code == 1
        assert "the command in INNOFF_SMTP_TOKEN_CMD failed (exit status 7)" in failed.stderr
        sent = run("invites", "send", "--yes", "--rate", "0")
        assert sent.exit_code == 0, sent.stderr
        assert len(server.received) == 1
        assert server.handler.sign_ins[-1][2] == "ya29.from-file"
