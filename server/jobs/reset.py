"""Which reset instant is due (spec §11): the schedule in force, since when it is in force, and what already ran.

Only instants after the schedule came into force count: a daily reset switched on at 10:00 does not reset the
morning's entries for 00:00. Missed instants (the server was down) collapse into the latest one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from shared.schedule import latest_instant, next_instant
from shared.settings import ResetSchedule

from ..db import settings
from ..db import tables as t
from ..db.settings import SettingsCache
from . import runs

JOB = "reset"
H = t.SettingsHistory


@dataclass(frozen=True, slots=True)
class ResetPlan:
    schedule: ResetSchedule | None
    timezone: str
    since: dt.datetime | None  # when the schedule in force came into force (None: not known)
    version: int  # the settings version it was read at

    def floor(self, last_run: dt.datetime | None, started: dt.datetime) -> dt.datetime:
        """Instants at or before this have run or do not count."""
        marks = [m for m in (self.since, last_run) if m is not None]
        return max(marks) if marks else started

    def due(self, *, last_run: dt.datetime | None, started: dt.datetime, now: dt.datetime) -> dt.datetime | None:
        """The instant to run now (the latest one not yet run), or None."""
        if self.schedule is None:
            return None
        latest = latest_instant(self.schedule, self.timezone, now)
        if latest is None or latest <= self.floor(last_run, started):
            return None
        return latest

    def following(self, *, last_run: dt.datetime | None, started: dt.datetime, now: dt.datetime) -> dt.datetime | None:
        """The next instant that will fall due after `now`, or None."""
        if self.schedule is None:
            return None
        return next_instant(self.schedule, self.timezone, max(now, self.floor(last_run, started)))


def _fingerprint(base_json: str | None) -> tuple[Any, Any]:
    doc = json.loads(base_json) if base_json else {}
    return json.dumps(doc.get("reset"), sort_keys=True), doc.get("timezone", "Asia/Shanghai")


def schedule_since(conn: Connection) -> dt.datetime | None:
    """The time of the settings change from which the reset schedule and time zone in force are unchanged."""
    current: tuple[Any, Any] | None = None
    since = None
    rows = conn.execute(select(H.at, H.after_json).where(H.scope == "base").order_by(H.id.desc()))
    for at, after_json in rows:
        mark = _fingerprint(after_json)
        if current is None:
            current = mark
        elif mark != current:
            break
        since = at
    return since


def read_plan(conn: Connection, cache: SettingsCache) -> ResetPlan:
    config = settings.read_configuration(conn, cache)
    base = config.base
    since = schedule_since(conn) if base.reset is not None else None
    return ResetPlan(base.reset, base.timezone, since, config.version)


def last_run(conn: Connection) -> dt.datetime | None:
    return runs.last_instant(conn, JOB)
