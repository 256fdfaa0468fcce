"""The page's places in the queue against a brute-force sort of every entry (§8), and against services.positions."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from server.db import tables as t
from server.db.database import Database
from server.member_page.view import Waiting, ahead
from server.services.ingest import Ingest
from server.services.positions import Placed, positions
from shared.engine.commands import CompleteOrder, PayOrder
from shared.engine.model import queue_key
from shared.settings import BaseSettings

from .support import T0, seed


def brute_force(rows: list[t.EntryRow], base: BaseSettings) -> dict[int, tuple[int, int]]:
    eligible = [r for r in rows if r.status == "waiting" and r.entitlement_fen > r.paid_fen]
    out = {}
    for r in eligible:
        key = queue_key(r.cashier_id, base.all_cashiers_queue)
        same = [x for x in eligible if queue_key(x.cashier_id, base.all_cashiers_queue) == key]
        if base.ordering_rule == "completed_first":
            same.sort(key=lambda x: (not x.order_completed, x.seq))
        else:
            same.sort(key=lambda x: x.seq)
        before = same[: same.index(r)]
        out[r.seq] = (len(before), sum(x.entitlement_fen - x.paid_fen for x in before))
    return out


@pytest.mark.parametrize(
    ("ordering", "all_cashiers", "seed_"),
    [
        ("queue_order", False, 1),
        ("queue_order", True, 2),
        ("completed_first", False, 3),
        ("completed_first", True, 4),
    ],
)
def test_places_match_a_brute_force_sort(db: Database, ordering: str, all_cashiers: bool, seed_: int) -> None:
    rng = random.Random(seed_)
    seed(
        db,
        stores={"s1": ["c1", "c2"], "s2": ["c3"]},
        base={
            "ordering_rule": ordering,
            "all_cashiers_queue": all_cashiers,
            "settlement_event": "on_complete",
            "extraction_bp": 3000,
        },
    )
    ingest = Ingest(db)
    cashiers = {"c1": "s1", "c2": "s1", "c3": "s2"}
    orders = []
    for i in range(60):
        cashier = rng.choice(list(cashiers))
        order_id = f"o{i}"
        ingest.apply(
            PayOrder(
                order_id=order_id,
                store_id=cashiers[cashier],
                cashier_id=cashier,
                member_id=rng.choice(["m1", "m2", "m3", None]),
                paid_fen=rng.randint(1, 500) * 100,
                paid_at=T0 + dt.timedelta(minutes=i),
            )
        )
        orders.append(order_id)
        if rng.random() < 0.6:
            ingest.apply(CompleteOrder(order_id=rng.choice(orders), at=T0 + dt.timedelta(minutes=i, seconds=30)))
    with db.connect() as conn:
        rows = list(conn.execute(select(t.EntryRow)).all())
        base = BaseSettings.model_validate_json(conn.execute(select(t.SettingsRow.base_json)).scalar_one())
        waiting = [
            Waiting(r.seq, r.cashier_id, bool(r.order_completed), r.entitlement_fen - r.paid_fen)
            for r in rows
            if r.status == "waiting" and r.entitlement_fen > r.paid_fen
        ]
        got = ahead(conn, base, waiting)
        canonical = positions(conn, base, [Placed(w.seq, w.cashier_id, w.order_completed, True) for w in waiting])
    expected = brute_force(rows, base)  # type: ignore[arg-type]
    assert len(expected) > 10  # the scenario leaves a real queue
    assert got == expected
    assert {seq: count + 1 for seq, (count, _) in got.items()} == canonical
