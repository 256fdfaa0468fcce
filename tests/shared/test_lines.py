"""The spreading law of docs/rules.md §8 (D21-D24) as properties, and its worked examples as unit tests."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.engine.memory_backend import MemoryBackend
from shared.errors import RuleError
from shared.lines import Line, check_lines, lines_from_json, parse_lines, rebate_base, spread
from shared.scenario import Replay

line = st.builds(Line, st.integers(0, 10**8), st.booleans())
lines_st = st.lists(line, min_size=1, max_size=30)


@st.composite
def sale(draw: st.DrawFn) -> tuple[list[Line], int]:
    lines = draw(lines_st)
    total = sum(x.amount_fen for x in lines)
    return lines, draw(st.integers(0, total))


@given(sale())
def test_the_spread_adds_up_to_the_reduction_and_no_line_goes_below_zero(s: tuple[list[Line], int]) -> None:
    lines, paid = s
    shares = spread(paid, lines)
    total = sum(x.amount_fen for x in lines)
    assert sum(shares) == total - paid
    assert all(0 <= share <= x.amount_fen for share, x in zip(shares, lines, strict=True))


@given(sale())
def test_the_base_is_the_taking_part_lines_net_and_never_exceeds_what_was_paid(s: tuple[list[Line], int]) -> None:
    lines, paid = s
    shares = spread(paid, lines)
    base = rebate_base(paid, lines)
    taking = [x.amount_fen - share for share, x in zip(shares, lines, strict=True) if x.participates]
    assert base == sum(taking)
    assert 0 <= base <= paid
    assert base <= sum(x.amount_fen for x in lines if x.participates)
    total = sum(x.amount_fen for x in lines)
    if total:  # rounded down, less than a fen below the exact proportional share
        exact = Fraction(paid * sum(x.amount_fen for x in lines if x.participates), total)
        assert base <= exact < base + 1


@given(sale(), st.randoms(use_true_random=False))
def test_the_base_does_not_depend_on_line_order_or_splitting(s: tuple[list[Line], int], rnd: random.Random) -> None:
    lines, paid = s
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    assert rebate_base(paid, shuffled) == rebate_base(paid, lines)
    split = [
        part
        for x in lines
        for part in (Line(x.amount_fen // 2, x.participates), Line(x.amount_fen - x.amount_fen // 2, x.participates))
    ]
    assert rebate_base(paid, split) == rebate_base(paid, lines)


@given(st.lists(st.integers(0, 10**8), min_size=1, max_size=30), st.data())
def test_lines_that_all_take_part_change_nothing(amounts: list[int], data: st.DataObject) -> None:
    paid = data.draw(st.integers(0, sum(amounts)))
    assert rebate_base(paid, [Line(a) for a in amounts]) == paid
    assert rebate_base(paid, []) == paid  # D24: no lines, the whole amount


@given(sale(), st.data())
def test_a_refund_never_raises_the_base(s: tuple[list[Line], int], data: st.DataObject) -> None:
    lines, paid = s
    refunded = data.draw(st.integers(0, paid))
    assert rebate_base(paid - refunded, lines) <= rebate_base(paid, lines)
    assert rebate_base(0, lines) == 0


def test_worked_example_l1() -> None:
    lines = [Line(3900), Line(2500, participates=False), Line(500)]
    assert rebate_base(5900, lines) == 3762
    assert spread(5900, lines) == [566, 362, 72]  # the left-over fen goes to the larger of two equal fractions


def test_worked_example_l3_no_line_below_zero() -> None:
    assert spread(1, [Line(1), Line(1), Line(1)]) == [1, 1, 0]
    assert rebate_base(1, [Line(1), Line(1), Line(1)]) == 1


def test_worked_example_l4_order_and_splitting() -> None:
    cig, sweet = Line(1, participates=False), Line(1)
    for lines in ([cig, sweet, sweet], [sweet, cig, sweet], [Line(2), cig]):
        assert rebate_base(2, lines) == 1


def test_the_spread_refuses_a_payment_above_the_lines() -> None:
    with pytest.raises(ValueError):
        spread(5, [Line(4)])


@pytest.mark.parametrize(
    "raw",
    [
        "{}",
        '[{"amount_fen": -1}]',
        '[{"amount_fen": 1.5}]',
        '[{"amount_fen": true}]',
        '[{"amount_fen": 1, "participates": "no"}]',
        "[1]",
        '[{"name": "x"}]',
    ],
)
def test_malformed_recorded_lines_are_invalid_amount(raw: str) -> None:
    with pytest.raises(RuleError) as err:
        lines_from_json(raw)
    assert err.value.code == "invalid_amount"


def test_recorded_lines_of_before_take_part() -> None:
    """Lines recorded by tills of before (protocol 2 SaleLine without `participates`) all take part (D24)."""
    old = [{"name": "面", "quantity": 2, "unit_price_fen": 3900, "amount_fen": 7800}]
    assert parse_lines(old) == [Line(7800, True)]
    assert rebate_base(7000, parse_lines(old)) == 7000


def test_check_lines() -> None:
    check_lines([], bill_fen=5, paid_fen=9)  # no lines: nothing to check
    check_lines([Line(3), Line(2)], bill_fen=5, paid_fen=5)
    for bill, paid in ((6, 5), (5, 6)):
        with pytest.raises(RuleError):
            check_lines([Line(3), Line(2)], bill_fen=bill, paid_fen=paid)


HEADER = {
    "format": "paidui-scenario/1",
    "settings": {"enabled": True},
    "stores": [{"id": "S1", "cashiers": ["K1"], "cashier_settings": {"enabled": True, "daily_limit": 1}}],
}


def test_limits_and_tiers_unchanged_by_lines() -> None:
    """Item 8 / D23: a sale with lines counts toward limits, and toward tiers with its whole paid amount."""
    header = json.loads(json.dumps(HEADER))
    header["stores"][0]["cashier_settings"]["cumulative_tiers"] = [
        {"days": 30, "threshold_fen": 5000, "ratio_bp": 5000}
    ]
    header["stores"][0]["cashier_settings"]["daily_limit"] = 0
    replay = Replay(header, MemoryBackend())
    pay = {"type": "order_paid", "store": "S1", "cashier": "K1", "member": "m", "completed": True}
    gift = [{"amount_fen": 5000, "participates": False}, {"amount_fen": 100}]
    assert (
        replay.step(pay | {"order_id": "A", "paid_fen": 5100, "paid_at": "2024-07-01T10:00:00+08:00", "lines": gift})
        is None
    )
    assert replay.step(pay | {"order_id": "B", "paid_fen": 1000, "paid_at": "2024-07-01T11:00:00+08:00"}) is None
    entries = {e["order_id"]: e for e in replay.result()["entries"]}
    assert entries["A"]["entitlement_fen"] == 100 and entries["A"]["ratio_bp"] == 10000
    assert entries["B"]["ratio_bp"] == 5000 and entries["B"]["entitlement_fen"] == 500  # 51.00 spent qualifies

    limited = Replay(HEADER, MemoryBackend())
    assert (
        limited.step(
            pay
            | {"order_id": "C", "paid_fen": 100, "paid_at": "2024-07-01T10:00:00+08:00", "lines": [{"amount_fen": 100}]}
        )
        is None
    )
    assert limited.step(pay | {"order_id": "D", "paid_fen": 100, "paid_at": "2024-07-01T11:00:00+08:00"}) is None
    assert [e["order_id"] for e in limited.result()["entries"]] == ["C"]
