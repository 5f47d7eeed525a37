"""`innoff mail login microsoft|google`, `mail logout`, and sending with the stored login.

The real msal and google-auth-oauthlib code talk to a provider the test starts on
127.0.0.1 over TLS (tests/oauth_server.py); innoff runs as a program, with a
file-backed test keyring (tests/file_keyring.py) standing in for the desktop's.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.oauth_server import CLIENT_ID, USER, Provider, Tokens
from tests.smtp_server import SmtpServer

pytest.importorskip("msal")
pytest.importorskip("google_auth_oauthlib")
pytest.importorskip("keyring")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A user's environment: a home of their own (the settings file in its default
    place), the test keyring, the provider's CA."""
    environment = {key: value for key, value in os.environ.items() if key != "INNOFF_CONFIG"}
    return {
        **environment, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "INNOFF_DB": str(tmp_path / "data" / "innoff.db"), "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.file_keyring.FileKeyring",
        "INNOFF_TEST_KEYRING": str(tmp_path / "keyring.json"),
    }  # fmt: skip


def innoff(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "innoff_cli", *args], env=env, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def register(env: dict[str, str], tmp_path: Path) -> None:
    export = tmp_path / "neon.csv"
    export.write_text("Navn;E-post\nKari Nordmann;kari@bergen.kommune.no\nPer Ås;per@ks.no\n")
    assert innoff(env, "registrations", "import", str(export)).returncode == 0


def everything_written(tmp_path: Path) -> bytes:
    """The bytes of every file innoff could have written, the keyring's aside."""
    return b"".join(
        p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "keyring.json"
    )


def test_microsoft_device_code_login_keeps_the_token_in_the_keyring_and_sends_with_it(
    home, tmp_path
):
    with Provider(tmp_path, pending=2) as provider:
        env = {**home, **provider.env()}
        login = innoff(env, "mail", "login", "microsoft", "--client-id", CLIENT_ID,
                       "--authority", provider.authority)  # fmt: skip
        assert login.returncode == 0, login.stderr
        # The code and the address, in Microsoft's words, then who signed in.
        assert "enter the code INNOFF42" in login.stderr
        assert f"Signed in as {USER} (microsoft)" in login.stderr
        assert "the token is kept in the keyring (FileKeyring)" in login.stderr
        assert login.stdout == ""
        # Polled through authorization_pending twice, then given the tokens.
        assert provider.grants == ["urn:ietf:params:oauth:grant-type:device_code"] * 3
        kept = json.loads((tmp_path / "keyring.json").read_text())
        assert list(kept) == [f"innoff/microsoft:{USER}"]
        assert any(r in kept[f"innoff/microsoft:{USER}"] for r in provider.refresh_tokens)
        listed = innoff(env, "config", "list").stdout.splitlines()
        assert "login.provider = microsoft" in listed and f"login.user = {USER}" in listed
        assert "smtp.auth = xoauth2" in listed and "imap.auth = xoauth2" in listed

        register(env, tmp_path)
        with SmtpServer(tokens=Tokens(provider)) as server:  # type: ignore[arg-type]
            send = innoff({**env, **server.env()}, "invites", "send", "--yes", "--rate", "0")
            assert send.returncode == 0, send.stderr
            assert len(server.received) == 2
            # The stored login gave the token the server took (after a refresh grant).
            assert server.handler.sign_ins[-1][2] == provider.access_tokens[-1]
            assert "refresh_token" in provider.grants

        secrets = [*provider.access_tokens, *provider.refresh_tokens]
        written = everything_written(tmp_path)
        for secret in secrets:
            assert secret not in login.stdout + login.stderr + send.stdout + send.stderr
            assert secret.encode() not in written

        logout = innoff(env, "mail", "logout")
        assert logout.returncode == 0 and f"Signed out {USER} (microsoft)." in logout.stderr
        assert json.loads((tmp_path / "keyring.json").read_text()) == {}
        assert "login.provider" not in innoff(env, "config", "list").stdout
        again = innoff(env, "mail", "logout")
        assert again.returncode == 0 and "Not signed in" in again.stderr


def test_a_refused_token_gets_a_refreshed_one_from_the_stored_login(home, tmp_path):
    with Provider(tmp_path, pending=0) as provider:
        env = {**home, **provider.env()}
        assert innoff(env, "mail", "login", "microsoft", "--client-id", CLIENT_ID,
                      "--authority", provider.authority).returncode == 0  # fmt: skip
        register(env, tmp_path)
        # The server takes only a token handed out after the first one innoff shows it.
        first_seen: list[str] = []

        class Newer:
            def __contains__(self, token: str) -> bool:
                first_seen.append(token)
                return token != first_seen[0] and token == provider.access_tokens[-1]

        with SmtpServer(tokens=Newer()) as server:  # type: ignore[arg-type]
            send = innoff({**env, **server.env()}, "invites", "send", "--yes", "--rate", "0")
            assert send.returncode == 0, send.stderr
            assert len(server.received) == 2
            assert len(server.handler.sign_ins) == 2
            assert provider.grants.count("refresh_token") == 2


def test_google_loopback_login_with_pkce(home, tmp_path):
    with Provider(tmp_path) as provider:
        env = {**home, **provider.env()}
        client_file = provider.google_client_file(tmp_path)
        process = subprocess.Popen(
            [sys.executable, "-m", "innoff_cli", "mail", "login", "google",
             "--client-file", str(client_file), "--no-browser"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            told = []
            for line in process.stderr:  # the address to open, as a user would see it
                told.append(line)
                if line.startswith("https://"):
                    break
            address = told[-1].strip()
            assert address.startswith(provider.base + "/o/oauth2/auth?")
            assert (
                "code_challenge_method=S256" in address
                and "redirect_uri=http%3A%2F%2F127.0.0.1" in address
            )
            # The "browser": consent, then Google's redirect to innoff's one-time server.
            trust = ssl.create_default_context(cafile=str(provider.ca_file))
            with urllib.request.urlopen(address, context=trust, timeout=10) as page:
                assert "innoff is signed in" in page.read().decode()
            out, err = process.communicate(timeout=30)
        finally:
            process.kill()
            process.wait(5)
        assert process.returncode == 0, err
        assert f"Signed in as {USER} (google)" in err and out == ""
        assert provider.grants == ["authorization_code"]  # the PKCE verifier matched
        kept = json.loads((tmp_path / "keyring.json").read_text())[f"innoff/google:{USER}"]
        assert json.loads(kept)["refresh_token"] in provider.refresh_tokens
        assert "smtp.host = smtp.gmail.com" in innoff(env, "config", "list").stdout
        register(env, tmp_path)
        with SmtpServer(tokens=Tokens(provider)) as server:  # type: ignore[arg-type]
            send = innoff({**env, **server.env()}, "invites", "send", "--yes", "--rate", "0")
            assert send.returncode == 0, send.stderr
            assert len(server.received) == 2 and provider.grants[-1] == "refresh_token"
        for secret in [*provider.access_tokens, *provider.refresh_tokens, "GOCSPX-test"]:
            assert secret not in out + err + send.stderr + send.stdout
        assert not any(s.encode() in everything_written(tmp_path) for s in provider.access_tokens)


def test_without_a_keyring_the_login_is_a_private_file_beside_the_database(home, tmp_path):
    env = {**home, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with Provider(tmp_path, pending=0) as provider:
        env.update(provider.env())
        login = innoff(env, "mail", "login", "microsoft", "--client-id", CLIENT_ID,
                       "--authority", provider.authority)  # fmt: skip
        assert login.returncode == 0, login.stderr
        kept = tmp_path / "data" / "innoff-login.json"
        assert f"kept in {kept}" in login.stderr
        assert kept.stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
        config = tmp_path / "config" / "innoff" / "config.toml"
        assert config.stat().st_mode & 0o777 == 0o600
        database = tmp_path / "data" / "innoff.db"
        for secret in [*provider.refresh_tokens, *provider.access_tokens]:
            assert secret.encode() not in config.read_bytes()
            assert not database.exists() or secret.encode() not in database.read_bytes()
        assert innoff(env, "mail", "logout").returncode == 0
        assert not kept.exists()


def test_sign_in_refusals_are_one_line(home, tmp_path):
    with Provider(tmp_path, pending=0) as provider:
        env = {**home, **provider.env()}
        no_client = innoff(env, "mail", "login", "microsoft", "--authority", provider.authority)
        assert no_client.returncode == 1
        assert no_client.stderr.startswith(
            "Error: signing in to Microsoft needs your organisation's app: pass --client-id"
        )
        no_file = innoff(
            env, "mail", "login", "google", "--client-file", str(tmp_path / "nope.json")
        )
        assert no_file.returncode == 1 and no_file.stderr.count("\n") == 1
        assert "nope.json does not exist" in no_file.stderr
        # Sending with xoauth2 and no login and no command says how to get one.
        assert innoff(env, "config", "set", "smtp.auth", "xoauth2").returncode == 0
        register(env, tmp_path)
        with SmtpServer(tokens=set()) as server:
            send = innoff({**env, **server.env()}, "invites", "send", "--yes")
        assert send.returncode == 1
        assert send.stderr.splitlines()[-1].startswith(
            "Error: --smtp-auth xoauth2 signs in with a token - run `innoff mail login microsoft`"
        )
        # A login whose secret is gone (another machine's settings file) says so.
        assert innoff(env, "mail", "login", "microsoft", "--client-id", CLIENT_ID,
                      "--authority", provider.authority).returncode == 0  # fmt: skip
        (tmp_path / "keyring.json").write_text("{}")
        with SmtpServer(tokens=Tokens(provider)) as server:  # type: ignore[arg-type]
            send = innoff({**env, **server.env()}, "invites", "send", "--yes")
        assert send.returncode == 1
        assert send.stderr.splitlines()[-1] == (
            f"Error: no sign-in for {USER} is kept in the keyring (FileKeyring) - run `innoff mail"
            " login microsoft` again"
        )


def test_the_extras_are_needed_only_to_sign_in(db_path, monkeypatch, tmp_path):
    """Without msal the login is one line that names the extra; nothing else needs it."""
    from tests.conftest import invoke

    monkeypatch.setitem(sys.modules, "msal", None)  # as if `pip install innoff` without extras
    result = invoke(db_path, "mail", "login", "microsoft", "--client-id", CLIENT_ID)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: signing in to Microsoft needs msal - pip install 'innoff[microsoft]'\n"
    )
