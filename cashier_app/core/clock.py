"""The app's clock: injected everywhere so tests control time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """Now, timezone-aware (local offset of the machine)."""
    return dt.datetime.now().astimezone()


def iso(ts: dt.datetime) -> str:
    if ts.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return ts.isoformat()
