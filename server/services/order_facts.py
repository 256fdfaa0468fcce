"""A sale of a terminal's store as the server holds it: what a till checks before it refunds another till's sale."""

from __future__ import annotations

from sqlalchemy import Connection, select

from shared.errors import Code
from shared.wire import OrderFacts

from ..db import tables as t
from ..errors import Refused


def order_facts(conn: Connection, *, store_id: str, order_id: str) -> OrderFacts:
    """Refused(unknown_order) for an order the server has not seen, or one of another store (the same answer:
    a till learns nothing about other stores)."""
    o = t.OrderRow
    row = conn.execute(
        select(o.order_id, o.paid_fen, o.refunded_fen, o.paid_at).where(o.order_id == order_id, o.store_id == store_id)
    ).first()
    if row is None:
        raise Refused(Code.UNKNOWN_ORDER, f"no order {order_id} in this store")
    return OrderFacts(order_id=row.order_id, paid_fen=row.paid_fen, refunded_fen=row.refunded_fen, paid_at=row.paid_at)
