"""The domain records the rules read and write. Plain dataclasses: no ORM, no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from ..ids import CashierId, MemberId, OrderId, StoreId, TerminalId
from ..settings import StoreSettings


class OrderStatus(StrEnum):
    PAID = "paid"
    COMPLETED = "completed"
    REFUNDED = "refunded"


class Contribution(StrEnum):
    NONE = "none"  # non-participating, imported, or an anonymous order when those do not contribute
    PENDING = "pending"
    ALLOCATED = "allocated"
    ZERO = "zero"
    FORFEITED_PAUSED = "forfeited_paused"
    CANCELLED = "cancelled"


class EntryStatus(StrEnum):
    WAITING = "waiting"
    COMPLETED = "completed"
    CONVERTED = "converted"
    EXCHANGED = "exchanged"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class LotteryState(StrEnum):
    NONE = "none"
    AVAILABLE = "available"
    DRAWN = "drawn"
    LAPSED = "lapsed"


class UnallocatedReason(StrEnum):
    NO_ELIGIBLE_ENTRY = "no_eligible_entry"
    PAUSED = "paused"
    RESET_CARRY = "reset_carry"


class RebateKind(StrEnum):
    REBATE = "rebate"
    CLAWBACK_RECEIVED = "clawback_received"
    CLAWBACK_GENERATED = "clawback_generated"
    VOUCHER_USED_CLAWBACK = "voucher_used_clawback"
    # the wallet (server/services/wallet.py, docs/wallet.md)
    SPEND = "spend"
    SPEND_REFUND = "spend_refund"
    WITHDRAWAL = "withdrawal"
    WITHDRAWAL_DECLINED = "withdrawal_declined"


class PointsKind(StrEnum):
    RANDOM_RETURN = "random_return"
    EXCHANGE = "exchange"
    REVERSAL = "reversal"
    SPEND = "spend"
    SPEND_REFUND = "spend_refund"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"


Label = Literal["cash", "points"]
Ordering = Literal["queue_order", "completed_first"]
ALL = "ALL"


def queue_key(cashier_id: str, all_cashiers: bool) -> str:
    """`cashier:<id>` or `cashier:ALL` (spec §4): a view, derived on read, never stored on the entry."""
    return f"cashier:{ALL}" if all_cashiers else f"cashier:{cashier_id}"


def queue_cashier(key: str) -> str:
    """The cashier a queue key names (`ALL` for the all-cashiers queue): the inverse of `queue_key`."""
    return key.split(":", 1)[1]


@dataclass(frozen=True, slots=True)
class StoreInfo:
    store_id: StoreId
    timezone: str
    cashier_ids: tuple[CashierId, ...]
    settings: StoreSettings


@dataclass(slots=True)
class Order:
    order_id: OrderId
    store_id: StoreId
    cashier_id: CashierId
    member_id: MemberId | None
    paid_fen: int
    paid_at: dt.datetime  # the instant the time rules use (received_at when the terminal clock ran ahead)
    received_at: dt.datetime
    terminal_id: TerminalId | None = None
    total_fen: int = 0
    discount_fen: int = 0
    deduction_points_fen: int = 0
    deduction_love_fen: int = 0
    deduction_voucher_fen: int = 0  # wallet vouchers (docs/rules.md, wallet-paid sales)
    status: OrderStatus = OrderStatus.PAID
    completed_at: dt.datetime | None = None
    refunded_fen: int = 0
    participating: bool = True
    extraction_bp: int = 0
    level_id: str | None = None
    contribution: Contribution = Contribution.NONE
    contribution_fen: int = 0
    settled: bool = False
    has_entry: bool = False
    imported: str | None = None  # "history" (counts toward tiers only) or "entry" (carried-over entry's order)
    clock_skew: bool = False
    tender: str | None = None
    lines_json: str | None = None
    tenders_json: str | None = None
    employee_id: str | None = None

    @property
    def net_fen(self) -> int:
        return self.paid_fen - self.refunded_fen


@dataclass(slots=True)
class Entry:
    seq: int
    order_id: OrderId
    member_id: MemberId
    store_id: StoreId
    cashier_id: CashierId
    base_fen: int
    ratio_bp: int
    ratio_source: str
    entitlement_fen: int
    paid_fen: int
    status: EntryStatus
    local_date: dt.date  # store-local date of the order's paid_at, for the daily limit
    created_at: dt.datetime
    order_completed: bool = False
    lottery_state: LotteryState = LotteryState.NONE
    lottery_cfg: str | None = None  # the winning lottery config, JSON
    label: Label = "cash"
    group_key: str | None = None
    group_no: int | None = None
    slot: int | None = None
    closed_at: dt.datetime | None = None
    clawed_back: bool = False
    imported: bool = False

    @property
    def remaining_fen(self) -> int:
        return self.entitlement_fen - self.paid_fen if self.status == EntryStatus.WAITING else 0

    @property
    def eligible(self) -> bool:
        return self.status == EntryStatus.WAITING and self.entitlement_fen > self.paid_fen


@dataclass(slots=True)
class QueueState:
    key: str
    carry_fen: int = 0


@dataclass(slots=True)
class RandomGroup:
    """The current random-return group of a counter key (queue key, settings owner), spec §12."""

    key: str
    group_no: int
    arrangement: list[str] = field(default_factory=list)
    next_slot: int = 0
    fingerprint: str = ""
