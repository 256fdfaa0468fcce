"""Positions of long lines: more entries than one counting statement takes (`positions.BATCH`), on both sides of the
line, under both ordering rules, per cashier and across all cashiers (INV-18 against the settlement's own sort)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server.db import tables as t
from server.db.database import Database
from server.replay import ServerBackend
from server.services.positions import BATCH, placed, positions
from shared.scenario import run
from tests.server.test_repository_agreement import assert_positions_as_settlement_would_pay


def long_line(ordering_rule: str, all_cashiers: bool, sales: int) -> dict[str, Any]:
    """`sales` members' sales over three cashiers; every fifth stays uncompleted, so the completed tier and the
    queue order differ; contributions pay the head as it goes (some entries completed, one partly paid)."""
    events: list[dict[str, Any]] = []
    for i in range(sales):
        events.append(
            {
                "type": "order_paid",
                "order_id": f"O{i}",
                "store": "S1",
                "cashier": f"K{i % 3}",
                "member": f"m{i}",
                "paid_fen": 1000 + 37 * i,
                "paid_at": f"2024-07-01T{9 + i // 60:02d}:{i % 60:02d}:00+08:00",
                "completed": i % 5 != 0,
            }
        )
    return {
        "format": "paidui-scenario/1",
        "settings": {
            "enabled": True,
            "extraction_bp": 1000,
            "default_entitlement_bp": 10000,
            "settlement_event": "on_pay",
            "ordering_rule": ordering_rule,
            "all_cashiers_queue": all_cashiers,
            "refund_clawback": "received",
            "leftover_policy": "retain",
        },
        "stores": [
            {
                "id": "S1",
                "timezone": "Asia/Shanghai",
                "cashiers": ["K0", "K1", "K2"],
                "cashier_settings": {"enabled": True},
            }
        ],
        "members": [{"id": f"m{i}"} for i in range(sales)],
        "imported_orders": [],
        "imported_entries": [],
        "events": events,
    }


@pytest.mark.parametrize("ordering_rule", ["queue_order", "completed_first"])
@pytest.mark.parametrize("all_cashiers", [False, True])
def test_positions_of_a_line_longer_than_a_batch(db: Database, ordering_rule: str, all_cashiers: bool) -> None:
    sales = 7 * BATCH + 11  # each cashier's line longer than two batches
    backend = ServerBackend(db)
    try:
        result = run(long_line(ordering_rule, all_cashiers, sales), backend)
    finally:
        backend.close()
    assert result["rejected"] == []
    with db.connect() as conn:
        rows = conn.execute(select(t.EntryRow.__table__)).all()
        waiting = [r for r in rows if r.status == "waiting" and r.entitlement_fen > r.paid_fen]
        # the line is long enough for several statements, from the head and from the tail
        assert len(waiting) > 5 * BATCH
        assert any(r.paid_fen > 0 for r in waiting)
        assert_positions_as_settlement_would_pay(conn, db)
        # a sample asked on its own gets the same places as when asked with all the others
        base_rows = [placed(r) for r in rows]
        everything = positions(conn, _base(db, conn), base_rows)
        for sample in (base_rows[:1], base_rows[BATCH - 1 : BATCH + 2], base_rows[::7], base_rows[-3:]):
            assert positions(conn, _base(db, conn), sample) == {p.seq: everything[p.seq] for p in sample}


def _base(db: Database, conn: Any) -> Any:
    from server.db.settings import base_settings

    return base_settings(conn, db.settings_cache)
