"""Stable error codes. A refused event, request or setting carries one of these; words live at the edges."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    # rules (scenario-format.md "Rejection codes")
    UNKNOWN_ORDER = "unknown_order"
    UNKNOWN_STORE = "unknown_store"
    UNKNOWN_CASHIER = "unknown_cashier"
    INVALID_AMOUNT = "invalid_amount"
    REFUND_EXCEEDS_PAID = "refund_exceeds_paid"
    NO_ENTRY = "no_entry"
    ENTRY_NOT_WAITING = "entry_not_waiting"
    LOTTERY_NOT_AVAILABLE = "lottery_not_available"
    INVALID_LOTTERY_RESULT = "invalid_lottery_result"
    INVALID_TARGET = "invalid_target"
    EXCHANGE_DISABLED = "exchange_disabled"
    EXCHANGE_AMOUNT_ZERO = "exchange_amount_zero"
    INVALID_SETTINGS = "invalid_settings"
    ORDER_REFUNDED = "order_refunded"
    # ours
    INVALID_EVENT = "invalid_event"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    NOT_YOUR_ENTRY = "not_your_entry"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_LEVEL = "unknown_level"  # a level id that the chain's level catalog does not hold (a typo like "glod")
    LEVEL_IN_USE = "level_in_use"  # a catalog level still named by a setting or held by a member


class RuleError(Exception):
    """A refusal by the rules: nothing was changed."""

    def __init__(self, code: Code, detail: str = "") -> None:
        super().__init__(f"{code.value}: {detail}" if detail else code.value)
        self.code = code
        self.detail = detail
