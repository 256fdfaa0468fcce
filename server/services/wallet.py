"""The member's wallet, read: balances, vouchers, the ledger history, the chain's wallet liability; voucher expiry.

The running balances live in `wallets` (server/db/wallet_balances.py keeps them with every ledger row). What a
member may spend is the balance less what open holds reserve; a rebate balance may be negative after a clawback
(spec §2) and then nothing can be spent from it until later rebates bring it above zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, func, literal, select, union_all, update

from ..db import tables as t
from ..db.wallet_balances import adjust, voucher_row


@dataclass(frozen=True, slots=True)
class VoucherView:
    voucher_id: int
    value_fen: int
    state: str  # issued, used, void, expired
    expires_at: dt.datetime | None
    store_id: str | None  # None: every store
    held: bool


@dataclass(frozen=True, slots=True)
class WalletView:
    member_id: str
    rebate_fen: int
    rebate_held_fen: int
    points: int
    points_held: int
    voucher_fen: int
    withdrawn_fen: int
    vouchers: list[VoucherView]

    @property
    def rebate_available_fen(self) -> int:
        return max(0, self.rebate_fen - self.rebate_held_fen)

    @property
    def points_available(self) -> int:
        return max(0, self.points - self.points_held)


@dataclass(frozen=True, slots=True)
class LedgerLine:
    kind: str  # rebate, points, voucher
    amount: int  # fen (rebate, voucher) or points
    reason: str
    ref: str
    at: dt.datetime


def wallet_of(conn: Connection, member_id: str, *, all_vouchers: bool = False) -> WalletView:
    """The member's wallet (zeros for a member who never had one); unused vouchers only unless `all_vouchers`."""
    w = t.Wallet
    row = conn.execute(select(w).where(w.member_id == member_id)).first()
    v = t.Voucher
    q = select(v.id, v.value_fen, v.state, v.expires_at, v.store_id, v.hold_id).where(v.member_id == member_id)
    if not all_vouchers:
        q = q.where(v.state == "issued")
    vouchers = [
        VoucherView(int(r.id), int(r.value_fen), r.state, r.expires_at, r.store_id, r.hold_id is not None)
        for r in conn.execute(q.order_by(v.id))
    ]
    if row is None:
        return WalletView(member_id, 0, 0, 0, 0, 0, 0, vouchers)
    return WalletView(
        member_id,
        int(row.rebate_fen),
        int(row.rebate_held_fen),
        int(row.points),
        int(row.points_held),
        int(row.voucher_fen),
        int(row.withdrawn_fen),
        vouchers,
    )


def ledger_of(conn: Connection, member_id: str, *, limit: int = 100, before_id: int | None = None) -> list[LedgerLine]:
    """The member's ledger lines of every kind, newest first."""
    r, p, v = t.RebateLedger, t.PointsLedger, t.VoucherLedger
    parts = [
        select(literal("rebate").label("k"), r.amount_fen.label("amount"), r.kind, r.ref, r.at, r.id).where(
            r.member_id == member_id
        ),
        select(literal("points").label("k"), p.points.label("amount"), p.kind, p.ref, p.at, p.id).where(
            p.member_id == member_id
        ),
        select(literal("voucher").label("k"), v.amount_fen.label("amount"), v.kind, v.ref, v.at, v.id).where(
            v.member_id == member_id
        ),
    ]
    u = union_all(*parts).subquery()
    rows = conn.execute(select(u).order_by(u.c.at.desc(), u.c.id.desc()).limit(limit))
    return [LedgerLine(row.k, int(row.amount), row.kind, row.ref, row.at) for row in rows]


@dataclass(frozen=True, slots=True)
class WalletLiability:
    rebate_fen: int  # Σ positive balances (what members could spend or withdraw)
    negative_fen: int  # Σ negative balances (owed back by members after clawbacks), ≤ 0
    points: int
    points_fen: int  # points at the spending rate
    voucher_fen: int  # unused vouchers' face value
    withdrawals_pending_fen: int  # requested or approved, not yet paid

    @property
    def total_fen(self) -> int:
        return self.rebate_fen + self.points_fen + self.voucher_fen + self.withdrawals_pending_fen


def liability(conn: Connection, *, points_per_yuan: int) -> WalletLiability:
    """The chain's wallet liability, from the running balances (flat in the number of ledger rows)."""
    w = t.Wallet
    positive = func.coalesce(
        func.sum(func.max(w.rebate_fen, 0) if _sqlite(conn) else func.greatest(w.rebate_fen, 0)), 0
    )
    negative = func.coalesce(func.sum(func.min(w.rebate_fen, 0) if _sqlite(conn) else func.least(w.rebate_fen, 0)), 0)
    row = conn.execute(
        select(positive, negative, func.coalesce(func.sum(w.points), 0), func.coalesce(func.sum(w.voucher_fen), 0))
    ).one()
    wd = t.Withdrawal
    pending = conn.execute(
        select(func.coalesce(func.sum(wd.amount_fen), 0)).where(wd.state.in_(["requested", "approved"]))
    ).scalar_one()
    points = int(row[2])
    return WalletLiability(
        rebate_fen=int(row[0]),
        negative_fen=int(row[1]),
        points=points,
        points_fen=points * 100 // points_per_yuan,
        voucher_fen=int(row[3]),
        withdrawals_pending_fen=int(pending),
    )


def _sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def expire_vouchers(conn: Connection, now: dt.datetime) -> int:
    """Vouchers past their expiry leave the wallet (one ledger row each); held ones wait for their hold."""
    v = t.Voucher
    rows = conn.execute(
        select(v.id, v.member_id, v.value_fen)
        .where(v.state == "issued", v.hold_id.is_(None), v.expires_at.is_not(None), v.expires_at <= now)
        .order_by(v.member_id, v.id)
        .with_for_update()
    ).all()
    for row in rows:
        conn.execute(update(v).where(v.id == row.id).values(state="expired"))
        voucher_row(conn, row.id, row.member_id, -row.value_fen, "expiry", f"voucher:{row.id}", now)
        adjust(conn, row.member_id, voucher_fen=-row.value_fen)
    return len(rows)
