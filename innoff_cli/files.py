"""Writing a file whole or not at all, and reading one with its errors said.

Exports hold names and e-mail addresses and are read by other programs, so a
file is written to a private (0600) temporary file beside its target and
renamed into place only when complete: an error or Ctrl-C leaves no half file.
A file read (an export, an attendance report) that cannot be opened or fails
part-way is one error that names it, never a traceback.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _


@contextmanager
def reading(path: Path) -> Iterator[BinaryIO]:
    """`path` open for reading bytes; an OSError opening or reading it (no
    permission, a disk or network share failing part-way) is an InnoffError."""
    try:
        raw = path.open("rb")
    except OSError as error:
        raise _cannot_read(path, error) from None
    with raw:
        try:
            yield raw
        except OSError as error:
            raise _cannot_read(path, error) from None


def _cannot_read(path: Path, error: OSError) -> InnoffError:
    return InnoffError(
        _("cannot read {path} ({strerror}) - check the path").format(
            path=path, strerror=error.strerror
        )
    )


@contextmanager
def written_whole(
    target: Path, encoding: str = "utf-8", errors: str = "strict"
) -> Iterator[TextIO]:
    """A text stream whose content becomes `target` when the block ends without error."""
    try:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
    except OSError as error:
        raise InnoffError(
            _("cannot write {target} ({strerror}) - choose a folder you can write to").format(
                target=target, strerror=error.strerror
            )
        ) from None
    try:
        # newline="": line ends are written exactly as given (CRLF for iCalendar and CSV).
        with open(handle, "w", encoding=encoding, errors=errors, newline="") as stream:
            yield stream
        os.replace(temporary, target)
    except OSError as error:
        os.unlink(temporary)
        raise InnoffError(
            _("cannot write {target} ({strerror}) - choose a folder you can write to").format(
                target=target, strerror=error.strerror
            )
        ) from None
    except BaseException:
        os.unlink(temporary)
        raise


def _descriptors() -> bool:
    """Whether files can be opened, renamed and removed relative to an open folder
    (POSIX). Windows has no O_DIRECTORY and no dir_fd: there the folder is named
    by its path. Asked at each use, not at import (the tests take them away)."""
    return hasattr(os, "O_DIRECTORY") and {os.open, os.unlink, os.rename} <= os.supports_dir_fd


class Folder:
    """A folder that files are written into by name, whole, each private (0600).

    Where the system can (POSIX), the folder is held open and every file is
    opened, renamed and removed relative to it, so a link swapped in for the
    folder's path while it is written cannot send the files elsewhere. On
    Windows (no O_DIRECTORY, no dir_fd) the path is used. Either way a file is
    made under a temporary name that must not exist (O_EXCL: a link planted
    there is never followed) and renamed over its name, which replaces a link
    at that name instead of writing through it.
    """

    def __init__(self, path: Path, private: bool = False):
        self.path = path
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY) if _descriptors() else None
        if private:  # the files hold names and addresses, the folder lists them
            if self.fd is not None and hasattr(os, "fchmod"):
                os.fchmod(self.fd, 0o700)
            elif os.name == "posix":
                os.chmod(path, 0o700)
            # Windows: the folder's access list (inherited from the user's profile) protects it.

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _at(self, name: str) -> str:
        return name if self.fd is not None else str(self.path / name)

    def _open_new(self, name: str) -> int:
        flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_BINARY", 0))  # fmt: skip
        if self.fd is not None:
            return os.open(name, flags, 0o600, dir_fd=self.fd)
        return os.open(self._at(name), flags, 0o600)

    def _unlink(self, name: str) -> None:
        if self.fd is not None:
            os.unlink(name, dir_fd=self.fd)
        else:
            os.unlink(self._at(name))

    def write_in(self, name: str, text: str) -> None:
        """Write `text` as file `name`, whole: a new file, or one that replaces it."""
        temporary = f".{name}.{os.getpid()}.part"
        try:
            self._unlink(temporary)  # left by a run that was killed
        except FileNotFoundError:
            pass
        handle = self._open_new(temporary)
        try:
            # newline="" keeps the CRLF line ends exactly as written.
            with open(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            if self.fd is not None:
                os.replace(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
            else:
                os.replace(self._at(temporary), self._at(name))
        except BaseException:
            try:
                self._unlink(temporary)
            except OSError:
                pass
            raise

    def write_new(self, name: str, text: str) -> None:
        """Write `text` as a new file `name`, in a folder nobody else writes to yet."""
        with open(self._open_new(name), "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
