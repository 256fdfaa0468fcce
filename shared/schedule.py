"""Reset schedule arithmetic (spec §3.3 ResetSchedule, §11): when the instants of a schedule fall. Pure, no I/O.

A periodic schedule names a local wall time in the chain's time zone; each local date that matches the rule
(every day, the ISO weekday, or the day of month clamped to the month's last day) gives one instant. The local
time is turned into an instant with `fold=0`: an ambiguous time (clocks going back) fires once, at its first
occurrence; a time that does not exist (clocks going forward) fires at the instant the same offset as before the
jump gives, one gap later in wall time. Either way each matching local date gives exactly one instant and the
instants increase with the dates. A one-off schedule fires at each instant of its `at` list.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from .settings import ResetSchedule

# A periodic instant lies within a day or so of its local date's midnight (a DST gap shifts it by at most a few
# hours), so starting the walk a few days before the date of interest never misses one.
_MARGIN = dt.timedelta(days=3)
DEFAULT_LIMIT = 100_000


def _zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _aware(ts: dt.datetime, what: str) -> dt.datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{what} needs a time zone offset")
    return ts


def _instant(day: dt.date, schedule: ResetSchedule, zone: dt.tzinfo) -> dt.datetime:
    local = dt.datetime.combine(day, schedule.time.replace(tzinfo=None), tzinfo=zone)
    return local.astimezone(dt.UTC)


def _month_day(year: int, month: int, day_of_month: int) -> dt.date:
    return dt.date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _dates(schedule: ResetSchedule, start: dt.date, step: int) -> Iterator[dt.date]:
    """Matching local dates from `start` (inclusive) forwards (step 1) or backwards (step -1)."""
    if schedule.kind == "daily":
        day = start
        while True:
            yield day
            day += dt.timedelta(days=step)
    elif schedule.kind == "weekly":
        shift = (schedule.weekday - start.isoweekday()) % 7
        day = start + dt.timedelta(days=shift if step > 0 else shift - 7 if shift else 0)
        while True:
            yield day
            day += dt.timedelta(days=7 * step)
    else:  # monthly
        year, month = start.year, start.month
        while True:
            day = _month_day(year, month, schedule.day_of_month)
            if (step > 0 and day >= start) or (step < 0 and day <= start):
                yield day
            month += step
            if month == 13:
                year, month = year + 1, 1
            elif month == 0:
                year, month = year - 1, 12


def _once(schedule: ResetSchedule) -> list[dt.datetime]:
    return sorted({ts.astimezone(dt.UTC) for ts in schedule.at})


def _clamp_date(day: dt.date, delta: dt.timedelta) -> dt.date:
    try:
        return day + delta
    except OverflowError:
        return dt.date.max if delta > dt.timedelta(0) else dt.date.min


def next_instant(schedule: ResetSchedule, tz: str | dt.tzinfo, after: dt.datetime) -> dt.datetime | None:
    """The first instant of the schedule strictly after `after` (UTC), or None when there is none."""
    after = _aware(after, "after")
    if schedule.kind == "once":
        return next((ts for ts in _once(schedule) if ts > after), None)
    zone = _zone(tz)
    start = _clamp_date(after.astimezone(zone).date(), -_MARGIN)
    try:
        for day in _dates(schedule, start, 1):
            instant = _instant(day, schedule, zone)
            if instant > after:
                return instant
    except (OverflowError, ValueError):  # walked past year 9999
        return None
    raise AssertionError("unreachable: the walk is endless")


def latest_instant(schedule: ResetSchedule, tz: str | dt.tzinfo, until: dt.datetime) -> dt.datetime | None:
    """The last instant of the schedule at or before `until` (UTC), or None when there is none."""
    until = _aware(until, "until")
    if schedule.kind == "once":
        return next((ts for ts in reversed(_once(schedule)) if ts <= until), None)
    zone = _zone(tz)
    start = _clamp_date(until.astimezone(zone).date(), _MARGIN)
    try:
        for day in _dates(schedule, start, -1):
            instant = _instant(day, schedule, zone)
            if instant <= until:
                return instant
    except (OverflowError, ValueError):  # walked before year 1
        return None
    raise AssertionError("unreachable: the walk is endless")


def instants_between(
    schedule: ResetSchedule,
    tz: str | dt.tzinfo,
    after: dt.datetime,
    until: dt.datetime,
    *,
    limit: int = DEFAULT_LIMIT,
) -> list[dt.datetime]:
    """The instants in (after, until], ascending (UTC); at most `limit` of them, the earliest."""
    out: list[dt.datetime] = []
    cursor = _aware(after, "after")
    until = _aware(until, "until")
    while len(out) < limit:
        instant = next_instant(schedule, tz, cursor)
        if instant is None or instant > until:
            break
        out.append(instant)
        cursor = instant
    return out
