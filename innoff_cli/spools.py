"""Lists too long to hold: the first items in memory, the rest in a private
temporary file, read back in the order they came.

`invites replies` on a mailbox of 100,000 answers keeps every answer it read
until the one transaction that records them (the write lock is not held while a
slow server is read), and reports every one of them: as lists, that memory
grows with the mailbox (241 MB at 100,000). A Spool holds `keep` items, then
pickles the rest to a file that the system made private (0600) and deletes on
close, or at once where it can (POSIX): nothing of it outlives the run.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")


class Spool(Generic[Item]):
    """append, len, iteration (in order, as often as wanted) and `head`."""

    KEEP = 1000  # items held in memory before the file is used

    def __init__(self, keep: int | None = None) -> None:
        self.keep = self.KEEP if keep is None else keep
        self.kept: list[Item] = []
        self.file: Any = None
        self.count = 0

    def append(self, item: Item) -> None:
        self.count += 1
        if self.file is None:
            if len(self.kept) < self.keep:
                self.kept.append(item)
                return
            self.file = tempfile.TemporaryFile(prefix="innoff-")
        self.file.seek(0, 2)  # after a read, the end again
        pickle.dump(item, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[Item]:
        yield from self.kept
        if self.file is None:
            return
        self.file.flush()
        self.file.seek(0)
        while True:
            try:
                # pickle reads only what this Spool wrote to a file no one else
                # can open (unnamed, or the user's own and deleted on close).
                yield pickle.load(self.file)
            except EOFError:
                return

    def head(self, n: int) -> list[Item]:
        """The first `n` items (from memory, when `keep` is at least `n`)."""
        if n <= len(self.kept):
            return self.kept[:n]
        out = []
        for item in self:
            if len(out) == n:
                break
            out.append(item)
        return out

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
