"""The Repository over plain Python containers: tests, property tests and what-if simulation."""

from __future__ import annotations

import bisect
import copy
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..ids import CashierId, MemberId, OrderId, StoreId
from ..settings import BaseSettings, StoreSettings
from .model import (
    ALL,
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
from .views import AllocationLine, MemberBalance, UnallocatedLine

_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


@dataclass
class _Voucher:
    voucher_id: int
    member_id: str
    value_fen: int
    source_seq: int
    state: str


@dataclass
class _State:
    base: BaseSettings = field(default_factory=BaseSettings)
    stores: dict[StoreId, StoreInfo] = field(default_factory=dict)
    levels: dict[str, list[tuple[dt.datetime, int, str | None]]] = field(default_factory=dict)
    queues: dict[str, QueueState] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    refunds: dict[str, tuple[str, int, dt.datetime]] = field(default_factory=dict)
    entries: dict[int, Entry] = field(default_factory=dict)
    seqs: list[int] = field(default_factory=list)  # ascending
    entry_of_order: dict[str, int] = field(default_factory=dict)
    heads: dict[str, int] = field(default_factory=dict)  # lower bound on the index of the first eligible entry
    last_seq: int = 0
    allocations: list[AllocationLine] = field(default_factory=list)
    unallocated: list[UnallocatedLine] = field(default_factory=list)
    rebates: list[tuple[str, int, RebateKind, str, dt.datetime]] = field(default_factory=list)
    points: list[tuple[str, int, PointsKind, str, dt.datetime]] = field(default_factory=list)
    vouchers: list[_Voucher] = field(default_factory=list)
    draws: list[tuple[int, int, dt.datetime]] = field(default_factory=list)
    groups: dict[str, RandomGroup] = field(default_factory=dict)
    settings_history: list[tuple[dt.datetime, str, str, str]] = field(default_factory=list)
    level_counter: int = 0


class MemoryRepository:
    def __init__(self) -> None:
        self.s = _State()

    # ------------------------------------------------------------ transactions (for callers that want rollback)

    def snapshot(self) -> _State:
        return copy.deepcopy(self.s)

    def restore(self, state: _State) -> None:
        self.s = state

    # ------------------------------------------------------------ set-up

    def add_store(
        self, store_id: StoreId, timezone: str, cashier_ids: Sequence[CashierId], settings: StoreSettings
    ) -> None:
        self.s.stores[store_id] = StoreInfo(store_id, timezone, tuple(cashier_ids), settings)

    def set_base(self, settings: BaseSettings) -> None:
        self.s.base = settings

    # ------------------------------------------------------------ settings and reference data

    def base_settings(self) -> BaseSettings:
        return self.s.base

    def store(self, store_id: StoreId) -> StoreInfo | None:
        return self.s.stores.get(store_id)

    def store_ids(self) -> list[StoreId]:
        return sorted(self.s.stores)

    def save_base_settings(self, settings: BaseSettings, *, at: dt.datetime, actor: str) -> None:
        self.s.settings_history.append((at, actor, "base", settings.model_dump_json()))
        self.s.base = settings

    def save_store_settings(self, store_id: StoreId, settings: StoreSettings, *, at: dt.datetime, actor: str) -> None:
        self.s.settings_history.append((at, actor, store_id, settings.model_dump_json()))
        self.s.stores[store_id] = replace(self.s.stores[store_id], settings=settings)

    def member_level_at(self, member_id: MemberId, at: dt.datetime) -> str | None:
        best: tuple[dt.datetime, int, str | None] | None = None
        for change in self.s.levels.get(member_id, []):
            if change[0] <= at and (best is None or change[:2] >= best[:2]):
                best = change
        return best[2] if best is not None else None

    def add_member_level(self, member_id: MemberId, level: str | None, at: dt.datetime | None) -> None:
        self.s.level_counter += 1
        self.s.levels.setdefault(member_id, []).append((at or _EPOCH, self.s.level_counter, level))

    # ------------------------------------------------------------ locks (single-threaded: bookkeeping only)

    def lock_queue(self, key: str) -> QueueState:
        return self.s.queues.setdefault(key, QueueState(key))

    def lock_all_queues(self) -> list[QueueState]:
        return [self.s.queues[k] for k in sorted(self.s.queues)]

    def save_queue(self, queue: QueueState) -> None:
        self.s.queues[queue.key] = queue

    def lock_member(self, member_id: MemberId) -> None:
        pass

    # ------------------------------------------------------------ orders

    def order(self, order_id: OrderId) -> Order | None:
        return self.s.orders.get(order_id)

    def add_order(self, order: Order) -> None:
        self.s.orders[order.order_id] = order

    def save_order(self, order: Order) -> None:
        self.s.orders[order.order_id] = order

    def refund_known(self, refund_id: str) -> bool:
        return refund_id in self.s.refunds

    def add_refund(self, refund_id: str, order_id: OrderId, amount_fen: int, at: dt.datetime) -> None:
        self.s.refunds[refund_id] = (order_id, amount_fen, at)

    # ------------------------------------------------------------ entries

    def next_seq(self) -> int:
        self.s.last_seq += 1
        return self.s.last_seq

    def add_entry(self, entry: Entry) -> None:
        self.s.entries[entry.seq] = entry
        bisect.insort(self.s.seqs, entry.seq)
        self.s.entry_of_order[entry.order_id] = entry.seq

    def save_entry(self, entry: Entry) -> None:
        self.s.entries[entry.seq] = entry

    def entry_of_order(self, order_id: OrderId) -> Entry | None:
        seq = self.s.entry_of_order.get(order_id)
        return self.s.entries[seq] if seq is not None else None

    def entry_by_seq(self, seq: int) -> Entry | None:
        return self.s.entries.get(seq)

    def eligible(self, key: str, *, completed_tier: bool | None, after_seq: int, limit: int) -> Sequence[Entry]:
        cashier = queue_cashier(key)
        head_key = f"{key}|{completed_tier}"
        start = max(self.s.heads.get(head_key, 0), bisect.bisect_right(self.s.seqs, after_seq))
        found: list[Entry] = []
        first_index: int | None = None
        for index in range(start, len(self.s.seqs)):
            entry = self.s.entries[self.s.seqs[index]]
            if not entry.eligible or (cashier != ALL and entry.cashier_id != cashier):
                continue
            if completed_tier is not None and entry.order_completed != completed_tier:
                continue
            if first_index is None:
                first_index = index
            found.append(entry)
            if len(found) == limit:
                break
        if after_seq < 0:  # a scan from the head proves nothing is eligible before the first hit
            self.s.heads[head_key] = first_index if first_index is not None else len(self.s.seqs)
        return found

    def entry_became_eligible(self, entry: Entry) -> None:
        index = bisect.bisect_left(self.s.seqs, entry.seq)
        for head_key, head in list(self.s.heads.items()):
            if head > index:
                self.s.heads[head_key] = index

    def count_entries(self, member_id: MemberId, store_id: StoreId, local_date: dt.date | None) -> int:
        return sum(
            1
            for e in self.s.entries.values()
            if e.member_id == member_id
            and e.store_id == store_id
            and e.status != EntryStatus.CANCELLED
            and (local_date is None or e.local_date == local_date)
        )

    def spend(
        self, member_id: MemberId, store_id: StoreId, since: dt.datetime, until: dt.datetime, exclude: OrderId
    ) -> int:
        return sum(
            o.paid_fen - o.refunded_fen
            for o in self.s.orders.values()
            if o.member_id == member_id
            and o.store_id == store_id
            and o.order_id != exclude
            and o.status == OrderStatus.COMPLETED
            and o.imported != "entry"
            and since <= o.paid_at < until
        )

    def expire_waiting(self, at: dt.datetime) -> int:
        count = 0
        for entry in self.s.entries.values():
            if entry.status == EntryStatus.WAITING:
                entry.status, entry.closed_at = EntryStatus.EXPIRED, at
                if entry.lottery_state == LotteryState.AVAILABLE:
                    entry.lottery_state = LotteryState.LAPSED
                count += 1
        return count

    # ------------------------------------------------------------ money

    def add_allocation(self, source: Order, entry: Entry, amount_fen: int, at: dt.datetime) -> None:
        self.s.allocations.append(
            AllocationLine(source.order_id, entry.order_id, entry.seq, entry.member_id, amount_fen, at)
        )

    def allocations_from(self, order_id: OrderId) -> list[tuple[int, int]]:
        net: dict[int, int] = defaultdict(int)
        for line in self.s.allocations:
            if line.from_order == order_id:
                net[line.entry_seq] += line.amount_fen
        return list(net.items())

    def add_unallocated(
        self, source: Order | None, amount_fen: int, reason: UnallocatedReason, key: str, at: dt.datetime
    ) -> None:
        order_id = source.order_id if source is not None else None
        self.s.unallocated.append(UnallocatedLine(order_id, amount_fen, reason, key, at))

    def remove_unallocated(self, order_id: OrderId) -> None:
        self.s.unallocated = [u for u in self.s.unallocated if u.order_id != order_id]

    def add_rebate(self, member_id: MemberId, amount_fen: int, kind: RebateKind, ref: str, at: dt.datetime) -> None:
        self.s.rebates.append((member_id, amount_fen, kind, ref, at))

    def add_points(self, member_id: MemberId, points: int, kind: PointsKind, ref: str, at: dt.datetime) -> None:
        self.s.points.append((member_id, points, kind, ref, at))

    def points_of_entry(self, seq: int) -> int:
        order_id = self.s.entries[seq].order_id
        return sum(
            p[1] for p in self.s.points if p[3] == order_id and p[2] in (PointsKind.RANDOM_RETURN, PointsKind.EXCHANGE)
        )

    def add_voucher(self, member_id: MemberId, value_fen: int, source_seq: int, at: dt.datetime) -> None:
        self.s.vouchers.append(_Voucher(len(self.s.vouchers) + 1, member_id, value_fen, source_seq, "issued"))

    def vouchers_of_entry(self, seq: int) -> list[tuple[int, int, str]]:
        return [(v.voucher_id, v.value_fen, v.state) for v in self.s.vouchers if v.source_seq == seq]

    def set_voucher_state(self, voucher_id: int, state: str) -> None:
        self.s.vouchers[voucher_id - 1].state = state

    def add_draw(self, seq: int, result_bp: int, at: dt.datetime) -> None:
        self.s.draws.append((seq, result_bp, at))

    # ------------------------------------------------------------ random-return groups

    def random_group(self, key: str) -> RandomGroup | None:
        group = self.s.groups.get(key)
        return replace(group, arrangement=list(group.arrangement)) if group is not None else None

    def save_random_group(self, group: RandomGroup) -> None:
        self.s.groups[group.key] = group

    def abandon_random_groups(self) -> None:
        for group in self.s.groups.values():
            group.next_slot = len(group.arrangement)

    # ------------------------------------------------------------ read model (replay results, checks)

    def entries(self) -> list[Entry]:
        return [self.s.entries[seq] for seq in self.s.seqs]

    def allocation_lines(self) -> list[AllocationLine]:
        return list(self.s.allocations)

    def unallocated_lines(self) -> list[UnallocatedLine]:
        return list(self.s.unallocated)

    def balances(self) -> dict[str, MemberBalance]:
        out: dict[str, MemberBalance] = {}

        def get(member: str) -> MemberBalance:
            return out.setdefault(member, MemberBalance())

        for member, amount, *_ in self.s.rebates:
            get(member).rebate_fen += amount
        for member, points, *_ in self.s.points:
            get(member).points += points
        for voucher in self.s.vouchers:
            if voucher.state == "issued":
                get(voucher.member_id).voucher_fen += voucher.value_fen
        return out

    def carries(self) -> dict[str, int]:
        return {k: q.carry_fen for k, q in self.s.queues.items() if q.carry_fen}

    def all_orders(self) -> list[Order]:
        return list(self.s.orders.values())
