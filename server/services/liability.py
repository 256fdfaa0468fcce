"""Headquarters figures: liability per queue and for the chain, daily series, inter-store settlement.

Everything here reads the running totals kept in the same transactions as the entries (cashier_stats,
daily_stats per store, cashier_daily per cashier: a queue's own figures) or sums ledger rows by index; nothing
scans the waiting entries, so a page answers in the same time with 10^3 or 10^6 of them. Money is int fen; rates
are int basis points; estimates are labelled as estimates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

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
class Totals:
    """Sums of daily_stats over some stores and days."""

    orders: int = 0
    sales_fen: int = 0
    contributions_fen: int = 0
    payouts_fen: int = 0
    kept_fen: int = 0
    entries_created: int = 0
    entries_completed: int = 0

    def add(self, other: Totals) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def completion_rate_bp(self) -> int | None:
        """Entries completed per entry created, in basis points."""
        return self.entries_completed * 10_000 // self.entries_created if self.entries_created else None


def _sum(parts: list[Totals]) -> Totals:
    total = Totals()
    for part in parts:
        total.add(part)
    return total


@dataclass(frozen=True, slots=True)
class Estimate:
    """At the last 7 days' pace: orders (and days) until every entry now waiting, the tail one last, is paid.
    An estimate, and labelled so wherever it is shown (spec §20.1)."""

    orders: int
    days: int


def estimate(outstanding_fen: int, week: Totals) -> Estimate | None:
    if outstanding_fen <= 0 or week.contributions_fen <= 0 or week.orders <= 0:
        return None
    # Σ remaining of every waiting entry ÷ average contribution per order, rounded up
    orders = _ceil_div(outstanding_fen * week.orders, week.contributions_fen)
    return Estimate(orders, _ceil_div(orders * ESTIMATE_DAYS, week.orders))


@dataclass(slots=True)
class QueueLiability:
    queue: str
    store_ids: list[str]
    cashier_ids: list[str]
    waiting_count: int
    outstanding_fen: int
    week: Totals  # the last 7 days, of the cashiers that feed this queue (those shown: a store's share of a shared one)
    total: Totals  # since the beginning, likewise
    estimate: Estimate | None  # for the whole queue, even when the view is one store's share of it
    shared: bool  # one queue for all cashiers: the view may show one store's share of it

    @property
    def completion_rate_bp(self) -> int | None:
        return self.week.completion_rate_bp


@dataclass(slots=True)
class Liability:
    as_of: dt.date
    queues: list[QueueLiability]
    total_waiting: int = 0
    total_outstanding_fen: int = 0
    series: list[DayFigures] = field(default_factory=list)
    week: Totals = field(default_factory=Totals)
    total: Totals = field(default_factory=Totals)
    estimate: Estimate | None = None

    @property
    def kept_total_fen(self) -> int:
        return self.total.kept_fen

    @property
    def paid_total_fen(self) -> int:
        return self.total.payouts_fen


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


_SUMS = (
    "orders_count",
    "sales_fen",
    "contributions_fen",
    "payouts_fen",
    "kept_fen",
    "entries_created",
    "entries_completed",
)


def _per_store(conn: Connection, since: dt.date | None, until: dt.date) -> dict[str, Totals]:
    ds = t.DailyStats
    stmt = select(ds.store_id, *(func.sum(getattr(ds, c)) for c in _SUMS)).where(ds.day <= until)
    if since is not None:
        stmt = stmt.where(ds.day >= since)
    return {row[0]: Totals(*(int(x or 0) for x in row[1:])) for row in conn.execute(stmt.group_by(ds.store_id))}


_CASHIER_SUMS = ("orders_count", "contributions_fen", "payouts_fen", "kept_fen", "entries_created", "entries_completed")


def _per_cashier(conn: Connection, since: dt.date | None, until: dt.date) -> dict[str, Totals]:
    """cashier_daily summed per cashier: a queue of one cashier reads its own figures (no sales: those are the
    store's, in daily_stats)."""
    cd = t.CashierDaily
    stmt = select(cd.cashier_id, *(func.sum(getattr(cd, c)) for c in _CASHIER_SUMS)).where(cd.day <= until)
    if since is not None:
        stmt = stmt.where(cd.day >= since)
    out = {}
    for row in conn.execute(stmt.group_by(cd.cashier_id)):
        orders, contributions, payouts, kept, created, completed = (int(x or 0) for x in row[1:])
        out[row[0]] = Totals(orders, 0, contributions, payouts, kept, created, completed)
    return out


def _series(conn: Connection, store_ids: list[str] | None, since: dt.date, until: dt.date) -> list[DayFigures]:
    ds = t.DailyStats
    stmt = (
        select(ds.day, *(func.sum(getattr(ds, c)) for c in _SUMS))
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
    """Per queue and for the chain (or for the given stores only: a store manager's view).

    A few grouped reads of the running totals, whatever the number of entries: cashier_stats (one row per
    cashier), daily_stats (one row per store and day) and cashier_daily (one row per cashier and day)."""
    cs = t.CashierStats
    cashier_rows = conn.execute(select(t.Cashier.cashier_id, t.Cashier.store_id).order_by(t.Cashier.cashier_id)).all()
    stats = {
        r.cashier_id: (int(r.waiting_count), int(r.outstanding_fen))
        for r in conn.execute(select(cs.cashier_id, cs.waiting_count, cs.outstanding_fen))
    }
    week = _per_store(conn, today - dt.timedelta(days=ESTIMATE_DAYS - 1), today)
    ever = _per_store(conn, None, today)
    cashier_week = _per_cashier(conn, today - dt.timedelta(days=ESTIMATE_DAYS - 1), today)
    cashier_ever = _per_cashier(conn, None, today)
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for cashier_id, store_id in cashier_rows:
        groups[queue_key(cashier_id, base.all_cashiers_queue)].append((cashier_id, store_id))
    queues = []
    for key, members in sorted(groups.items()):
        shown = [(c, s) for c, s in members if store_ids is None or s in store_ids]
        if not shown:
            continue
        stores = sorted({s for _, s in shown})
        whole_week = _sum([cashier_week.get(c, Totals()) for c, _ in members])
        whole_outstanding = sum(stats.get(c, (0, 0))[1] for c, _ in members)
        queues.append(
            QueueLiability(
                queue=key,
                store_ids=stores,
                cashier_ids=[c for c, _ in shown],
                waiting_count=sum(stats.get(c, (0, 0))[0] for c, _ in shown),
                outstanding_fen=sum(stats.get(c, (0, 0))[1] for c, _ in shown),
                week=_sum([cashier_week.get(c, Totals()) for c, _ in shown]),
                total=_sum([cashier_ever.get(c, Totals()) for c, _ in shown]),
                estimate=estimate(whole_outstanding, whole_week),
                shared=key.endswith(ALL),
            )
        )
    result = Liability(as_of=today, queues=queues)
    result.total_waiting = sum(q.waiting_count for q in queues)
    result.total_outstanding_fen = sum(q.outstanding_fen for q in queues)
    scope = set(ever) | set(week) if store_ids is None else set(store_ids)
    result.week = _sum([week.get(s, Totals()) for s in scope])
    result.total = _sum([ever.get(s, Totals()) for s in scope])
    if store_ids is None:
        result.estimate = estimate(result.total_outstanding_fen, result.week)
    elif len(queues) == 1:
        result.estimate = queues[0].estimate
    result.series = _series(conn, store_ids, today - dt.timedelta(days=days - 1), today)
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


def _matrix(conn: Connection, rows: Any, store_ids: list[str] | None) -> tuple[dict[tuple[str, str], int], list[str]]:
    matrix = {(src, dst): int(total) for src, dst, total in conn.execute(rows) if total}
    if store_ids is not None:
        matrix = {k: v for k, v in matrix.items() if k[0] in store_ids or k[1] in store_ids}
    stores = sorted(conn.execute(select(t.Store.store_id)).scalars())
    if store_ids is not None:
        stores = [s for s in stores if s in store_ids]
    return matrix, stores


def settlement(
    conn: Connection, *, since: dt.datetime, until: dt.datetime, store_ids: list[str] | None = None
) -> Settlement:
    """Which store's sales paid which store's members in [since, until): net allocations, reversals included.

    Sums the allocation lines themselves (any instants); `settlement_for_days` reads the daily totals instead.
    """
    a = t.Allocation
    stmt = (
        select(a.from_store_id, a.to_store_id, func.sum(a.amount_fen))
        .where(a.at >= since, a.at < until)
        .group_by(a.from_store_id, a.to_store_id)
    )
    matrix, stores = _matrix(conn, stmt, store_ids)
    return Settlement(since, until, stores, matrix)


def settlement_for_days(
    conn: Connection, *, first: dt.date, last: dt.date, timezone: str, store_ids: list[str] | None = None
) -> Settlement:
    """The same matrix for whole chain-local days, from settlement_daily (kept with the allocations): a period
    of any length costs a few rows per day, not a scan of every payout."""
    zone = ZoneInfo(timezone)
    since = dt.datetime.combine(first, dt.time(), zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    sd = t.SettlementDaily
    stmt = (
        select(sd.from_store_id, sd.to_store_id, func.sum(sd.amount_fen))
        .where(sd.day >= first, sd.day <= last)
        .group_by(sd.from_store_id, sd.to_store_id)
    )
    matrix, stores = _matrix(conn, stmt, store_ids)
    return Settlement(since, until, stores, matrix)
