"""Replies from an IMAP folder, read only: EXAMINE and BODY.PEEK, nothing moved,
flagged or deleted.

A server, however broken or hostile, cannot stop or hang the run: the UIDs are
searched in windows, so no answer line grows with the mailbox; each command
must be answered whole within COMMAND_SECONDS, however it trickles; a literal
larger than mail is is refused before it is read; and every error the server
causes is one `Error:` line with nothing recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from innoff_cli import mailboxes, sign_in
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.mail_servers import AnswerDeadline
from innoff_cli.mailboxes import Unreadable
from innoff_cli.terminal import shown

if TYPE_CHECKING:
    import imaplib

TIMEOUT_SECONDS = 60  # each read
COMMAND_SECONDS = 300.0  # each whole answer, however it trickles
FETCH_BATCH = 200  # messages a FETCH asks for
SEARCH_WINDOW = 10_000  # UIDs a SEARCH looks at: its answer line stays short


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
            _(
                "an IMAP address must not hold the password - set INNOFF_IMAP_PASSWORD or let innoff ask for it"
            )
        )
    try:
        port = parts.port
    except ValueError:
        raise InnoffError(
            _("bad port in {source} - use imaps://USER@HOST:993/FOLDER").format(
                source=shown(source)
            )
        ) from None
    if not parts.hostname or not parts.username:
        raise InnoffError(
            _("bad IMAP address {source} - use imaps://USER@HOST[:PORT]/FOLDER").format(
                source=shown(source)
            )
        )
    secure = parts.scheme.lower() == "imaps"
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if not folder.isprintable():
        raise InnoffError(
            _("bad IMAP folder name {folder} - name it as the mail program shows it").format(
                folder=shown(folder)
            )
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
    """AUTHENTICATE XOAUTH2 or OAUTHBEARER (sign_in.with_fresh_tokens)."""
    import imaplib

    if token is None:
        raise InnoffError(
            _(
                "INNOFF_IMAP_AUTH={auth} signs in with a token - run `innoff mail login microsoft` (or google), or set INNOFF_IMAP_TOKEN_CMD to a command that prints one"
            ).format(auth=auth)
        )
    mechanism = auth.upper()
    if f"AUTH={mechanism}" not in conn.capabilities:
        offered = " ".join(
            c.removeprefix("AUTH=") for c in conn.capabilities if c.startswith("AUTH=")
        )
        raise InnoffError(
            _(
                "IMAP server {host} does not offer {mechanism} sign-in (it offers {value}) - choose another INNOFF_IMAP_AUTH"
            ).format(host=address.host, mechanism=mechanism, value=offered or "none")
        )
    try:
        sign_in.with_fresh_tokens(
            lambda answer: conn.authenticate(mechanism, answer),
            lambda: sign_in.initial_response(
                auth, address.user, token(), address.host, address.port
            ),
            imaplib.IMAP4.error,
        )
    except imaplib.IMAP4.error as error:
        raise InnoffError(
            _(
                "IMAP server {host} refused the token for {user} ({error}) - check INNOFF_IMAP_TOKEN_CMD and the user (Microsoft 365: the IMAP.AccessAsUser.All permission)"
            ).format(host=address.host, user=shown(address.user), error=_error_text(error))
        ) from None


def _error_text(error: Exception) -> str:
    """imaplib's error as the server (or the guard) said it: its text, without the
    repr of bytes or imaplib's 'command: UID => ' before it."""
    text = re.sub(r"^command: \S+ => ", "", str(error))
    if text[:2] in ("b'", 'b"') and text[-1:] == text[1]:
        import ast

        try:
            text = ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError):
            pass
    return shown(text, 120)


def _said(data) -> str:
    text = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
    return shown(text, 80)


def _guarded():
    """imaplib's clients with a deadline on each command's whole answer and a cap
    on each literal (made when IMAP is used: imaplib brings ssl, slow to import)."""
    import imaplib

    class Guarded:
        _answers: AnswerDeadline | None = None

        def _within(self, read, *args):
            if self._answers is None:
                self._answers = AnswerDeadline(lambda: getattr(self, "sock", None))
            try:
                with self._answers.within(COMMAND_SECONDS):
                    return read(*args)
            except (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error):
                if self._answers.late:
                    raise imaplib.IMAP4.abort(
                        f"no whole answer within {COMMAND_SECONDS:g} s"
                    ) from None
                raise

        def _connect(self):  # the greeting and the first CAPABILITY
            return self._within(super()._connect)

        def _command_complete(self, name, tag):
            return self._within(super()._command_complete, name, tag)

        def read(self, size):
            # A literal's size is the server's word: refused before anything is read.
            if size > mailboxes.MESSAGE_MOST_BYTES + 1024 * 1024:
                raise imaplib.IMAP4.abort(
                    f"the server announced {size} bytes in one piece, more than mail is"
                )
            return super().read(size)

    class Plain(Guarded, imaplib.IMAP4):
        pass

    class Secure(Guarded, imaplib.IMAP4_SSL):
        pass

    return Plain, Secure


def _connect(address: ImapAddress) -> imaplib.IMAP4:
    import imaplib
    import ssl

    from innoff_cli.mail_servers import is_loopback

    plain, secure = _guarded()
    where = f"{address.host}:{address.port}"
    try:
        if address.secure:
            return secure(
                address.host, address.port, ssl_context=ssl.create_default_context(),
                timeout=TIMEOUT_SECONDS,
            )  # fmt: skip
        conn = plain(address.host, address.port, timeout=TIMEOUT_SECONDS)
        if "STARTTLS" in conn.capabilities:
            conn.starttls(ssl_context=ssl.create_default_context())
        elif not is_loopback(address.host):
            conn.shutdown()
            raise InnoffError(
                _(
                    "IMAP server {where} offers no STARTTLS: the password would go in the clear - use imaps:// (only a server on this machine may be read without TLS)"
                ).format(where=where)
            )
        return conn
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        raise InnoffError(
            _("cannot reach IMAP server {where} ({error}) - check the address").format(
                where=where, error=_error_text(error)
            )
        ) from None


def messages(source, since, password, auth, token) -> Iterator[tuple[str, bytes] | Unreadable]:
    """Every message of the folder an imap[s]:// SOURCE names; InnoffError for a
    refused sign-in or whatever the server does wrong, before anything is recorded."""
    import imaplib

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
                    _(
                        "IMAP login to {host} as {user} failed ({error}) - check the user and INNOFF_IMAP_PASSWORD"
                    ).format(host=address.host, user=shown(address.user), error=_error_text(error))
                ) from None
        # EXAMINE: the folder is opened read-only; BODY.PEEK leaves \\Seen alone.
        status, data = conn.select(_quoted(address.folder), readonly=True)
        if status != "OK":
            raise InnoffError(
                _(
                    "no folder {folder} on {host} ({data}) - name it as the mail program shows it, e.g. INBOX"
                ).format(folder=shown(address.folder), host=address.host, data=_said(data))
            )
        uids = list(_search(conn, since))
        for at in range(0, len(uids), FETCH_BATCH):
            batch = b",".join(uids[at : at + FETCH_BATCH]).decode()
            status, data = conn.uid("FETCH", batch, "(BODY.PEEK[])")
            if status != "OK":
                yield Unreadable(f"{address.label()} UID {batch}", f"FETCH failed ({_said(data)})")
                continue
            for item in data:
                if isinstance(item, tuple):
                    found = re.search(rb"UID (\d+)", item[0])
                    uid = found[1].decode() if found else "?"
                    yield f"{address.label()} UID {uid}", item[1]
    except (OSError, imaplib.IMAP4.error) as error:  # abort is an error too
        raise InnoffError(
            _(
                "IMAP server {host} failed while reading ({error}) - nothing was recorded; try again"
            ).format(host=address.host, error=_error_text(error))
        ) from None
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _search(conn, since) -> Iterator[bytes]:
    """The UIDs to read, SEARCH_WINDOW UIDs at a time (UID a:b), so that no answer
    line grows with the mailbox: one SEARCH ALL of 170,000 messages is more than
    imaplib takes in a line."""
    criteria = f" SINCE {since.strftime('%d-%b-%Y')}" if since else ""
    highest = _uidnext(conn)
    for first in range(1, highest, SEARCH_WINDOW):
        last = min(first + SEARCH_WINDOW - 1, highest - 1)
        status, data = conn.uid("SEARCH", None, f"UID {first}:{last}{criteria}")
        if status != "OK":
            raise InnoffError(
                _("the IMAP server refused to search ({data}) - try again").format(data=_said(data))
            )
        for uid in (data[0] or b"").split() if data else ():
            if first <= int(uid) <= last:  # 'a:b' may name the last message when none is in range
                yield uid


def _uidnext(conn) -> int:
    """One above the highest UID the folder has (from EXAMINE's UIDNEXT, else asked)."""
    found = conn.untagged_responses.get("OK", [])
    for line in found:
        match = re.search(rb"\[UIDNEXT (\d+)\]", line if isinstance(line, bytes) else b"")
        if match:
            return int(match[1])
    status, data = conn.uid("SEARCH", None, "UID *")  # the highest UID, or none
    uids = (data[0] or b"").split() if status == "OK" and data else []
    return int(uids[-1]) + 1 if uids else 1
