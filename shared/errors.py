"""Stable error codes: the one registry. A refused event, request or setting carries one of these; words live at the
edges (the till's `ui/words.py`, the console's and the member page's i18n modules), and a test checks that every
code has words in both languages in each. Codes never change once shipped: tills and scripts match on them."""

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
    ORDER_CONFLICT = "order_conflict"  # an order_paid under a new event_id says something else of a recorded order
    CONFLICTING_MEMBER = "conflicting_member"  # a till's member registration names an id or phone it may not claim
    NOT_YOUR_ENTRY = "not_your_entry"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_LEVEL = "unknown_level"  # a level id that the chain's level catalog does not hold (a typo like "glod")
    LEVEL_IN_USE = "level_in_use"  # a catalog level still named by a setting or held by a member
    # the wallet (docs/wallet.md)
    INSUFFICIENT_BALANCE = "insufficient_balance"
    CONSENT_REQUIRED = "consent_required"
    VOUCHER_UNAVAILABLE = "voucher_unavailable"
    HOLD_INVALID = "hold_invalid"
    WALLET_OFFLINE = "wallet_offline"
    WITHDRAWAL_DISABLED = "withdrawal_disabled"
    BELOW_MINIMUM = "below_minimum"
    DAILY_CAP_EXCEEDED = "daily_cap_exceeded"
    WITHDRAWAL_STATE = "withdrawal_state"
    AMOUNT_OVER_LIMIT = "amount_over_limit"  # a sale above its store's hard maximum (StoreSettings.sale_max_fen)
    # requests to the server (docs/sync-protocol.md "Errors"; the API maps each to its HTTP status)
    CONFLICT = "conflict"
    ENROLMENT_CODE_EXPIRED = "enrolment_code_expired"
    ENROLMENT_CODE_INVALID = "enrolment_code_invalid"
    FORBIDDEN = "forbidden"
    HTTP_ERROR = "http_error"
    INTERNAL_ERROR = "internal_error"
    INVALID_REQUEST = "invalid_request"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    TERMINAL_REVOKED = "terminal_revoked"
    TOO_LARGE = "too_large"
    UNAUTHORIZED = "unauthorized"
    UNAVAILABLE = "unavailable"
    BUSY = "busy"  # more pushes than the server takes at once: 503 with Retry-After, nothing applied
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    # member-page links (`/m/<token>`)
    LINK_EXPIRED = "link_expired"
    LINK_INVALID = "link_invalid"
    LINK_REVOKED = "link_revoked"
    # member codes and signed links (shared/tokens.py), verified at the till and on the server
    TOKEN_MALFORMED = "token_malformed"
    TOKEN_BAD_SIGNATURE = "token_bad_signature"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_UNKNOWN_KEY = "token_unknown_key"
    TOKEN_WRONG_PURPOSE = "token_wrong_purpose"
    # the till (cashier_app): refused or failed at the till itself, before anything is written or sent
    DEDUCTION_EXCEEDS_TOTAL = "deduction_exceeds_total"
    DEDUCTION_NEEDS_MEMBER = "deduction_needs_member"
    DEDUCTION_EXCEEDS_POINTS = "deduction_exceeds_points"  # more than the member's points are worth (last pull)
    INVALID_PHONE = "invalid_phone"
    MEMBER_EXISTS = "member_exists"
    NO_MEMBER_KEYS = "no_member_keys"  # never synced: no public keys to check a member code with
    UNKNOWN_PHONE = "unknown_phone"
    NOT_A_CODE = "not_a_code"
    UNKNOWN_PRODUCT = "unknown_product"  # a scanned barcode the store's catalogue does not hold
    NOTHING_PARKED = "nothing_parked"  # recall with no sale parked at this till
    ORDER_NOT_FOUND = "order_not_found"
    SALE_NOT_SAVED = "sale_not_saved"  # the local database refused the write: nothing was recorded
    LOCAL_DATABASE = "local_database"  # the same for anything but a sale (a refund, a report, a registration)
    PIN_WRONG = "pin_wrong"
    PIN_NOT_SET = "pin_not_set"
    PIN_FORMAT = "pin_format"
    PIN_LOCKED = "pin_locked"  # too many wrong PINs in a row: that PIN is locked for a while
    NOT_SIGNED_IN = "not_signed_in"  # the store has employees: a cashier signs in before selling
    TENDER_EXCEEDS_DUE = "tender_exceeds_due"  # the split tenders add up to more than the amount due
    RECEIVED_TOO_LITTLE = "received_too_little"  # the cash handed over is less than the cash due
    MANAGER_PIN_NEEDED = "manager_pin_needed"  # a sale above the store's confirm amount waits for the manager's PIN
    PRINTER_OFFLINE = "printer_offline"
    PRINTER_TIMEOUT = "printer_timeout"
    PRINTER_ADDRESS = "printer_address"
    PRINTER_IO = "printer_io"
    SERVER_UNAVAILABLE = "server_unavailable"  # network down, timeout, 5xx: the till tries again later


class RuleError(Exception):
    """A refusal by the rules: nothing was changed."""

    def __init__(self, code: Code, detail: str = "") -> None:
        super().__init__(f"{code.value}: {detail}" if detail else code.value)
        self.code = code
        self.detail = detail
