"""What time it is, for every part of innoff that asks.

`INNOFF_NOW` (ISO 8601 with an offset, e.g. 2020-11-16T10:00+01:00) stands in
for the clock: for tests, and for "what would a run at this moment do?" (a
reminder's window, a message's DTSTAMP, an import's time).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _

VARIABLE = "INNOFF_NOW"


def now() -> datetime:
    """The current moment, aware, in UTC."""
    given = os.environ.get(VARIABLE)
    if not given:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(given.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InnoffError(
            _(
                "{VARIABLE} is not a moment with an offset - give ISO 8601 such as 2020-11-16T10:00+01:00, or unset it"
            ).format(VARIABLE=VARIABLE)
        )
    return moment.astimezone(UTC)
