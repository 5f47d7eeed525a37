"""spools.Spool: a list that moves to a private temporary file past its size,
and output.write_json_streamed, which writes one as json.dumps writes a list."""

from __future__ import annotations

import io
import json
import os
import stat
import sys

from hypothesis import given
from hypothesis import strategies as st

from innoff_cli.output import write_json_streamed
from innoff_cli.spools import Spool


def test_items_come_back_in_order_from_memory_and_file():
    spool: Spool[dict] = Spool(keep=3)
    items = [{"n": n, "text": "æøå\n" * n} for n in range(10)]
    for item in items[:5]:
        spool.append(item)
    assert list(spool) == items[:5]  # read once, part way
    for item in items[5:]:
        spool.append(item)  # after a read: still at the end
    assert len(spool) == 10 and bool(spool)
    assert list(spool) == items and list(spool) == items  # again and again
    assert spool.head(2) == items[:2] and spool.head(6) == items[:6]
    assert spool.file is not None
    mode = stat.S_IMODE(os.fstat(spool.file.fileno()).st_mode)
    assert mode & 0o077 == 0  # nobody else's to read: it holds names and addresses
    spool.close()
    assert spool.file is None


def test_an_empty_spool_is_empty():
    spool: Spool[int] = Spool(keep=0)
    assert len(spool) == 0 and not spool and list(spool) == [] and spool.head(3) == []


def written(fields: dict) -> str:
    out, real = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        write_json_streamed(fields)
    finally:
        sys.stdout = real
    return out.getvalue()


JSONABLE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(
    fields=st.dictionaries(st.text(), JSONABLE, max_size=4),
    listed=st.lists(st.dictionaries(st.text(), JSONABLE, max_size=3), max_size=5),
    keep=st.integers(0, 3),
)
def test_a_streamed_report_is_json_dumps_to_the_byte(fields, listed, keep):
    spool = Spool(keep=keep)
    for item in listed:
        spool.append(item)
    empty = Spool()
    with_spools = {**fields, "\x00spooled": spool, "\x00empty": empty}
    as_lists = {**fields, "\x00spooled": listed, "\x00empty": []}
    expected = json.dumps(as_lists, ensure_ascii=False, indent=2) + "\n"
    assert written(with_spools) == expected
    assert written({}) == json.dumps({}, indent=2) + "\n"
    spool.close()
