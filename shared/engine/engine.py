"""The rebate rules of spec §7–§13 applied through a Repository, one command per unit of work.

Every command validates before it changes anything: a RuleError means nothing was written, so the caller can
roll back or carry on. Money is int fen throughout and every percentage goes through `pct`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal
from zoneinfo import ZoneInfo

from ..chains import cashier_chain, resolve
from ..errors import Code, RuleError
from ..ids import CashierId, MemberId, OrderId, StoreId
from ..money import pct, points_for
from ..settings import BaseSettings, Lottery, StoreSettings, extraction_for, merge_base, merge_store, random_return_for
from .commands import (
    ChangeSettings,
    Command,
    CompleteOrder,
    DrawLottery,
    Exchange,
    ImportEntry,
    ImportOrder,
    PayOrder,
    RefundOrder,
    Reset,
    SetMemberLevel,
)
from .model import (
    Contribution,
    Entry,
    EntryStatus,
    LotteryState,
    Order,
    OrderStatus,
    PointsKind,
    RandomGroup,
    RebateKind,
    StoreInfo,
    UnallocatedReason,
    queue_key,
)
from .randomness import RandomSource, SystemRandomSource
from .repository import Repository

CLOCK_SKEW_TOLERANCE = dt.timedelta(minutes=5)
# A till offline for a long weekend, or a fortnight, sells with its own true times; a sale stamped longer ago than
# this before it reached the server is a wrong clock (or a till rewriting closed days: daily limits, tiers, reports)
# and is placed at its arrival, flagged, like a sale stamped in the future (spec §15; docs/sync-protocol.md).
BACKDATE_TOLERANCE = dt.timedelta(days=30)
MAX_FEN = 10**12  # 10 billion yuan: anything above is a typo or an attack, not a sale
FIRST_BATCH = 4  # most settlements touch one or two entries
NEXT_BATCH = 64


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Literal["accepted", "duplicate"]
    order_id: str | None = None
    entry: Entry | None = None  # a copy, for the answer to the terminal
    result_bp: int | None = None  # a lottery draw's result
    amount: int | None = None  # an exchange's points or voucher fen


def _aware(ts: dt.datetime, what: str) -> dt.datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise RuleError(Code.INVALID_EVENT, f"{what} needs a time zone offset")
    return ts


def _check_fen(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEN:
        raise RuleError(Code.INVALID_AMOUNT, f"{what} must be whole fen between 0 and {MAX_FEN}")
    return value


class Engine:
    def __init__(self, repo: Repository, rng: RandomSource | None = None) -> None:
        self.repo = repo
        self.rng = rng if rng is not None else SystemRandomSource()

    def apply(self, command: Command) -> Outcome:
        """Dispatch one command; raises RuleError (nothing changed) when the rules refuse it."""
        match command:
            case PayOrder():
                return self.pay(command)
            case CompleteOrder():
                return self.complete(command)
            case RefundOrder():
                return self.refund(command)
            case DrawLottery():
                return self.draw(command)
            case Exchange():
                return self.exchange(command)
            case ChangeSettings():
                return self.change_settings(command)
            case SetMemberLevel():
                self.repo.add_member_level(command.member_id, command.level, _aware(command.at, "at"))
                return Outcome("accepted")
            case Reset():
                return self.reset(command)
            case ImportEntry():
                return self.import_entry(command)
            case ImportOrder():
                return self.import_order(command)
        raise RuleError(Code.INVALID_EVENT, f"unknown command {type(command).__name__}")

    # ---------------------------------------------------------------- §7 entry creation

    def _store_for(self, store_id: StoreId, cashier_id: CashierId) -> StoreInfo:
        store = self.repo.store(store_id)
        if store is None:
            raise RuleError(Code.UNKNOWN_STORE, store_id)
        if cashier_id not in store.cashier_ids:
            raise RuleError(Code.UNKNOWN_CASHIER, f"{cashier_id} is not a cashier of {store_id}")
        return store

    def pay(self, cmd: PayOrder) -> Outcome:
        if not cmd.order_id:
            raise RuleError(Code.INVALID_EVENT, "order_id is required")
        paid = _check_fen(cmd.paid_fen, "paid_fen")
        for name in ("discount_fen", "deduction_points_fen", "deduction_love_fen", "deduction_voucher_fen"):
            _check_fen(getattr(cmd, name), name)
        total = _check_fen(cmd.total_fen, "total_fen") if cmd.total_fen is not None else None
        paid_at = _aware(cmd.paid_at, "paid_at")
        received = _aware(cmd.received_at, "received_at") if cmd.received_at is not None else paid_at
        store = self._store_for(cmd.store_id, cmd.cashier_id)
        base = self.repo.base_settings()
        key = queue_key(cmd.cashier_id, base.all_cashiers_queue)
        self.repo.lock_queue(key)
        if self.repo.order(cmd.order_id) is not None:
            return Outcome("duplicate", cmd.order_id, self._copy(self.repo.entry_of_order(cmd.order_id)))

        skew = not received - BACKDATE_TOLERANCE <= paid_at <= received + CLOCK_SKEW_TOLERANCE
        order = Order(
            order_id=cmd.order_id,
            store_id=cmd.store_id,
            cashier_id=cmd.cashier_id,
            member_id=cmd.member_id or None,
            paid_fen=paid,
            paid_at=received if skew else paid_at,
            received_at=received,
            terminal_id=cmd.terminal_id,
            total_fen=total
            if total is not None
            else paid + cmd.deduction_points_fen + cmd.deduction_love_fen + cmd.deduction_voucher_fen,
            discount_fen=cmd.discount_fen,
            deduction_points_fen=cmd.deduction_points_fen,
            deduction_love_fen=cmd.deduction_love_fen,
            deduction_voucher_fen=cmd.deduction_voucher_fen,
            clock_skew=skew,
        )
        if cmd.completed:
            order.status, order.completed_at = OrderStatus.COMPLETED, received
        order.tender, order.lines_json = cmd.tender, cmd.lines_json
        order.participating = base.enabled and store.settings.enabled
        if not order.participating:
            self.repo.add_order(order)
            return Outcome("accepted", order.order_id)

        order.extraction_bp = extraction_for(base, store.settings)
        if order.member_id is not None:
            order.level_id = self.repo.member_level_at(order.member_id, order.paid_at)
        if order.member_id is not None or base.anonymous_orders_contribute:
            order.contribution = Contribution.PENDING
        entry = self._new_entry(order, base, store, key)
        order.has_entry = entry is not None
        if entry is not None:
            self.repo.add_entry(entry)
            self._assign_random_group(entry, base, store, key)
        if base.settlement_event == "on_pay" or order.status == OrderStatus.COMPLETED:
            self._settle(order, base, received)
        self.repo.add_order(order)  # written once, as settled: no insert-then-update
        return Outcome("accepted", order.order_id, self._copy(self.repo.entry_of_order(order.order_id)))

    def _new_entry(self, order: Order, base: BaseSettings, store: StoreInfo, key: str) -> Entry | None:
        settings = store.settings
        if order.member_id is None or order.paid_fen <= 0:
            return None
        deductions = order.deduction_points_fen + order.deduction_love_fen + order.deduction_voucher_fen
        if deductions > 0 and not base.deduction_orders_join:
            return None
        local = order.paid_at.astimezone(ZoneInfo(store.timezone))
        if settings.time_windows and not any(w.contains(local) for w in settings.time_windows):
            return None
        if settings.daily_limit or settings.total_limit:
            self.repo.lock_member(order.member_id)
            if settings.daily_limit and (
                self.repo.count_entries(order.member_id, store.store_id, local.date()) >= settings.daily_limit
            ):
                return None
            if settings.total_limit and (
                self.repo.count_entries(order.member_id, store.store_id, None) >= settings.total_limit
            ):
                return None
        member_id = order.member_id

        def spend(days: int) -> int:
            since = order.paid_at - dt.timedelta(days=days)
            return self.repo.spend(member_id, store.store_id, since, order.paid_at, order.order_id)

        res = resolve(cashier_chain(base, settings), order.level_id, spend)
        entitlement = pct(order.paid_fen, res.ratio_bp)
        if entitlement == 0 and res.lottery is None:
            return None
        return Entry(
            seq=self.repo.next_seq(),
            order_id=order.order_id,
            member_id=member_id,
            store_id=store.store_id,
            cashier_id=order.cashier_id,
            base_fen=order.paid_fen,
            ratio_bp=res.ratio_bp,
            ratio_source=res.source,
            entitlement_fen=entitlement,
            paid_fen=0,
            status=EntryStatus.WAITING,
            local_date=local.date(),
            created_at=order.received_at,
            order_completed=order.status == OrderStatus.COMPLETED,
            lottery_state=LotteryState.AVAILABLE if res.lottery is not None else LotteryState.NONE,
            lottery_cfg=res.lottery.model_dump_json() if res.lottery is not None else None,
        )

    def _assign_random_group(self, entry: Entry, base: BaseSettings, store: StoreInfo, key: str) -> None:
        """§12: consecutive entries of a counter key fill groups in a drawn arrangement of cash/points slots."""
        rr, owner = random_return_for(base, store.settings)
        if rr is None:
            return
        owner_key = f"store:{store.store_id}" if owner == "store" else "base"
        counter = f"{key}|{owner_key}"
        fingerprint = rr.model_dump_json()
        group = self.repo.random_group(counter)
        if group is None or group.fingerprint != fingerprint or group.next_slot >= len(group.arrangement):
            arrangement = self.rng.arrangement(rr.group_size, rr.cash_per_group)
            group = RandomGroup(counter, (group.group_no + 1) if group else 1, arrangement, 0, fingerprint)
        label = group.arrangement[group.next_slot]
        entry.group_key, entry.group_no, entry.slot = counter, group.group_no, group.next_slot
        group.next_slot += 1
        self.repo.save_random_group(group)
        if label == "points":
            entry.label = "points"
            entry.status = EntryStatus.CONVERTED
            entry.closed_at = entry.created_at
            self._lapse_lottery(entry)
            points = points_for(entry.entitlement_fen, base.points_per_yuan_x100)
            self.repo.add_points(entry.member_id, points, PointsKind.RANDOM_RETURN, entry.order_id, entry.created_at)
        self.repo.save_entry(entry)

    # ---------------------------------------------------------------- §8 settlement

    def _settle(self, order: Order, base: BaseSettings, at: dt.datetime) -> None:
        if order.settled or order.contribution != Contribution.PENDING:
            return
        order.settled = True
        amount = pct(order.net_fen, order.extraction_bp)
        order.contribution_fen = amount
        if amount == 0:
            order.contribution = Contribution.ZERO
            return
        key = queue_key(order.cashier_id, base.all_cashiers_queue)
        if base.paused:
            order.contribution = Contribution.FORFEITED_PAUSED
            self.repo.add_unallocated(order, amount, UnallocatedReason.PAUSED, key, at)
            return
        order.contribution = Contribution.ALLOCATED
        queue = self.repo.lock_queue(key)
        pool = amount
        if base.leftover_policy == "carry_forward":
            pool += queue.carry_fen
            queue.carry_fen = 0
        pool = self._allocate(order, key, pool, base, at)
        if pool > 0:
            if base.leftover_policy == "carry_forward":
                queue.carry_fen = pool
            else:
                self.repo.add_unallocated(order, pool, UnallocatedReason.NO_ELIGIBLE_ENTRY, key, at)
        self.repo.save_queue(queue)

    def _allocate(self, source: Order, key: str, pool: int, base: BaseSettings, at: dt.datetime) -> int:
        """Pour `pool` into the queue from the head, FIFO, exact fen; returns what is left."""
        tiers: tuple[bool | None, ...] = (None,) if base.ordering_rule == "queue_order" else (True, False)
        for tier in tiers:
            after, limit = -1, FIRST_BATCH
            while pool > 0:
                batch = self.repo.eligible(key, completed_tier=tier, after_seq=after, limit=limit)
                for entry in batch:
                    if pool == 0:
                        break
                    take = min(pool, entry.entitlement_fen - entry.paid_fen)
                    entry.paid_fen += take
                    pool -= take
                    self.repo.add_allocation(source, entry, take, at)
                    self.repo.add_rebate(entry.member_id, take, RebateKind.REBATE, source.order_id, at)
                    if entry.paid_fen == entry.entitlement_fen:
                        self._close(entry, EntryStatus.COMPLETED, at)
                    self.repo.save_entry(entry)
                if len(batch) < limit:
                    break
                after, limit = batch[-1].seq, NEXT_BATCH
            if pool == 0:
                break
        return pool

    # ---------------------------------------------------------------- completion

    def complete(self, cmd: CompleteOrder) -> Outcome:
        at = _aware(cmd.at, "at")
        # Imported history may complete (§18 EX8: h5 "paid, not completed" completes and then counts toward tiers);
        # it is non-participating, so completing it settles nothing.
        order = self._locked_order(cmd.order_id, allow_history=True)
        if order.status == OrderStatus.REFUNDED:
            raise RuleError(Code.ORDER_REFUNDED, cmd.order_id)
        if order.status == OrderStatus.COMPLETED:
            return Outcome("duplicate", order.order_id)
        order.status, order.completed_at = OrderStatus.COMPLETED, at
        entry = self.repo.entry_of_order(order.order_id)
        if entry is not None:
            entry.order_completed = True
            self.repo.save_entry(entry)
            if entry.eligible:
                self.repo.entry_became_eligible(entry)  # it moves to the completed tier
        if order.participating:
            self._settle(order, self.repo.base_settings(), at)
        self.repo.save_order(order)
        return Outcome("accepted", order.order_id, self._copy(entry))

    def _locked_order(self, order_id: OrderId, *, allow_history: bool = False) -> Order:
        """The order, read after taking the lock of its queue (the order row may have changed meanwhile)."""
        order = self.repo.order(order_id)
        if order is None or (order.imported == "history" and not allow_history):
            raise RuleError(Code.UNKNOWN_ORDER, order_id)
        self.repo.lock_queue(queue_key(order.cashier_id, self.repo.base_settings().all_cashiers_queue))
        locked = self.repo.order(order_id)
        assert locked is not None
        return locked

    # ---------------------------------------------------------------- §10 refunds

    def refund(self, cmd: RefundOrder) -> Outcome:
        at = _aware(cmd.at, "at")
        if not cmd.refund_id:
            raise RuleError(Code.INVALID_EVENT, "refund_id is required")
        if self.repo.refund_known(cmd.refund_id):
            return Outcome("duplicate", cmd.order_id)
        amount = cmd.amount_fen
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise RuleError(Code.INVALID_AMOUNT, "a refund is a positive number of fen")
        order = self._locked_order(cmd.order_id)
        if self.repo.refund_known(cmd.refund_id):  # raced with a duplicate while waiting for the lock
            return Outcome("duplicate", cmd.order_id)
        if amount > order.net_fen:
            raise RuleError(Code.REFUND_EXCEEDS_PAID, f"{amount} > {order.net_fen} left on {order.order_id}")
        base = self.repo.base_settings()
        full = amount == order.net_fen
        order.refunded_fen += amount
        entry = self.repo.entry_of_order(order.order_id)
        if full:
            order.status = OrderStatus.REFUNDED
            if base.refund_clawback == "all" and order.contribution == Contribution.ALLOCATED:
                self._reverse_contribution(order, base, at)
            elif base.refund_clawback == "all" and order.contribution == Contribution.FORFEITED_PAUSED:
                self.repo.remove_unallocated(order.order_id)
                order.contribution_fen = 0
            if order.contribution == Contribution.PENDING:
                order.contribution = Contribution.CANCELLED
                order.settled = True
            if entry is not None:
                if entry.status == EntryStatus.WAITING:
                    self._close(entry, EntryStatus.CANCELLED, at)
                if base.refund_clawback in ("received", "all") and not entry.clawed_back:
                    self._claw_back(entry, base, at)
                self.repo.save_entry(entry)
        elif entry is not None and entry.status == EntryStatus.WAITING:
            entry.base_fen = order.net_fen
            entry.entitlement_fen = max(pct(order.net_fen, entry.ratio_bp), entry.paid_fen)
            provisional_zero = entry.lottery_state == LotteryState.AVAILABLE and entry.entitlement_fen == 0
            if entry.entitlement_fen == entry.paid_fen and not provisional_zero:
                self._close(entry, EntryStatus.COMPLETED, at)
            self.repo.save_entry(entry)
        self.repo.add_refund(cmd.refund_id, order.order_id, amount, at)
        self.repo.save_order(order)
        return Outcome("accepted", order.order_id, self._copy(entry))

    def _claw_back(self, entry: Entry, base: BaseSettings, at: dt.datetime) -> None:
        """What an order's own entry produced for its member is taken back (policies received and all)."""
        ref = f"refund:{entry.order_id}"
        if entry.paid_fen:
            self.repo.add_rebate(entry.member_id, -entry.paid_fen, RebateKind.CLAWBACK_RECEIVED, ref, at)
        points = self.repo.points_of_entry(entry.seq)
        if points:
            self.repo.add_points(entry.member_id, -points, PointsKind.REVERSAL, ref, at)
        for voucher_id, value, state in self.repo.vouchers_of_entry(entry.seq):
            if state == "issued":
                self.repo.set_voucher_state(voucher_id, "void")
            elif state == "used":
                self.repo.add_rebate(entry.member_id, -value, RebateKind.VOUCHER_USED_CLAWBACK, ref, at)
        entry.clawed_back = True

    def _reverse_contribution(self, order: Order, base: BaseSettings, at: dt.datetime) -> None:
        """refund_clawback = all: the refunded order's own contribution is taken back from the entries it paid.

        Only the order's own money is reversed: carried money it poured with it (carry_forward earlier) belonged
        to older orders and stays where it went; within a settlement the carry is poured first, so the order's
        own money is the last `contribution_fen` of its lines. Entries already clawed back, and entries whose own
        order was refunded, keep what they got: that much of the order's own money stays its contribution.
        """
        own_left = order.contribution_fen
        kept = 0
        for seq, amount in reversed(self.repo.allocations_from(order.order_id)):
            if amount <= 0:
                continue
            take = min(amount, own_left)  # the rest of the line was carried money: it stays, and is not ours
            own_left -= take
            if take == 0:
                continue
            target = self.repo.entry_by_seq(seq)
            assert target is not None
            if target.clawed_back or self._closed_by_refund(target, order):
                kept += take
                continue
            self.repo.lock_queue(queue_key(target.cashier_id, base.all_cashiers_queue))
            target = self.repo.entry_by_seq(seq)
            assert target is not None
            target.paid_fen -= take
            self.repo.add_allocation(order, target, -take, at)
            self.repo.add_rebate(target.member_id, -take, RebateKind.CLAWBACK_GENERATED, order.order_id, at)
            if target.status == EntryStatus.COMPLETED:
                target.status, target.closed_at = EntryStatus.WAITING, None
                self.repo.save_entry(target)
                self.repo.entry_became_eligible(target)
            else:
                self.repo.save_entry(target)
        self.repo.remove_unallocated(order.order_id)
        order.contribution_fen = kept

    def _closed_by_refund(self, target: Entry, refunding: Order) -> bool:
        """Another order's entry whose own order was refunded: its business is closed, it is not reopened."""
        if target.order_id == refunding.order_id:
            return False
        source = self.repo.order(target.order_id)
        return source is not None and source.status == OrderStatus.REFUNDED

    # ---------------------------------------------------------------- §9 member actions

    def _member_entry(self, order_id: OrderId, member_id: MemberId | None) -> Entry:
        order = self._locked_order(order_id)
        entry = self.repo.entry_of_order(order.order_id)
        if entry is None:
            raise RuleError(Code.NO_ENTRY, order_id)
        if member_id is not None and entry.member_id != member_id:
            raise RuleError(Code.NOT_YOUR_ENTRY, order_id)
        if entry.status != EntryStatus.WAITING:
            raise RuleError(Code.ENTRY_NOT_WAITING, f"{order_id} is {entry.status.value}")
        return entry

    def draw(self, cmd: DrawLottery) -> Outcome:
        at = _aware(cmd.at, "at")
        entry = self._member_entry(cmd.order_id, cmd.member_id)
        if entry.lottery_state != LotteryState.AVAILABLE or entry.lottery_cfg is None:
            raise RuleError(Code.LOTTERY_NOT_AVAILABLE, cmd.order_id)
        lottery = Lottery.model_validate_json(entry.lottery_cfg)
        if cmd.result_bp is not None:
            if (
                isinstance(cmd.result_bp, bool)
                or not isinstance(cmd.result_bp, int)
                or not lottery.allows(cmd.result_bp)
            ):
                raise RuleError(Code.INVALID_LOTTERY_RESULT, f"{cmd.result_bp} is not an outcome of this lottery")
            result = cmd.result_bp
        else:
            result = self.rng.draw(lottery)
        was_eligible = entry.eligible
        entry.entitlement_fen = max(pct(entry.base_fen, result), entry.paid_fen)
        entry.ratio_bp = result
        entry.lottery_state = LotteryState.DRAWN
        if entry.entitlement_fen == entry.paid_fen:
            self._close(entry, EntryStatus.COMPLETED, at)
        self.repo.save_entry(entry)
        if entry.eligible and not was_eligible:
            self.repo.entry_became_eligible(entry)
        self.repo.add_draw(entry.seq, result, at)
        return Outcome("accepted", entry.order_id, self._copy(entry), result_bp=result)

    def exchange(self, cmd: Exchange) -> Outcome:
        at = _aware(cmd.at, "at")
        if cmd.into not in ("points", "voucher"):
            raise RuleError(Code.INVALID_TARGET, f"cannot exchange into {cmd.into!r}")
        base = self.repo.base_settings()
        enabled = base.points_exchange_enabled if cmd.into == "points" else base.voucher_exchange_enabled
        if not enabled:
            raise RuleError(Code.EXCHANGE_DISABLED, cmd.into)
        entry = self._member_entry(cmd.order_id, cmd.member_id)
        remaining = entry.entitlement_fen - entry.paid_fen
        if cmd.into == "points":
            amount = points_for(remaining, base.points_per_yuan_x100)
        else:
            amount = pct(remaining, base.voucher_ratio_bp)
        if remaining <= 0 or amount == 0:
            raise RuleError(Code.EXCHANGE_AMOUNT_ZERO, cmd.order_id)
        if cmd.into == "points":
            self.repo.add_points(entry.member_id, amount, PointsKind.EXCHANGE, entry.order_id, at)
        else:
            self.repo.add_voucher(entry.member_id, amount, entry.seq, at)
        self._close(entry, EntryStatus.EXCHANGED, at)
        self.repo.save_entry(entry)
        return Outcome("accepted", entry.order_id, self._copy(entry), amount=amount)

    # ---------------------------------------------------------------- settings, §11 reset

    def change_settings(self, cmd: ChangeSettings) -> Outcome:
        at = _aware(cmd.at, "at")
        old = self.repo.base_settings()
        base = merge_base(old, cmd.base) if cmd.base is not None else old
        stores: dict[StoreId, tuple[StoreSettings, StoreSettings]] = {}
        if not isinstance(cmd.stores, dict):
            raise RuleError(Code.INVALID_SETTINGS, "stores is an object of store id to settings")
        for store_id, patch in cmd.stores.items():
            info = self.repo.store(store_id)
            if info is None:
                raise RuleError(Code.UNKNOWN_STORE, store_id)
            stores[store_id] = (info.settings, merge_store(info.settings, patch))
        queues = self.repo.lock_all_queues()
        if old.leftover_policy == "carry_forward" and base.leftover_policy != "carry_forward":
            # Money carried under the old policy has no queue to wait for any more: it is kept, and recorded.
            for queue in queues:
                if queue.carry_fen:
                    self.repo.add_unallocated(None, queue.carry_fen, UnallocatedReason.RESET_CARRY, queue.key, at)
                    queue.carry_fen = 0
                    self.repo.save_queue(queue)
        regroup = old.all_cashiers_queue != base.all_cashiers_queue or old.random_return != base.random_return
        regroup = regroup or any(a.random_return != b.random_return for a, b in stores.values())
        if regroup:
            self.repo.abandon_random_groups()
        if base != old:
            self.repo.save_base_settings(base, at=at, actor=cmd.actor)
        for store_id, (before, after) in stores.items():
            if after != before:
                self.repo.save_store_settings(store_id, after, at=at, actor=cmd.actor)
        return Outcome("accepted")

    def reset(self, cmd: Reset) -> Outcome:
        """§11: every waiting entry of every cashier queue expires; carry balances are kept by the merchant."""
        at = _aware(cmd.at, "at")
        queues = self.repo.lock_all_queues()
        self.repo.expire_waiting(at)
        for queue in queues:
            if queue.carry_fen:
                self.repo.add_unallocated(None, queue.carry_fen, UnallocatedReason.RESET_CARRY, queue.key, at)
                queue.carry_fen = 0
                self.repo.save_queue(queue)
        return Outcome("accepted")

    # ---------------------------------------------------------------- imports (replay, migration)

    def import_entry(self, cmd: ImportEntry) -> Outcome:
        paid_at = _aware(cmd.paid_at, "paid_at")
        store = self._store_for(cmd.store_id, cmd.cashier_id)
        entitlement = _check_fen(cmd.entitlement_fen, "entitlement_fen")
        paid = _check_fen(cmd.paid_fen, "paid_fen")
        ratio = _check_fen(cmd.ratio_bp, "ratio_bp")
        if paid > entitlement:
            raise RuleError(Code.INVALID_AMOUNT, "an imported entry cannot have received more than its entitlement")
        if self.repo.order(cmd.order_id) is not None:
            return Outcome("duplicate", cmd.order_id)
        base = self.repo.base_settings()
        self.repo.lock_queue(queue_key(cmd.cashier_id, base.all_cashiers_queue))
        amount = entitlement * 10_000 // ratio if ratio else entitlement
        order = Order(
            order_id=cmd.order_id,
            store_id=cmd.store_id,
            cashier_id=cmd.cashier_id,
            member_id=cmd.member_id,
            paid_fen=amount,
            total_fen=amount,
            paid_at=paid_at,
            received_at=paid_at,
            status=OrderStatus.COMPLETED,
            completed_at=paid_at,
            settled=True,
            has_entry=True,
            imported="entry",
        )
        self.repo.add_order(order)
        local = paid_at.astimezone(ZoneInfo(store.timezone))
        entry = Entry(
            seq=self.repo.next_seq(),
            order_id=cmd.order_id,
            member_id=cmd.member_id,
            store_id=cmd.store_id,
            cashier_id=cmd.cashier_id,
            base_fen=amount,
            ratio_bp=ratio,
            ratio_source="imported",
            entitlement_fen=entitlement,
            paid_fen=paid,
            status=EntryStatus.COMPLETED if paid == entitlement else EntryStatus.WAITING,
            local_date=local.date(),
            created_at=paid_at,
            order_completed=True,
            closed_at=paid_at if paid == entitlement else None,
            imported=True,
        )
        self.repo.add_entry(entry)
        return Outcome("accepted", cmd.order_id, self._copy(entry))

    def import_order(self, cmd: ImportOrder) -> Outcome:
        paid_at = _aware(cmd.paid_at, "paid_at")
        self._store_for(cmd.store_id, cmd.cashier_id)
        paid = _check_fen(cmd.paid_fen, "paid_fen")
        refunded = _check_fen(cmd.refunded_fen, "refunded_fen")
        if self.repo.order(cmd.order_id) is not None:
            return Outcome("duplicate", cmd.order_id)
        order = Order(
            order_id=cmd.order_id,
            store_id=cmd.store_id,
            cashier_id=cmd.cashier_id,
            member_id=cmd.member_id,
            paid_fen=paid,
            total_fen=paid,
            paid_at=paid_at,
            received_at=paid_at,
            status=OrderStatus(cmd.status),
            completed_at=paid_at if cmd.status == "completed" else None,
            refunded_fen=min(refunded, paid),
            participating=False,
            settled=True,
            imported="history",
        )
        self.repo.add_order(order)
        return Outcome("accepted", cmd.order_id)

    # ---------------------------------------------------------------- helpers

    def _close(self, entry: Entry, status: EntryStatus, at: dt.datetime) -> None:
        entry.status = status
        entry.closed_at = at
        self._lapse_lottery(entry)

    @staticmethod
    def _lapse_lottery(entry: Entry) -> None:
        if entry.lottery_state == LotteryState.AVAILABLE:
            entry.lottery_state = LotteryState.LAPSED

    @staticmethod
    def _copy(entry: Entry | None) -> Entry | None:
        return replace(entry) if entry is not None else None
