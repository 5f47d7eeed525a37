"""Where answers come from: saved .eml files, folders of them, mbox files, Maildirs
and IMAP folders. Each source yields (label, the message's bytes), read only:
nothing is moved, flagged as seen, or deleted.
"""

from __future__ import annotations

import mailbox
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from innoff_cli import sign_in
from innoff_cli.errors import InnoffError
from innoff_cli.terminal import shown

if TYPE_CHECKING:
    import imaplib

IMAP_TIMEOUT_SECONDS = 60
# What the large mail providers take at most: a larger "message" is not mail
# anyone sent, and is listed rather than read.
MESSAGE_MOST_BYTES = 25 * 1024 * 1024
IMAP_BATCH = 200  # messages a FETCH asks for


@dataclass(frozen=True)
class Unreadable:
    label: str
    reason: str


def is_imap(source: str) -> bool:
    return source.lower().startswith(("imap://", "imaps://"))


def messages(
    source: str,
    *,
    since: date | None = None,
    password: Callable[[str], str] | None = None,
    auth: str | None = None,
    token: Callable[[], str] | None = None,
) -> Iterator[tuple[str, bytes] | Unreadable]:
    """Every message of one SOURCE; one that cannot be read is an Unreadable.

    A SOURCE that does not exist, or an IMAP server that refuses the login, is
    an InnoffError: the whole run stops before anything is recorded. Within a
    source each file is read on its own: a file that cannot be read, is not a
    regular file (a FIFO, a device) or is larger than MESSAGE_MOST_BYTES is
    listed, never opened or read whole, and the rest is read.
    """
    if is_imap(source):
        yield from _imap(source, since, password, auth, token)
        return
    path = Path(source)
    if not path.exists():
        raise InnoffError(f"no such file or folder: {shown(source)} - check the path")
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            yield from _maildir(path)
        else:
            yield from _folder(path)
        return
    yield from _file(path)


def _folder(path: Path) -> Iterator[tuple[str, bytes] | Unreadable]:
    """A folder of saved messages (.eml) or mbox files; sub-folders are passed over."""
    try:
        children = sorted(path.iterdir())
    except OSError as error:
        yield Unreadable(str(path), f"cannot list it ({error.strerror})")
        return
    for child in children:
        if not child.name.startswith(".") and not child.is_dir():
            yield from _file(child)


def _regular(path: Path, label: str) -> Unreadable | int:
    """The file's size, or why it is not read (never opened: a FIFO would block)."""
    try:
        info = os.stat(path)
    except OSError as error:
        return Unreadable(label, f"cannot read it ({error.strerror})")
    if not stat.S_ISREG(info.st_mode):
        return Unreadable(label, "not a regular file (a pipe or a device), not read")
    return info.st_size


def _file(path: Path) -> Iterator[tuple[str, bytes] | Unreadable]:
    size = _regular(path, str(path))
    if isinstance(size, Unreadable):
        yield size
        return
    try:
        with path.open("rb") as stream:
            start = stream.read(5)
            if start != b"From ":
                if size > MESSAGE_MOST_BYTES:
                    yield _too_large(str(path), size)
                else:
                    yield str(path), start + stream.read(MESSAGE_MOST_BYTES)
                return
    except OSError as error:
        yield Unreadable(str(path), f"cannot read it ({error.strerror})")
        return
    yield from _mbox(path)


def _too_large(label: str, size: int) -> Unreadable:
    def amount(n: int) -> str:
        return f"{n // 2**20} MB" if n >= 2**20 else f"{n // 2**10} KB"

    return Unreadable(
        label, f"{amount(size)}, larger than mail is ({amount(MESSAGE_MOST_BYTES)}), not read"
    )


def _mbox(path: Path) -> Iterator[tuple[str, bytes] | Unreadable]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except OSError as error:
        yield Unreadable(str(path), f"cannot read it ({error.strerror})")
        return
    try:
        # Where each message starts and stops, as the mbox reader found it: a
        # message larger than mail is, is listed without being read.
        bounds = getattr(box, "_toc", {})
        for number, key in enumerate(keys, 1):
            label = f"{path} message {number}"
            start, stop = bounds.get(key, (0, 0))
            if stop - start > MESSAGE_MOST_BYTES:
                yield _too_large(label, stop - start)
                continue
            try:
                yield label, box.get_bytes(key)
            except OSError as error:
                yield Unreadable(label, f"cannot read it ({error.strerror})")
    finally:
        box.close()


def _maildir(path: Path) -> Iterator[tuple[str, bytes] | Unreadable]:
    """new/ and cur/, in the order of their unique names (what mailbox.Maildir
    calls keys), each entry checked before it is opened."""
    entries = []
    for folder in ("new", "cur"):
        try:
            names = os.listdir(path / folder)
        except OSError as error:
            yield Unreadable(f"{path}/{folder}", f"cannot list it ({error.strerror})")
            continue
        entries += [(name.split(":")[0], path / folder / name) for name in names if name[:1] != "."]
    for key, entry in sorted(entries):
        label = f"{path} {key}"
        size = _regular(entry, label)
        if isinstance(size, Unreadable):
            yield size
        elif size > MESSAGE_MOST_BYTES:
            yield _too_large(label, size)
        else:
            try:
                with entry.open("rb") as stream:
                    yield label, stream.read(MESSAGE_MOST_BYTES)
            except OSError as error:  # gone or unreadable meanwhile
                yield Unreadable(label, f"cannot read it ({error.strerror})")


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


def _token_sign_in(conn, address: ImapAddress, auth: str, token) -> None:
    """AUTHENTICATE XOAUTH2 or OAUTHBEARER with a fresh token; once more with another
    when the server refuses it (it may have expired on the way)."""
    import imaplib

    if token is None:
        raise InnoffError(
            f"INNOFF_IMAP_AUTH={auth} signs in with a token - set INNOFF_IMAP_TOKEN_CMD to a"
            " command that prints one"
        )
    mechanism = auth.upper()
    if f"AUTH={mechanism}" not in conn.capabilities:
        offered = " ".join(
            c.removeprefix("AUTH=") for c in conn.capabilities if c.startswith("AUTH=")
        )
        raise InnoffError(
            f"IMAP server {address.host} does not offer {mechanism} sign-in (it offers"
            f" {offered or 'none'}) - choose another INNOFF_IMAP_AUTH"
        )
    for attempt in (1, 2):
        text = sign_in.initial_response(auth, address.user, token(), address.host, address.port)
        try:
            conn.authenticate(mechanism, sign_in.responder(text))
            return
        except imaplib.IMAP4.error as error:
            if attempt == 2:
                raise InnoffError(
                    f"IMAP server {address.host} refused the token for {shown(address.user)}"
                    f" ({_error_text(error)}) - check INNOFF_IMAP_TOKEN_CMD and the user"
                    " (Microsoft 365: the IMAP.AccessAsUser.All permission)"
                ) from None


def _error_text(error: Exception) -> str:
    """imaplib's error as the server said it: its text, not the repr of bytes."""
    text = str(error)
    if text[:2] in ("b'", 'b"') and text[-1:] == text[1]:
        import ast

        try:
            text = ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError):
            pass
    return shown(text, 80)


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


def _imap(source, since, password, auth, token) -> Iterator[tuple[str, bytes] | Unreadable]:
    import imaplib  # only for an IMAP source: it brings ssl, slow to import

    address = parse_imap(source)
    with_token = auth in sign_in.TOKEN_MECHANISMS
    secret = "" if with_token or not password else password(address.user)
    conn = _connect(address)
    try:
        if with_token:
            _token_sign_in(conn, address, auth, token)
        else:
            try:
                conn.login(address.user, secret)
            except imaplib.IMAP4.error as error:
                raise InnoffError(
                    f"IMAP login to {address.host} as {shown(address.user)} failed"
                    f" ({_error_text(error)}) - check the user and INNOFF_IMAP_PASSWORD"
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
