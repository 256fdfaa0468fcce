"""What-if: the orders of a period replayed under today's settings and under proposed ones, side by side.

The period's sales are read from the ledger (orders, their completions and the refunds table, in ingestion order)
and written as a `paidui-scenario/1` document, which `shared.scenario.run` replays in memory, once per set of
settings. Choices, shown to the user with the figures:

- Both runs start from an **empty queue**: entries waiting before the period are not carried in, so the figures
  compare the rules, not the history they inherited.
- Completions and refunds happen when they happened (completions after the period's end are left out, so those
  orders stay unsettled under `on_complete`); lottery entries keep their provisional ratio (no draws are invented);
  random-return groups take a fixed seeded arrangement, the same in both runs.
- Scheduled resets of each set of settings fall where that schedule puts them within the period.
- Cumulative-spend tiers see the members' completed orders from before the period (as imported history).
- Member levels are those in force at the start of the period, then changed as they were.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from shared.engine.memory_backend import MemoryBackend
from shared.engine.model import EntryStatus
from shared.errors import Code, RuleError
from shared.ids import CashierId, StoreId
from shared.scenario import FORMAT, run
from shared.schedule import instants_between
from shared.settings import BaseSettings, StoreSettings, merge_base, merge_store

from ..db import tables as t
from ..db.settings import read_configuration

MAX_ORDERS = 200_000  # beyond this the replay takes minutes: ask for a shorter period
O = t.OrderRow  # noqa: E741


class SimulationTooLarge(RuleError):
    def __init__(self, count: int) -> None:
        super().__init__(Code.INVALID_EVENT, f"{count} orders in the period; at most {MAX_ORDERS} can be simulated")
        self.count = count


@dataclass(frozen=True, slots=True)
class Figures:
    """What one replay gave. Money is int fen, the rate int basis points."""

    orders: int
    entries: int
    entries_completed: int
    payouts_fen: int
    kept_fen: int
    carried_fen: int
    outstanding_fen: int
    waiting: int
    rejected: int

    @property
    def completion_rate_bp(self) -> int | None:
        return self.entries_completed * 10_000 // self.entries if self.entries else None


@dataclass(frozen=True, slots=True)
class Comparison:
    since: dt.datetime
    until: dt.datetime
    current: Figures
    proposed: Figures
    base_changes: dict[str, Any]
    store_changes: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Stores:
    rows: list[tuple[StoreId, str, list[CashierId]]]  # store id, zone, cashier ids
    settings: dict[str, StoreSettings]


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat()


def _stores(conn: Connection) -> _Stores:
    stores = sorted(read_configuration(conn, None).stores.items())
    rows = [  # a store without a cashier has no sales to replay
        (store_id, store.timezone, list(store.cashier_ids)) for store_id, store in stores if store.cashier_ids
    ]
    return _Stores(rows, {store_id: store.settings for store_id, store in stores})


def _events(conn: Connection, since: dt.datetime, until: dt.datetime) -> tuple[list[tuple[Any, ...]], set[str]]:
    """(time, rank, tiebreak, event) of the period's sales, completions and refunds; and the members involved."""
    e = t.EntryRow
    rows = conn.execute(
        select(O, e.seq)
        .outerjoin(e, e.order_id == O.order_id)
        .where(O.received_at >= since, O.received_at < until, O.imported.is_(None))
    ).all()
    if len(rows) > MAX_ORDERS:
        raise SimulationTooLarge(len(rows))
    events: list[tuple[Any, ...]] = []
    members: set[str] = set()
    order_ids = set()
    for r in rows:
        order_ids.add(r.order_id)
        if r.member_id:
            members.add(r.member_id)
        at_checkout = r.completed_at is not None and r.completed_at <= r.received_at
        doc = {
            "type": "order_paid",
            "order_id": r.order_id,
            "store": r.store_id,
            "cashier": r.cashier_id,
            "member": r.member_id,
            "paid_fen": int(r.paid_fen),
            "paid_at": _iso(r.paid_at),
            "total_fen": int(r.total_fen),
            "discount_fen": int(r.discount_fen),
            "deduction_points_fen": int(r.deduction_points_fen),
            "deduction_love_fen": int(r.deduction_love_fen),
            "completed": at_checkout,
        }
        if r.lines_json:  # rules.md §8: what does not take part stays out of the simulation too
            doc["lines"] = [
                {"amount_fen": int(x["amount_fen"]), "participates": bool(x.get("participates", True))}
                for x in json.loads(r.lines_json)
            ]
        # ingestion order: when the server received it; entries' seq breaks ties (it was given in that order)
        tiebreak = (r.seq if r.seq is not None else 2**62, r.order_id)
        events.append((r.received_at, 0, tiebreak, doc))
        if r.completed_at is not None and not at_checkout and r.completed_at < until:
            done = {"type": "order_completed", "order_id": r.order_id, "at": _iso(r.completed_at)}
            events.append((r.completed_at, 1, tiebreak, done))
    refunds = conn.execute(
        select(t.Refund.refund_id, t.Refund.order_id, t.Refund.amount_fen, t.Refund.at)
        .join(O, O.order_id == t.Refund.order_id)
        .where(O.received_at >= since, O.received_at < until, t.Refund.at < until)
    )
    for refund_id, order_id, amount, at in refunds:
        if order_id in order_ids:
            doc = {
                "type": "order_refunded",
                "order_id": order_id,
                "refund_id": refund_id,
                "amount_fen": int(amount),
                "at": _iso(at),
            }
            events.append((at, 2, (0, refund_id), doc))
    return events, members


def _levels(
    conn: Connection, members: set[str], since: dt.datetime, until: dt.datetime
) -> tuple[dict[str, str | None], list[tuple[Any, ...]]]:
    """Each member's level at `since`, and the level changes within the period as events."""
    ml = t.MemberLevel
    start: dict[str, str | None] = {}
    changes: list[tuple[Any, ...]] = []
    rows = conn.execute(
        select(ml.member_id, ml.level, ml.effective_at, ml.id)
        .where(ml.effective_at < until)
        .order_by(ml.effective_at, ml.id)
    )
    for member_id, level, at, row_id in rows:
        if member_id not in members:
            continue
        if at <= since:
            start[member_id] = level
        else:
            doc = {"type": "member_level", "member": member_id, "level": level, "at": _iso(at)}
            changes.append((at, -1, (row_id, ""), doc))
    return start, changes


def _history(conn: Connection, members: set[str], since: dt.datetime, days: int) -> list[dict[str, Any]]:
    """Completed sales of the period's members before it, for the tiers' look-back of `days`."""
    if days <= 0 or not members:
        return []
    rows = conn.execute(
        select(O.order_id, O.store_id, O.cashier_id, O.member_id, O.paid_fen, O.refunded_fen, O.paid_at).where(
            and_(
                O.received_at < since,
                O.paid_at >= since - dt.timedelta(days=days),
                O.status == "completed",
                O.member_id.is_not(None),
                func.coalesce(O.imported, "") != "entry",
            )
        )
    )
    return [
        {
            "order_id": r.order_id,
            "store": r.store_id,
            "cashier": r.cashier_id,
            "member": r.member_id,
            "paid_fen": int(r.paid_fen),
            "paid_at": _iso(r.paid_at),
            "status": "completed",
            "refunded_fen": int(r.refunded_fen),
        }
        for r in rows
        if r.member_id in members
    ]


def _lookback(settings: list[StoreSettings]) -> int:
    return max((tier.days for s in settings for tier in s.cumulative_tiers), default=0)


def scenario_document(
    conn: Connection,
    *,
    since: dt.datetime,
    until: dt.datetime,
    base: BaseSettings,
    stores: dict[str, StoreSettings],
    lookback_days: int,
) -> dict[str, Any]:
    """The period as a replayable scenario under the given settings (one document per set of settings)."""
    known = _stores(conn)
    sales, members = _events(conn, since, until)
    start_levels, level_changes = _levels(conn, members, since, until)
    events = sales + level_changes
    if base.reset is not None:
        for at in instants_between(base.reset, base.timezone, since, until - dt.timedelta(microseconds=1)):
            events.append((at, -2, (0, ""), {"type": "reset", "at": _iso(at)}))
    events.sort(key=lambda ev: (ev[0], ev[1], ev[2]))
    cashier_ids = {c for _, _, cs in known.rows for c in cs}
    return {
        "format": FORMAT,
        "settings": base.model_dump(mode="json"),
        "stores": [
            {
                "id": store_id,
                "timezone": tz,
                "cashiers": cashiers,
                "cashier_settings": stores.get(store_id, StoreSettings()).model_dump(mode="json"),
            }
            for store_id, tz, cashiers in known.rows
        ],
        "members": [{"id": m, "level": start_levels.get(m)} for m in sorted(members)],
        "imported_orders": [h for h in _history(conn, members, since, lookback_days) if h["cashier"] in cashier_ids],
        "events": [ev[3] for ev in events],
    }


def figures(doc: dict[str, Any]) -> Figures:
    """Replay in memory (no per-event snapshot: the engine validates before it writes) and sum what it gave."""
    backend = MemoryBackend(transactional=False)
    result = run(doc, backend)
    repo = backend.read_model()
    entries = repo.entries()
    waiting = [e for e in entries if e.status == EntryStatus.WAITING]
    return Figures(
        orders=sum(1 for ev in doc["events"] if ev["type"] == "order_paid"),
        entries=len(entries),
        entries_completed=sum(1 for e in entries if e.status == EntryStatus.COMPLETED),
        payouts_fen=sum(a.amount_fen for a in repo.allocation_lines()),
        kept_fen=sum(u.amount_fen for u in repo.unallocated_lines()),
        carried_fen=sum(repo.carries().values()),
        outstanding_fen=sum(e.remaining_fen for e in waiting),
        waiting=len(waiting),
        rejected=len(result["rejected"]),
    )


def proposed_settings(
    base: BaseSettings,
    stores: dict[str, StoreSettings],
    *,
    base_patch: dict[str, Any] | None,
    store_patches: dict[str, dict[str, Any]],
) -> tuple[BaseSettings, dict[str, StoreSettings]]:
    """Today's settings with the proposed changes (top-level keys replace whole); RuleError when invalid."""
    new_base = merge_base(base, base_patch) if base_patch else base
    new_stores = dict(stores)
    for store_id, patch in store_patches.items():
        if store_id not in stores:
            raise RuleError(Code.UNKNOWN_STORE, store_id)
        new_stores[store_id] = merge_store(stores[store_id], patch)
    return new_base, new_stores


def compare(
    conn: Connection,
    *,
    since: dt.datetime,
    until: dt.datetime,
    base: BaseSettings,
    base_patch: dict[str, Any] | None = None,
    store_patches: dict[str, dict[str, Any]] | None = None,
) -> Comparison:
    """The period under today's settings and under today's settings changed by the patches."""
    if until <= since:
        raise RuleError(Code.INVALID_EVENT, "the period ends before it begins")
    current_stores = _stores(conn).settings
    new_base, new_stores = proposed_settings(
        base, current_stores, base_patch=base_patch, store_patches=store_patches or {}
    )
    lookback = _lookback([*current_stores.values(), *new_stores.values()])
    docs = [
        scenario_document(conn, since=since, until=until, base=b, stores=s, lookback_days=lookback)
        for b, s in ((base, current_stores), (new_base, new_stores))
    ]
    before, after = base.model_dump(mode="json"), new_base.model_dump(mode="json")
    store_changes = {}
    for store_id, settings in new_stores.items():
        old, new = current_stores[store_id].model_dump(mode="json"), settings.model_dump(mode="json")
        diff = {k: new[k] for k in new if new[k] != old.get(k)}
        if diff:
            store_changes[store_id] = diff
    return Comparison(
        since=since,
        until=until,
        current=figures(docs[0]),
        proposed=figures(docs[1]),
        base_changes={k: after[k] for k in after if after[k] != before.get(k)},
        store_changes=store_changes,
    )
