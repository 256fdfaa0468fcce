"""Refunds of wallet-paid sales give back to the tender the money came from (docs/rules.md §6a, issue 13 item 4).

Called by Ingest in the refund's own transaction, after the engine's clawback, so both land together or not at all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select, update

from ..db import tables as t
from ..db.wallet_balances import adjust, points_row, rebate_row, voucher_row


def give_back(conn: Connection, *, order_id: str, now: dt.datetime) -> None:
    """After a refund of `order_id` (in its transaction): give the wallet back what the refund covers.

    A refund is an amount of the paid part: it goes back to the non-wallet tenders first and to the balance only
    for what exceeds them; points and vouchers (deductions) come back when the sale is refunded in full; a voucher
    that has expired meanwhile is not reinstated (docs/rules.md §6a, D21).
    """
    h = t.WalletHold
    rows = conn.execute(
        select(h)
        .where(h.order_id == order_id, h.state == "captured")
        .order_by(h.created_at, h.hold_id)
        .with_for_update()
    ).all()
    if not rows:
        return
    o = t.OrderRow
    order = conn.execute(select(o.paid_fen, o.refunded_fen, o.status).where(o.order_id == order_id)).one()
    rebate = [r for r in rows if r.kind == "rebate"]
    cash_part = order.paid_fen - sum(r.amount_fen for r in rebate)
    owed = max(0, order.refunded_fen - cash_part) - sum(r.refunded_fen for r in rebate)
    ref = f"refund:{order_id}"
    for row in rebate:
        give = min(owed, row.amount_fen - row.refunded_fen)
        if give <= 0:
            continue
        owed -= give
        rebate_row(conn, row.member_id, give, "spend_refund", ref, now)
        adjust(conn, row.member_id, rebate_fen=give)
        conn.execute(update(h).where(h.hold_id == row.hold_id).values(refunded_fen=row.refunded_fen + give))
    if order.status != "refunded":
        return
    v = t.Voucher
    for row in rows:
        if row.kind == "rebate" or row.refunded_fen:
            continue
        if row.kind == "points":
            points_row(conn, row.member_id, row.points, "spend_refund", ref, now)
            adjust(conn, row.member_id, points=row.points)
        else:
            value = conn.execute(
                update(v)
                .where(v.id == row.voucher_id, v.state == "used", (v.expires_at.is_(None)) | (v.expires_at > now))
                .values(state="issued", hold_id=None)
                .returning(v.value_fen)
            ).scalar()
            if value is not None:
                voucher_row(conn, row.voucher_id, row.member_id, int(value), "refund", ref, now)
                adjust(conn, row.member_id, voucher_fen=int(value))
        conn.execute(update(h).where(h.hold_id == row.hold_id).values(refunded_fen=row.amount_fen))
