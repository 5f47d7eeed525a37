"""Where answers come from: saved .eml files, folders of them, mbox files, Maildirs
and IMAP folders. Each source yields (label, the message's bytes), read only:
nothing is moved, flagged as seen, or deleted.
"""

from __future__ import annotations

import mailbox
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.terminal import shown

if TYPE_CHECKING:
    pass

# What the large mail providers take at most: a larger "message" is not mail
# anyone sent, and is listed rather than read.
MESSAGE_MOST_BYTES = 25 * 1024 * 1024


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
        from innoff_cli import imap_folders

        yield from imap_folders.messages(source, since, password, auth, token)
        return
    path = Path(source)
    if not path.exists():
        raise InnoffError(
            _("no such file or folder: {source} - check the path").format(source=shown(source))
        )
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
                    yield str(path), start + stream.read(size + 1)  # what stat saw, no more
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
    # Names as the folder lists them, not Path objects: a Maildir of 100,000
    # answers is 100,000 of them, held while they are read.
    entries: list[tuple[str, str]] = []
    for folder in ("new", "cur"):
        try:
            names = os.listdir(path / folder)
        except OSError as error:
            yield Unreadable(f"{path}/{folder}", f"cannot list it ({error.strerror})")
            continue
        entries += [(name, folder) for name in names if name[:1] != "."]
    entries.sort(key=lambda entry: (entry[0].split(":")[0], entry[1], entry[0]))
    for name, folder in entries:
        key = name.split(":")[0]
        label = f"{path} {key}"
        entry = path / folder / name
        size = _regular(entry, label)
        if isinstance(size, Unreadable):
            yield size
        elif size > MESSAGE_MOST_BYTES:
            yield _too_large(label, size)
        else:
            try:
                with entry.open("rb") as stream:
                    # As many bytes as stat saw (a read of the cap would ask for
                    # a buffer of 25 MB a message).
                    yield label, stream.read(size + 1)
            except OSError as error:  # gone or unreadable meanwhile
                yield Unreadable(label, f"cannot read it ({error.strerror})")
