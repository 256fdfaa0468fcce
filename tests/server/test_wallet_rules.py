"""How a wallet-paid sale joins the queue (docs/rules.md §6a): the balance is payment, vouchers and points deduct."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from server.db import tables as t
from server.db.database import Database
from server.services.ingest import Ingest
from shared.engine.commands import PayOrder
from shared.wire import OrderPaid

from .support import T0, seed


@pytest.mark.parametrize(
    ("join", "deduction", "entry"),
    [
        (True, "deduction_voucher_fen", True),
        (False, "deduction_voucher_fen", False),
        (False, "deduction_points_fen", False),
    ],
)
def test_a_voucher_or_points_deduction_follows_the_deduction_switch(
    db: Database, join: bool, deduction: str, entry: bool
) -> None:
    """Rules table row 2: 30.00 voucher + 70.00 cash -> an entry of 70.00 with the switch on, none with it off."""
    seed(db, stores={"s1": ["c1"]}, base={"extraction_bp": 1000, "deduction_orders_join": join})
    Ingest(db).apply(
        PayOrder(
            order_id="o1",
            store_id="s1",
            cashier_id="c1",
            member_id="m1",
            paid_fen=7_000,
            total_fen=10_000,
            paid_at=T0,
            completed=True,
            **{deduction: 3_000},  # type: ignore[arg-type]
        )
    )
    with db.connect() as conn:
        order = conn.execute(select(t.OrderRow).where(t.OrderRow.order_id == "o1")).one()
        entries = conn.execute(select(t.EntryRow.entitlement_fen)).scalars().all()
    assert order.contribution_fen == 700  # it contributes on its paid part either way
    assert entries == ([7_000] if entry else [])


def _sale(**extra: object) -> dict[str, object]:
    return {
        "order_id": str(uuid.uuid4()),
        "cashier_id": "c1",
        "member_id": "m1",
        "total_fen": 10_000,
        "paid_fen": 10_000,
        "paid_at": (T0 + dt.timedelta(minutes=1)).isoformat(),
        **extra,
    }


def _tender(kind: str, fen: int) -> dict[str, object]:
    return {"hold_id": str(uuid.uuid4()), "kind": kind, "amount_fen": fen}


def test_the_sale_sums_are_checked_against_its_wallet_tenders() -> None:
    OrderPaid.model_validate(_sale(wallet_tenders=[_tender("rebate", 8_000)]))
    OrderPaid.model_validate(
        _sale(paid_fen=7_000, deduction_voucher_fen=3_000, wallet_tenders=[_tender("voucher", 3_000)])
    )
    bad = [
        _sale(wallet_tenders=[_tender("rebate", 10_001)]),  # the balance paid more than was paid
        _sale(paid_fen=7_000, deduction_voucher_fen=3_000),  # a voucher deduction without its voucher
        _sale(paid_fen=8_000, deduction_points_fen=2_000, wallet_tenders=[_tender("points", 1_000)]),
        _sale(member_id=None, wallet_tenders=[_tender("rebate", 100)]),  # a wallet needs its member
    ]
    for body in bad:
        with pytest.raises(ValidationError):
            OrderPaid.model_validate(body)
    t1 = _tender("rebate", 100)
    with pytest.raises(ValidationError):
        OrderPaid.model_validate(_sale(wallet_tenders=[t1, t1]))
