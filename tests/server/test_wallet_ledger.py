"""The wallet's running balances follow its ledgers: queue allocations, clawbacks, exchanges, voucher expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server.db import tables as t
from server.db.database import Database
from server.services import wallet, wallet_ops
from server.services.ingest import Ingest
from shared.engine.commands import Exchange, PayOrder, RefundOrder

from .support import T0, seed


def pay(ingest: Ingest, order_id: str, member: str | None, fen: int, minutes: int = 0) -> None:
    ingest.apply(
        PayOrder(
            order_id=order_id,
            store_id="s1",
            cashier_id="c1",
            member_id=member,
            paid_fen=fen,
            paid_at=T0 + dt.timedelta(minutes=minutes),
            completed=True,
        )
    )


def sums(db: Database, member: str) -> tuple[int, int, int]:
    with db.connect() as conn:
        r = conn.execute(
            select(func.coalesce(func.sum(t.RebateLedger.amount_fen), 0)).where(t.RebateLedger.member_id == member)
        )
        p = conn.execute(
            select(func.coalesce(func.sum(t.PointsLedger.points), 0)).where(t.PointsLedger.member_id == member)
        )
        v = conn.execute(
            select(func.coalesce(func.sum(t.VoucherLedger.amount_fen), 0)).where(t.VoucherLedger.member_id == member)
        )
        return int(r.scalar_one()), int(p.scalar_one()), int(v.scalar_one())


def test_allocations_credit_the_balance_and_clawbacks_debit_it_below_zero(db: Database) -> None:
    seed(db, stores={"s1": ["c1"]}, base={"extraction_bp": 5000})
    ingest = Ingest(db)
    pay(ingest, "o1", "m1", 10_000)  # m1's entry: 100.00 entitlement; its own contribution pays it 50.00
    pay(ingest, "o2", "m2", 10_000, 1)  # 50.00 more to m1: completed
    with db.connect() as conn:
        w = wallet.wallet_of(conn, "m1")
    assert w.rebate_fen == 10_000 == sums(db, "m1")[0]
    assert w.rebate_available_fen == 10_000
    ingest.apply(RefundOrder(order_id="o1", refund_id="r1", amount_fen=10_000, at=T0 + dt.timedelta(minutes=2)))
    with db.connect() as conn:
        w = wallet.wallet_of(conn, "m1")
        lines = wallet.ledger_of(conn, "m1")
    assert w.rebate_fen == 0 == sums(db, "m1")[0]  # the 100.00 its entry received is taken back
    assert [(x.kind, x.amount, x.reason) for x in lines][:1] == [("rebate", -10_000, "clawback_received")]


def test_exchanged_points_and_vouchers_land_in_the_wallet_and_vouchers_expire(db: Database) -> None:
    seed(
        db,
        stores={"s1": ["c1"]},
        base={
            "extraction_bp": 1000,
            "points_exchange_enabled": True,
            "voucher_exchange_enabled": True,
            "wallet": {"voucher_valid_days": 30},
        },
    )
    ingest = Ingest(db)
    pay(ingest, "o1", "m1", 10_000)  # entitlement 100.00, got 10.00 from its own contribution
    pay(ingest, "o2", "m2", 10_000, 1)
    ingest.apply(Exchange(order_id="o1", into="points", at=T0 + dt.timedelta(minutes=2), member_id="m1"))
    ingest.apply(Exchange(order_id="o2", into="voucher", at=T0 + dt.timedelta(minutes=3), member_id="m2"))
    with db.connect() as conn:
        m1 = wallet.wallet_of(conn, "m1")
        m2 = wallet.wallet_of(conn, "m2")
    assert m1.points == sums(db, "m1")[1] > 0
    assert m2.voucher_fen == sums(db, "m2")[2] == 10_000
    [voucher] = m2.vouchers
    assert voucher.value_fen == 10_000 and voucher.expires_at == T0 + dt.timedelta(minutes=3, days=30)
    with db.engine.begin() as conn:
        assert wallet.expire_vouchers(conn, T0 + dt.timedelta(days=29)) == 0
        assert wallet.expire_vouchers(conn, T0 + dt.timedelta(days=31)) == 1
    with db.connect() as conn:
        m2 = wallet.wallet_of(conn, "m2", all_vouchers=True)
        liability = wallet.liability(conn, points_per_yuan=100)
    assert m2.voucher_fen == 0 == sums(db, "m2")[2]
    assert [v.state for v in m2.vouchers] == ["expired"]
    assert liability.voucher_fen == 0 and liability.points == m1.points
    assert liability.rebate_fen == m1.rebate_fen + m2.rebate_fen


def test_the_migration_sums_existing_ledgers_into_wallets(db: Database) -> None:
    from .migration_support import upgrade_from

    seed(db, stores={"s1": ["c1"]}, base={"extraction_bp": 5000, "voucher_exchange_enabled": True})
    ingest = Ingest(db)
    pay(ingest, "o1", "m1", 10_000)
    pay(ingest, "o2", "m2", 10_000, 1)
    ingest.apply(Exchange(order_id="o2", into="voucher", at=T0 + dt.timedelta(minutes=3), member_id="m2"))
    with db.connect() as conn:
        before = {m: wallet.wallet_of(conn, m) for m in ("m1", "m2")}
    upgrade_from(db, "0009_wire_phone_keys")
    with db.connect() as conn:
        after = {m: wallet.wallet_of(conn, m) for m in ("m1", "m2")}
    assert after == before
    assert after["m1"].rebate_fen == 10_000 and after["m2"].voucher_fen == 10_000


@pytest.mark.slow
def test_the_demo_has_a_member_with_a_balance_to_spend(sqlite_db: Database) -> None:
    from server import demo_data

    summary = demo_data.load(sqlite_db, end=T0 + dt.timedelta(days=21), seed=2026)
    with sqlite_db.connect() as conn:
        w = wallet.wallet_of(conn, demo_data.WALLET_MEMBER.member_id)
        pending = [x.reference for x in wallet_ops.listing(conn)]
    assert w.rebate_available_fen == summary.wallet_fen > 0
    assert summary.withdrawal in pending
