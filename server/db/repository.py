"""The engine's Repository (`shared.engine.repository.Repository`) over SQLAlchemy Core (measured: the ORM costs
3–4× Core per payment).

One instance lives for one unit of work, which gives it its connection and its instant (`at`: nothing here reads
the wall clock). It keeps an identity map of the entries and queues it loaded, so the engine sees one object per
row as it does in memory, and tells the running totals (`running_totals.py`) what it loaded and saved. The
configuration comes from `settings.py`, read once per unit of work through the process's cache.

Orders and entries are written behind (issue 16): `add_*` / `save_*` keep the object and the rows are written
together at `flush` (one executemany per kind), so a group of a hundred sales writes its orders, its entries and
their payouts in a handful of statements instead of several hundred round trips. What the engine reads back in the
same unit of work is answered from the objects kept (`order`, `entry_of_order`, `eligible` merges them with the rows
it reads); any other statement on the connection — a count, a report, a raw read by a service — first writes what is
pending (a `before_execute` hook), so nothing ever reads a row older than the object. In a group of commands, a sale
whose work stays in memory runs without a savepoint: `begin_step` / `end_step` take one lazily, before the first
statement that would write or read past the kept objects; `restore` after a refused step keeps what earlier steps
left pending, and says `PendingLost` when it cannot (the group is then applied again with a savepoint per command).
"""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from itertools import chain, islice
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, and_, bindparam, delete, event, func, insert, select, text, update
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
    queue_cashier,
)
from shared.ids import MemberId, OrderId, StoreId
from shared.settings import BaseSettings, StoreSettings

from . import tables as t
from .read_model import entry_from_row
from .running_totals import RunningTotals
from .settings import Configuration, SettingsCache, read_configuration, save_base, save_store
from .wallet_balances import WalletDeltas, voucher_row

E = cast(Table, t.EntryRow.__table__)
O = cast(Table, t.OrderRow.__table__)  # noqa: E741
Q = cast(Table, t.Queue.__table__)

# The dataclasses and the tables have the same columns: one list each, derived, never typed twice.
_ENTRY_COLUMNS = [f.name for f in fields(Entry)]
_ORDER_COLUMNS = [f.name for f in fields(Order)]


def _entry_values(entry: Entry) -> dict[str, Any]:
    values = {c: getattr(entry, c) for c in _ENTRY_COLUMNS}
    values["status"] = entry.status.value
    values["lottery_state"] = entry.lottery_state.value
    return values


def _entry_update(entry: Entry) -> dict[str, Any]:
    values = _entry_values(entry)
    values["b_seq"] = values.pop("seq")
    return values


def _order_update(order: Order) -> dict[str, Any]:
    values = _order_values(order)
    values["b_order_id"] = values.pop("order_id")
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
_UPDATE_CARRY = update(Q).where(Q.c.key == bindparam("b_key")).values(carry_fen=bindparam("carry"))
_UPDATE_HEAD = update(Q).where(Q.c.key == bindparam("b_key")).values(head_seq=bindparam("head"))
_NEXTVALS = text("SELECT nextval('entry_seq') FROM generate_series(1, :n)")
_SEQ_COUNTER = select(t.Counter.value).where(t.Counter.name == "entry_seq")
_SET_SEQ_COUNTER = update(t.Counter).where(t.Counter.name == "entry_seq").values(value=bindparam("v"))
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


@dataclass(slots=True)
class _Window:
    """What a unit of work knows of a queue's eligible entries from `lo` on: every row that was eligible when read,
    up to `hi` (None: to the end), as the kept objects in seq order — with the queue locked nobody else changes them,
    so the next payouts are answered from here without a read."""

    lo: int
    hi: int | None
    entries: list[Entry]

    def index(self, seq: int) -> int:
        """Where `seq` is, or would go, in `entries`."""
        return bisect_left(self.entries, seq, key=lambda e: e.seq)


def _in_queue(entry: Entry, cashier: str, tier: bool | None) -> bool:
    return (cashier == ALL or entry.cashier_id == cashier) and (tier is None or entry.order_completed == tier)


class PendingLost(Exception):
    """A refused command of a group changed objects whose rows were still to be written: what they were before it
    is not known here, so the group must be applied again with a savepoint per command (`Ingest.apply_group`)."""


@dataclass(slots=True)
class RepositoryMark:
    carries: dict[str, int]
    heads: dict[str, int]
    queue_carry: dict[str, int]
    members_locked: set[str]
    known_members: set[str]
    totals: Any
    config: tuple[SettingsCache | None, Configuration | None]
    absent_orders: set[str]
    levels: dict[str, list[tuple[dt.datetime, int, str | None]]]
    ledgers: tuple[list[dict[str, Any]], int, list[dict[str, Any]], int]
    wallets: dict[str, dict[str, int]]
    pending: tuple[tuple[dict[Any, Any], int], ...]  # each write-behind map and its length at the mark
    activity: int  # objects handed out or kept so far: unchanged, the pending objects are as they were
    last_seq: int | None


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


_ENSURE_MEMBER = {
    name: dialect.insert(t.Member.__table__).on_conflict_do_nothing(index_elements=["member_id"])
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_ELIGIBLE = {(a, tier): _eligible_statement(a, tier) for a in (False, True) for tier in (None, True, False)}
# Statements that may run while orders and entries wait to be written: they read what the kept objects answer for
# (`order`, `entry_*`, `eligible`), or touch nothing those rows say (queue lock, levels, the entry seq).
_BEHIND_SAFE = {
    id(s)
    for s in (
        *_ELIGIBLE.values(),
        _SELECT_ORDER,
        _SELECT_ENTRY_BY_ORDER,
        _SELECT_ENTRY_BY_SEQ,
        _LEVEL_AT,
        _LOCK_QUEUE,
        _NEXT_COUNTER,
        _NEXTVALS,
        _SEQ_COUNTER,
    )
}


class SqlRepository:
    def __init__(self, conn: Connection, *, cache: SettingsCache, at: dt.datetime) -> None:
        self.conn = conn
        self.at = at  # the unit of work's instant: when a member row this command needs was first seen
        self._sqlite = conn.dialect.name == "sqlite"
        self._cache: SettingsCache | None = cache  # None once this transaction changed the configuration
        self._config: Configuration | None = None
        self.totals = RunningTotals(conn, self.configuration)
        self.wallets = WalletDeltas(conn)
        self._entries: dict[int, Entry] = {}
        self._queues: dict[str, QueueState] = {}
        self._heads: dict[str, int] = {}
        self._members_locked: set[str] = set()
        self._entry_by_order: dict[str, int] = {}
        self._carries: dict[str, int] = {}
        self._known_members: set[str] = set()
        # Read once for a group of commands (`prefetch`): orders known not to exist, members' level histories.
        self._absent_orders: set[str] = set()
        self._levels: dict[str, list[tuple[dt.datetime, int, str | None]]] = {}
        # Ledger rows nothing reads back in the same transaction but a refund's clawback: written in one
        # executemany per table at flush (or before that read), in the order they were made.
        self._allocations: list[dict[str, Any]] = []
        self._rebates: list[dict[str, Any]] = []
        # Written behind (module docstring): new and changed orders and entries, heads moved; in the order made.
        self._new_orders: dict[str, Order] = {}
        self._dirty_orders: dict[str, Order] = {}
        self._new_entries: dict[int, Entry] = {}
        self._dirty_entries: dict[int, Entry] = {}
        self._moved_heads: set[str] = set()
        self._windows: dict[str, _Window] = {}  # queue key -> eligible entries known (queue order, no tiers)
        self._seq_block: list[int] = []  # PostgreSQL: entry seqs taken ahead, valid while no other queue is locked
        self._seqs_taken = 0
        # SQLite: the last entry seq given, counted here (the transaction holds the database's write lock) and
        # written with what is pending; None until first needed
        self._last_seq: int | None = None
        self._last_seq_written: int | None = None
        self._activity = 0
        self._writing = False  # the hook's own statements (and the savepoint's) pass through it
        self._step: Callable[[], None] | None = None  # takes the open step's savepoint, once, when first needed
        event.listen(conn, "before_execute", self._before_execute)

    # ------------------------------------------------------------ settings and reference data

    def configuration(self) -> Configuration:
        if self._config is None:
            self._config = read_configuration(self.conn, self._cache)
        return self._config

    def base_settings(self) -> BaseSettings:
        return self.configuration().base

    def store(self, store_id: StoreId) -> StoreInfo | None:
        return self.configuration().store(store_id)

    def store_ids(self) -> list[StoreId]:
        return self.configuration().store_ids()

    def _changed_configuration(self) -> None:
        # What this transaction wrote is read back past the process's cache (it may still roll back).
        self._cache = None
        self._config = None

    def save_base_settings(self, settings: BaseSettings, *, at: dt.datetime, actor: str) -> None:
        save_base(self.conn, settings, actor=actor, at=at)
        self._changed_configuration()

    def save_store_settings(self, store_id: StoreId, settings: StoreSettings, *, at: dt.datetime, actor: str) -> None:
        save_store(self.conn, store_id, settings, actor=actor, at=at)
        self._changed_configuration()

    def prefetch(self, *, orders: Sequence[str], members: Sequence[str]) -> None:
        """What a group's commands will ask one by one, read in one statement each: which of `orders` exist, which
        of `members` have their row, and their level histories."""
        wanted = set(orders) - self._absent_orders
        if wanted:
            found = set(self.conn.execute(select(O.c.order_id).where(O.c.order_id.in_(sorted(wanted)))).scalars())
            self._absent_orders |= wanted - found
        new = sorted(set(members) - set(self._levels))
        if new:
            self._known_members |= set(
                self.conn.execute(select(t.Member.member_id).where(t.Member.member_id.in_(new))).scalars()
            )
            for member_id in new:
                self._levels[member_id] = []
            ml = t.MemberLevel
            rows = self.conn.execute(
                select(ml.member_id, ml.effective_at, ml.id, ml.level).where(ml.member_id.in_(new))
            ).all()
            for member_id, effective_at, row_id, level in rows:
                self._levels[member_id].append((effective_at, row_id, level))

    def member_level_at(self, member_id: MemberId, at: dt.datetime) -> str | None:
        history = self._levels.get(member_id)
        if history is not None:  # prefetched: the latest change at or before `at` (the later row wins a tie)
            in_force = [h for h in history if h[0] <= at]
            if not in_force:
                return None
            self._known_members.add(member_id)
            return max(in_force, key=lambda h: (h[0], h[1]))[2]
        row = self.conn.execute(_LEVEL_AT, {"mid": member_id, "at": at}).first()
        if row is None:
            return None
        self._known_members.add(member_id)  # a member with a level history has its member row
        return row[0]

    def add_member_level(self, member_id: MemberId, level: str | None, at: dt.datetime) -> None:
        self._levels.pop(member_id, None)
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

    def ensure_member(self, member_id: MemberId, *, at: dt.datetime) -> None:
        values = {"member_id": member_id, "name": "", "created_at": at, "change_version": 0}
        self.conn.execute(_ENSURE_MEMBER["sqlite" if self._sqlite else "postgresql"], values)
        self._known_members.add(member_id)

    def _insert_ignore(self, table: Any, values: dict[str, Any], keys: list[str]) -> Any:
        dialect = sqlite if self._sqlite else postgresql
        return dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)

    # ------------------------------------------------------------ locks

    def lock_queue(self, key: str) -> QueueState:
        queue = self._queues.get(key)
        if queue is not None:
            return queue
        self._seq_block = []  # seqs taken before this lock could be older than entries another writer put in it
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
        keys = {f"cashier:{ALL}"} | {
            f"cashier:{c}" for s in self.configuration().stores.values() for c in s.cashier_ids
        }
        keys |= set(self.conn.execute(select(Q.c.key)).scalars())
        return [self.lock_queue(k) for k in sorted(keys)]

    def save_queue(self, queue: QueueState) -> None:
        if self._carries.get(queue.key) != queue.carry_fen:
            self.conn.execute(_UPDATE_CARRY, {"b_key": queue.key, "carry": queue.carry_fen})
            self._carries[queue.key] = queue.carry_fen

    def lock_member(self, member_id: MemberId) -> None:
        if member_id in self._members_locked:
            return
        self.ensure_member(member_id, at=self.at)
        if not self._sqlite:
            self.conn.execute(select(t.Member.member_id).where(t.Member.member_id == member_id).with_for_update())
        self._members_locked.add(member_id)

    # ------------------------------------------------------------ orders

    def order(self, order_id: OrderId) -> Order | None:
        kept = self._new_orders.get(order_id) or self._dirty_orders.get(order_id)
        if kept is not None:
            self._activity += 1
            return kept
        if order_id in self._absent_orders:
            return None
        row = self.conn.execute(_SELECT_ORDER, {"oid": order_id}).first()
        if row is None:
            return None
        order = _order_from_row(row)
        self.totals.order_loaded(order)
        return order

    def add_order(self, order: Order) -> None:
        self._absent_orders.discard(order.order_id)
        if order.member_id is not None and order.member_id not in self._known_members:
            self.ensure_member(order.member_id, at=order.received_at)
        self._activity += 1
        self._new_orders[order.order_id] = order
        self.totals.order_added(order)

    def save_order(self, order: Order) -> None:
        self._activity += 1
        if order.order_id in self._new_orders:
            self._new_orders[order.order_id] = order
        else:
            self._dirty_orders[order.order_id] = order
        self.totals.order_saved(order)

    def refund_known(self, refund_id: str) -> bool:
        return self.conn.execute(select(t.Refund.refund_id).where(t.Refund.refund_id == refund_id)).first() is not None

    def add_refund(self, refund_id: str, order_id: OrderId, amount_fen: int, at: dt.datetime) -> None:
        self.conn.execute(insert(t.Refund).values(refund_id=refund_id, order_id=order_id, amount_fen=amount_fen, at=at))
        order = self.order(order_id)
        if order is not None:
            self.totals.refunded(order.store_id, order.cashier_id, amount_fen, at)

    # ------------------------------------------------------------ entries

    def next_seq(self) -> int:
        if self._sqlite:
            if self._last_seq is None:
                last = self.conn.execute(_SEQ_COUNTER).scalar()
                if last is None:
                    row = {"name": "entry_seq", "value": 0}
                    self.conn.execute(self._insert_ignore(t.Counter.__table__, row, ["name"]))
                    last = 0
                self._last_seq = self._last_seq_written = int(last)
            self._last_seq += 1
            return self._last_seq
        if not self._seq_block:
            # Taken ahead, more as the unit of work proves busy (a group: 1, 2, 4 … 64 a time); the ones left unused
            # are gaps, as a rolled-back nextval leaves. Under the queue locks held, so a queue's seqs still grow.
            n = min(64, max(1, self._seqs_taken))
            self._seq_block = list(self.conn.execute(_NEXTVALS, {"n": n}).scalars())[::-1]
        self._seqs_taken += 1
        return int(self._seq_block.pop())

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
        self.totals.entry_loaded(entry)
        return entry

    def add_entry(self, entry: Entry) -> None:
        self._activity += 1
        self._new_entries[entry.seq] = entry
        self._entries[entry.seq] = entry
        self._entry_by_order[entry.order_id] = entry.seq
        self.totals.entry_added(entry)
        for key, window in list(self._windows.items()):
            if window.hi is None and _in_queue(entry, queue_cashier(key), None):
                if window.entries and window.entries[-1].seq >= entry.seq:
                    del self._windows[key]  # not at the tail: read again rather than guess
                else:
                    window.entries.append(entry)

    def save_entry(self, entry: Entry) -> None:
        self._activity += 1
        if entry.seq in self._new_entries:
            self._new_entries[entry.seq] = entry
        else:
            self._dirty_entries[entry.seq] = entry
        self._entries[entry.seq] = entry
        self.totals.entry_saved(entry)
        if entry.eligible and self._windows:
            for key, window in list(self._windows.items()):
                if window.lo <= entry.seq and (window.hi is None or entry.seq <= window.hi):
                    i = window.index(entry.seq)
                    unread = i == len(window.entries) or window.entries[i].seq != entry.seq
                    if unread and _in_queue(entry, queue_cashier(key), None):
                        del self._windows[key]  # eligible again, and not in what was read: read again

    def entry_of_order(self, order_id: OrderId) -> Entry | None:
        self._activity += 1
        seq = self._entry_by_order.get(order_id)
        if seq is not None:
            return self._entries[seq]
        if order_id in self._new_orders:  # an order made in this unit of work has its entry made with it, or none
            return None
        row = self.conn.execute(_SELECT_ENTRY_BY_ORDER, {"oid": order_id}).first()
        return self._remember(entry_from_row(row)) if row is not None else None

    def entry_by_seq(self, seq: int) -> Entry | None:
        self._activity += 1
        if seq in self._entries:
            return self._entries[seq]
        row = self.conn.execute(_SELECT_ENTRY_BY_SEQ, {"seq": seq}).first()
        return self._remember(entry_from_row(row)) if row is not None else None

    def eligible(self, key: str, *, completed_tier: bool | None, after_seq: int, limit: int) -> Sequence[Entry]:
        """The first `limit` eligible entries of the queue from its head (or after `after_seq`), in seq order: the
        rows as read, each replaced by its kept object, merged with the kept objects not written yet. In queue
        order (no tiers) what was read is kept as the queue's window, and the next payouts read only past it."""
        self.lock_queue(key)
        self._activity += 1
        head = self._heads.get(key, 0)
        cashier = queue_cashier(key)
        start = max(head, after_seq + 1)
        window = self._windows.get(key) if completed_tier is None else None
        if window is None or window.lo > start:
            window = _Window(lo=start, hi=start - 1, entries=[])
            if completed_tier is None:
                self._windows[key] = window
        out: list[Entry] = []
        for e in window.entries[window.index(start) :]:
            if e.eligible:
                out.append(e)
                if len(out) == limit:
                    break
        while len(out) < limit and window.hi is not None:
            read_from = window.hi + 1
            rows = self.conn.execute(
                _ELIGIBLE[(cashier == ALL, completed_tier)], {"from_seq": read_from, "cashier": cashier, "lim": limit}
            ).all()
            found = {e.seq: e for e in (self._remember(entry_from_row(r)) for r in rows)}
            # a full answer says nothing past its last row: kept objects beyond it wait for the next read
            bound = max(found) if len(rows) == limit else None
            for e in chain(self._new_entries.values(), self._dirty_entries.values()):
                if read_from <= e.seq and (bound is None or e.seq <= bound) and _in_queue(e, cashier, completed_tier):
                    found[e.seq] = e
            for seq in sorted(found):
                entry = found[seq]
                window.entries.append(entry)
                if entry.eligible and len(out) < limit:
                    out.append(entry)
            window.hi = bound
        if completed_tier is None and after_seq < 0 and out and out[0].seq > head:
            # Nothing is eligible in [head, first): move the hint so the next scan starts at the real head.
            self._heads[key] = out[0].seq
            self._moved_heads.add(key)
        return out

    def entry_became_eligible(self, entry: Entry) -> None:
        keys = [f"cashier:{entry.cashier_id}", f"cashier:{ALL}"]
        for key in keys:
            self._windows.pop(key, None)
        self.conn.execute(update(Q).where(Q.c.key.in_(keys), Q.c.head_seq > entry.seq).values(head_seq=entry.seq))
        for key in keys:
            if self._heads.get(key, 0) > entry.seq:
                self._heads[key] = entry.seq

    def count_entries(self, member_id: MemberId, store_id: StoreId, local_date: dt.date | None) -> int:
        conditions = [E.c.member_id == member_id, E.c.store_id == store_id, E.c.status != "cancelled"]
        if local_date is not None:
            conditions.append(E.c.local_date == local_date)
        return int(self.conn.execute(select(func.count()).select_from(E).where(*conditions)).scalar_one())

    def spend(
        self, member_id: MemberId, store_id: StoreId, since: dt.datetime, until: dt.datetime, exclude: OrderId
    ) -> int:
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
        expired = []
        for seq, entry in self._entries.items():  # keep loaded objects true to the rows
            if entry.status == EntryStatus.WAITING:
                entry.status, entry.closed_at = EntryStatus.EXPIRED, at
                if entry.lottery_state == LotteryState.AVAILABLE:
                    entry.lottery_state = LotteryState.LAPSED
                expired.append(seq)
        self.totals.all_expired(expired)
        return int(result.rowcount or 0)

    # ------------------------------------------------------------ money

    def add_allocation(self, source: Order, entry: Entry, amount_fen: int, at: dt.datetime) -> None:
        from_order, from_store = source.order_id, source.store_id
        self._allocations.append(
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
        self.totals.allocated(
            from_store=from_store, to_store=entry.store_id, to_cashier=entry.cashier_id, amount_fen=amount_fen, at=at
        )

    def allocations_from(self, order_id: OrderId) -> list[tuple[int, int]]:
        self._write_ledgers()
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
            self.totals.kept(source.store_id, source.cashier_id, amount_fen, at)

    def remove_unallocated(self, order_id: OrderId) -> None:
        u = t.Unallocated
        rows = self.conn.execute(
            select(u.store_id, u.amount_fen, u.at, O.c.cashier_id)
            .join(O, O.c.order_id == u.order_id, isouter=True)
            .where(u.order_id == order_id)
        )
        for store_id, amount, at, cashier_id in rows:
            if store_id is not None:
                self.totals.kept(store_id, cashier_id or "", -amount, at)
        self.conn.execute(delete(u).where(u.order_id == order_id))

    def add_rebate(self, member_id: MemberId, amount_fen: int, kind: RebateKind, ref: str, at: dt.datetime) -> None:
        self._rebates.append(
            {"member_id": member_id, "amount_fen": amount_fen, "kind": kind.value, "ref": ref, "at": at}
        )
        self.wallets.add(member_id, "rebate_fen", amount_fen)

    def add_points(self, member_id: MemberId, points: int, kind: PointsKind, ref: str, at: dt.datetime) -> None:
        self.conn.execute(
            _INSERT_POINTS, {"member_id": member_id, "points": points, "kind": kind.value, "ref": ref, "at": at}
        )
        self.wallets.add(member_id, "points", points)
        # the balance is in what tills pull (a points deduction is capped by it): the member is sent again
        self.conn.execute(
            update(t.Member).where(t.Member.member_id == member_id).values(change_version=self.next_member_version())
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

    def add_voucher(self, member_id: MemberId, value_fen: int, source_seq: int, at: dt.datetime) -> None:
        days = self.base_settings().wallet.voucher_valid_days
        voucher_id = self.conn.execute(
            insert(t.Voucher)
            .values(
                member_id=member_id,
                value_fen=value_fen,
                source_seq=source_seq,
                state="issued",
                issued_at=at,
                expires_at=at + dt.timedelta(days=days) if days else None,
            )
            .returning(t.Voucher.id)
        ).scalar_one()
        voucher_row(self.conn, voucher_id, member_id, value_fen, "issue", f"entry:{source_seq}", at)
        self.wallets.add(member_id, "voucher_fen", value_fen)

    def vouchers_of_entry(self, seq: int) -> list[tuple[int, int, str]]:
        v = t.Voucher
        rows = self.conn.execute(select(v.id, v.value_fen, v.state).where(v.source_seq == seq).order_by(v.id))
        return [(int(i), int(value), str(state)) for i, value, state in rows]

    def set_voucher_state(self, voucher_id: int, state: str) -> None:
        v = t.Voucher
        row = self.conn.execute(select(v.member_id, v.value_fen, v.state, v.source_seq).where(v.id == voucher_id)).one()
        self.conn.execute(update(v).where(v.id == voucher_id).values(state=state, hold_id=None))
        if row.state == "issued" and state != "issued":  # leaves the member's unused vouchers
            voucher_row(self.conn, voucher_id, row.member_id, -row.value_fen, state, f"entry:{row.source_seq}", self.at)
            self.wallets.add(row.member_id, "voucher_fen", -row.value_fen)

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

    # ------------------------------------------------------------ groups of commands (savepoints)

    def mark(self) -> RepositoryMark:
        """What this object knows now: `restore` brings it back when a savepoint taken with it is rolled back."""
        return RepositoryMark(
            carries=dict(self._carries),
            heads=dict(self._heads),
            queue_carry={k: q.carry_fen for k, q in self._queues.items()},
            members_locked=set(self._members_locked),
            known_members=set(self._known_members),
            totals=self.totals.mark(),
            config=(self._cache, self._config),
            absent_orders=set(self._absent_orders),
            levels=dict(self._levels),
            # the lists themselves: writing them replaces them by new ones, so what was pending at the mark is
            # still there to be written again if the savepoint that wrote it is rolled back
            ledgers=(self._allocations, len(self._allocations), self._rebates, len(self._rebates)),
            wallets=self.wallets.mark(),
            pending=tuple((m, len(m)) for m in self._pending_maps()),
            activity=self._activity,
            last_seq=self._last_seq,
        )

    def restore(self, mark: RepositoryMark) -> None:
        """After a rollback to the savepoint taken with `mark`: forget what the rolled-back work loaded or changed.

        A queue first locked after the mark may have lost its lock with the savepoint (PostgreSQL releases it):
        it is locked again when next needed. Entries are read again from the rows."""
        for key in [k for k in self._queues if k not in mark.queue_carry]:
            del self._queues[key]
        for key, carry in mark.queue_carry.items():
            self._queues[key].carry_fen = carry
        pending = [dict(islice(m.items(), n)) for m, n in mark.pending]
        if any(pending) and self._activity != mark.activity:
            raise PendingLost()
        self._new_orders, self._dirty_orders, self._new_entries, self._dirty_entries = pending
        self._carries, self._heads = mark.carries, mark.heads
        self._moved_heads |= set(self._heads)  # a head written after the mark may have been rolled back with it
        self._members_locked, self._known_members = mark.members_locked, mark.known_members
        # entries loaded after the mark may show rows the rollback undid: forget them; keep those not written yet
        self._entries = dict(chain(self._new_entries.items(), self._dirty_entries.items()))
        self._entry_by_order = {e.order_id: seq for seq, e in self._entries.items()}
        self._windows.clear()
        self._seq_block = []  # a queue locked after the mark may have been released with the savepoint
        self._last_seq, self._last_seq_written = mark.last_seq, None  # the counter is written again at flush
        self.totals.restore(mark.totals)
        self._cache, self._config = mark.config
        self._absent_orders, self._levels = mark.absent_orders, mark.levels
        allocations, n_allocations, rebates, n_rebates = mark.ledgers
        self._allocations, self._rebates = allocations[:n_allocations], rebates[:n_rebates]
        self.wallets.restore(mark.wallets)

    # ------------------------------------------------------------ written behind

    def _pending_maps(self) -> tuple[dict[Any, Any], ...]:
        return (self._new_orders, self._dirty_orders, self._new_entries, self._dirty_entries)

    def _before_execute(self, _conn: Connection, statement: Any, *_args: Any) -> None:
        """Before a statement the kept objects do not answer for: the open step's savepoint, then what is pending."""
        if self._writing or id(statement) in _BEHIND_SAFE:
            return
        if self._step is not None:
            take, self._step = self._step, None
            self._writing = True
            try:
                take()
            finally:
                self._writing = False
        if any(self._pending_maps()) or self._moved_heads or self._last_seq != self._last_seq_written:
            self.write_pending()

    def write_pending(self) -> None:
        """Write the orders, entries and heads kept so far (one executemany per kind)."""
        new_orders, dirty_orders, new_entries, dirty_entries = self._pending_maps()
        self._new_orders, self._dirty_orders, self._new_entries, self._dirty_entries = {}, {}, {}, {}
        heads, self._moved_heads = self._moved_heads, set()
        self._writing = True
        try:
            if new_orders:
                self.conn.execute(_INSERT_ORDER, [_order_values(o) for o in new_orders.values()])
            if new_entries:
                self.conn.execute(_INSERT_ENTRY, [_entry_values(e) for e in new_entries.values()])
            if dirty_entries:
                self.conn.execute(_UPDATE_ENTRY, [_entry_update(e) for e in dirty_entries.values()])
            if dirty_orders:
                self.conn.execute(_UPDATE_ORDER, [_order_update(o) for o in dirty_orders.values()])
            for key in sorted(heads):
                if key in self._heads:
                    self.conn.execute(_UPDATE_HEAD, {"b_key": key, "head": self._heads[key]})
            if self._last_seq is not None and self._last_seq != self._last_seq_written:
                self.conn.execute(_SET_SEQ_COUNTER, {"v": self._last_seq})
                self._last_seq_written = self._last_seq
        finally:
            self._writing = False

    def begin_step(self, take_savepoint: Callable[[], None]) -> None:
        """A command of a group starts with no savepoint: `take_savepoint` runs before its first statement that
        the kept objects do not answer for (then what is pending is written, inside it)."""
        self._step = take_savepoint

    def end_step(self) -> bool:
        """The step is over; True when it took its savepoint."""
        took = self._step is None
        self._step = None
        return took

    # ------------------------------------------------------------ running totals

    def _write_ledgers(self) -> None:
        if self._allocations:
            self.conn.execute(_INSERT_ALLOCATION, self._allocations)
            self._allocations = []
        if self._rebates:
            self.conn.execute(_INSERT_REBATE, self._rebates)
            self._rebates = []

    def flush(self) -> None:
        """Write the ledger rows and the running totals gathered in this unit of work (called by commit)."""
        self.write_pending()
        self._write_ledgers()
        self.totals.flush()
        self.wallets.flush()
