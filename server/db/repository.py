"""The engine's Repository over SQLAlchemy Core (measured: the ORM costs 3–4× Core per payment).

One instance lives for one unit of work. It keeps an identity map of the entries and queues it loaded, so the
engine sees one object per row as it does in memory, and it keeps the running totals (cashier_stats,
daily_stats, cashier_daily) in step with every entry it saves, flushed in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.engine.model import (
    ALL,
    Contribution,
    Entry,
    EntryStatus,
    LotteryState,
    Order,
    OrderStatus,
    PointsKind,
    QueueState,
    RandomGroup,
    RebateKind,
    StoreInfo,
    UnallocatedReason,
)
from shared.engine.views import AllocationLine, MemberBalance, UnallocatedLine
from shared.settings import BaseSettings, StoreSettings, parse_base, parse_store

from . import tables as t
from .database import Database

E = t.EntryRow.__table__
O = t.OrderRow.__table__  # noqa: E741
Q = t.Queue.__table__
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# The dataclasses and the tables have the same columns: one list each, derived, never typed twice.
_ENTRY_COLUMNS = [f.name for f in fields(Entry)]
_ORDER_COLUMNS = [f.name for f in fields(Order)]


def _entry_from_row(row: Row[Any]) -> Entry:
    m = row._mapping
    return Entry(
        **{c: m[c] for c in _ENTRY_COLUMNS if c not in ("status", "lottery_state")},
        status=EntryStatus(m["status"]),
        lottery_state=LotteryState(m["lottery_state"]),
    )


def _entry_values(entry: Entry) -> dict[str, Any]:
    values = {c: getattr(entry, c) for c in _ENTRY_COLUMNS}
    values["status"] = entry.status.value
    values["lottery_state"] = entry.lottery_state.value
    return values


def _order_from_row(row: Row[Any]) -> Order:
    m = row._mapping
    return Order(
        **{c: m[c] for c in _ORDER_COLUMNS if c not in ("status", "contribution")},
        status=OrderStatus(m["status"]),
        contribution=Contribution(m["contribution"]),
    )


def _order_values(order: Order) -> dict[str, Any]:
    values = {c: getattr(order, c) for c in _ORDER_COLUMNS}
    values["status"] = order.status.value
    values["contribution"] = order.contribution.value
    return values


# Prebuilt statements: built once, their compiled form cached by SQLAlchemy; values travel as parameters
# (a statement built per call with .values(...) is recompiled every time: measured 3x slower per event).
_INSERT_ENTRY = insert(E)
_UPDATE_ENTRY = update(E).where(E.c.seq == bindparam("b_seq"))
_INSERT_ORDER = insert(O)
_UPDATE_ORDER = update(O).where(O.c.order_id == bindparam("b_order_id"))
_SELECT_ORDER = select(*[O.c[c] for c in [f.name for f in fields(Order)]]).where(O.c.order_id == bindparam("oid"))
_SELECT_ENTRY_BY_ORDER = select(E).where(E.c.order_id == bindparam("oid"))
_SELECT_ENTRY_BY_SEQ = select(E).where(E.c.seq == bindparam("seq"))
_SELECT_VERSION = select(t.SettingsRow.version).where(t.SettingsRow.id == 1)
_UPDATE_CARRY = update(Q).where(Q.c.key == bindparam("b_key")).values(carry_fen=bindparam("carry"))
_UPDATE_HEAD = update(Q).where(Q.c.key == bindparam("b_key")).values(head_seq=bindparam("head"))
_LEVEL_AT = (
    select(t.MemberLevel.level)
    .where(t.MemberLevel.member_id == bindparam("mid"), t.MemberLevel.effective_at <= bindparam("at"))
    .order_by(t.MemberLevel.effective_at.desc(), t.MemberLevel.id.desc())
    .limit(1)
)
_NEXT_COUNTER = (
    update(t.Counter)
    .where(t.Counter.name == bindparam("b_name"))
    .values(value=t.Counter.value + 1)
    .returning(t.Counter.value)
)
_INSERT_ALLOCATION = insert(t.Allocation)
_INSERT_REBATE = insert(t.RebateLedger)
_INSERT_POINTS = insert(t.PointsLedger)
# Taking a queue's lock and bumping its snapshot version are one statement: an UPDATE locks the row like
# SELECT ... FOR UPDATE does, and whoever writes under the lock changes what a snapshot shows.
_LOCK_QUEUE = (
    update(Q)
    .where(Q.c.key == bindparam("b_key"))
    .values(version=Q.c.version + 1)
    .returning(Q.c.head_seq, Q.c.carry_fen)
)


def _eligible_statement(all_cashiers: bool, tier: bool | None) -> Any:
    conditions = [
        E.c.status == EntryStatus.WAITING.value,
        E.c.entitlement_fen > E.c.paid_fen,
        E.c.seq >= bindparam("from_seq"),
    ]
    if not all_cashiers:
        conditions.append(E.c.cashier_id == bindparam("cashier"))
    if tier is not None:
        conditions.append(E.c.order_completed == tier)
    return select(E).where(and_(*conditions)).order_by(E.c.seq).limit(bindparam("lim"))


_DAILY_COLUMNS = [c.name for c in t.DailyStats.__table__.columns if c.name not in ("store_id", "day")]


def _adding_upserts(dialect: Any) -> tuple[Any, Any]:
    """INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x: one statement per running total."""
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
    return cashier, daily


_UPSERTS = {"sqlite": _adding_upserts(sqlite), "postgresql": _adding_upserts(postgresql)}
_CASHIER_DAILY_COLUMNS = [c.name for c in t.CashierDaily.__table__.columns if c.name not in ("cashier_id", "day")]


def _cashier_daily_upsert(dialect: Any) -> Any:
    table = t.CashierDaily.__table__
    stmt = dialect.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["cashier_id", "day"], set_={c: table.c[c] + stmt.excluded[c] for c in _CASHIER_DAILY_COLUMNS}
    )


_CASHIER_DAILY_UPSERTS = {"sqlite": _cashier_daily_upsert(sqlite), "postgresql": _cashier_daily_upsert(postgresql)}


def _settlement_upsert(dialect: Any) -> Any:
    table = t.SettlementDaily.__table__
    stmt = dialect.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["day", "from_store_id", "to_store_id"],
        set_={"amount_fen": table.c.amount_fen + stmt.excluded.amount_fen},
    )


_ENSURE_MEMBER = {
    name: dialect.insert(t.Member.__table__).on_conflict_do_nothing(index_elements=["member_id"])
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_SETTLEMENT_UPSERTS = {"sqlite": _settlement_upsert(sqlite), "postgresql": _settlement_upsert(postgresql)}
_ELIGIBLE = {(a, tier): _eligible_statement(a, tier) for a in (False, True) for tier in (None, True, False)}


def _waiting_totals(entry: Entry) -> tuple[int, int, int]:
    """(waiting, remaining, eligible) contributions of one entry to its cashier's running totals."""
    if entry.status != EntryStatus.WAITING:
        return (0, 0, 0)
    remaining = entry.entitlement_fen - entry.paid_fen
    return (1, remaining, 1 if remaining > 0 else 0)


class SqlRepository:
    def __init__(self, conn: Connection, db: Database) -> None:
        self.conn = conn
        self.db = db
        self._entries: dict[int, Entry] = {}
        self._loaded: dict[int, tuple[tuple[int, int, int], str]] = {}  # seq -> (totals, status) as last saved
        self._queues: dict[str, QueueState] = {}
        self._heads: dict[str, int] = {}
        self._members_locked: set[str] = set()
        self._cashier_delta: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        self._daily: dict[tuple[str, str, dt.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._settings_version: int | None = None
        self._contributions: dict[str, int] = {}
        self._order_stores: dict[str, str] = {}
        self._entry_by_order: dict[str, int] = {}
        self._carries: dict[str, int] = {}
        self._store_map: dict[str, StoreInfo] | None = None
        self._known_members: set[str] = set()
        self._settlement: dict[tuple[dt.date, str, str], int] = defaultdict(int)

    # ------------------------------------------------------------ settings and reference data

    def settings_version(self) -> int:
        if self._settings_version is None:
            version = self.conn.execute(_SELECT_VERSION).scalar()
            self._settings_version = int(version or 0)
        return self._settings_version

    def base_settings(self) -> BaseSettings:
        version = self.settings_version()
        cached = self.db.cached_settings(version)
        if cached is not None:
            return cached
        raw = self.conn.execute(select(t.SettingsRow.base_json).where(t.SettingsRow.id == 1)).scalar()
        settings = parse_base(json.loads(raw)) if raw else BaseSettings()
        self.db.cache_settings(version, settings)
        return settings

    def _stores(self) -> dict[str, StoreInfo]:
        if self._store_map is not None:
            return self._store_map
        version = self.settings_version()
        cached = self.db.cached_stores(version)
        if cached is not None:
            self._store_map = cached
            return cached
        cashiers: dict[str, list[str]] = defaultdict(list)
        for cashier_id, store_id in self.conn.execute(select(t.Cashier.cashier_id, t.Cashier.store_id)):
            cashiers[store_id].append(cashier_id)
        stores = {
            row.store_id: StoreInfo(
                row.store_id,
                row.timezone,
                tuple(sorted(cashiers[row.store_id])),
                parse_store(json.loads(row.settings_json or "{}")),
            )
            for row in self.conn.execute(select(t.Store.store_id, t.Store.timezone, t.Store.settings_json))
        }
        self.db.cache_stores(version, stores)
        self._store_map = stores
        return stores

    def store(self, store_id: str) -> StoreInfo | None:
        return self._stores().get(store_id)

    def store_ids(self) -> list[str]:
        return sorted(self._stores())

    def _bump_settings_version(self) -> int:
        version = self.settings_version() + 1
        self.conn.execute(update(t.SettingsRow).where(t.SettingsRow.id == 1).values(version=version))
        self._settings_version = version
        self._store_map = None
        return version

    def save_base_settings(self, settings: BaseSettings, *, at: dt.datetime, actor: str) -> None:
        before = self.conn.execute(select(t.SettingsRow.base_json).where(t.SettingsRow.id == 1)).scalar()
        after = settings.model_dump_json()
        version = self._bump_settings_version()
        self.conn.execute(update(t.SettingsRow).where(t.SettingsRow.id == 1).values(base_json=after))
        self.conn.execute(
            insert(t.SettingsHistory).values(
                at=at, actor=actor, scope="base", before_json=before, after_json=after, version=version
            )
        )

    def save_store_settings(self, store_id: str, settings: StoreSettings, *, at: dt.datetime, actor: str) -> None:
        before = self.conn.execute(select(t.Store.settings_json).where(t.Store.store_id == store_id)).scalar()
        after = settings.model_dump_json()
        version = self._bump_settings_version()
        self.conn.execute(update(t.Store).where(t.Store.store_id == store_id).values(settings_json=after))
        self.conn.execute(
            insert(t.SettingsHistory).values(
                at=at, actor=actor, scope=f"store:{store_id}", before_json=before, after_json=after, version=version
            )
        )

    def member_level_at(self, member_id: str, at: dt.datetime) -> str | None:
        row = self.conn.execute(_LEVEL_AT, {"mid": member_id, "at": at}).first()
        if row is None:
            return None
        self._known_members.add(member_id)  # a member with a level history has its member row
        return row[0]

    def add_member_level(self, member_id: str, level: str | None, at: dt.datetime) -> None:
        self.ensure_member(member_id, at=at)
        self.conn.execute(insert(t.MemberLevel).values(member_id=member_id, level=level, effective_at=at))
        latest = self.member_level_at(member_id, dt.datetime.max.replace(tzinfo=dt.UTC))
        self.conn.execute(
            update(t.Member)
            .where(t.Member.member_id == member_id)
            .values(level=latest, change_version=self.next_member_version())
        )

    def next_member_version(self) -> int:
        return self._next_counter("member_version")

    def ensure_member(self, member_id: str, *, at: dt.datetime) -> None:
        values = {"member_id": member_id, "name": "", "created_at": at, "change_version": 0}
        self.conn.execute(_ENSURE_MEMBER["sqlite" if self.db.is_sqlite else "postgresql"], values)
        self._known_members.add(member_id)

    def _insert_ignore(self, table: Any, values: dict[str, Any], keys: list[str]) -> Any:
        dialect = sqlite if self.db.is_sqlite else postgresql
        return dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)

    # ------------------------------------------------------------ locks

    def lock_queue(self, key: str) -> QueueState:
        queue = self._queues.get(key)
        if queue is not None:
            return queue
        row = self.conn.execute(_LOCK_QUEUE, {"b_key": key}).first()
        if row is None:
            new_row = {"key": key, "head_seq": 0, "carry_fen": 0, "version": 0}
            self.conn.execute(self._insert_ignore(Q, new_row, ["key"]))
            row = self.conn.execute(_LOCK_QUEUE, {"b_key": key}).one()
        queue = QueueState(key, row.carry_fen)
        self._queues[key] = queue
        self._carries[key] = row.carry_fen
        self._heads[key] = row.head_seq
        return queue

    def lock_all_queues(self) -> list[QueueState]:
        keys = {f"cashier:{ALL}"} | {f"cashier:{c}" for s in self._stores().values() for c in s.cashier_ids}
        keys |= set(self.conn.execute(select(Q.c.key)).scalars())
        return [self.lock_queue(k) for k in sorted(keys)]

    def save_queue(self, queue: QueueState) -> None:
        if self._carries.get(queue.key) != queue.carry_fen:
            self.conn.execute(_UPDATE_CARRY, {"b_key": queue.key, "carry": queue.carry_fen})
            self._carries[queue.key] = queue.carry_fen

    def lock_member(self, member_id: str) -> None:
        if member_id in self._members_locked:
            return
        self.ensure_member(member_id, at=dt.datetime.now(dt.UTC))
        if not self.db.is_sqlite:
            self.conn.execute(select(t.Member.member_id).where(t.Member.member_id == member_id).with_for_update())
        self._members_locked.add(member_id)

    # ------------------------------------------------------------ orders

    def order(self, order_id: str) -> Order | None:
        row = self.conn.execute(_SELECT_ORDER, {"oid": order_id}).first()
        if row is None:
            return None
        order = _order_from_row(row)
        self._contributions.setdefault(order.order_id, order.contribution_fen)
        self._order_stores[order.order_id] = order.store_id
        return order

    def add_order(self, order: Order) -> None:
        if order.member_id is not None and order.member_id not in self._known_members:
            self.ensure_member(order.member_id, at=order.received_at)
        self.conn.execute(_INSERT_ORDER, _order_values(order))
        self._contributions[order.order_id] = order.contribution_fen
        self._order_stores[order.order_id] = order.store_id
        if order.contribution_fen:  # settled before it was written (a checkout completed at the till)
            self._day(order.store_id, order.completed_at or order.received_at, order.cashier_id)[
                "contributions_fen"
            ] += order.contribution_fen
        if order.imported is None:
            daily = self._day(order.store_id, order.received_at, order.cashier_id)
            daily["orders_count"] += 1
            daily["sales_fen"] += order.paid_fen

    def save_order(self, order: Order) -> None:
        values = _order_values(order)
        del values["order_id"]
        self.conn.execute(_UPDATE_ORDER, {**values, "b_order_id": order.order_id})
        before = self._contributions.get(order.order_id, 0)
        if order.contribution_fen != before:
            # contributions are counted on the day they settle (or are reversed)
            self._day(order.store_id, order.completed_at or order.received_at, order.cashier_id)[
                "contributions_fen"
            ] += order.contribution_fen - before
            self._contributions[order.order_id] = order.contribution_fen

    def refund_known(self, refund_id: str) -> bool:
        return self.conn.execute(select(t.Refund.refund_id).where(t.Refund.refund_id == refund_id)).first() is not None

    def add_refund(self, refund_id: str, order_id: str, amount_fen: int, at: dt.datetime) -> None:
        self.conn.execute(insert(t.Refund).values(refund_id=refund_id, order_id=order_id, amount_fen=amount_fen, at=at))
        order = self.order(order_id)
        if order is not None:
            self._day(order.store_id, at, order.cashier_id)["sales_fen"] -= amount_fen

    # ------------------------------------------------------------ entries

    def next_seq(self) -> int:
        if self.db.is_sqlite:
            return self._next_counter("entry_seq")
        return int(self.conn.execute(text("SELECT nextval('entry_seq')")).scalar_one())

    def _next_counter(self, name: str) -> int:
        value = self.conn.execute(_NEXT_COUNTER, {"b_name": name}).scalar()
        if value is None:
            self.conn.execute(self._insert_ignore(t.Counter.__table__, {"name": name, "value": 0}, ["name"]))
            value = self.conn.execute(_NEXT_COUNTER, {"b_name": name}).scalar_one()
        return int(value)

    def _remember(self, entry: Entry) -> Entry:
        known = self._entries.get(entry.seq)
        if known is not None:
            return known
        self._entries[entry.seq] = entry
        self._entry_by_order[entry.order_id] = entry.seq
        self._loaded[entry.seq] = (_waiting_totals(entry), entry.status.value)
        return entry

    def add_entry(self, entry: Entry) -> None:
        self.conn.execute(_INSERT_ENTRY, _entry_values(entry))
        self._entries[entry.seq] = entry
        self._entry_by_order[entry.order_id] = entry.seq
        self._loaded[entry.seq] = ((0, 0, 0), "new")
        daily = self._day(entry.store_id, entry.created_at, entry.cashier_id)
        daily["entries_created"] += 1
        daily["entitlement_created_fen"] += entry.entitlement_fen
        self._track(entry)

    def save_entry(self, entry: Entry) -> None:
        values = _entry_values(entry)
        del values["seq"]
        self.conn.execute(_UPDATE_ENTRY, {**values, "b_seq": entry.seq})
        self._entries[entry.seq] = entry
        self._track(entry)

    def _track(self, entry: Entry) -> None:
        """Keep cashier_stats and daily_stats in step with what this entry was when loaded or last saved."""
        before, before_status = self._loaded[entry.seq]
        now = _waiting_totals(entry)
        if now != before:
            delta = self._cashier_delta[entry.cashier_id]
            for i in range(3):
                delta[i] += now[i] - before[i]
        if entry.status == EntryStatus.COMPLETED and before_status != EntryStatus.COMPLETED.value:
            self._day(entry.store_id, entry.closed_at or entry.created_at, entry.cashier_id)["entries_completed"] += 1
        self._loaded[entry.seq] = (now, entry.status.value)

    def entry_of_order(self, order_id: str) -> Entry | None:
        seq = self._entry_by_order.get(order_id)
        if seq is not None:
            return self._entries[seq]
        row = self.conn.execute(_SELECT_ENTRY_BY_ORDER, {"oid": order_id}).first()
        return self._remember(_entry_from_row(row)) if row is not None else None

    def entry_by_seq(self, seq: int) -> Entry | None:
        if seq in self._entries:
            return self._entries[seq]
        row = self.conn.execute(_SELECT_ENTRY_BY_SEQ, {"seq": seq}).first()
        return self._remember(_entry_from_row(row)) if row is not None else None

    def _key_filter(self, key: str) -> list[Any]:
        cashier = key.split(":", 1)[1]
        return [] if cashier == ALL else [E.c.cashier_id == cashier]

    def eligible(self, key: str, *, completed_tier: bool | None, after_seq: int, limit: int) -> Sequence[Entry]:
        self.lock_queue(key)
        head = self._heads.get(key, 0)
        cashier = key.split(":", 1)[1]
        rows = self.conn.execute(
            _ELIGIBLE[(cashier == ALL, completed_tier)],
            {"from_seq": max(head, after_seq + 1), "cashier": cashier, "lim": limit},
        ).all()
        found = [self._remember(_entry_from_row(r)) for r in rows]
        if completed_tier is None and after_seq < 0 and found and found[0].seq > head:
            # Nothing is eligible in [head, first): move the hint so the next scan starts at the real head.
            self._heads[key] = found[0].seq
            self.conn.execute(_UPDATE_HEAD, {"b_key": key, "head": found[0].seq})
        return [e for e in found if e.eligible]

    def entry_became_eligible(self, entry: Entry) -> None:
        keys = [f"cashier:{entry.cashier_id}", f"cashier:{ALL}"]
        self.conn.execute(update(Q).where(Q.c.key.in_(keys), Q.c.head_seq > entry.seq).values(head_seq=entry.seq))
        for key in keys:
            if self._heads.get(key, 0) > entry.seq:
                self._heads[key] = entry.seq

    def count_entries(self, member_id: str, store_id: str, local_date: dt.date | None) -> int:
        conditions = [E.c.member_id == member_id, E.c.store_id == store_id, E.c.status != "cancelled"]
        if local_date is not None:
            conditions.append(E.c.local_date == local_date)
        return int(self.conn.execute(select(func.count()).select_from(E).where(*conditions)).scalar_one())

    def spend(self, member_id: str, store_id: str, since: dt.datetime, until: dt.datetime, exclude: str) -> int:
        total = self.conn.execute(
            select(func.coalesce(func.sum(O.c.paid_fen - O.c.refunded_fen), 0)).where(
                O.c.member_id == member_id,
                O.c.store_id == store_id,
                O.c.paid_at >= since,
                O.c.paid_at < until,
                O.c.order_id != exclude,
                O.c.status == OrderStatus.COMPLETED.value,
                func.coalesce(O.c.imported, "") != "entry",
            )
        ).scalar_one()
        return int(total)

    def expire_waiting(self, at: dt.datetime) -> int:
        result = self.conn.execute(
            update(E)
            .where(E.c.status == EntryStatus.WAITING.value)
            .values(
                status=EntryStatus.EXPIRED.value,
                closed_at=at,
                lottery_state=func.coalesce(
                    func.nullif(E.c.lottery_state, LotteryState.AVAILABLE.value), LotteryState.LAPSED.value
                ),
            )
        )
        for seq, entry in self._entries.items():  # keep loaded objects true to the rows
            if entry.status == EntryStatus.WAITING:
                entry.status, entry.closed_at = EntryStatus.EXPIRED, at
                if entry.lottery_state == LotteryState.AVAILABLE:
                    entry.lottery_state = LotteryState.LAPSED
                self._loaded[seq] = ((0, 0, 0), EntryStatus.EXPIRED.value)
        self._cashier_delta.clear()
        self.conn.execute(update(t.CashierStats).values(waiting_count=0, outstanding_fen=0, eligible_count=0))
        return int(result.rowcount or 0)

    # ------------------------------------------------------------ money

    def add_allocation(self, source: Order, entry: Entry, amount_fen: int, at: dt.datetime) -> None:
        from_order, from_store = source.order_id, source.store_id
        self.conn.execute(
            _INSERT_ALLOCATION,
            {
                "from_order": from_order,
                "from_store_id": from_store,
                "entry_seq": entry.seq,
                "to_order": entry.order_id,
                "to_store_id": entry.store_id,
                "member_id": entry.member_id,
                "amount_fen": amount_fen,
                "at": at,
            },
        )
        self._day(entry.store_id, at, entry.cashier_id)["payouts_fen"] += amount_fen
        chain_day = at.astimezone(ZoneInfo(self.base_settings().timezone)).date()
        self._settlement[(chain_day, from_store, entry.store_id)] += amount_fen

    def allocations_from(self, order_id: str) -> list[tuple[int, int]]:
        a = t.Allocation
        rows = self.conn.execute(
            select(a.entry_seq, func.sum(a.amount_fen), func.min(a.id))
            .where(a.from_order == order_id)
            .group_by(a.entry_seq)
            .order_by(func.min(a.id))
        ).all()
        return [(int(seq), int(total)) for seq, total, _ in rows]

    def add_unallocated(
        self, source: Order | None, amount_fen: int, reason: UnallocatedReason, key: str, at: dt.datetime
    ) -> None:
        order_id = source.order_id if source is not None else None
        store_id = source.store_id if source is not None else None
        self.conn.execute(
            insert(t.Unallocated).values(
                order_id=order_id, store_id=store_id, amount_fen=amount_fen, reason=reason.value, queue_key=key, at=at
            )
        )
        if source is not None:
            self._day(source.store_id, at, source.cashier_id)["kept_fen"] += amount_fen

    def remove_unallocated(self, order_id: str) -> None:
        u = t.Unallocated
        rows = self.conn.execute(
            select(u.store_id, u.amount_fen, u.at, O.c.cashier_id)
            .join(O, O.c.order_id == u.order_id, isouter=True)
            .where(u.order_id == order_id)
        )
        for store_id, amount, at, cashier_id in rows:
            if store_id is not None:
                self._day(store_id, at, cashier_id or "")["kept_fen"] -= amount
        self.conn.execute(delete(u).where(u.order_id == order_id))

    def add_rebate(self, member_id: str, amount_fen: int, kind: RebateKind, ref: str, at: dt.datetime) -> None:
        self.conn.execute(
            _INSERT_REBATE, {"member_id": member_id, "amount_fen": amount_fen, "kind": kind.value, "ref": ref, "at": at}
        )

    def add_points(self, member_id: str, points: int, kind: PointsKind, ref: str, at: dt.datetime) -> None:
        self.conn.execute(
            _INSERT_POINTS, {"member_id": member_id, "points": points, "kind": kind.value, "ref": ref, "at": at}
        )

    def points_of_entry(self, seq: int) -> int:
        entry = self.entry_by_seq(seq)
        assert entry is not None
        p = t.PointsLedger
        total = self.conn.execute(
            select(func.coalesce(func.sum(p.points), 0)).where(
                p.ref == entry.order_id, p.kind.in_([PointsKind.RANDOM_RETURN.value, PointsKind.EXCHANGE.value])
            )
        ).scalar_one()
        return int(total)

    def add_voucher(self, member_id: str, value_fen: int, source_seq: int, at: dt.datetime) -> None:
        self.conn.execute(
            insert(t.Voucher).values(
                member_id=member_id, value_fen=value_fen, source_seq=source_seq, state="issued", issued_at=at
            )
        )

    def vouchers_of_entry(self, seq: int) -> list[tuple[int, int, str]]:
        v = t.Voucher
        rows = self.conn.execute(select(v.id, v.value_fen, v.state).where(v.source_seq == seq).order_by(v.id))
        return [(int(i), int(value), str(state)) for i, value, state in rows]

    def set_voucher_state(self, voucher_id: int, state: str) -> None:
        self.conn.execute(update(t.Voucher).where(t.Voucher.id == voucher_id).values(state=state))

    def add_draw(self, seq: int, result_bp: int, at: dt.datetime) -> None:
        self.conn.execute(insert(t.LotteryDraw).values(entry_seq=seq, result_bp=result_bp, at=at))

    # ------------------------------------------------------------ random-return groups

    def random_group(self, key: str) -> RandomGroup | None:
        g = t.RandomGroupRow
        row = self.conn.execute(select(g).where(g.key == key)).first()
        if row is None:
            return None
        return RandomGroup(row.key, row.group_no, json.loads(row.arrangement), row.next_slot, row.fingerprint)

    def save_random_group(self, group: RandomGroup) -> None:
        g = t.RandomGroupRow
        values = {
            "group_no": group.group_no,
            "arrangement": json.dumps(group.arrangement),
            "next_slot": group.next_slot,
            "fingerprint": group.fingerprint,
        }
        if self.conn.execute(update(g).where(g.key == group.key).values(**values)).rowcount == 0:
            self.conn.execute(insert(g).values(key=group.key, **values))

    def abandon_random_groups(self) -> None:
        # a group whose next slot is past its end is full: the next entry starts group_no + 1
        self.conn.execute(update(t.RandomGroupRow).values(next_slot=2**31 - 1))

    # ------------------------------------------------------------ running totals

    def _day(self, store_id: str, at: dt.datetime, cashier_id: str) -> dict[str, int]:
        """The running totals of one cashier on one store-local day: summed per store into daily_stats and kept
        per cashier in cashier_daily (a queue of one cashier reads its own figures)."""
        info = self.store(store_id)
        tz = ZoneInfo(info.timezone if info is not None else "Asia/Shanghai")
        return self._daily[(store_id, cashier_id, at.astimezone(tz).date())]

    def flush(self) -> None:
        """Write the running totals gathered in this unit of work (called by commit)."""
        upsert_cashier, upsert_daily = _UPSERTS["sqlite" if self.db.is_sqlite else "postgresql"]
        for cashier_id, (d_count, d_fen, d_eligible) in sorted(self._cashier_delta.items()):
            if d_count == 0 and d_fen == 0 and d_eligible == 0:
                continue
            store_id = next((s.store_id for s in self._stores().values() if cashier_id in s.cashier_ids), "")
            self.conn.execute(
                upsert_cashier,
                {
                    "cashier_id": cashier_id,
                    "store_id": store_id,
                    "waiting_count": d_count,
                    "outstanding_fen": d_fen,
                    "eligible_count": d_eligible,
                    "version": 1,
                },
            )
        self._cashier_delta.clear()
        per_store: dict[tuple[str, dt.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        upsert_cashier_daily = _CASHIER_DAILY_UPSERTS["sqlite" if self.db.is_sqlite else "postgresql"]
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
        upsert_settlement = _SETTLEMENT_UPSERTS["sqlite" if self.db.is_sqlite else "postgresql"]
        for (day, src, dst), amount in sorted(self._settlement.items()):
            if amount:
                self.conn.execute(
                    upsert_settlement, {"day": day, "from_store_id": src, "to_store_id": dst, "amount_fen": amount}
                )
        self._settlement.clear()

    # ------------------------------------------------------------ read model (replay results, reports)

    def entries(self) -> list[Entry]:
        return [_entry_from_row(r) for r in self.conn.execute(select(E).order_by(E.c.seq))]

    def allocation_lines(self) -> list[AllocationLine]:
        a = t.Allocation
        rows = self.conn.execute(
            select(a.from_order, a.to_order, a.entry_seq, a.member_id, a.amount_fen, a.at).order_by(a.id)
        )
        return [AllocationLine(*row) for row in rows]

    def unallocated_lines(self) -> list[UnallocatedLine]:
        u = t.Unallocated
        rows = self.conn.execute(select(u.order_id, u.amount_fen, u.reason, u.queue_key, u.at).order_by(u.id))
        return [UnallocatedLine(o, amount, UnallocatedReason(r), key, at) for o, amount, r, key, at in rows]

    def balances(self) -> dict[str, MemberBalance]:
        out: dict[str, MemberBalance] = defaultdict(MemberBalance)
        r, p, v = t.RebateLedger, t.PointsLedger, t.Voucher
        for member, total in self.conn.execute(select(r.member_id, func.sum(r.amount_fen)).group_by(r.member_id)):
            out[member].rebate_fen = int(total)
        for member, total in self.conn.execute(select(p.member_id, func.sum(p.points)).group_by(p.member_id)):
            out[member].points = int(total)
        for member, total in self.conn.execute(
            select(v.member_id, func.sum(v.value_fen)).where(v.state == "issued").group_by(v.member_id)
        ):
            out[member].voucher_fen = int(total)
        return dict(out)

    def carries(self) -> dict[str, int]:
        return {k: int(c) for k, c in self.conn.execute(select(Q.c.key, Q.c.carry_fen).where(Q.c.carry_fen != 0))}

    def copy_entry(self, entry: Entry) -> Entry:
        return replace(entry)
