"""Decisions where the spec left room (docs/rules.md D15–D18), pinned with small scenarios."""

from __future__ import annotations

from typing import Any

import pytest

from shared.engine.memory_backend import MemoryBackend
from shared.scenario import ScenarioError, run

BASE = {"enabled": True, "extraction_bp": 1000, "default_entitlement_bp": 10000}
STORE = {"id": "S1", "timezone": "Asia/Shanghai", "cashiers": ["K1"], "cashier_settings": {"enabled": True}}


def pay(order: str, member: str | None, fen: int, minute: int) -> dict[str, Any]:
    return {
        "type": "order_paid",
        "order_id": order,
        "store": "S1",
        "cashier": "K1",
        "member": member,
        "paid_fen": fen,
        "paid_at": f"2024-07-01T10:{minute:02d}:00+08:00",
        "completed": True,
    }


def refund(order: str, fen: int, minute: int) -> dict[str, Any]:
    return {
        "type": "order_refunded",
        "order_id": order,
        "refund_id": f"R-{order}",
        "amount_fen": fen,
        "at": f"2024-07-01T11:{minute:02d}:00+08:00",
    }


def scenario(settings: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "paidui-scenario/1", "settings": {**BASE, **settings}, "stores": [STORE], "events": events}


def conservation(result: dict[str, Any], backend: MemoryBackend) -> tuple[int, int]:
    contributions = sum(o.contribution_fen for o in backend.repo.all_orders())
    lines = sum(a["amount_fen"] for a in result["allocations"])
    kept = sum(u["amount_fen"] for u in result["unallocated"])
    return contributions, lines + kept + sum(backend.repo.carries().values())


def test_d15_reversal_under_all_takes_back_only_the_orders_own_money() -> None:
    doc = scenario(
        {"leftover_policy": "carry_forward"},
        [
            pay("W", None, 50_000, 0),  # walk-in into an empty queue: 50.00 carried
            pay("Q", "q", 1_000, 1),  # Q's own 1.00 plus 9.00 of the carry complete Q's 10.00 entry; 41.00 carried
            {"type": "settings", "base": {"leftover_policy": "retain"}},  # the 41.00 is released, kept
            {"type": "settings", "base": {"refund_clawback": "all"}},
            refund("Q", 1_000, 0),
        ],
    )
    backend = MemoryBackend()
    result = run(doc, backend)
    assert result["allocations"][-1] == {"from_order": "Q", "to_order": "Q", "amount_fen": -100}
    entry = result["entries"][0]
    assert (entry["order_id"], entry["paid_fen"], entry["status"]) == ("Q", 900, "cancelled")
    assert "q" not in result["members"]  # +10.00, −1.00 reversed, −9.00 clawed back: a zero balance
    contributions, accounted = conservation(result, backend)
    assert contributions == accounted == 5_000  # INV-6 holds: Q's contribution is back to 0, W's 50.00 stands


def test_d16_a_reversal_does_not_reopen_the_entry_of_another_refunded_order() -> None:
    doc = scenario(
        {"refund_clawback": "none"},
        [
            pay("A", "a", 1_000, 0),  # A's 1.00 goes to A
            pay("B", "b", 10_000, 1),  # B's 10.00: 9.00 completes A, 1.00 to B
            refund("A", 1_000, 0),  # policy none: A stays completed, nothing clawed back
            {"type": "settings", "base": {"refund_clawback": "all"}},
            refund("B", 10_000, 1),  # B's 9.00 to A is not taken back: A's business was closed by its own refund
        ],
    )
    backend = MemoryBackend()
    result = run(doc, backend)
    by_order = {e["order_id"]: e for e in result["entries"]}
    assert (by_order["A"]["paid_fen"], by_order["A"]["status"]) == (1_000, "completed")
    assert (by_order["B"]["paid_fen"], by_order["B"]["status"]) == (0, "cancelled")
    assert [a for a in result["allocations"] if a["amount_fen"] < 0] == [
        {"from_order": "B", "to_order": "B", "amount_fen": -100}
    ]
    contributions, accounted = conservation(result, backend)
    assert contributions == accounted


def test_d17_group_numbers_go_on_after_a_settings_change_abandons_a_group() -> None:
    doc = scenario(
        {"random_return": {"group_size": 2, "cash_per_group": 1}},
        [
            pay("o1", "m1", 10_000, 0),
            {"type": "settings", "base": {"points_per_yuan_x100": 200}},  # does not touch random return
            pay("o2", "m2", 10_000, 1),
            {"type": "settings", "base": {"random_return": {"group_size": 3, "cash_per_group": 1}}},
            pay("o3", "m3", 10_000, 2),
        ],
    )
    doc["random_return_arrangements"] = [["cash", "points"], ["cash", "points", "points"]]
    backend = MemoryBackend()
    run(doc, backend)
    groups = [(e.order_id, e.group_no, e.slot) for e in backend.repo.entries()]
    assert groups == [("o1", 1, 0), ("o2", 1, 1), ("o3", 2, 0)]


def test_d18_an_arrangement_that_does_not_fit_is_a_malformed_scenario() -> None:
    doc = scenario({"random_return": {"group_size": 2, "cash_per_group": 1}}, [pay("o1", "m1", 10_000, 0)])
    doc["random_return_arrangements"] = [["cash", "cash"]]
    with pytest.raises(ScenarioError, match="does not fit"):
        run(doc, MemoryBackend())
