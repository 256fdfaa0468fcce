"""Scenario replay (scenario-format.md): malformed documents are ScenarioErrors with readable messages; malformed
or refused events are listed under `rejected` and the replay goes on."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.engine.memory_backend import MemoryBackend
from shared.scenario import Replay, ScenarioError, parse_scenario, run

PAY = {
    "type": "order_paid",
    "order_id": "O1",
    "store": "S1",
    "cashier": "K1",
    "member": "a",
    "paid_fen": 10_000,
    "paid_at": "2024-07-01T10:00:00+08:00",
    "completed": True,
}


def scenario(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "paidui-scenario/1",
        "settings": {"enabled": True},
        "stores": [
            {"id": "S1", "timezone": "Asia/Shanghai", "cashiers": ["K1"], "cashier_settings": {"enabled": True}}
        ],
        "members": [{"id": "a"}],
        "events": [],
    }
    doc.update(changes)
    return doc


ENTRY = {
    "order_id": "Z",
    "store": "S1",
    "cashier": "K1",
    "member": "z",
    "entitlement_fen": 5000,
    "paid_fen": 4000,
    "ratio_bp": 10_000,
    "paid_at": "2024-06-30T09:00:00+08:00",
}
HISTORY = {
    "order_id": "H",
    "store": "S1",
    "cashier": "K1",
    "member": "a",
    "paid_fen": 100,
    "paid_at": "2024-06-30T09:00:00+08:00",
}


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ([], "JSON object"),
        ({"format": "paidui-scenario/2"}, "unsupported format"),
        ({"settings": {}}, "unsupported format"),
        (scenario(colour="red"), "colour"),
        (scenario(stores={"S1": {}}), "stores"),
        (scenario(events={}), "events"),
        (scenario(settings={"extraction_bp": 10_001}), "settings: extraction_bp"),
        (scenario(settings={"refund_clawback": "all", "leftover_policy": "carry_forward"}), "A25"),
        (
            scenario(stores=[{"id": "S1", "cashiers": ["K1"], "cashier_settings": {"daily_limit": -1}}]),
            "store S1: daily_limit",
        ),
        (scenario(stores=[{"id": "S1", "timezone": "Mars/Olympus", "cashiers": ["K1"]}]), "unknown time zone"),
        (scenario(stores=[{"id": "S1", "cashiers": []}]), "cashiers"),
        (scenario(stores=[{"id": "S1", "cashiers": ["K1"]}, {"id": "S1", "cashiers": ["K2"]}]), "duplicate store"),
        (scenario(stores=[{"id": "S1", "cashiers": ["K1"]}, {"id": "S2", "cashiers": ["K1"]}]), "one store only"),
        (scenario(members=[{"id": ""}]), "members.0.id"),
        (scenario(imported_orders=[{**HISTORY, "paid_at": "2024-06-30T09:00:00"}]), "imported_orders: times need"),
        (scenario(imported_orders=[{**HISTORY, "store": "S9"}]), "imported_orders 'H': unknown store 'S9'"),
        (scenario(imported_orders=[{**HISTORY, "cashier": "K9"}]), "'K9' is not a cashier of S1"),
        (scenario(imported_orders=[{**HISTORY, "paid_fen": -1}]), "paid_fen must be whole fen"),
        (scenario(imported_orders=[{**HISTORY, "status": "lost"}]), "imported_orders.0.status"),
        (scenario(imported_entries=[{**ENTRY, "paid_fen": 6000}]), "imported_entries 'Z': paid_fen exceeds"),
        (scenario(imported_entries=[{**ENTRY, "entitlement_fen": -5}]), "entitlement_fen must be whole fen"),
        (scenario(imported_entries=[{**ENTRY, "store": "S9"}]), "unknown store"),
        (scenario(imported_entries=[{**ENTRY, "ratio_bp": "100%"}]), "imported_entries.0.ratio_bp"),
        (scenario(random_return_arrangements=[["cash", "coupon"]]), "random_return_arrangements"),
    ],
)
def test_a_malformed_document_is_a_scenario_error(doc: Any, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        run(doc, MemoryBackend())
    assert words in str(info.value)
    assert "Traceback" not in str(info.value) and len(str(info.value)) < 600


BAD_EVENTS: list[Any] = [
    "order_paid",
    [],
    {"order_id": "X"},
    {"type": "teleport"},
    {"type": "order_paid"},
    {**PAY, "order_id": "X1", "colour": "red"},
    {**PAY, "order_id": "X2", "paid_fen": "100.00"},
    {**PAY, "order_id": "X3", "paid_fen": 100.5},
    {**PAY, "order_id": "X4", "paid_fen": True},
    {**PAY, "order_id": "X5", "paid_at": "2024-07-01T10:00:00"},
    {**PAY, "order_id": "X6", "paid_at": "tomorrow"},
    {**PAY, "order_id": ""},
    {**PAY, "order_id": "X7", "completed": "yes please"},
    {"type": "order_refunded", "order_id": "O1", "refund_id": "", "amount_fen": 1, "at": "2024-07-01T10:00:00+08:00"},
    {"type": "order_refunded", "order_id": "O1", "refund_id": "R", "amount_fen": 1},
    {"type": "order_completed", "order_id": "O1", "at": 5.5},  # not seconds since 1970
    {"type": "lottery_draw", "order_id": "O1", "result_bp": "50%"},
    {"type": "exchange", "order_id": "O1", "into": 7},
    {"type": "settings", "base": "paused"},
    {"type": "settings", "stores": {"S1": "enabled"}},
    {"type": "member_level", "member": "a", "at": "2024-07-01T10:00:00+08:00"},
    {"type": "reset"},
]


@pytest.mark.parametrize("bad", BAD_EVENTS, ids=range(len(BAD_EVENTS)))
def test_a_malformed_event_is_rejected_and_the_replay_goes_on(bad: Any) -> None:
    result = run(scenario(events=[bad, PAY, copy.deepcopy(bad)]), MemoryBackend())
    assert [(r["event"], r["code"]) for r in result["rejected"]] == [(0, "invalid_event"), (2, "invalid_event")]
    assert result["rejected"][0]["detail"]  # a readable reason comes with the code
    assert [e["order_id"] for e in result["entries"]] == ["O1"]
    assert result["members"] == {"a": {"rebate_fen": 1000, "points": 0, "voucher_fen": 0}}


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ({**PAY, "order_id": "N1", "paid_fen": -1}, "invalid_amount"),
        ({**PAY, "order_id": "N2", "deduction_points_fen": -1}, "invalid_amount"),
        ({**PAY, "order_id": "N3", "paid_fen": 10**13}, "invalid_amount"),
        ({**PAY, "order_id": "N4", "store": "S9"}, "unknown_store"),
        ({**PAY, "order_id": "N5", "cashier": "K9"}, "unknown_cashier"),
        ({"type": "order_completed", "order_id": "nope", "at": "2024-07-01T11:00:00+08:00"}, "unknown_order"),
        (
            {
                "type": "order_refunded",
                "order_id": "O1",
                "refund_id": "R1",
                "amount_fen": 0,
                "at": "2024-07-01T11:00:00+08:00",
            },
            "invalid_amount",
        ),
        (
            {
                "type": "order_refunded",
                "order_id": "O1",
                "refund_id": "R1",
                "amount_fen": 10_001,
                "at": "2024-07-01T11:00:00+08:00",
            },
            "refund_exceeds_paid",
        ),
        ({"type": "lottery_draw", "order_id": "O1", "result_bp": 1000}, "lottery_not_available"),
        ({"type": "exchange", "order_id": "O1", "into": "gold"}, "invalid_target"),
        ({"type": "exchange", "order_id": "O1", "into": "points"}, "exchange_disabled"),
        ({"type": "settings", "base": {"extraction_bp": -1}}, "invalid_settings"),
        ({"type": "settings", "stores": {"S9": {"enabled": False}}}, "unknown_store"),
    ],
)
def test_a_refused_event_changes_nothing_and_the_replay_goes_on(event: dict[str, Any], code: str) -> None:
    replay = Replay(scenario(), MemoryBackend())
    assert replay.step(PAY) is None
    before = replay.result()
    assert replay.step(event) == code
    after = replay.result()
    assert {k: v for k, v in after.items() if k != "rejected"} == {k: v for k, v in before.items() if k != "rejected"}
    assert [(r["event"], r["code"]) for r in after["rejected"]] == [(1, code)]
    assert replay.step({**PAY, "order_id": "O2", "paid_at": "2024-07-01T12:00:00+08:00"}) is None


def test_duplicates_are_acknowledged_not_rejected() -> None:
    refund = {
        "type": "order_refunded",
        "order_id": "O1",
        "refund_id": "R1",
        "amount_fen": 100,
        "at": "2024-07-01T11:00:00+08:00",
    }
    result = run(scenario(events=[PAY, PAY, refund, refund, {**PAY, "paid_fen": 1}]), MemoryBackend())
    assert result["rejected"] == []
    assert [(e["order_id"], e["entitlement_fen"]) for e in result["entries"]] == [("O1", 9900)]
    assert result["allocations"] == [{"from_order": "O1", "to_order": "O1", "amount_fen": 1000}]


def test_events_without_a_time_happen_at_the_latest_time_seen() -> None:
    parsed = parse_scenario(
        scenario(
            imported_entries=[ENTRY],
            events=[
                {"type": "exchange", "order_id": "Z", "into": "points"},
                {**PAY, "paid_at": "2024-07-02T10:00:00+08:00"},
                {"type": "lottery_draw", "order_id": "O1", "result_bp": 1},
                {
                    "type": "order_completed",
                    "order_id": "O1",
                    "at": "2024-07-01T08:00:00+08:00",
                },  # earlier: clock stays
                {"type": "settings", "base": {"paused": True}},
            ],
        )
    )
    times = [getattr(c, "at", None) or getattr(c, "paid_at", None) for c in parsed.events]
    assert [t.isoformat() for t in times if t is not None] == [
        "2024-06-30T09:00:00+08:00",
        "2024-07-02T10:00:00+08:00",
        "2024-07-02T10:00:00+08:00",
        "2024-07-01T08:00:00+08:00",
        "2024-07-02T10:00:00+08:00",
    ]


def test_result_lists_entries_by_seq_with_imported_ones_first() -> None:
    result = run(
        scenario(imported_entries=[ENTRY, {**ENTRY, "order_id": "Y", "paid_fen": 5000}], events=[PAY]), MemoryBackend()
    )
    assert [(e["order_id"], e["seq"], e["status"]) for e in result["entries"]] == [
        ("Z", 1, "completed"),
        ("Y", 2, "completed"),
        ("O1", 3, "waiting"),
    ]
    assert result["allocations"][0] == {"from_order": "O1", "to_order": "Z", "amount_fen": 1000}
    assert "z" in result["members"] and result["members"]["z"]["rebate_fen"] == 1000  # imported paid not a balance
