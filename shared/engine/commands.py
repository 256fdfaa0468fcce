"""What can happen to the queues: one command is applied in one unit of work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from ..ids import CashierId, MemberId, OrderId, StoreId, TerminalId


@dataclass(frozen=True, slots=True)
class PayOrder:
    order_id: OrderId
    store_id: StoreId
    cashier_id: CashierId
    member_id: MemberId | None
    paid_fen: int
    paid_at: dt.datetime
    received_at: dt.datetime | None = None  # server clock at ingestion; replay uses paid_at
    terminal_id: TerminalId | None = None
    total_fen: int | None = None
    discount_fen: int = 0
    deduction_points_fen: int = 0
    deduction_love_fen: int = 0
    deduction_voucher_fen: int = 0
    completed: bool = False
    tender: str | None = None  # how it was paid (recorded, not interpreted)
    lines_json: str | None = None  # the till's line items, JSON (recorded, not interpreted)


@dataclass(frozen=True, slots=True)
class CompleteOrder:
    order_id: OrderId
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class RefundOrder:
    order_id: OrderId
    refund_id: str
    amount_fen: int
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class DrawLottery:
    order_id: OrderId
    at: dt.datetime
    result_bp: int | None = None  # fixed by replay; None: the engine's random source draws
    member_id: MemberId | None = None  # when given, the entry must be this member's


@dataclass(frozen=True, slots=True)
class Exchange:
    order_id: OrderId
    into: str  # "points" | "voucher"
    at: dt.datetime
    member_id: MemberId | None = None


@dataclass(frozen=True, slots=True)
class ChangeSettings:
    at: dt.datetime
    base: dict[str, Any] | None = None
    stores: dict[StoreId, dict[str, Any]] = field(default_factory=dict)
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class SetMemberLevel:
    member_id: MemberId
    level: str | None
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Reset:
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class ImportEntry:
    """A waiting entry carried over from an earlier system (scenario `imported_entries`)."""

    order_id: OrderId
    store_id: StoreId
    cashier_id: CashierId
    member_id: MemberId
    entitlement_fen: int
    paid_fen: int
    ratio_bp: int
    paid_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ImportOrder:
    """A sale from before the rules were enabled: counts toward cumulative-spend tiers only."""

    order_id: OrderId
    store_id: StoreId
    cashier_id: CashierId
    member_id: MemberId | None
    paid_fen: int
    paid_at: dt.datetime
    status: Literal["paid", "completed", "refunded"] = "completed"
    refunded_fen: int = 0


Command = (
    PayOrder
    | CompleteOrder
    | RefundOrder
    | DrawLottery
    | Exchange
    | ChangeSettings
    | SetMemberLevel
    | Reset
    | ImportEntry
    | ImportOrder
)
