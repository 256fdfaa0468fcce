"""The running totals (`cashier_stats`, `daily_stats`, `cashier_daily`, `settlement_daily`), kept in step with what
one unit of work writes and flushed in its transaction.

They are what makes the console's liability and settlement pages, the store report and the member page's line
lengths flat at 10⁶ entries (docs/performance.md): nobody sums the entries on read. The engine's repository tells
this object what it loaded and what it saved; the deltas are gathered in memory and written at commit with one
adding upsert per row touched (`INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.engine.model import Entry, EntryStatus, Order

from . import tables as t
from .settings import Configuration

_DAILY_COLUMNS = [c.name for c in t.DailyStats.__table__.columns if c.name not in ("store_id", "day")]
_CASHIER_DAILY_COLUMNS = [c.name for c in t.CashierDaily.__table__.columns if c.name not in ("cashier_id", "day")]
_ZERO = (0, 0, 0)


def _adding_upserts(dialect: Any) -> tuple[Any, Any, Any, Any]:
    """INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x: one prebuilt statement per running total."""
    cs = t.CashierStats.__table__
    stmt = dialect.insert(cs)
    cashier = stmt.on_conflict_do_update(
        index_elements=["cashier_id"],
        set_={c: cs.c[c] + stmt.excluded[c] for c in ("waiting_count", "outstanding_fen", "eligible_count", "version")},
    )
    ds = t.DailyStats.__table__
    stmt = dialect.insert(ds)
    daily = stmt.on_conflict_do_update(
        index_elements=["store_id", "day"], set_={c: ds.c[c] + stmt.excluded[c] for c in _DAILY_COLUMNS}
    )
    cd = t.CashierDaily.__table__
    stmt = dialect.insert(cd)
    cashier_daily = stmt.on_conflict_do_update(
        index_elements=["cashier_id", "day"], set_={c: cd.c[c] + stmt.excluded[c] for c in _CASHIER_DAILY_COLUMNS}
    )
    sd = t.SettlementDaily.__table__
    stmt = dialect.insert(sd)
    settlement = stmt.on_conflict_do_update(
        index_elements=["day", "from_store_id", "to_store_id"],
        set_={"amount_fen": sd.c.amount_fen + stmt.excluded.amount_fen},
    )
    return cashier, daily, cashier_daily, settlement


_UPSERTS = {"sqlite": _adding_upserts(sqlite), "postgresql": _adding_upserts(postgresql)}
_CLEAR_WAITING = update(t.CashierStats).values(waiting_count=0, outstanding_fen=0, eligible_count=0)


def waiting_totals(entry: Entry) -> tuple[int, int, int]:
    """(waiting, remaining, eligible) contributions of one entry to its cashier's running totals."""
    if entry.status != EntryStatus.WAITING:
        return _ZERO
    remaining = entry.entitlement_fen - entry.paid_fen
    return (1, remaining, 1 if remaining > 0 else 0)


class RunningTotals:
    """The deltas of one unit of work; `config` gives the configuration in force (store zones, the chain's zone)."""

    def __init__(self, conn: Connection, config: Callable[[], Configuration]) -> None:
        self.conn = conn
        self._config = config
        self._loaded: dict[int, tuple[tuple[int, int, int], str]] = {}  # seq -> (totals, status) as last saved
        self._contributions: dict[str, int] = {}  # order id -> contribution as last saved
        self._cashier_delta: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        # (store, cashier, store-local day) -> deltas: summed per store into daily_stats, kept per cashier in
        # cashier_daily (a queue of one cashier reads its own figures, not its store's)
        self._daily: dict[tuple[str, str, dt.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._settlement: dict[tuple[dt.date, str, str], int] = defaultdict(int)

    def _day(self, store_id: str, cashier_id: str, at: dt.datetime) -> dict[str, int]:
        """The deltas of one cashier on one store-local day."""
        info = self._config().store(store_id)
        tz = ZoneInfo(info.timezone if info is not None else "Asia/Shanghai")
        return self._daily[(store_id, cashier_id, at.astimezone(tz).date())]

    # ------------------------------------------------------------ orders

    def order_loaded(self, order: Order) -> None:
        self._contributions.setdefault(order.order_id, order.contribution_fen)

    def order_added(self, order: Order) -> None:
        self._contributions[order.order_id] = order.contribution_fen
        if order.contribution_fen:  # settled before it was written (a checkout completed at the till)
            self._day(order.store_id, order.cashier_id, order.completed_at or order.received_at)[
                "contributions_fen"
            ] += order.contribution_fen
        if order.imported is None:
            daily = self._day(order.store_id, order.cashier_id, order.received_at)
            daily["orders_count"] += 1
            daily["sales_fen"] += order.paid_fen

    def order_saved(self, order: Order) -> None:
        before = self._contributions.get(order.order_id, 0)
        if order.contribution_fen != before:
            # contributions are counted on the day they settle (or are reversed)
            self._day(order.store_id, order.cashier_id, order.completed_at or order.received_at)[
                "contributions_fen"
            ] += order.contribution_fen - before
            self._contributions[order.order_id] = order.contribution_fen

    def refunded(self, store_id: str, cashier_id: str, amount_fen: int, at: dt.datetime) -> None:
        self._day(store_id, cashier_id, at)["sales_fen"] -= amount_fen

    # ------------------------------------------------------------ entries

    def entry_loaded(self, entry: Entry) -> None:
        self._loaded[entry.seq] = (waiting_totals(entry), entry.status.value)

    def entry_added(self, entry: Entry) -> None:
        self._loaded[entry.seq] = (_ZERO, "new")
        daily = self._day(entry.store_id, entry.cashier_id, entry.created_at)
        daily["entries_created"] += 1
        daily["entitlement_created_fen"] += entry.entitlement_fen
        self.entry_saved(entry)

    def entry_saved(self, entry: Entry) -> None:
        """Keep cashier_stats, daily_stats and cashier_daily in step with this entry as loaded or last saved."""
        before, before_status = self._loaded[entry.seq]
        now = waiting_totals(entry)
        if now != before:
            delta = self._cashier_delta[entry.cashier_id]
            for i in range(3):
                delta[i] += now[i] - before[i]
        if entry.status == EntryStatus.COMPLETED and before_status != EntryStatus.COMPLETED.value:
            self._day(entry.store_id, entry.cashier_id, entry.closed_at or entry.created_at)["entries_completed"] += 1
        self._loaded[entry.seq] = (now, entry.status.value)

    def all_expired(self, loaded: list[int]) -> None:
        """A reset expired every waiting entry (`loaded`: the seqs of this unit of work's entries that were)."""
        for seq in loaded:
            self._loaded[seq] = (_ZERO, EntryStatus.EXPIRED.value)
        self._cashier_delta.clear()
        self.conn.execute(_CLEAR_WAITING)

    # ------------------------------------------------------------ money

    def allocated(self, *, from_store: str, to_store: str, to_cashier: str, amount_fen: int, at: dt.datetime) -> None:
        """Money paid to an entry of `to_cashier` (in `to_store`) from a sale in `from_store`."""
        self._day(to_store, to_cashier, at)["payouts_fen"] += amount_fen
        chain_day = at.astimezone(ZoneInfo(self._config().base.timezone)).date()
        self._settlement[(chain_day, from_store, to_store)] += amount_fen

    def kept(self, store_id: str, cashier_id: str, amount_fen: int, at: dt.datetime) -> None:
        """Money kept by the merchant from a sale at `cashier_id` (negative: an unallocated line removed)."""
        self._day(store_id, cashier_id, at)["kept_fen"] += amount_fen

    # ------------------------------------------------------------ savepoints

    def mark(self) -> tuple[Any, ...]:
        """A copy of the deltas and of what was last saved, for `restore` after a rollback to a savepoint."""
        return (
            dict(self._loaded),
            dict(self._contributions),
            {k: list(v) for k, v in self._cashier_delta.items()},
            {k: dict(v) for k, v in self._daily.items()},
            dict(self._settlement),
        )

    def restore(self, mark: tuple[Any, ...]) -> None:
        loaded, contributions, cashier_delta, daily, settlement = mark
        self._loaded, self._contributions = dict(loaded), dict(contributions)
        self._cashier_delta.clear()
        self._cashier_delta.update({k: list(v) for k, v in cashier_delta.items()})
        self._daily.clear()
        for k, v in daily.items():
            self._daily[k].update(v)
        self._settlement.clear()
        self._settlement.update(settlement)

    # ------------------------------------------------------------ writing

    def flush(self) -> None:
        """Write the deltas gathered so far (the unit of work calls this before it commits)."""
        upsert_cashier, upsert_daily, upsert_cashier_daily, upsert_settlement = _UPSERTS[self.conn.dialect.name]
        for cashier_id, (d_count, d_fen, d_eligible) in sorted(self._cashier_delta.items()):
            if d_count == 0 and d_fen == 0 and d_eligible == 0:
                continue
            self.conn.execute(
                upsert_cashier,
                {
                    "cashier_id": cashier_id,
                    "store_id": self._config().store_of_cashier(cashier_id) or "",
                    "waiting_count": d_count,
                    "outstanding_fen": d_fen,
                    "eligible_count": d_eligible,
                    "version": 1,
                },
            )
        self._cashier_delta.clear()
        per_store: dict[tuple[str, dt.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (store_id, cashier_id, day), values in sorted(self._daily.items()):
            for k, v in values.items():
                per_store[(store_id, day)][k] += v
            if cashier_id and any(values.get(k, 0) for k in _CASHIER_DAILY_COLUMNS):
                self.conn.execute(
                    upsert_cashier_daily,
                    {"cashier_id": cashier_id, "day": day, **{k: values.get(k, 0) for k in _CASHIER_DAILY_COLUMNS}},
                )
        for (store_id, day), values in sorted(per_store.items()):
            if any(values.values()):
                self.conn.execute(
                    upsert_daily, {"store_id": store_id, "day": day, **{k: values.get(k, 0) for k in _DAILY_COLUMNS}}
                )
        self._daily.clear()
        for (day, src, dst), amount in sorted(self._settlement.items()):
            if amount:
                self.conn.execute(
                    upsert_settlement, {"day": day, "from_store_id": src, "to_store_id": dst, "amount_fen": amount}
                )
        self._settlement.clear()
