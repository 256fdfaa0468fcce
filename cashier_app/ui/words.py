"""Stable codes to words for the cashier (one place, translated through Qt)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication as Q

from shared.errors import Code
from shared.money import format_fen

from ..core.errors import TillError


def code_words() -> dict[Code, str]:
    """Every stable code in words, translated now (tests/cashier_app/test_words.py holds it complete)."""
    return {
        # the rules, as the server refuses an event (F7) or a request
        Code.UNKNOWN_ORDER: Q.translate("Words", "The server does not know this order."),
        Code.UNKNOWN_STORE: Q.translate("Words", "The server does not know this till's store."),
        Code.UNKNOWN_CASHIER: Q.translate("Words", "The server does not know this till's cashier."),
        Code.INVALID_AMOUNT: Q.translate("Words", "The amount is not valid."),
        Code.REFUND_EXCEEDS_PAID: Q.translate("Words", "The refund is larger than what is left of the sale."),
        Code.NO_ENTRY: Q.translate("Words", "The order has no queue entry."),
        Code.ENTRY_NOT_WAITING: Q.translate("Words", "The queue entry is no longer waiting."),
        Code.LOTTERY_NOT_AVAILABLE: Q.translate("Words", "No lottery is available for this queue entry."),
        Code.INVALID_LOTTERY_RESULT: Q.translate("Words", "The lottery result is not one of the lottery's options."),
        Code.INVALID_TARGET: Q.translate("Words", "The entry cannot be exchanged into that."),
        Code.EXCHANGE_DISABLED: Q.translate("Words", "Exchanging queue entries is switched off."),
        Code.EXCHANGE_AMOUNT_ZERO: Q.translate("Words", "Nothing is left to exchange in this queue entry."),
        Code.INVALID_SETTINGS: Q.translate("Words", "The settings are not valid."),
        Code.UNKNOWN_LEVEL: Q.translate("Words", "This member level is not in the chain's level catalog."),
        Code.LEVEL_IN_USE: Q.translate("Words", "This member level is still in use and cannot be removed."),
        Code.AMOUNT_OVER_LIMIT: Q.translate(
            "Words", "The amount is above this store's limit for one sale: check the amount, or ask headquarters."
        ),
        Code.ORDER_REFUNDED: Q.translate("Words", "The order was already refunded."),
        Code.INVALID_EVENT: Q.translate("Words", "The server found the event invalid."),
        Code.CONFLICTING_DUPLICATE: Q.translate("Words", "The same event was sent twice with different contents."),
        Code.ORDER_CONFLICT: Q.translate(
            "Words", "The server has this sale with other amounts, cashier or member: check it with headquarters."
        ),
        Code.CONFLICTING_MEMBER: Q.translate(
            "Words", "The server refused this registration: the member id is taken (reported to headquarters)."
        ),
        Code.NOT_YOUR_ENTRY: Q.translate("Words", "This queue entry belongs to another member."),
        Code.UNKNOWN_MEMBER: Q.translate("Words", "The server does not know this member."),
        Code.INSUFFICIENT_BALANCE: Q.translate("Words", "The member's wallet does not have enough for this."),
        Code.CONSENT_REQUIRED: Q.translate(
            "Words", "The member's payment code is wrong, expired or already used: ask for the current one."
        ),
        Code.VOUCHER_UNAVAILABLE: Q.translate(
            "Words", "This voucher cannot be used here (used, expired, held or for another store)."
        ),
        Code.HOLD_INVALID: Q.translate("Words", "The wallet hold is unknown or no longer valid: ask for a new one."),
        Code.WALLET_OFFLINE: Q.translate(
            "Words", "Wallet tenders need the server, which cannot be reached: take another tender."
        ),
        Code.WITHDRAWAL_DISABLED: Q.translate("Words", "Withdrawal is switched off."),
        Code.BELOW_MINIMUM: Q.translate("Words", "The amount is below the minimum."),
        Code.DAILY_CAP_EXCEEDED: Q.translate("Words", "This is over the daily limit."),
        Code.WITHDRAWAL_STATE: Q.translate("Words", "The withdrawal was already decided."),
        # requests to the server: 429 and 5xx reach the till as server_unavailable, yet a body may name them
        Code.CONFLICT: Q.translate("Words", "The server already has a record like this. Tell your manager."),
        Code.ENROLMENT_CODE_EXPIRED: Q.translate("Words", "The enrolment code has expired."),
        Code.ENROLMENT_CODE_INVALID: Q.translate("Words", "The enrolment code is not valid."),
        Code.FORBIDDEN: Q.translate(
            "Words", "The server does not allow this (for example, a manager of another store)."
        ),
        Code.HTTP_ERROR: Q.translate("Words", "The server refused the request."),
        Code.INTERNAL_ERROR: Q.translate(
            "Words", "The server had an error. Sales stay saved on this till; try again shortly."
        ),
        Code.INVALID_REQUEST: Q.translate("Words", "The server found the till's request invalid. Tell your manager."),
        Code.METHOD_NOT_ALLOWED: Q.translate(
            "Words", "The server does not support this request (versions differ?). Tell your manager."
        ),
        Code.NOT_ACCEPTABLE: Q.translate(
            "Words", "The server cannot answer in the form the till asks for. Tell your manager."
        ),
        Code.NOT_FOUND: Q.translate(
            "Words", "The server does not have what the till asked for. Check the server address."
        ),
        Code.RATE_LIMITED: Q.translate("Words", "The server is busy; the till will try again shortly."),
        Code.BUSY: Q.translate(
            "Words", "The server has more sales to apply than it can take now; the till waits and sends again."
        ),
        Code.TERMINAL_REVOKED: Q.translate("Words", "This till has been revoked by headquarters."),
        Code.TOO_LARGE: Q.translate("Words", "The request is too large for the server. Tell your manager."),
        Code.UNAUTHORIZED: Q.translate(
            "Words",
            "The server did not accept the sign-in (this till's credential, or the manager's name or password).",
        ),
        Code.UNAVAILABLE: Q.translate(
            "Words", "The server's database does not answer; the till will try again shortly."
        ),
        Code.UNSUPPORTED_MEDIA_TYPE: Q.translate(
            "Words", "The server does not accept the till's data format (versions differ?). Tell your manager."
        ),
        Code.UNSUPPORTED_PROTOCOL: Q.translate(
            "Words", "This till's version does not match the server's. Update the cashier app."
        ),
        Code.LINK_EXPIRED: Q.translate(
            "Words", "This member page link has expired; the member gets a new one with the next sale."
        ),
        Code.LINK_INVALID: Q.translate("Words", "This member page link is not valid."),
        Code.LINK_REVOKED: Q.translate(
            "Words", "This member page link no longer works: the till that made it was revoked."
        ),
        # member codes
        Code.TOKEN_BAD_SIGNATURE: Q.translate("Words", "This member code is not genuine (bad signature). Refused."),
        Code.TOKEN_EXPIRED: Q.translate("Words", "This member code has expired. Ask the member to refresh it."),
        Code.TOKEN_UNKNOWN_KEY: Q.translate("Words", "This member code is signed by an unknown key. Refused."),
        Code.TOKEN_WRONG_PURPOSE: Q.translate("Words", "This code is not a member code."),
        Code.TOKEN_MALFORMED: Q.translate("Words", "This code cannot be read."),
        # the till's own
        Code.NO_MEMBER_KEYS: Q.translate("Words", "Member codes cannot be checked yet: this till has never synced."),
        Code.UNKNOWN_PHONE: Q.translate("Words", "No member with this phone number. Press F3 to register."),
        Code.NOT_A_CODE: Q.translate("Words", "Scan a member code or type an 11-digit phone number."),
        Code.UNKNOWN_PRODUCT: Q.translate(
            "Words", "No product with this barcode in the catalogue: type its price instead."
        ),
        Code.NOTHING_PARKED: Q.translate("Words", "No sale is parked at this till."),
        Code.DEDUCTION_EXCEEDS_TOTAL: Q.translate("Words", "The points deduction is larger than the amount."),
        Code.DEDUCTION_NEEDS_MEMBER: Q.translate("Words", "A points deduction needs a member."),
        Code.DEDUCTION_EXCEEDS_POINTS: Q.translate(
            "Words", "The points deduction is more than the member's points are worth (last sync)."
        ),
        Code.PIN_WRONG: Q.translate("Words", "Wrong manager PIN."),
        Code.PIN_NOT_SET: Q.translate("Words", "No manager PIN is set on this till."),
        Code.MANAGER_PIN_NEEDED: Q.translate(
            "Words", "This amount is above the store's confirm amount: the manager's PIN is needed."
        ),
        Code.PIN_FORMAT: Q.translate("Words", "The PIN is 4 to 12 digits."),
        Code.PIN_LOCKED: Q.translate("Words", "Too many wrong PINs: locked for 5 minutes."),
        Code.NOT_SIGNED_IN: Q.translate("Words", "Sign in first (F11): this store sells under each cashier's PIN."),
        Code.TENDER_EXCEEDS_DUE: Q.translate("Words", "The split payments add up to more than the amount due."),
        Code.RECEIVED_TOO_LITTLE: Q.translate("Words", "The cash received is less than the cash due."),
        Code.INVALID_PHONE: Q.translate("Words", "Not a mainland mobile number (11 digits starting with 1)."),
        Code.MEMBER_EXISTS: Q.translate("Words", "This phone number is already a member."),
        Code.ORDER_NOT_FOUND: Q.translate("Words", "No sale with this receipt number or order id."),
        Code.SALE_NOT_SAVED: Q.translate("Words", "The sale could NOT be saved; nothing was recorded. Try again."),
        Code.LOCAL_DATABASE: Q.translate(
            "Words", "The till's database could not be read or written; nothing was recorded. Try again."
        ),
        Code.PRINTER_OFFLINE: Q.translate(
            "Words", "The receipt printer cannot be reached (off, unplugged or no network)."
        ),
        Code.PRINTER_TIMEOUT: Q.translate(
            "Words", "The receipt printer does not answer (paper out, cover open or busy)."
        ),
        Code.PRINTER_ADDRESS: Q.translate(
            "Words", "The receipt printer setting is not valid (tcp://host:9100, /dev/usb/lp0 or file:///path)."
        ),
        Code.PRINTER_IO: Q.translate("Words", "The receipt printer reported an error."),
        Code.SERVER_UNAVAILABLE: Q.translate("Words", "The server cannot be reached."),
    }


def code_text(code: str) -> str:
    """A code in words; one this till does not know (a newer server's) is named, never shown bare."""
    words: dict[str, str] = {c.value: text for c, text in code_words().items()}
    known = words.get(code)
    if known is not None:
        return known
    return Q.translate("Words", "Refused by the server (%1).").replace("%1", code or "?")


def error_text(exc: Exception) -> str:
    """A failed job in words: a refusal by its code; anything else as the local database failing, named."""
    if isinstance(exc, TillError):
        return code_text(exc.code) + (f" ({exc.detail})" if exc.code in _NAMED_CAUSE and exc.detail else "")
    return code_text(Code.LOCAL_DATABASE) + f" ({type(exc).__name__})"


_NAMED_CAUSE = (Code.SALE_NOT_SAVED, Code.LOCAL_DATABASE)  # the detail names the database's error: worth saying


def tender_text(tender: str | None) -> str:
    return {
        "cash": Q.translate("Words", "Cash"),
        "wechat": Q.translate("Words", "WeChat Pay"),
        "alipay": Q.translate("Words", "Alipay"),
        "card": Q.translate("Words", "Bank card"),
        "other": Q.translate("Words", "Other"),
    }.get(tender or "other", tender or "")


def wallet_kind_text(kind: str) -> str:
    """A wallet tender's kind (docs/wallet.md)."""
    return {
        "rebate": Q.translate("Words", "Rebate balance"),
        "voucher": Q.translate("Words", "Voucher"),
        "points": Q.translate("Words", "Points"),
    }.get(kind, kind)


def yuan(fen: int) -> str:
    return "¥" + format_fen(fen)


def status_text(status: str) -> str:
    return status_words().get(status, status)


def status_words() -> dict[str, str]:
    """A queue entry's status in words (translated now: a thread without the translators gets them ready-made)."""
    return {
        "waiting": Q.translate("Words", "waiting"),
        "completed": Q.translate("Words", "completed"),
        "converted": Q.translate("Words", "completed"),
        "exchanged": Q.translate("Words", "exchanged"),
        "expired": Q.translate("Words", "expired"),
        "cancelled": Q.translate("Words", "cancelled"),
    }
