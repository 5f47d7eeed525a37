"""Python's cyclic garbage collector, paused for the bulk loops.

A loop over a hundred thousand rows makes as many tuples and lists, which the
collector walks again and again as they pile up (each full pass walks every
object alive), for nothing: rows, tuples and the dicts that hold them make no
reference cycles, and reference counting frees them. Paused, the collector
costs a report's import nothing; it runs again, as before, when the loop ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off inside the block (and back on after, if it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
