"""The money laws (spec §6, §8, A4, A24) as properties: floor, bounds, exact splits, FIFO prefix, round trips."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.engine.memory_backend import MemoryBackend
from shared.money import format_fen, parse_yuan, pct, points_for
from shared.scenario import Replay

fen = st.integers(0, 10**12)
bp = st.integers(0, 100_000)


@given(fen, bp)
def test_pct_is_the_floor_of_the_exact_product(amount: int, ratio: int) -> None:
    p = pct(amount, ratio)
    assert type(p) is int
    assert p * 10_000 <= amount * ratio < (p + 1) * 10_000  # floor: never above the nominal percent, < 1 fen below
    assert Decimal(p) == (Decimal(amount) * ratio / 10_000).to_integral_value(rounding="ROUND_FLOOR")


@given(fen, st.integers(0, 10_000))
def test_pct_of_at_most_100_percent_never_exceeds_the_amount(amount: int, ratio: int) -> None:
    assert 0 <= pct(amount, ratio) <= amount
    assert pct(amount, 10_000) == amount and pct(amount, 0) == 0


@given(fen, fen, bp)
def test_pct_is_monotonic_and_splitting_the_base_never_pays_more(a: int, b: int, ratio: int) -> None:
    assert pct(min(a, b), ratio) <= pct(max(a, b), ratio)
    assert pct(a, ratio) + pct(b, ratio) <= pct(a + b, ratio) <= pct(a, ratio) + pct(b, ratio) + 1


@pytest.mark.parametrize(
    ("amount", "ratio", "want"),
    [(3333, 11_500, 3832), (3333, 700, 233), (14, 700, 0), (1999, 700, 139), (9999, 3300, 3299), (10450, 8000, 8360)],
)
def test_pct_pins_floor_not_half_up(amount: int, ratio: int, want: int) -> None:
    assert pct(amount, ratio) == want  # EX5, EX10, EX17


@given(st.integers(-(10**6), -1), bp)
def test_pct_refuses_negative_operands(negative: int, ratio: int) -> None:
    with pytest.raises(ValueError):
        pct(negative, ratio)
    with pytest.raises(ValueError):
        pct(ratio, negative)


@given(fen, st.integers(0, 1_000_000))
def test_points_are_floored_integers(amount: int, per_yuan_x100: int) -> None:
    points = points_for(amount, per_yuan_x100)
    assert type(points) is int and points >= 0
    assert points * 10_000 <= amount * per_yuan_x100 < (points + 1) * 10_000
    assert points_for(10450, 200) == 209 and points_for(10_000, 100) == 100 and points_for(99, 100) == 0


@given(st.integers(-(10**15), 10**15))
def test_format_then_parse_is_the_identity(amount: int) -> None:
    text = format_fen(amount)
    assert parse_yuan(text) == amount
    whole, cents = text.lstrip("-").split(".")
    assert len(cents) == 2 and whole.isdigit() and "," not in text


@given(st.integers(0, 10**12), st.sampled_from(["", ".", ".0", ".5", ".05", ".50"]), st.sampled_from(["", "¥", "￥"]))
def test_parse_yuan_reads_at_most_two_decimals_exactly(whole: int, frac: str, sign: str) -> None:
    text = f"{sign}{whole}{frac}"
    want = int(Decimal(f"{whole}{frac if frac not in ('', '.') else ''}") * 100)
    assert parse_yuan(text) == want


@pytest.mark.parametrize("bad", ["", "abc", "1.234", "1.2.3", "--1", "1e3", "0x10", " . ", "-", "-.", "¥"])
def test_parse_yuan_refuses_what_is_not_an_amount(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_yuan(bad)


# ---------------------------------------------------------------------------------------- one settlement


def _queue(remaining: list[int], paid_fen: int, extraction_bp: int, member: str | None) -> dict[str, Any]:
    entries = [
        {
            "order_id": f"E{i}",
            "store": "S1",
            "cashier": "K1",
            "member": f"e{i}",
            "entitlement_fen": r + 7,
            "paid_fen": 7,
            "ratio_bp": 10_000,
            "paid_at": "2024-06-30T09:00:00+08:00",
        }
        for i, r in enumerate(remaining)
    ]
    return {
        "format": "paidui-scenario/1",
        "settings": {"enabled": True, "extraction_bp": extraction_bp},
        "stores": [{"id": "S1", "cashiers": ["K1"], "cashier_settings": {"enabled": True}}],
        "imported_entries": entries,
        "events": [
            {
                "type": "order_paid",
                "order_id": "O",
                "store": "S1",
                "cashier": "K1",
                "member": member,
                "paid_fen": paid_fen,
                "paid_at": "2024-07-01T10:00:00+08:00",
                "completed": True,
            }
        ],
    }


@given(
    remaining=st.lists(st.integers(1, 50_000), max_size=8),
    paid_fen=st.integers(0, 2_000_000),
    extraction_bp=st.integers(0, 10_000),
    member=st.sampled_from([None, "buyer"]),
)
def test_a_contribution_is_split_exactly_and_fifo(
    remaining: list[int], paid_fen: int, extraction_bp: int, member: str | None
) -> None:
    doc = _queue(remaining, paid_fen, extraction_bp, member)
    replay = Replay({k: v for k, v in doc.items() if k != "events"}, MemoryBackend())
    assert replay.step(doc["events"][0]) is None
    result = replay.result()
    contribution = pct(paid_fen, extraction_bp)
    lines = [line for line in result["allocations"] if line["from_order"] == "O"]
    kept = sum(u["amount_fen"] for u in result["unallocated"] if u["order_id"] == "O")
    assert sum(line["amount_fen"] for line in lines) + kept == contribution  # exactly, no rounding in the split
    assert all(line["amount_fen"] > 0 for line in lines)
    heads = [f"E{i}" for i in range(len(remaining))] + (
        ["O"] if any(e["order_id"] == "O" for e in result["entries"]) else []
    )
    targets = [line["to_order"] for line in lines]
    assert targets == heads[: len(targets)]  # a prefix of the queue, in seq order
    status = {e["order_id"]: e["status"] for e in result["entries"]}
    assert all(status[t] == "completed" for t in targets[:-1])  # at most the last one is partially filled
    if kept:
        assert targets == heads and all(status[t] == "completed" for t in targets)  # kept only when exhausted
    expected_paid = min(contribution, sum(remaining))
    assert sum(line["amount_fen"] for line in lines if line["to_order"] != "O") == expected_paid


@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=6), st.integers(1, 100_000))
def test_an_own_entry_is_reached_only_after_everything_ahead(remaining: list[int], paid_fen: int) -> None:
    doc = _queue(remaining, paid_fen, 10_000, "buyer")  # extraction 100%: the whole payment flows
    replay = Replay({k: v for k, v in doc.items() if k != "events"}, MemoryBackend())
    replay.step(doc["events"][0])
    result = replay.result()
    own = [line["amount_fen"] for line in result["allocations"] if line["to_order"] == "O"]
    assume(own)
    assert all(e["status"] == "completed" for e in result["entries"] if e["order_id"] != "O")
    assert own == [paid_fen - sum(remaining)]
