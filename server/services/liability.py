"""Headquarters figures: liability per queue and for the chain, daily series, inter-store settlement.

Everything here reads the running totals kept in the same transactions as the entries (cashier_stats,
daily_stats) or sums ledger rows by index; nothing scans the waiting entries, so a page answers in the same time
with 10^3 or 10^6 of them. Money is int fen; rates are int basis points; estimates are labelled as estimates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from shared.engine.model import ALL, queue_key
from shared.settings import BaseSettings

from ..db import tables as t

ESTIMATE_DAYS = 7


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: dt.date
    orders: int
    sales_fen: int
    contributions_fen: int
    payouts_fen: int
    kept_fen: int
    entries_created: int
    entries_completed: int


@dataclass(slots=True)
class QueueLiability:
    queue: str
    store_ids: list[str]
    waiting_count: int
    outstanding_fen: int
    contributions_7d_fen: int
    orders_7d: int
    payouts_7d_fen: int
    kept_7d_fen: int
    entries_created_7d: int
    entries_completed_7d: int
    # Estimate, at the last 7 days' pace: orders until the last entry in line is paid in full.
    estimated_orders_to_tail: int | None
    estimated_days_to_tail: int | None

    @property
    def completion_rate_bp(self) -> int | None:
        """Entries completed per entry created over the last 7 days, in basis points."""
        if self.entries_created_7d == 0:
            return None
        return self.entries_completed_7d * 10_000 // self.entries_created_7d


@dataclass(slots=True)
class Liability:
    as_of: dt.date
    queues: list[QueueLiability]
    total_waiting: int = 0
    total_outstanding_fen: int = 0
    series: list[DayFigures] = field(default_factory=list)
    kept_total_fen: int = 0
    paid_total_fen: int = 0


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _series(conn: Connection, store_ids: list[str] | None, since: dt.date, until: dt.date) -> list[DayFigures]:
    ds = t.DailyStats
    stmt = (
        select(
            ds.day,
            func.sum(ds.orders_count),
            func.sum(ds.sales_fen),
            func.sum(ds.contributions_fen),
            func.sum(ds.payouts_fen),
            func.sum(ds.kept_fen),
            func.sum(ds.entries_created),
            func.sum(ds.entries_completed),
        )
        .where(ds.day >= since, ds.day <= until)
        .group_by(ds.day)
        .order_by(ds.day)
    )
    if store_ids is not None:
        stmt = stmt.where(ds.store_id.in_(store_ids))
    return [DayFigures(row[0], *(int(x or 0) for x in row[1:])) for row in conn.execute(stmt)]


def liability(
    conn: Connection, base: BaseSettings, *, today: dt.date, store_ids: list[str] | None = None, days: int = 30
) -> Liability:
    """Per queue and for the chain (or for the given stores only: a store manager's view)."""
    cs = t.CashierStats
    cashier_rows = conn.execute(select(t.Cashier.cashier_id, t.Cashier.store_id)).all()
    stats = {row.cashier_id: row for row in conn.execute(select(cs.cashier_id, cs.waiting_count, cs.outstanding_fen))}
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for cashier_id, store_id in cashier_rows:
        if store_ids is not None and store_id not in store_ids:
            continue
        groups[queue_key(cashier_id, base.all_cashiers_queue)].append((cashier_id, store_id))
    since7 = today - dt.timedelta(days=ESTIMATE_DAYS - 1)
    queues = []
    for key, members in sorted(groups.items()):
        stores = sorted({s for _, s in members})
        # a store-level figure belongs to a queue; with one queue for all, it is the whole chain's
        scope = None if key.endswith(ALL) and store_ids is None else stores
        week = _series(conn, scope, since7, today)
        waiting = sum(int(stats[c].waiting_count) for c, _ in members if c in stats)
        outstanding = sum(int(stats[c].outstanding_fen) for c, _ in members if c in stats)
        contributions = sum(d.contributions_fen for d in week)
        orders = sum(d.orders for d in week)
        orders_needed = days_needed = None
        if contributions > 0 and orders > 0:
            # Σ remaining of every waiting entry ÷ average contribution per order: an estimate, labelled so.
            orders_needed = _ceil_div(outstanding * orders, contributions)
            days_needed = _ceil_div(orders_needed * ESTIMATE_DAYS, orders)
        queues.append(
            QueueLiability(
                queue=key,
                store_ids=stores,
                waiting_count=waiting,
                outstanding_fen=outstanding,
                contributions_7d_fen=contributions,
                orders_7d=orders,
                payouts_7d_fen=sum(d.payouts_fen for d in week),
                kept_7d_fen=sum(d.kept_fen for d in week),
                entries_created_7d=sum(d.entries_created for d in week),
                entries_completed_7d=sum(d.entries_completed for d in week),
                estimated_orders_to_tail=orders_needed,
                estimated_days_to_tail=days_needed,
            )
        )
    result = Liability(as_of=today, queues=queues)
    result.total_waiting = sum(q.waiting_count for q in queues)
    result.total_outstanding_fen = sum(q.outstanding_fen for q in queues)
    result.series = _series(conn, store_ids, today - dt.timedelta(days=days - 1), today)
    ds = t.DailyStats
    totals = select(func.coalesce(func.sum(ds.kept_fen), 0), func.coalesce(func.sum(ds.payouts_fen), 0))
    if store_ids is not None:
        totals = totals.where(ds.store_id.in_(store_ids))
    kept, paid = conn.execute(totals).one()
    result.kept_total_fen, result.paid_total_fen = int(kept), int(paid)
    return result


@dataclass(frozen=True, slots=True)
class Settlement:
    since: dt.datetime
    until: dt.datetime
    store_ids: list[str]
    matrix: dict[tuple[str, str], int]  # (paying store, receiving store) -> net fen

    def paid_by(self, store_id: str) -> int:
        return sum(v for (src, _), v in self.matrix.items() if src == store_id)

    def received_by(self, store_id: str) -> int:
        return sum(v for (_, dst), v in self.matrix.items() if dst == store_id)

    def net(self, store_id: str) -> int:
        """What other stores' sales paid this store's members, minus what this store's sales paid theirs."""
        return self.received_by(store_id) - self.paid_by(store_id)


def settlement(
    conn: Connection, *, since: dt.datetime, until: dt.datetime, store_ids: list[str] | None = None
) -> Settlement:
    """Which store's sales paid which store's members in [since, until): net allocations, reversals included."""
    a = t.Allocation
    stmt = (
        select(a.from_store_id, a.to_store_id, func.sum(a.amount_fen))
        .where(a.at >= since, a.at < until)
        .group_by(a.from_store_id, a.to_store_id)
    )
    matrix = {(src, dst): int(total) for src, dst, total in conn.execute(stmt) if total}
    if store_ids is not None:
        matrix = {k: v for k, v in matrix.items() if k[0] in store_ids or k[1] in store_ids}
    stores = sorted(conn.execute(select(t.Store.store_id)).scalars())
    if store_ids is not None:
        stores = [s for s in stores if s in store_ids]
    return Settlement(since, until, stores, matrix)
