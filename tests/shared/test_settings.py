"""Settings validation (spec §3): ranges, unknown keys, A25, windows, lotteries, random return, reset, merging."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.errors import Code, RuleError
from shared.settings import (
    BaseSettings,
    Lottery,
    StoreSettings,
    Window,
    extraction_for,
    merge_base,
    merge_store,
    parse_base,
    parse_store,
    random_return_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def refused(parse: Any, data: Any) -> str:
    with pytest.raises(RuleError) as info:
        parse(data)
    assert info.value.code == Code.INVALID_SETTINGS
    return info.value.detail


def test_defaults_are_the_spec_defaults() -> None:
    base = parse_base({})
    assert (base.enabled, base.extraction_bp, base.default_entitlement_bp) == (False, 1000, 10_000)
    assert (base.settlement_event, base.ordering_rule) == ("on_complete", "queue_order")
    assert (base.refund_clawback, base.leftover_policy) == ("received", "retain")
    assert base.deduction_orders_join is True and base.anonymous_orders_contribute is True
    assert (base.points_per_yuan_x100, base.voucher_ratio_bp, base.timezone) == (100, 10_000, "Asia/Shanghai")
    assert base.display.member_info is False and base.display.progress is True
    store = parse_store({})
    assert (store.enabled, store.extraction_bp, store.daily_limit, store.random_return) == (False, None, 0, "inherit")


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("extraction_bp", 10_001),
        ("extraction_bp", -1),
        ("default_entitlement_bp", 100_001),
        ("voucher_ratio_bp", 10_001),
        ("points_per_yuan_x100", -1),
        ("cashier_auto_complete_hours", -1),
        ("extraction_bp", True),
        ("extraction_bp", "1000"),
        ("extraction_bp", 1000.0),
        ("settlement_event", "on_ship"),
        ("ordering_rule", "random"),
        ("refund_clawback", "some"),
        ("leftover_policy", "burn"),
        ("timezone", "Mars/Olympus"),
        ("display_name", ""),
        ("level_entitlement_bp", {"gold": -5}),
    ],
)
def test_base_ranges_and_types_are_enforced(key: str, bad: Any) -> None:
    assert key in refused(parse_base, {key: bad})


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("extraction_bp", 10_001),
        ("daily_limit", -1),
        ("total_limit", -1),
        ("default_entitlement_bp", -1),
        ("random_return", "sometimes"),
        ("cumulative_tiers", [{"days": 0, "threshold_fen": 0, "ratio_bp": 1}]),
        ("cumulative_tiers", [{"days": 3651, "threshold_fen": 0, "ratio_bp": 1}]),
        ("cumulative_tiers", [{"days": 30, "threshold_fen": -1, "ratio_bp": 1}]),
    ],
)
def test_store_ranges_are_enforced(key: str, bad: Any) -> None:
    assert key in refused(parse_store, {key: bad})


def test_unknown_keys_are_refused_at_every_level() -> None:
    assert "colour" in refused(parse_base, {"colour": "red"})
    assert "colour" in refused(parse_store, {"colour": "red"})
    assert "colour" in refused(parse_base, {"display": {"colour": True}})
    assert "colour" in refused(parse_store, {"time_windows": [{"start": "10:00", "end": "11:00", "colour": 1}]})
    assert "colour" in refused(parse_base, {"lottery": {"mode": "fixed", "options": [{"ratio_bp": 1}], "colour": 1}})


def test_a25_clawback_all_with_carry_forward_is_refused() -> None:
    assert "A25" in refused(parse_base, {"refund_clawback": "all", "leftover_policy": "carry_forward"})
    carry = parse_base({"leftover_policy": "carry_forward"})
    assert "A25" in refused(lambda p: merge_base(carry, p), {"refund_clawback": "all"})
    clawback_all = parse_base({"refund_clawback": "all"})
    assert "A25" in refused(lambda p: merge_base(clawback_all, p), {"leftover_policy": "carry_forward"})
    both_changed = merge_base(clawback_all, {"refund_clawback": "received", "leftover_policy": "carry_forward"})
    assert both_changed.leftover_policy == "carry_forward"


def test_a_settings_change_replaces_top_level_keys_whole() -> None:
    base = parse_base(
        {
            "level_entitlement_bp": {"gold": 15_000, "silver": 12_000},
            "lottery": {"mode": "fixed", "options": [{"ratio_bp": 1000}, {"ratio_bp": 2000}]},
        }
    )
    merged = merge_base(base, {"level_entitlement_bp": {"gold": 9000}, "lottery": None})
    assert merged.level_entitlement_bp == {"gold": 9000} and merged.lottery is None
    assert merged.extraction_bp == base.extraction_bp
    store = parse_store({"enabled": True, "time_windows": [{"start": "10:00", "end": "14:00"}], "daily_limit": 2})
    merged_store = merge_store(store, {"time_windows": []})
    assert merged_store.time_windows == [] and merged_store.daily_limit == 2
    assert "object" in refused(lambda p: merge_base(base, p), ["not", "a", "dict"])
    assert "object" in refused(lambda p: merge_store(store, p), 5)


# ---------------------------------------------------------------------------------------- windows


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(2024, 7, day, hh, mm, ss, tzinfo=SHANGHAI)  # 2024-07-01 is a Monday


def test_window_start_inclusive_end_exclusive() -> None:
    w = Window(start=dt.time(10), end=dt.time(14))
    assert [
        w.contains(at(1, 9, 59, 59)),
        w.contains(at(1, 10)),
        w.contains(at(1, 13, 59, 59)),
        w.contains(at(1, 14)),
    ] == [False, True, True, False]  # EX15


def test_window_wrapping_past_midnight_belongs_to_the_day_it_opened() -> None:
    w = Window(start=dt.time(22), end=dt.time(2), weekdays=frozenset({1}))  # Mondays 22:00 to Tuesday 02:00
    assert w.contains(at(1, 22)) and w.contains(at(1, 23, 59)) and w.contains(at(2, 1, 59, 59))
    assert not w.contains(at(2, 2)) and not w.contains(at(1, 21, 59, 59))
    assert not w.contains(at(1, 1))  # Monday 01:00 is the tail of Sunday's window
    assert not w.contains(at(2, 23))  # Tuesday evening opens no window
    dated = Window(start=dt.time(22), end=dt.time(2), date_from=dt.date(2024, 7, 1), date_to=dt.date(2024, 7, 1))
    assert dated.contains(at(2, 1)) and not dated.contains(at(1, 1))


def test_window_start_equal_to_end_is_the_whole_day() -> None:
    w = Window(start=dt.time(9), end=dt.time(9), weekdays=frozenset({6, 7}))
    assert w.contains(at(6, 0)) and w.contains(at(7, 23, 59, 59)) and w.contains(at(6, 8, 59))
    assert not w.contains(at(1, 12))  # a Monday


def test_window_dates_are_inclusive_and_checked() -> None:
    w = Window(start=dt.time(0), end=dt.time(0), date_from=dt.date(2024, 7, 2), date_to=dt.date(2024, 7, 3))
    assert [w.contains(at(d, 12)) for d in (1, 2, 3, 4)] == [False, True, True, False]
    assert "date_from" in refused(
        parse_store,
        {"time_windows": [{"start": "10:00", "end": "11:00", "date_from": "2024-07-03", "date_to": "2024-07-02"}]},
    )
    assert "weekdays" in refused(parse_store, {"time_windows": [{"start": "10:00", "end": "11:00", "weekdays": []}]})
    assert "weekdays" in refused(parse_store, {"time_windows": [{"start": "10:00", "end": "11:00", "weekdays": [8]}]})


def test_window_times_are_store_local_without_offset() -> None:
    detail = refused(parse_store, {"time_windows": [{"start": "10:00:00+08:00", "end": "14:00"}]})
    assert "store-local" in detail
    assert "offset" in refused(parse_base, {"reset": {"kind": "daily", "time": "00:00+08:00"}})


# ---------------------------------------------------------------------------------------- lottery


def test_fixed_lottery_shape() -> None:
    options = [{"ratio_bp": 100 * (i + 1)} for i in range(20)]
    assert Lottery.model_validate({"mode": "fixed", "options": options}).outcomes()[-1] == 2000
    assert "1 to 20" in refused(parse_base, {"lottery": {"mode": "fixed", "options": []}})
    assert "1 to 20" in refused(parse_base, {"lottery": {"mode": "fixed", "options": [*options, {"ratio_bp": 1}]}})
    assert "ratio_bp" in refused(parse_base, {"lottery": {"mode": "fixed", "options": [{"ratio_bp": 0}]}})
    assert "weight" in refused(parse_base, {"lottery": {"mode": "fixed", "options": [{"ratio_bp": 1, "weight": 0}]}})
    assert "mode" in refused(parse_base, {"lottery": {"mode": "wheel"}})
    fixed = Lottery.model_validate({"mode": "fixed", "options": [{"ratio_bp": 5000}, {"ratio_bp": 1000, "weight": 3}]})
    assert fixed.outcomes() == [1000, 5000] and fixed.allows(1000) and not fixed.allows(2000)


def test_interval_lottery_shape_and_grid() -> None:
    interval = Lottery(mode="interval", min_bp=2000, max_bp=8000, step_bp=100)
    assert interval.allows(3700) and not interval.allows(3750) and not interval.allows(8100)  # EX10
    outcomes = interval.outcomes()
    assert outcomes[:2] == [2000, 2100] and outcomes[-1] == 8000 and len(outcomes) == 61
    ragged = Lottery(mode="interval", min_bp=1000, max_bp=1250, step_bp=100)
    assert ragged.outcomes() == [1000, 1100, 1200] and not ragged.allows(1250)
    assert "min_bp" in refused(parse_base, {"lottery": {"mode": "interval", "max_bp": 100}})
    assert "exceed" in refused(parse_base, {"lottery": {"mode": "interval", "min_bp": 200, "max_bp": 100}})
    assert "step_bp" in refused(parse_base, {"lottery": {"mode": "interval", "min_bp": 1, "max_bp": 2, "step_bp": 0}})
    assert "min_bp" in refused(parse_base, {"lottery": {"mode": "interval", "min_bp": 0, "max_bp": 100}})


# ---------------------------------------------------------------------------------------- random return, reset


def test_random_return_shape_and_owner() -> None:
    assert "cash_per_group" in refused(parse_base, {"random_return": {"group_size": 2, "cash_per_group": 3}})
    assert "group_size" in refused(parse_base, {"random_return": {"group_size": 0, "cash_per_group": 0}})
    base = parse_base({"random_return": {"group_size": 3, "cash_per_group": 1}})
    assert random_return_for(base, StoreSettings()) == (base.random_return, "base")
    assert random_return_for(base, StoreSettings(random_return="off")) == (None, "store")
    own = parse_store({"random_return": {"group_size": 2, "cash_per_group": 2}})
    assert random_return_for(base, own) == (own.random_return, "store")
    assert random_return_for(BaseSettings(), StoreSettings()) == (None, "base")


def test_reset_schedule() -> None:
    assert parse_base({"reset": {}}).reset is not None  # switched on: daily at 00:00 by default
    assert parse_base({"reset": {}}).reset.time == dt.time(0, 0)  # type: ignore[union-attr]
    assert "at" in refused(parse_base, {"reset": {"kind": "once"}})
    assert "time zone" in refused(parse_base, {"reset": {"kind": "once", "at": ["2024-07-01T00:00:00"]}})
    assert "day_of_month" in refused(parse_base, {"reset": {"kind": "monthly", "day_of_month": 32}})
    assert "weekday" in refused(parse_base, {"reset": {"kind": "weekly", "weekday": 0}})


def test_store_extraction_overrides_base_only_when_set() -> None:
    base = parse_base({"extraction_bp": 1000})
    assert extraction_for(base, parse_store({})) == 1000
    assert extraction_for(base, parse_store({"extraction_bp": 0})) == 0  # 0 is set (A6)
    assert extraction_for(base, parse_store({"extraction_bp": 700})) == 700
