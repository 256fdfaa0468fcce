"""Read-side records shared by the repositories: payout lines, money kept, member balances."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import UnallocatedReason


@dataclass(frozen=True, slots=True)
class AllocationLine:
    from_order: str
    to_order: str
    entry_seq: int
    member_id: str
    amount_fen: int  # negative for a reversal
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class UnallocatedLine:
    order_id: str | None  # None for carry released by a reset or a policy change
    amount_fen: int
    reason: UnallocatedReason
    queue_key: str
    at: dt.datetime


@dataclass(slots=True)
class MemberBalance:
    rebate_fen: int = 0
    points: int = 0
    voucher_fen: int = 0
    withdrawn_fen: int = 0  # the wallet: requested and not declined (server replay only)
