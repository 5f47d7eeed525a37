"""A real IMAP server (Dovecot) on 127.0.0.1 for the tests, with one user.

Dovecot runs in the foreground from a configuration of its own in a temporary
folder (no system configuration is read or changed), listens on loopback on a
port the system picks, and is stopped by the test that started it. `.ci/run`
installs Debian's dovecot-imapd when it is missing; where Dovecot cannot be
found the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.smtp_server import free_port

USER, PASSWORD = "post@innoff.no", "hemmelig-imap"


def dovecot() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if Path(p).exists()), None
    )


class ImapServer:
    """Dovecot; with `tokens`, it also takes XOAUTH2 and OAUTHBEARER sign-ins, each
    token checked by RFC 7662 introspection against an endpoint on loopback that
    knows only those tokens (as a provider's would)."""

    def __init__(self, tokens: set[str] | None = None):
        # A folder of its own that Dovecot's users can reach (pytest's are 0700).
        self.folder = Path(tempfile.mkdtemp(prefix="innoff-dovecot-"))
        self.folder.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.tokens = tokens
        self.introspection = None

    def _config(self) -> Path:
        mail = self.folder / "mail"
        for name in ("run", "state", "mail"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # As root, Dovecot will not serve mail as root: its own users do.
            internal, login = "dovecot", "dovenull"
            owner = pwd.getpwnam(internal)
            shutil.chown(mail, owner.pw_uid, owner.pw_gid)
        else:
            internal = login = pwd.getpwuid(os.geteuid()).pw_name
            owner = pwd.getpwuid(os.geteuid())
        (self.folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
        config = self.folder / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login{" xoauth2 oauthbearer" if self.tokens is not None else ""}
auth_failure_delay = 0
# No growing wait after a refused sign-in (the tests refuse some on purpose).
login_trusted_networks = 127.0.0.0/8
first_valid_uid = 0
default_internal_user = {internal}
default_internal_group = {internal if os.geteuid() == 0 else owner.pw_name}
default_login_user = {login}
mail_location = maildir:{mail}/%u/Maildir
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {self.folder}/passwd
}}
{self._oauth2()}userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""",
            encoding="utf-8",
        )
        return config

    def _oauth2(self) -> str:
        if self.tokens is None:
            return ""
        self.introspection = Introspection(self.tokens)
        settings = self.folder / "oauth2.conf.ext"
        settings.write_text(
            f"introspection_mode = auth\n"
            f"introspection_url = http://127.0.0.1:{self.introspection.port}/introspect\n"
            "force_introspection = yes\nusername_attribute = username\n"
            "active_attribute = active\nactive_value = true\n",
            encoding="utf-8",
        )
        settings.chmod(0o644)
        return (
            "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {settings}\n}}\n"
        )

    def __enter__(self) -> ImapServer:
        binary = dovecot()
        assert binary
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(self._config())],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):  # up to 10 s
            try:
                imaplib.IMAP4("127.0.0.1", self.port, timeout=2).logout()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"Dovecot did not start; see {self.folder}/dovecot.log")

    def __exit__(self, *exc) -> None:
        if self.introspection:
            self.introspection.stop()
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{USER.replace('@', '%40')}@127.0.0.1:{self.port}/{folder}"


class Introspection:
    """An OAuth 2.0 token introspection endpoint (RFC 7662) on 127.0.0.1 that knows
    the tokens in `tokens` (a set the test may change) as USER's."""

    def __init__(self, tokens: set[str]):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        known = tokens

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as Dovecot's HTTP client expects of a server it reuses.
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                body = json.dumps(
                    {"active": "true", "username": USER} if token in known else {"active": "false"}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
