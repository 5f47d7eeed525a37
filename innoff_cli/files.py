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
