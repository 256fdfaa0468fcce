"""Read-only reports of one store (for its manager and headquarters), from the running totals: no entry scans."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, select

from ..db import tables as t
from ..db.settings import SettingsCache, read_configuration
from ..errors import not_found


class DayFigures(BaseModel):
    model_config = ConfigDict(frozen=True)
    day: dt.date
    orders_count: int
    sales_fen: int
    contributions_fen: int
    payouts_fen: int
    kept_fen: int
    entries_created: int
    entries_completed: int
    entitlement_created_fen: int


class CashierFigures(BaseModel):
    model_config = ConfigDict(frozen=True)
    cashier_id: str
    waiting_count: int
    outstanding_fen: int


class StoreReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    store_id: str
    name: str
    date_from: dt.date | None
    date_to: dt.date | None
    days: list[DayFigures]
    totals: DayFigures | None
    cashiers: list[CashierFigures]


class StoreSummary(BaseModel):
    model_config = ConfigDict(frozen=True)
    store_id: str
    name: str
    timezone: str
    cashier_ids: list[str]


def stores(conn: Connection, store_ids: list[str] | None, cache: SettingsCache | None = None) -> list[StoreSummary]:
    """Every store, or those of `store_ids` (the caller's scope)."""
    config = read_configuration(conn, cache)
    return [
        StoreSummary(store_id=sid, name=config.names[sid], timezone=store.timezone, cashier_ids=list(store.cashier_ids))
        for sid, store in sorted(config.stores.items())
        if store_ids is None or sid in store_ids
    ]


def store_report(conn: Connection, *, store_id: str, date_from: dt.date | None, date_to: dt.date | None) -> StoreReport:
    store = conn.execute(select(t.Store.name).where(t.Store.store_id == store_id)).first()
    if store is None:
        raise not_found(f"no store {store_id}")
    ds = t.DailyStats
    stmt = select(ds).where(ds.store_id == store_id).order_by(ds.day)
    if date_from is not None:
        stmt = stmt.where(ds.day >= date_from)
    if date_to is not None:
        stmt = stmt.where(ds.day <= date_to)
    fields = [f for f in DayFigures.model_fields if f != "day"]
    days = [DayFigures(day=r.day, **{f: int(getattr(r, f)) for f in fields}) for r in conn.execute(stmt)]
    totals = None
    if days:
        sums: dict[str, Any] = {f: sum(getattr(d, f) for d in days) for f in fields}
        totals = DayFigures(day=days[-1].day, **sums)
    cs = t.CashierStats
    cashiers = [
        CashierFigures(
            cashier_id=r.cashier_id, waiting_count=int(r.waiting_count), outstanding_fen=int(r.outstanding_fen)
        )
        for r in conn.execute(
            select(cs.cashier_id, cs.waiting_count, cs.outstanding_fen)
            .join(t.Cashier, t.Cashier.cashier_id == cs.cashier_id)
            .where(t.Cashier.store_id == store_id)
            .order_by(cs.cashier_id)
        )
    ]
    return StoreReport(
        store_id=store_id,
        name=store.name,
        date_from=date_from,
        date_to=date_to,
        days=days,
        totals=totals,
        cashiers=cashiers,
    )
