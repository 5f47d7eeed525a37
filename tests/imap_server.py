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
    def __init__(self):
        # A folder of its own that Dovecot's users can reach (pytest's are 0700).
        self.folder = Path(tempfile.mkdtemp(prefix="innoff-dovecot-"))
        self.folder.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

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
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 0
default_internal_user = {internal}
default_internal_group = {internal if os.geteuid() == 0 else owner.pw_name}
default_login_user = {login}
mail_location = maildir:{mail}/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.folder}/passwd
}}
userdb {{
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
