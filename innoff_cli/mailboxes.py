"""Where answers come from: saved .eml files, folders of them, mbox files, Maildirs
and IMAP folders. Each source yields (label, the message's bytes), read only:
nothing is moved, flagged as seen, or deleted.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from innoff_cli.errors import InnoffError
from innoff_cli.terminal import shown

if TYPE_CHECKING:
    import imaplib

IMAP_TIMEOUT_SECONDS = 60
IMAP_BATCH = 200  # messages a FETCH asks for


@dataclass(frozen=True)
class Unreadable:
    label: str
    reason: str


def is_imap(source: str) -> bool:
    return source.lower().startswith(("imap://", "imaps://"))


def messages(
    source: str, *, since: date | None = None, password: Callable[[str], str] | None = None
) -> Iterator[tuple[str, bytes] | Unreadable]:
    """Every message of one SOURCE; a file that cannot be read is an Unreadable.

    A SOURCE that does not exist, or an IMAP server that refuses the login, is
    an InnoffError: the whole run stops before anything is recorded.
    """
    if is_imap(source):
        yield from _imap(source, since, password)
        return
    path = Path(source)
    if not path.exists():
        raise InnoffError(f"no such file or folder: {shown(source)} - check the path")
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            yield from _maildir(path)
            return
        for child in sorted(path.iterdir()):
            if child.is_file() and not child.name.startswith("."):
                yield from _file(child)
        return
    yield from _file(path)


def _file(path: Path) -> Iterator[tuple[str, bytes] | Unreadable]:
    try:
        with path.open("rb") as stream:
            start = stream.read(5)
            if start != b"From ":
                yield str(path), start + stream.read()
                return
    except OSError as error:
        yield Unreadable(str(path), f"cannot read it ({error.strerror})")
        return
    yield from _mbox(path)


def _mbox(path: Path) -> Iterator[tuple[str, bytes] | Unreadable]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except OSError as error:
        yield Unreadable(str(path), f"cannot read it ({error.strerror})")
        return
    try:
        for number, key in enumerate(keys, 1):
            yield f"{path} message {number}", box.get_bytes(key)
    finally:
        box.close()


def _maildir(path: Path) -> Iterator[tuple[str, bytes] | Unreadable]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.keys()):
        try:
            yield f"{path} {key}", box.get_bytes(key)
        except (OSError, KeyError) as error:  # gone or unreadable meanwhile
            yield Unreadable(f"{path} {key}", f"cannot read it ({error})")


# --- IMAP ----------------------------------------------------------------------


@dataclass(frozen=True)
class ImapAddress:
    secure: bool
    user: str
    host: str
    port: int
    folder: str

    def label(self) -> str:
        return f"{'imaps' if self.secure else 'imap'}://{self.host}:{self.port}/{self.folder}"


def parse_imap(source: str) -> ImapAddress:
    """imap[s]://USER@HOST[:PORT]/FOLDER (USER may hold '@' as is or as %40)."""
    parts = urlsplit(source)
    if parts.password is not None:
        raise InnoffError(
            "an IMAP address must not hold the password - set INNOFF_IMAP_PASSWORD"
            " or let innoff ask for it"
        )
    try:
        port = parts.port
    except ValueError:
        raise InnoffError(
            f"bad port in {shown(source)} - use imaps://USER@HOST:993/FOLDER"
        ) from None
    if not parts.hostname or not parts.username:
        raise InnoffError(f"bad IMAP address {shown(source)} - use imaps://USER@HOST[:PORT]/FOLDER")
    secure = parts.scheme.lower() == "imaps"
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if not folder.isprintable():
        raise InnoffError(
            f"bad IMAP folder name {shown(folder)} - name it as the mail program shows it"
        )
    return ImapAddress(
        secure, unquote(parts.username), parts.hostname, port or (993 if secure else 143), folder
    )


def _quoted(folder: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    name = _utf7(folder)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utf7(name: str) -> str:
    """'Svar på møter' -> 'Svar p&AOU- m&APg-ter': '&' is '&-', and each run
    outside printable ASCII is UTF-16 in base64 with ',' for '/', between & and -."""
    import base64

    out, run = [], []

    def flush() -> None:
        if run:
            data = base64.b64encode("".join(run).encode("utf-16-be")).rstrip(b"=")
            out.append("&" + data.decode("ascii").replace("/", ",") + "-")
            run.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def _said(data) -> str:
    text = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
    return shown(text, 80)


def _connect(address: ImapAddress) -> imaplib.IMAP4:
    import imaplib
    import ssl

    from innoff_cli.mail_servers import is_loopback

    where = f"{address.host}:{address.port}"
    try:
        if address.secure:
            return imaplib.IMAP4_SSL(
                address.host, address.port, ssl_context=ssl.create_default_context(),
                timeout=IMAP_TIMEOUT_SECONDS,
            )  # fmt: skip
        conn = imaplib.IMAP4(address.host, address.port, timeout=IMAP_TIMEOUT_SECONDS)
        if "STARTTLS" in conn.capabilities:
            conn.starttls(ssl_context=ssl.create_default_context())
        elif not is_loopback(address.host):
            conn.shutdown()
            raise InnoffError(
                f"IMAP server {where} offers no STARTTLS: the password would go in the clear"
                " - use imaps:// (only a server on this machine may be read without TLS)"
            )
        return conn
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        raise InnoffError(
            f"cannot reach IMAP server {where} ({shown(str(error), 80)}) - check the address"
        ) from None


def _imap(source, since, password) -> Iterator[tuple[str, bytes] | Unreadable]:
    import imaplib  # only for an IMAP source: it brings ssl, slow to import

    address = parse_imap(source)
    secret = password(address.user) if password else ""
    conn = _connect(address)
    try:
        try:
            conn.login(address.user, secret)
        except imaplib.IMAP4.error as error:
            raise InnoffError(
                f"IMAP login to {address.host} as {shown(address.user)} failed"
                f" ({shown(str(error), 80)}) - check the user and INNOFF_IMAP_PASSWORD"
            ) from None
        # EXAMINE: the folder is opened read-only; BODY.PEEK leaves \\Seen alone.
        status, data = conn.select(_quoted(address.folder), readonly=True)
        if status != "OK":
            raise InnoffError(
                f"no folder {shown(address.folder)} on {address.host} ({_said(data)})"
                " - name it as the mail program shows it, e.g. INBOX"
            )
        criteria = f"SINCE {since.strftime('%d-%b-%Y')}" if since else "ALL"
        status, data = conn.uid("SEARCH", None, criteria)
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for at in range(0, len(uids), IMAP_BATCH):
            batch = b",".join(uids[at : at + IMAP_BATCH]).decode()
            status, data = conn.uid("FETCH", batch, "(BODY.PEEK[])")
            if status != "OK":
                yield Unreadable(f"{address.label()} UID {batch}", f"FETCH failed ({_said(data)})")
                continue
            for item in data:
                if isinstance(item, tuple):
                    found = re.search(rb"UID (\d+)", item[0])
                    uid = found[1].decode() if found else "?"
                    yield f"{address.label()} UID {uid}", item[1]
    except (OSError, imaplib.IMAP4.abort) as error:
        raise InnoffError(
            f"IMAP server {address.host} dropped the connection ({shown(str(error), 80)})"
            " - nothing was recorded; try again"
        ) from None
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
