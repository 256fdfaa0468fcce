"""Automatic completion of cashier orders `cashier_auto_complete_hours` after `paid_at` (spec §3.1, §8).

The server is the authority: a till's sale is completed at ingestion when hours = 0, else it waits here whatever
the till sent. Hours = 0 still sweeps, so sales left waiting when the window was shortened to 0 complete at once.
A completion happens at `paid_at + hours`, or when the server received
the order if that was later, so the ledger reads the same however late the sweep ran. Completing is idempotent in
the engine (a completed order answers `duplicate`), so two processes sweeping the same order complete it once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select

from shared.ids import OrderId

from ..db import tables as t

O = t.OrderRow.__table__  # noqa: E741


@dataclass(frozen=True, slots=True)
class Due:
    order_id: OrderId
    at: dt.datetime  # when the timer fires for it


def due_orders(
    conn: Connection, *, hours: int, until: dt.datetime, limit: int, skip: frozenset[str] = frozenset()
) -> list[Due]:
    """Orders still `paid` whose timer fired at or before `until`, oldest first (ix_orders_pending_completion)."""
    delay = dt.timedelta(hours=hours)
    stmt = (
        select(O.c.order_id, O.c.paid_at, O.c.received_at)
        .where(O.c.status == "paid", O.c.paid_at <= until - delay, O.c.received_at <= until)
        .order_by(O.c.paid_at, O.c.order_id)
        .limit(limit + len(skip))
    )
    out = []
    for order_id, paid_at, received_at in conn.execute(stmt):
        if order_id in skip:
            continue
        out.append(Due(OrderId(order_id), max(paid_at + delay, received_at)))
    return out[:limit]
