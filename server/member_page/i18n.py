"""Every word of the member page, in Simplified Chinese (default) and English, in one table.

A plain table rather than gettext catalogs: the page has a few dozen strings, the table is checked by a test (every
key in every language, the same placeholders), and nothing has to be compiled at build time.
Money words say what is, never what will be: estimates say they are estimates, and nothing promises a full rebate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from shared.errors import Code

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT: Lang = "zh"

MESSAGES: Mapping[Lang, Mapping[str, str]] = {
    "zh": {
        "html_lang": "zh-CN",
        "title": "我的排队",
        "level": "会员等级：{name}",
        "switch_lang": "English",
        "summary": "我的奖励",
        "cumulative": "累计已获奖励",
        "pending": "待奖励合计",
        "cumulative_note": "已到账的返利，扣除退款收回的部分。",
        "pending_note": "排队中各条目尚未到账的部分；能否到账取决于之后的消费，不作保证。",
        "entries": "我的排队条目",
        "no_entries": "暂无排队条目。",
        "closed_entries": "已结束的条目",
        "more_entries": "更多排队条目",
        "previous_entries": "前一页",
        "this_order": "本单",
        "queue_id": "{cashier} · 第 {seq} 号",
        "position": "当前排第 {position} 位",
        "not_receiving": "暂不参与分配",
        "progress": "已获 ¥{paid} / 权益 ¥{entitlement}",
        "remaining": "待奖励 ¥{remaining}",
        "ahead": "前面还有 {count} 条，待奖励共 ¥{amount}",
        "estimate": "估算：约再有 {orders} 笔订单后开始获得奖励",
        "estimate_note": "（按近 7 天平均每单提取 ¥{average} 计算；实际取决于之后的消费，不作保证）",
        "at_head": "已排到最前，新的订单会先分配给本条。",
        "ratio": "奖励比例 {ratio}",
        "paid_on": "{date} 消费 ¥{amount}",
        "status_waiting": "排队中",
        "status_completed": "已完成",
        "status_converted": "已完成（已转积分）",
        "status_exchanged": "已兑换",
        "status_expired": "已过期（清零）",
        "status_cancelled": "已取消（退款）",
        "lottery": "抽奖",
        "lottery_note": "抽奖决定本条的奖励比例，每条只能抽一次。",
        "exchange_points": "{points} 积分",
        "exchange_voucher": "¥{amount} 购物券",
        "exchange_title": "确认{name}",
        "exchange_explain": "本条尚有 ¥{remaining} 待奖励。{name}后本条结束排队，不再获得返利。",
        "exchange_into_points": "{name}为 {points} 积分",
        "exchange_into_voucher": "{name}为 ¥{amount} 购物券",
        "exchange_nothing": "本条目前不能{name}。",
        "back": "返回",
        "member_code": "我的会员码",
        "member_code_note": "结账时请收银员扫描此码。",
        "member_code_valid": "有效至 {time}",
        "refresh": "刷新",
        "done_draw": "抽奖结果：奖励比例 {ratio}，本条奖励权益 ¥{entitlement}。",
        "done_exchange_points": "已兑换为 {points} 积分。",
        "done_exchange_voucher": "已兑换为 ¥{amount} 购物券。",
        "order_pending": "订单正在同步到总部，请稍后刷新本页。",
        "order_no_member": "这笔订单没有关联会员，没有排队条目。",
        "error_title": "无法打开",
        "form_invalid": "页面已过期，请返回刷新后再试。",
        "rate_limited": "操作太频繁，请 {seconds} 秒后再试。",
        "refused": "操作未完成：{reason}",
        "refused_exchange_changed": "待奖励金额刚刚有变化，请重新确认。",
        "refused_other": "请稍后再试。",
        "footer": "数字为实时记录，仅供查询；排队返利不承诺每笔消费都能全部返还。",
    },
    "en": {
        "html_lang": "en",
        "title": "My queue",
        "level": "Member level: {name}",
        "switch_lang": "中文",
        "summary": "My rewards",
        "cumulative": "Rewards received",
        "pending": "Still waiting",
        "cumulative_note": "Rebates paid to you, less any taken back after refunds.",
        "pending_note": "The unpaid part of your waiting entries; whether it is paid depends on future sales and "
        "is not guaranteed.",
        "entries": "My queue entries",
        "no_entries": "No queue entries yet.",
        "closed_entries": "Closed entries",
        "more_entries": "More waiting entries",
        "previous_entries": "Previous page",
        "this_order": "This order",
        "queue_id": "{cashier} · No. {seq}",
        "position": "Position {position} in the queue",
        "not_receiving": "Not receiving for now",
        "progress": "Received ¥{paid} of ¥{entitlement}",
        "remaining": "Waiting: ¥{remaining}",
        "ahead": "{count} entries ahead, waiting for ¥{amount} in total",
        "estimate": "Estimate: rewards start after about {orders} more orders",
        "estimate_note": "(from the last 7 days' average contribution of ¥{average} per order; the real number "
        "depends on future sales and is not guaranteed)",
        "at_head": "At the front: new orders pay this entry first.",
        "ratio": "Reward ratio {ratio}",
        "paid_on": "{date}, spent ¥{amount}",
        "status_waiting": "Waiting",
        "status_completed": "Completed",
        "status_converted": "Completed (converted to points)",
        "status_exchanged": "Exchanged",
        "status_expired": "Expired (reset)",
        "status_cancelled": "Cancelled (refund)",
        "lottery": "Draw",
        "lottery_note": "The draw decides this entry's reward ratio; one draw per entry.",
        "exchange_points": "{points} points",
        "exchange_voucher": "a ¥{amount} voucher",
        "exchange_title": "Confirm: {name}",
        "exchange_explain": 'This entry still waits for ¥{remaining}. After "{name}" it leaves the queue and '
        "receives no more rebates.",
        "exchange_into_points": "{name}: {points} points",
        "exchange_into_voucher": "{name}: a ¥{amount} voucher",
        "exchange_nothing": 'This entry cannot be used for "{name}" now.',
        "back": "Back",
        "member_code": "My member code",
        "member_code_note": "Show this code to the cashier when you pay.",
        "member_code_valid": "Valid until {time}",
        "refresh": "Refresh",
        "done_draw": "Draw result: reward ratio {ratio}; this entry's entitlement is ¥{entitlement}.",
        "done_exchange_points": "Exchanged for {points} points.",
        "done_exchange_voucher": "Exchanged for a ¥{amount} voucher.",
        "order_pending": "The order is still on its way to headquarters. Please refresh this page in a moment.",
        "order_no_member": "This order has no member, so it has no queue entry.",
        "error_title": "Cannot open this page",
        "form_invalid": "This page is out of date. Go back, refresh and try again.",
        "rate_limited": "Too many requests. Please try again in {seconds} seconds.",
        "refused": "Not done: {reason}",
        "refused_exchange_changed": "The amount just changed; please confirm again.",
        "refused_other": "Please try again later.",
        "footer": "Figures are live records, for your information; the queue rebate does not promise to return "
        "every purchase in full.",
    },
}


# Every stable code (shared/errors.py) in words a member reads: a refusal never shows as a code.
CODES: Mapping[Lang, Mapping[Code, str]] = {
    "zh": {
        Code.UNKNOWN_ORDER: "没有找到这笔订单。",
        Code.UNKNOWN_STORE: "没有找到这家门店。",
        Code.UNKNOWN_CASHIER: "没有找到这个收银台。",
        Code.INVALID_AMOUNT: "金额无效。",
        Code.REFUND_EXCEEDS_PAID: "退款金额超过了实付金额。",
        Code.NO_ENTRY: "这笔订单没有排队条目。",
        Code.ENTRY_NOT_WAITING: "本条已不在排队中。",
        Code.LOTTERY_NOT_AVAILABLE: "本条已抽过奖或不能抽奖。",
        Code.INVALID_LOTTERY_RESULT: "抽奖结果无效。",
        Code.INVALID_TARGET: "不能兑换为这一项。",
        Code.EXCHANGE_DISABLED: "兑换功能未开启。",
        Code.EXCHANGE_AMOUNT_ZERO: "剩余待奖励太少，无法兑换。",
        Code.INVALID_SETTINGS: "门店设置有误，请联系店员。",
        Code.ORDER_REFUNDED: "这笔订单已退款。",
        Code.INVALID_EVENT: "数据有误，请联系店员。",
        Code.CONFLICTING_DUPLICATE: "与已提交的内容冲突。",
        Code.CONFLICTING_MEMBER: "会员编号已被占用。",
        Code.ORDER_CONFLICT: "该订单已按其他内容记录。",
        Code.NOT_YOUR_ENTRY: "这不是您的条目。",
        Code.UNKNOWN_MEMBER: "没有找到这位会员。",
        Code.UNKNOWN_LEVEL: "没有这个会员等级。",
        Code.LEVEL_IN_USE: "该会员等级仍在使用。",
        Code.CONFLICT: "与已有记录冲突。",
        Code.ENROLMENT_CODE_EXPIRED: "登记码已过期。",
        Code.ENROLMENT_CODE_INVALID: "登记码无效或已使用。",
        Code.FORBIDDEN: "无权执行此操作。",
        Code.HTTP_ERROR: "请求未能完成，请稍后再试。",
        Code.INTERNAL_ERROR: "服务器出错，请稍后再试。",
        Code.INVALID_REQUEST: "请求内容无效。",
        Code.METHOD_NOT_ALLOWED: "不支持此操作。",
        Code.NOT_ACCEPTABLE: "无法以所需格式显示。",
        Code.NOT_FOUND: "没有找到。",
        Code.RATE_LIMITED: "操作太频繁，请稍后再试。",
        Code.TERMINAL_REVOKED: "签发此链接的收银终端已停用。",
        Code.TOO_LARGE: "请求内容太大。",
        Code.UNAUTHORIZED: "需要有效的链接。",
        Code.UNAVAILABLE: "系统暂时无法访问，请稍后再试。",
        Code.BUSY: "系统正忙，请稍后再试。",
        Code.UNSUPPORTED_MEDIA_TYPE: "不支持的内容格式。",
        Code.UNSUPPORTED_PROTOCOL: "收银端版本过旧。",
        Code.LINK_EXPIRED: "此链接已过期。请在下次消费时扫描新的二维码。",
        Code.LINK_INVALID: "此链接无效。请使用收银台出示的二维码，或向店员索取新的链接。",
        Code.LINK_REVOKED: "此链接已失效（签发的收银终端已停用）。请向店员索取新的链接。",
        Code.TOKEN_MALFORMED: "会员码无法识别，请刷新后重新出示。",
        Code.TOKEN_BAD_SIGNATURE: "会员码校验未通过，请向店员求助。",
        Code.TOKEN_EXPIRED: "会员码已过期，请点“刷新”获取新码。",
        Code.TOKEN_UNKNOWN_KEY: "会员码暂时无法校验，请刷新后重新出示，或向店员求助。",
        Code.TOKEN_WRONG_PURPOSE: "这不是会员码。",
        Code.DEDUCTION_EXCEEDS_TOTAL: "积分抵扣不能超过订单金额。",
        Code.DEDUCTION_NEEDS_MEMBER: "使用积分抵扣需要会员身份。",
        Code.INVALID_PHONE: "手机号无效，请提供 1 开头的 11 位手机号。",
        Code.MEMBER_EXISTS: "该手机号已注册为会员。",
        Code.NO_MEMBER_KEYS: "收银台暂时无法校验会员码，可以改用手机号查找会员。",
        Code.UNKNOWN_PHONE: "没有找到使用该手机号的会员。",
        Code.NOT_A_CODE: "请出示会员码，或提供 11 位手机号。",
        Code.ORDER_NOT_FOUND: "收银台没有找到这笔订单，请核对小票号。",
        Code.SALE_NOT_SAVED: "收银台未能保存这笔消费，请向店员确认。",
        Code.LOCAL_DATABASE: "收银台暂时无法读写数据，请向店员求助。",
        Code.PIN_WRONG: "店长密码错误。",
        Code.PIN_NOT_SET: "收银台未设置店长密码。",
        Code.PIN_FORMAT: "店长密码为 4 至 12 位数字。",
        Code.PRINTER_OFFLINE: "无法连接小票打印机。",
        Code.PRINTER_TIMEOUT: "小票打印机无响应。",
        Code.PRINTER_ADDRESS: "小票打印机设置有误。",
        Code.PRINTER_IO: "小票打印机出错。",
        Code.SERVER_UNAVAILABLE: "收银台暂时连不上总部，订单会在恢复后自动同步。",
    },
    "en": {
        Code.UNKNOWN_ORDER: "This order was not found.",
        Code.UNKNOWN_STORE: "This store was not found.",
        Code.UNKNOWN_CASHIER: "This checkout was not found.",
        Code.INVALID_AMOUNT: "The amount is not valid.",
        Code.REFUND_EXCEEDS_PAID: "The refund is more than was paid.",
        Code.NO_ENTRY: "This order has no queue entry.",
        Code.ENTRY_NOT_WAITING: "This entry is no longer waiting.",
        Code.LOTTERY_NOT_AVAILABLE: "This entry has had its draw, or has none.",
        Code.INVALID_LOTTERY_RESULT: "The draw result is not valid.",
        Code.INVALID_TARGET: "This cannot be exchanged into that.",
        Code.EXCHANGE_DISABLED: "Exchange is not available.",
        Code.EXCHANGE_AMOUNT_ZERO: "Too little is left to exchange.",
        Code.INVALID_SETTINGS: "The store's settings are wrong; please ask the staff.",
        Code.ORDER_REFUNDED: "This order was refunded.",
        Code.INVALID_EVENT: "Something in the data is wrong; please ask the staff.",
        Code.CONFLICTING_DUPLICATE: "This conflicts with what was sent before.",
        Code.CONFLICTING_MEMBER: "The member id is taken.",
        Code.ORDER_CONFLICT: "This order was recorded with other details.",
        Code.NOT_YOUR_ENTRY: "This is not your entry.",
        Code.UNKNOWN_MEMBER: "This member was not found.",
        Code.UNKNOWN_LEVEL: "This member level does not exist.",
        Code.LEVEL_IN_USE: "This member level is still in use.",
        Code.CONFLICT: "This conflicts with an existing record.",
        Code.ENROLMENT_CODE_EXPIRED: "The enrolment code has expired.",
        Code.ENROLMENT_CODE_INVALID: "The enrolment code is unknown or used already.",
        Code.FORBIDDEN: "This is not allowed.",
        Code.HTTP_ERROR: "The request could not be completed; please try again later.",
        Code.INTERNAL_ERROR: "The server failed; please try again later.",
        Code.INVALID_REQUEST: "The request is not valid.",
        Code.METHOD_NOT_ALLOWED: "This is not supported.",
        Code.NOT_ACCEPTABLE: "This cannot be shown in the format asked for.",
        Code.NOT_FOUND: "Not found.",
        Code.RATE_LIMITED: "Too many requests. Please try again later.",
        Code.TERMINAL_REVOKED: "The till that made this link was withdrawn.",
        Code.TOO_LARGE: "The request is too large.",
        Code.UNAUTHORIZED: "A valid link is needed.",
        Code.UNAVAILABLE: "The system cannot be reached just now; please try again later.",
        Code.BUSY: "The system is busy; please try again shortly.",
        Code.UNSUPPORTED_MEDIA_TYPE: "This content type is not supported.",
        Code.UNSUPPORTED_PROTOCOL: "The till's version is too old.",
        Code.LINK_EXPIRED: "This link has expired. Scan the new QR code at your next purchase.",
        Code.LINK_INVALID: "This link is not valid. Use the QR code shown at the till, or ask the staff for a new "
        "link.",
        Code.LINK_REVOKED: "This link no longer works (the till that made it was withdrawn). Ask the staff for a new "
        "link.",
        Code.TOKEN_MALFORMED: "The member code cannot be read. Refresh it and show it again.",
        Code.TOKEN_BAD_SIGNATURE: "The member code did not pass the check; please ask the staff.",
        Code.TOKEN_EXPIRED: "The member code has expired. Tap Refresh for a new one.",
        Code.TOKEN_UNKNOWN_KEY: "The member code cannot be checked just now. Refresh it and show it again, or ask the "
        "staff.",
        Code.TOKEN_WRONG_PURPOSE: "This is not a member code.",
        Code.DEDUCTION_EXCEEDS_TOTAL: "A points deduction cannot be more than the order amount.",
        Code.DEDUCTION_NEEDS_MEMBER: "Paying with points needs a member.",
        Code.INVALID_PHONE: "Not a valid mobile number: give 11 digits starting with 1.",
        Code.MEMBER_EXISTS: "This phone number is a member already.",
        Code.NO_MEMBER_KEYS: "The till cannot check member codes yet; it can find you by phone number.",
        Code.UNKNOWN_PHONE: "No member has this phone number.",
        Code.NOT_A_CODE: "Show your member code, or give your 11-digit phone number.",
        Code.ORDER_NOT_FOUND: "The till found no such order; please check the receipt number.",
        Code.SALE_NOT_SAVED: "The till could not save this purchase; please check with the staff.",
        Code.LOCAL_DATABASE: "The till cannot read or write its data just now; please ask the staff.",
        Code.PIN_WRONG: "Wrong manager PIN.",
        Code.PIN_NOT_SET: "No manager PIN is set on the till.",
        Code.PIN_FORMAT: "A manager PIN has 4 to 12 digits.",
        Code.PRINTER_OFFLINE: "The receipt printer cannot be reached.",
        Code.PRINTER_TIMEOUT: "The receipt printer does not answer.",
        Code.PRINTER_ADDRESS: "The receipt printer is set up wrongly.",
        Code.PRINTER_IO: "The receipt printer reported an error.",
        Code.SERVER_UNAVAILABLE: "The till cannot reach headquarters just now; orders are sent on once it can.",
    },
}


def negotiate(query_lang: str | None, accept_language: str | None) -> Lang:
    """`?lang=` wins; then the first language of Accept-Language that we speak; Chinese otherwise."""
    if query_lang == "zh":
        return "zh"
    if query_lang == "en":
        return "en"
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


class Words:
    """The table for one language, callable as words("key", name=value)."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self._table = MESSAGES[lang]
        self._codes = CODES[lang]

    def __call__(self, key: str, **values: object) -> str:
        """The words of a key, or of a stable code named by its value (`words("link_expired")`)."""
        text = self._table[key] if key in self._table else self._codes[Code(key)]
        return text.format(**values) if values else text

    def code(self, code: Code) -> str:
        return self._codes[code]
