"""Stable codes to words for the cashier (one place, translated through Qt)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication as Q

from shared.money import format_fen


def code_text(code: str) -> str:
    words = {
        "token_bad_signature": Q.translate("Words", "This member code is not genuine (bad signature). Refused."),
        "token_expired": Q.translate("Words", "This member code has expired. Ask the member to refresh it."),
        "token_unknown_key": Q.translate("Words", "This member code is signed by an unknown key. Refused."),
        "token_wrong_purpose": Q.translate("Words", "This code is not a member code."),
        "token_malformed": Q.translate("Words", "This code cannot be read."),
        "no_member_keys": Q.translate("Words", "Member codes cannot be checked yet: this till has never synced."),
        "unknown_phone": Q.translate("Words", "No member with this phone number. Press F3 to register."),
        "not_a_code": Q.translate("Words", "Scan a member code or type an 11-digit phone number."),
        "invalid_amount": Q.translate("Words", "The amount is not valid."),
        "deduction_exceeds_total": Q.translate("Words", "The points deduction is larger than the amount."),
        "deduction_needs_member": Q.translate("Words", "A points deduction needs a member."),
        "refund_exceeds_paid": Q.translate("Words", "The refund is larger than what is left of the sale."),
        "pin_wrong": Q.translate("Words", "Wrong manager PIN."),
        "pin_not_set": Q.translate("Words", "No manager PIN is set on this till."),
        "pin_format": Q.translate("Words", "The PIN is 4 to 12 digits."),
        "invalid_phone": Q.translate("Words", "Not a mainland mobile number (11 digits starting with 1)."),
        "member_exists": Q.translate("Words", "This phone number is already a member."),
        "unknown_cashier": Q.translate("Words", "The server does not know this till's cashier."),
        "unknown_order": Q.translate("Words", "The server does not know this order."),
        "order_refunded": Q.translate("Words", "The order was already refunded."),
        "conflicting_duplicate": Q.translate("Words", "The same event was sent twice with different contents."),
        "invalid_event": Q.translate("Words", "The server found the event invalid."),
        "server_unavailable": Q.translate("Words", "The server cannot be reached."),
        "unauthorized": Q.translate("Words", "The server does not accept this till's credential."),
        "terminal_revoked": Q.translate("Words", "This till has been revoked by headquarters."),
        "enrolment_code_invalid": Q.translate("Words", "The enrolment code is not valid."),
        "enrolment_code_expired": Q.translate("Words", "The enrolment code has expired."),
        "order_not_found": Q.translate("Words", "No sale with this receipt number or order id."),
        "sale_not_saved": Q.translate("Words", "The sale could NOT be saved; nothing was recorded. Try again."),
        "printer_offline": Q.translate(
            "Words", "The receipt printer cannot be reached (off, unplugged or no network)."
        ),
        "printer_timeout": Q.translate("Words", "The receipt printer does not answer (paper out, cover open or busy)."),
        "printer_address": Q.translate(
            "Words", "The receipt printer setting is not valid (tcp://host:9100, /dev/usb/lp0 or file:///path)."
        ),
        "printer_io": Q.translate("Words", "The receipt printer reported an error."),
    }
    return words.get(code, code)


def tender_text(tender: str | None) -> str:
    return {
        "cash": Q.translate("Words", "Cash"),
        "wechat": Q.translate("Words", "WeChat Pay"),
        "alipay": Q.translate("Words", "Alipay"),
        "card": Q.translate("Words", "Bank card"),
        "other": Q.translate("Words", "Other"),
    }.get(tender or "other", tender or "")


def yuan(fen: int) -> str:
    return "¥" + format_fen(fen)


def status_text(status: str) -> str:
    return {
        "waiting": Q.translate("Words", "waiting"),
        "completed": Q.translate("Words", "completed"),
        "converted": Q.translate("Words", "completed"),
        "exchanged": Q.translate("Words", "exchanged"),
        "expired": Q.translate("Words", "expired"),
        "cancelled": Q.translate("Words", "cancelled"),
    }.get(status, status)
