"""Writing a file whole or not at all.

Exports hold names and e-mail addresses and are read by other programs, so a
file is written to a private (0600) temporary file beside its target and
renamed into place only when complete: an error or Ctrl-C leaves no half file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from innoff_cli.errors import InnoffError


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
            f"cannot write {target} ({error.strerror}) - choose a folder you can write to"
        ) from None
    try:
        # newline="": line ends are written exactly as given (CRLF for iCalendar and CSV).
        with open(handle, "w", encoding=encoding, errors=errors, newline="") as stream:
            yield stream
        os.replace(temporary, target)
    except OSError as error:
        os.unlink(temporary)
        raise InnoffError(
            f"cannot write {target} ({error.strerror}) - choose a folder you can write to"
        ) from None
    except BaseException:
        os.unlink(temporary)
        raise


def write_in(folder: int, name: str, text: str) -> None:
    """Write `text` as file `name` in the open folder `folder` (a descriptor), whole.

    The file is made 0600 under a temporary name that must not exist (a link
    planted there is never followed) and renamed over `name`, which replaces a
    link at `name` instead of writing through it.
    """
    temporary = f".{name}.{os.getpid()}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.unlink(temporary, dir_fd=folder)  # left by a run that was killed
    except FileNotFoundError:
        pass
    handle = os.open(temporary, flags, 0o600, dir_fd=folder)
    try:
        # newline="" keeps the CRLF line ends exactly as written.
        with open(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=folder)
        except OSError:
            pass
        raise


def write_new(folder: int, name: str, text: str) -> None:
    """Write `text` as a new file `name` (0600) in a folder nobody else writes to yet."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    handle = os.open(name, flags, 0o600, dir_fd=folder)
    with open(handle, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
