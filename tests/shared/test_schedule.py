"""Reset schedule arithmetic: worked examples and properties (hypothesis), in Asia/Shanghai and in zones with DST."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.schedule import instants_between, latest_instant, next_instant
from shared.settings import ResetSchedule

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
UTC = dt.UTC


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------- examples


def test_daily_at_midnight_shanghai() -> None:
    s = ResetSchedule(kind="daily")
    assert next_instant(s, "Asia/Shanghai", sh(2026, 6, 30, 23, 59, 59)) == sh(2026, 7, 1)
    assert next_instant(s, "Asia/Shanghai", sh(2026, 7, 1)) == sh(2026, 7, 2)  # strictly after
    assert latest_instant(s, "Asia/Shanghai", sh(2026, 7, 1)) == sh(2026, 7, 1)  # at or before
    assert latest_instant(s, "Asia/Shanghai", sh(2026, 7, 1, 0, 3)) == sh(2026, 7, 1)
    # the instant is 16:00 UTC the day before: the chain's zone decides, not UTC
    assert next_instant(s, "Asia/Shanghai", dt.datetime(2026, 6, 30, 15, 0, tzinfo=UTC)) == dt.datetime(
        2026, 6, 30, 16, 0, tzinfo=UTC
    )


def test_daily_at_a_time() -> None:
    s = ResetSchedule(kind="daily", time=dt.time(3, 30))
    assert next_instant(s, SH, sh(2026, 1, 1, 3, 29)) == sh(2026, 1, 1, 3, 30)
    assert next_instant(s, SH, sh(2026, 1, 1, 3, 30)) == sh(2026, 1, 2, 3, 30)
    assert instants_between(s, SH, sh(2026, 1, 1), sh(2026, 1, 4, 3, 30)) == [
        sh(2026, 1, 1, 3, 30),
        sh(2026, 1, 2, 3, 30),
        sh(2026, 1, 3, 3, 30),
        sh(2026, 1, 4, 3, 30),
    ]


def test_weekly_on_a_weekday() -> None:
    s = ResetSchedule(kind="weekly", weekday=3, time=dt.time(22, 0))  # Wednesday 22:00
    # 2026-11-25 is a Wednesday
    assert next_instant(s, SH, sh(2026, 11, 23)) == sh(2026, 11, 25, 22)
    assert next_instant(s, SH, sh(2026, 11, 25, 22)) == sh(2026, 12, 2, 22)
    assert latest_instant(s, SH, sh(2026, 11, 25, 21, 59)) == sh(2026, 11, 18, 22)
    assert latest_instant(s, SH, sh(2026, 11, 26)) == sh(2026, 11, 25, 22)


def test_monthly_day_clamped_to_the_months_last_day() -> None:
    s = ResetSchedule(kind="monthly", day_of_month=31)
    got = instants_between(s, SH, sh(2023, 12, 31), sh(2024, 12, 31))
    assert [i.astimezone(SH).date() for i in got] == [
        dt.date(2024, m, calendar.monthrange(2024, m)[1]) for m in range(1, 13)
    ]
    assert next_instant(s, SH, sh(2023, 2, 1)) == sh(2023, 2, 28)  # not a leap year
    assert next_instant(s, SH, sh(2024, 2, 1)) == sh(2024, 2, 29)
    assert latest_instant(s, SH, sh(2024, 3, 30)) == sh(2024, 2, 29)


def test_monthly_first_of_month_and_year_boundary() -> None:
    s = ResetSchedule(kind="monthly", day_of_month=1, time=dt.time(6, 0))
    assert next_instant(s, SH, sh(2026, 12, 1, 6)) == sh(2027, 1, 1, 6)
    assert latest_instant(s, SH, sh(2027, 1, 1, 5, 59)) == sh(2026, 12, 1, 6)


def test_once_lists_its_instants() -> None:
    a, b = sh(2026, 7, 1, 12), sh(2026, 8, 1, 0)
    s = ResetSchedule(kind="once", at=[b, a, a.astimezone(UTC)])  # unsorted, with a duplicate in another zone
    assert next_instant(s, SH, sh(2026, 1, 1)) == a
    assert next_instant(s, SH, a) == b
    assert next_instant(s, SH, b) is None
    assert latest_instant(s, SH, a - dt.timedelta(seconds=1)) is None
    assert latest_instant(s, SH, sh(2027, 1, 1)) == b
    assert instants_between(s, SH, sh(2026, 1, 1), sh(2027, 1, 1)) == [a, b]


def test_collapsing_missed_instants_is_the_latest_one() -> None:
    s = ResetSchedule(kind="daily")
    missed = instants_between(s, SH, sh(2026, 7, 1), sh(2026, 7, 5, 9))
    assert len(missed) == 4
    assert latest_instant(s, SH, sh(2026, 7, 5, 9)) == missed[-1]


def test_results_are_utc_and_naive_inputs_are_refused() -> None:
    s = ResetSchedule(kind="daily")
    got = next_instant(s, SH, sh(2026, 1, 1, 1))
    assert got is not None and got.tzinfo is UTC
    with pytest.raises(ValueError):
        next_instant(s, SH, dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        latest_instant(s, SH, dt.datetime(2026, 1, 1))


def test_dst_gap_and_overlap_fire_once_a_day() -> None:
    # New York: 2026-03-08 02:00 -> 03:00 (02:30 does not exist); 2026-11-01 02:00 -> 01:00 (01:30 twice)
    gap = ResetSchedule(kind="daily", time=dt.time(2, 30))
    got = instants_between(gap, NY, dt.datetime(2026, 3, 7, tzinfo=NY), dt.datetime(2026, 3, 10, tzinfo=NY))
    assert [i.astimezone(NY).replace(tzinfo=None) for i in got] == [
        dt.datetime(2026, 3, 7, 2, 30),
        dt.datetime(2026, 3, 8, 3, 30),
        dt.datetime(2026, 3, 9, 2, 30),
    ]
    overlap = ResetSchedule(kind="daily", time=dt.time(1, 30))
    got = instants_between(overlap, NY, dt.datetime(2026, 10, 31, tzinfo=NY), dt.datetime(2026, 11, 2, tzinfo=NY))
    assert len(got) == 2
    assert got[1] == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the first 01:30 (EDT, UTC-4)


def test_edges_of_the_calendar_give_none() -> None:
    s = ResetSchedule(kind="daily")
    assert next_instant(s, UTC, dt.datetime(9999, 12, 31, 12, tzinfo=UTC)) is None
    assert latest_instant(s, UTC, dt.datetime(1, 1, 1, 12, tzinfo=UTC)) == dt.datetime(1, 1, 1, tzinfo=UTC)
    assert latest_instant(s, "Asia/Shanghai", dt.datetime(1, 1, 1, 12, tzinfo=UTC)) is None


# ---------------------------------------------------------------------------------------------- properties

ZONES = ["Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Apia"]

periodic = st.builds(
    ResetSchedule,
    kind=st.sampled_from(["daily", "weekly", "monthly"]),
    time=st.times().map(lambda t: t.replace(microsecond=0)),
    weekday=st.integers(1, 7),
    day_of_month=st.integers(1, 31),
)
moments = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC))


def _matches(schedule: ResetSchedule, day: dt.date) -> bool:
    if schedule.kind == "weekly":
        return day.isoweekday() == schedule.weekday
    if schedule.kind == "monthly":
        return day.day == min(schedule.day_of_month, calendar.monthrange(day.year, day.month)[1])
    return True


@settings(max_examples=300, deadline=None)
@given(periodic, st.sampled_from(ZONES), moments)
def test_next_is_after_and_nothing_lies_between(schedule: ResetSchedule, tz: str, t: dt.datetime) -> None:
    n = next_instant(schedule, tz, t)
    assert n is not None and n > t
    assert latest_instant(schedule, tz, n) == n
    before = latest_instant(schedule, tz, n - dt.timedelta(microseconds=1))
    assert before is None or before <= t  # no instant in (t, n)


@settings(max_examples=300, deadline=None)
@given(periodic, st.sampled_from(ZONES), moments)
def test_latest_is_at_or_before_and_the_next_one_is_after(schedule: ResetSchedule, tz: str, t: dt.datetime) -> None:
    latest = latest_instant(schedule, tz, t)
    assert latest is not None and latest <= t
    following = next_instant(schedule, tz, latest)
    assert following is not None and following > t  # no instant in (latest, t]


@settings(max_examples=200, deadline=None)
@given(periodic, st.sampled_from(ZONES), moments, st.integers(0, 24 * 120))
def test_between_is_the_walk_of_next(schedule: ResetSchedule, tz: str, a: dt.datetime, hours: int) -> None:
    b = a + dt.timedelta(hours=hours)
    got = instants_between(schedule, tz, a, b)
    walk, cursor = [], a
    while (n := next_instant(schedule, tz, cursor)) is not None and n <= b:
        walk.append(n)
        cursor = n
    assert got == walk
    assert got == sorted(set(got))
    assert all(a < i <= b for i in got)
    zone = ZoneInfo(tz)
    days = [i.astimezone(zone).date() for i in got]
    assert len(days) == len(set(days)), "one instant per local date"
    if got:
        assert latest_instant(schedule, tz, b) == got[-1]


@settings(max_examples=300, deadline=None)
@given(periodic, moments)
def test_in_shanghai_each_instant_is_the_wall_time_on_a_matching_date(schedule: ResetSchedule, t: dt.datetime) -> None:
    n = next_instant(schedule, "Asia/Shanghai", t)
    assert n is not None
    local = n.astimezone(SH)
    assert local.time() == schedule.time
    assert _matches(schedule, local.date())
    gap = {"daily": 1, "weekly": 7, "monthly": 31}[schedule.kind]
    assert n - t <= dt.timedelta(days=gap)


@settings(max_examples=300, deadline=None)
@given(periodic, st.sampled_from(ZONES), moments)
def test_in_any_zone_an_instant_is_on_a_matching_date_at_the_wall_time_when_it_exists(
    schedule: ResetSchedule, tz: str, t: dt.datetime
) -> None:
    zone = ZoneInfo(tz)
    n = next_instant(schedule, tz, t)
    assert n is not None
    local = n.astimezone(zone)
    wall = dt.datetime.combine(local.date(), schedule.time)
    exists = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
    if exists:
        assert local.replace(tzinfo=None) == wall
        assert _matches(schedule, local.date())


@settings(max_examples=100, deadline=None)
@given(st.lists(moments, min_size=1, max_size=6), moments)
def test_once_fires_at_each_listed_instant(at: list[dt.datetime], t: dt.datetime) -> None:
    s = ResetSchedule(kind="once", at=at)
    n = next_instant(s, SH, t)
    later = sorted(i for i in set(at) if i > t)
    assert n == (later[0] if later else None)
    earlier = sorted(i for i in set(at) if i <= t)
    assert latest_instant(s, SH, t) == (earlier[-1] if earlier else None)
