"""Every worked example of spec §18 (tests/examples and tests/examples/extra) through the in-memory engine and
through the naive reference model; each must conform to its hand-derived expected result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.engine.memory_backend import MemoryBackend
from shared.scenario import Replay, run
from tests.conformance import differences
from tests.model.naive import NaiveModel

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCENARIOS = sorted(
    p
    for p in [*EXAMPLES.glob("*.json"), *(EXAMPLES / "extra").glob("*.json"), *(EXAMPLES / "lines").glob("*.json")]
    if not p.name.endswith(".expected.json")
)


def _load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    expected = path.with_name(path.name.removesuffix(".json") + ".expected.json")
    return json.loads(path.read_text("utf-8")), json.loads(expected.read_text("utf-8"))


def _strict(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Beyond the README's comparison: the payout lines exactly, each entry's seq and ratio, the rejection codes."""
    diffs = []
    lines = [(a["from_order"], a["to_order"], a["amount_fen"]) for a in actual["allocations"]]
    want = [(a["from_order"], a["to_order"], a["amount_fen"]) for a in expected["allocations"]]
    if lines != want:
        diffs.append(f"allocations: got {lines}, want {want}")
    got = {e["order_id"]: e for e in actual["entries"]}
    for e in expected["entries"]:
        for name in ("seq", "ratio_bp", "member"):
            if e["order_id"] in got and got[e["order_id"]][name] != e[name]:
                diffs.append(f"entry {e['order_id']}.{name}: got {got[e['order_id']][name]}, want {e[name]}")
    codes = sorted((r["event"], r["code"]) for r in actual["rejected"])
    want_codes = sorted((r["event"], r["code"]) for r in expected["rejected"])
    if codes != want_codes:
        diffs.append(f"rejected: got {codes}, want {want_codes}")
    return diffs


def test_every_section_18_example_is_here() -> None:
    names = {p.stem for p in SCENARIOS}
    for ex in [
        "EX1",
        "EX1b",
        "EX2",
        "EX3",
        "EX4a",
        "EX4b",
        "EX4c",
        "EX5",
        "EX6_per_cashier",
        "EX6_all_cashiers",
        "EX7",
        "EX8",
        "EX9",
        "EX10",
        "EX11",
        "EX12",
        "EX13",
        "EX14",
        "EX15",
        "EX16",
        "EX17_points",
        "EX17_voucher",
        "EX18",
        "EX19",
        "EX20_queue_order",
        "EX20_completed_first",
        "EX21",
        "EX23",
        # docs/rules.md §8: sale lines that do not take part
        "L1_discount_with_cigarettes",
        "L2_nothing_takes_part",
        "L3_small_lines",
        "L4_scan_order",
        "L5_partial_refund",
    ]:
        assert ex in names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_engine_conforms(path: Path) -> None:
    doc, expected = _load(path)
    result = run(doc, MemoryBackend())
    assert differences(result, expected) == []
    assert _strict(result, expected) == []


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_naive_model_conforms(path: Path) -> None:
    doc, expected = _load(path)
    model = NaiveModel({k: v for k, v in doc.items() if k != "events"})
    for event in doc["events"]:
        model.apply(event)
    result = model.result()
    assert differences(result, expected) == []
    assert _strict(result, expected) == []


def test_carry_forward_balance_of_ex4c() -> None:
    """The result format has no carry: EX4c's 47.00 then 38.00 are read from the repository."""
    doc, _ = _load(EXAMPLES / "extra" / "EX4c.json")
    backend = MemoryBackend()
    replay = Replay({k: v for k, v in doc.items() if k != "events"}, backend)
    assert replay.step(doc["events"][0]) is None
    assert backend.repo.carries() == {"cashier:K1": 4700}
    assert replay.step(doc["events"][1]) is None
    assert backend.repo.carries() == {"cashier:K1": 3800}


def test_ex8_tier_ratios_before_and_after_h5_completes() -> None:
    """EX8 step by step: o1 50% (30-day 2000.00 exactly), o2 100% only once h5 is completed."""
    doc, _ = _load(EXAMPLES / "extra" / "EX8.json")
    replay = Replay({k: v for k, v in doc.items() if k != "events"}, MemoryBackend())
    replay.step(doc["events"][0])
    assert [(e["order_id"], e["ratio_bp"]) for e in replay.result()["entries"]] == [("o1", 5000)]
    without_h5 = Replay({k: v for k, v in doc.items() if k != "events"}, MemoryBackend())
    without_h5.step(doc["events"][0])
    without_h5.step(doc["events"][2])  # h5 still "paid": 30 d = h3 + o1 = 1600.00, 60 d = 8800.00 -> base 40%
    assert [e["ratio_bp"] for e in without_h5.result()["entries"]] == [5000, 4000]


def test_completing_imported_history_counts_it_but_settles_nothing() -> None:
    """Engine change for EX8: `order_completed` on an imported `paid` order completes it; refunded history is
    refused like any refunded order, and a refund of history stays `unknown_order`."""
    doc, _ = _load(EXAMPLES / "extra" / "EX8.json")
    header = {k: v for k, v in doc.items() if k != "events"}
    replay = Replay(header, MemoryBackend())
    assert replay.step({"type": "order_completed", "order_id": "h5", "at": "2024-06-30T13:00:00+08:00"}) is None
    assert replay.step({"type": "order_completed", "order_id": "h4", "at": "2024-06-30T13:00:00+08:00"}) == (
        "order_refunded"
    )
    at = "2024-07-01T00:00:00+08:00"
    refund = {"type": "order_refunded", "order_id": "h3", "refund_id": "r", "amount_fen": 1, "at": at}
    assert replay.step(refund) == "unknown_order"
    result = replay.result()
    assert result["allocations"] == [] and result["unallocated"] == [] and result["entries"] == []
