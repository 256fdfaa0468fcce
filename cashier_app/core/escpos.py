"""A sale's receipt as ESC/POS bytes for a thermal printer: Chinese text in GB18030, the order page as a native QR.

Hand-written rather than python-escpos 3.1: that library sends text in GB18030 only when it holds a character of
U+4E00-U+9FA5 (a line such as "￥80.00" or "（大杯）" goes through single-byte code pages) and never selects the
printer's Chinese mode (FS &); its partial cut after a feed is GS V 1, not GS V 66 n; importing it configures the
root logger and makes a temporary directory; and it brings eight more packages (Pillow, PyYAML, python-barcode,
...) into the till's bundle for the dozen commands used here.

The Chinese mode is selected once, right after ESC @ (printers differ on whether ESC @ clears it): every receipt
has Chinese text or at least the ￥ sign, and ASCII bytes print the same in that mode, so leaving it for
ASCII-only lines (FS .) is never needed.

Widths: on a Chinese printer every character outside ASCII is a double-byte glyph of the Chinese font and takes
two columns (一, ￥, ×, · alike), ASCII takes one; padding and alignment count that way.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import qrcode
import qrcode.constants
import qrcode.util

from shared.money import format_fen
from shared.wire import SaleLine

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"  # two-byte characters (GB18030 on Chinese models)
ALIGN_LEFT, ALIGN_CENTER = ESC + b"a\x00", ESC + b"a\x01"
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
SIZE_NORMAL, SIZE_DOUBLE_HEIGHT, SIZE_DOUBLE = GS + b"!\x00", GS + b"!\x01", GS + b"!\x11"
FONT_A, FONT_B = ESC + b"M\x00", ESC + b"M\x01"
FONT_B_DOTS = 9
PARTIAL_CUT = GS + b"VB"  # GS V 66 n: feed to the cutter (+ n units), then a partial cut
QR_CN = b"1"  # cn 49: the QR symbol of GS ( k
QR_EC_M = 49  # error correction M (15%)
COLUMNS_58MM, COLUMNS_80MM = 32, 48
DOTS_PER_COLUMN = 12  # font A is 12 dots wide: 384 dots on 58 mm paper, 576 on 80 mm
QR_MAX_MODULE = 8
# ESC p m t1 t2: a pulse on the drawer kick-out connector pin 2 (m = 0), on for t1 × 2 ms, off for t2 × 2 ms.
# 50 ms on / 500 ms off opens the usual 24 V drawer solenoids (the values Epson's manuals give as an example).
DRAWER_PULSE = ESC + b"p\x00\x19\xfa"
YUAN = "￥"  # the full-width sign: GB2312 A3A4, in every Chinese font (U+00A5 needs a four-byte GB18030 code)


def char_width(ch: str) -> int:
    return 1 if ord(ch) < 0x80 else 2


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def clean(text: str) -> str:
    """NFC (one glyph, one code), control characters as spaces: a stray LF or ESC in a name must not drive the
    printer."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def fit(text: str, width: int) -> str:
    """The longest prefix of `text` that takes at most `width` columns (a double-width glyph is never halved)."""
    out, used = [], 0
    for ch in text:
        w = char_width(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def wrap(text: str, width: int) -> list[str]:
    """Break into lines of at most `width` columns: at the last space when there is one (English words), else at
    any character (Chinese has no spaces to break at)."""
    lines = []
    while text_width(text) > width:
        head = fit(text, width) or text[0]
        if text[len(head)] != " " and " " in head.strip():
            head = head[: head.rstrip().rindex(" ")]
        lines.append(head.rstrip())
        text = text[len(head) :].lstrip(" ")
    return [*lines, text] if text or not lines else lines


def pad_right(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def pad_left(text: str, width: int) -> str:
    return " " * max(0, width - text_width(text)) + text


def center(text: str, width: int) -> str:
    room = max(0, width - text_width(text))
    return " " * (room // 2) + text + " " * (room - room // 2)


def row(left: str, right: str, width: int) -> list[str]:
    """`left` then `right` flush right on one line; when both do not fit, `right` goes flush right below."""
    if text_width(left) + 1 + text_width(right) <= width:
        return [left + " " * (width - text_width(left) - text_width(right)) + right]
    return [*wrap(left, width), *(pad_left(part, width) for part in wrap(right, width))]


def qr_commands(data: str, *, module: int) -> bytes:
    """GS ( k for a QR symbol: model 2, module size, error correction M, store the data, print it."""
    if not 1 <= module <= 16:
        raise ValueError("QR module size is 1 to 16 dots")
    if len(data.encode("utf-8")) > 7089:
        raise ValueError("too much data for a QR symbol")

    return (
        _qr_function(65, b"2\x00")  # model 2
        + _qr_function(67, bytes((module,)))
        + _qr_function(69, bytes((QR_EC_M,)))
        + qr_store_command(data)
        + _qr_function(81, b"0")
    )  # print the stored symbol


def qr_store_command(data: str) -> bytes:
    """GS ( k function 80: store `data` in the symbol storage area."""
    return _qr_function(80, b"0" + data.encode("utf-8"))


def _qr_function(fn: int, params: bytes) -> bytes:
    size = len(params) + 2  # cn and fn count in pL pH
    return GS + b"(k" + bytes((size & 0xFF, size >> 8)) + QR_CN + bytes((fn,)) + params


def qr_module_for(data: str, *, columns: int) -> int:
    """The largest module size (dots) at which the symbol and its quiet zone fit the paper, at most 8."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    # byte mode throughout, as a printer may encode it: qrcode's own mixed-mode optimising could give a smaller
    # version than the printer draws, and the symbol would then be wider than the paper
    code.add_data(qrcode.util.QRData(data.encode("utf-8"), mode=qrcode.util.MODE_8BIT_BYTE))
    version = int(code.best_fit())  # the version only: no mask is chosen, the printer draws the symbol
    modules = 17 + 4 * version + 2 * 4
    return max(1, min(QR_MAX_MODULE, columns * DOTS_PER_COLUMN // modules))


@dataclass(frozen=True)
class ReceiptWords:
    """The receipt's words, already translated by the caller (core has no Qt); %1 is filled in here."""

    receipt_no: str = "Receipt no."
    time: str = "Time"
    till: str = "Till"
    cashier: str = "Cashier"
    member: str = "Member"
    walk_in: str = "Walk-in"
    amount: str = "Amount"
    points: str = "Points deduction"
    tender: str = "Tender"
    paid: str = "Paid"
    position_pending: str = "Queue position pending sync"
    position: str = "Queue position: No. %1"
    entry_status: str = "Queue entry: %1"
    scan_member: str = "Scan for your order and your queue rebate"
    scan_walk_in: str = "Scan to see your order"
    order: str = "Order"
    thanks: str = "Thank you!"


@dataclass(frozen=True)
class ReceiptData:
    store_name: str
    receipt_no: int
    paid_at: dt.datetime
    till_name: str
    cashier_id: str
    member_display: str | None  # masked as on screen; None for a walk-in
    total_fen: int
    deduction_points_fen: int
    paid_fen: int
    tender_text: str
    order_id: str
    order_link: str
    lines: Sequence[SaleLine] = ()
    position: int | None = None  # the queue position once the server answered
    entry_status: str | None = None  # said instead of a position when the entry no longer waits
    wallet_rows: Sequence[tuple[str, int]] = ()  # (words, fen): what the member's wallet paid, the balance left


class _Job:
    def __init__(self) -> None:
        self.out = bytearray(INIT)

    def raw(self, data: bytes) -> None:
        self.out += data

    def line(self, text: str = "") -> None:
        self.out += text.encode("gb18030") + LF


def drawer_job() -> bytes:
    """A job that only opens the cash drawer (wired to the receipt printer's kick-out connector)."""
    return INIT + DRAWER_PULSE


def render_receipt(
    receipt: ReceiptData, *, words: ReceiptWords | None = None, columns: int = COLUMNS_80MM, open_drawer: bool = False
) -> bytes:
    """One print job: init, header, facts, lines, totals, the paid amount large, queue position, QR, feed, cut.
    `open_drawer` (a cash sale) opens the cash drawer first: the cashier gives change while the receipt prints."""
    w = words or ReceiptWords()
    job = _Job()
    rule = "-" * columns

    job.raw(CHINESE_ON)
    if open_drawer:
        job.raw(DRAWER_PULSE)
    job.raw(ALIGN_CENTER + BOLD_ON + SIZE_DOUBLE_HEIGHT)
    for part in wrap(clean(receipt.store_name), columns):
        job.line(part)
    job.raw(SIZE_NORMAL + BOLD_OFF + ALIGN_LEFT)
    job.line(rule)
    facts = [
        (w.time, receipt.paid_at.strftime("%Y-%m-%d %H:%M:%S")),
        (w.receipt_no, str(receipt.receipt_no)),
        (w.till, receipt.till_name),
        (w.cashier, receipt.cashier_id),
        (w.member, receipt.member_display if receipt.member_display is not None else w.walk_in),
    ]
    for label, value in facts:
        for text in row(clean(label), clean(value), columns):
            job.line(text)
    job.line(rule)
    for sale_line in receipt.lines:
        for text in wrap(clean(sale_line.name), columns):
            job.line(text)
        detail = f"  {sale_line.quantity} x {format_fen(sale_line.unit_price_fen)}"
        if sale_line.discount_fen:  # the line's own discount, as a negative amount: no words to translate
            detail += f" {format_fen(-sale_line.discount_fen)}"
        for text in row(detail, format_fen(sale_line.amount_fen), columns):
            job.line(text)
    if receipt.lines:
        job.line(rule)
    totals = [(w.amount, format_fen(receipt.total_fen))]
    if receipt.deduction_points_fen:
        totals.append((w.points, format_fen(-receipt.deduction_points_fen)))
    totals.append((w.tender, receipt.tender_text))
    totals += [(label, format_fen(fen)) for label, fen in receipt.wallet_rows]
    for label, value in totals:
        for text in row(clean(label), clean(value), columns):
            job.line(text)
    job.line(rule)

    job.raw(ALIGN_CENTER)
    job.line(clean(w.paid))
    job.raw(BOLD_ON + SIZE_DOUBLE)
    job.line(YUAN + format_fen(receipt.paid_fen))
    job.raw(SIZE_NORMAL + BOLD_OFF)
    if receipt.member_display is not None:
        if receipt.position is not None:
            queue = w.position.replace("%1", str(receipt.position))
        elif receipt.entry_status is not None:
            queue = w.entry_status.replace("%1", receipt.entry_status)
        else:
            queue = w.position_pending
        job.raw(BOLD_ON)
        for text in wrap(clean(queue), columns):
            job.line(text)
        job.raw(BOLD_OFF)
    for text in wrap(clean(w.scan_member if receipt.member_display is not None else w.scan_walk_in), columns):
        job.line(text)
    job.raw(qr_commands(receipt.order_link, module=qr_module_for(receipt.order_link, columns=columns)))
    job.line()
    job.raw(ALIGN_LEFT + FONT_B)  # the smaller font: a whole order id on one line even on 58 mm paper
    for text in row(clean(w.order), receipt.order_id, columns * DOTS_PER_COLUMN // FONT_B_DOTS):
        job.line(text)
    job.raw(FONT_A + ALIGN_CENTER)
    job.line(clean(w.thanks))
    job.raw(ALIGN_LEFT + ESC + b"d\x03" + PARTIAL_CUT + b"\x00")
    return bytes(job.out)


def render_report(title: str, rows: Sequence[tuple[str, str]], *, columns: int = COLUMNS_80MM) -> bytes:
    """A shift report (X / Z, or a Z printed again) as one job: the title bold, one row per figure, feed, cut."""
    job = _Job()
    job.raw(CHINESE_ON + ALIGN_CENTER + BOLD_ON + SIZE_DOUBLE_HEIGHT)
    for part in wrap(clean(title), columns):
        job.line(part)
    job.raw(SIZE_NORMAL + BOLD_OFF + ALIGN_LEFT)
    job.line("-" * columns)
    for label, value in rows:
        for text in row(clean(label), clean(value), columns):
            job.line(text)
    job.line("-" * columns)
    job.raw(ESC + b"d\x03" + PARTIAL_CUT + b"\x00")
    return bytes(job.out)
