"""Tender and change at the till: cash received, change due shown big, split payments, an on-screen keypad.

The fast sale stays as it was: amount + Enter with nothing typed here is an exact payment by the chosen tender.
Typing the cash received shows the change at once; split parts (e.g. ¥50 by card) are added one by one and the
rest is paid by the chosen tender. The keypad types into whichever field of the till had the focus last, so touch
and keyboard fill the same fields.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.money import parse_yuan
from shared.wire import TenderPart

from ..core.checkout import Sale
from ..core.tender import KINDS, Split, settle
from ..core.wallet import Hold, WalletView, default_amount
from .words import tender_text, wallet_kind_text, yuan

KEYS = ("7", "8", "9", "4", "5", "6", "1", "2", "3", "0", "00", ".")


class Keypad(QFrame):
    """Digits, 00, point, backspace, clear and Enter for a touch screen. The buttons never take the focus: they
    type into the till's field that had it last (`target`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keypad")
        grid = QGridLayout(self)
        grid.setSpacing(4)
        self.buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(KEYS):
            self._button(key, key, grid, i // 3, i % 3)
        self._button("⌫", "back", grid, 0, 3)
        self._button("C", "clear", grid, 1, 3)
        self._button("↵", "enter", grid, 2, 3, rows=2)

    def _button(self, text: str, key: str, grid: QGridLayout, row: int, col: int, rows: int = 1) -> None:
        button = QPushButton(text)
        button.setObjectName(f"key_{key}")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the field keeps the focus (and the keyboard still works)
        button.setMinimumSize(56, 48)
        button.clicked.connect(lambda: self.press(key))
        grid.addWidget(button, row, col, rows, 1)
        self.buttons[key] = button

    @property
    def target(self) -> QLineEdit | None:
        """The window's focus field (the last one focused, even while a dialog or another window is active)."""
        focus = self.window().focusWidget()
        if isinstance(focus, QLineEdit) and focus.echoMode() == QLineEdit.EchoMode.Normal:
            return focus
        return None

    def press(self, key: str) -> None:
        edit = self.target
        if edit is None or edit.isReadOnly() or not edit.isEnabled():
            return
        if key == "back":
            edit.backspace()
        elif key == "clear":
            edit.clear()
        elif key == "enter":
            edit.returnPressed.emit()
        else:
            edit.insert(key)
        edit.setFocus()


class TenderPanel(QWidget):
    """Cash received, the change due (big), split parts, and the keypad."""

    confirm_requested = Signal()  # Enter in the cash received field: the sale, as Enter in the amount
    # a wallet tender asked for: kind, amount in fen (0 for a voucher: its face value), voucher id or None, the code
    wallet_requested = Signal(str, int, object, str)

    def __init__(self, parent: QWidget | None = None, *, font_pt: int = 36) -> None:
        super().__init__(parent)
        self.due_fen: int | None = 0
        self.splits: list[Split] = []
        mid = QFont()
        mid.setPointSize(max(14, font_pt // 2))
        self.received = QLineEdit()
        self.received.setObjectName("received")
        self.received.setPlaceholderText(self.tr("cash received (empty: exact)"))
        self.received.setFont(mid)
        self.change = QLabel()
        self.change.setObjectName("changeDue")
        self.change.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        big = QFont()
        big.setPointSize(font_pt)
        big.setBold(True)
        self.change.setFont(big)
        # the window's style sheet sets every widget's font size: the label's own rule wins over it
        self.change.setStyleSheet(f"font-size: {font_pt}pt; font-weight: bold; color: #b71c1c;")
        self.change.setVisible(False)  # until there is change to show
        self.split_kind = QComboBox()
        self.split_kind.setObjectName("splitKind")
        for kind in ("card", "wechat", "alipay", "cash"):
            self.split_kind.addItem(tender_text(kind), kind)
        self.split_amount = QLineEdit()
        self.split_amount.setObjectName("splitAmount")
        self.split_amount.setPlaceholderText(self.tr("part paid another way"))
        self.add_split = QPushButton(self.tr("Add part"))
        self.add_split.setObjectName("addSplit")
        self.clear_splits = QPushButton(self.tr("Clear parts"))
        self.clear_splits.setObjectName("clearSplits")
        self.parts = QLabel()
        self.parts.setObjectName("splitParts")
        self.parts.setWordWrap(True)
        self.keypad = Keypad()
        # the member's wallet (docs/wallet.md): a tender held online with the member's payment code
        self.wallet_view: WalletView | None = None
        self.wallet_holds: list[Hold] = []
        self.wallet_kind = QComboBox()
        self.wallet_kind.setObjectName("walletKind")
        self.wallet_amount = QLineEdit()
        self.wallet_amount.setObjectName("walletAmount")
        self.wallet_code = QLineEdit()
        self.wallet_code.setObjectName("walletCode")
        self.wallet_code.setPlaceholderText(self.tr("member's payment code"))
        self.wallet_pay = QPushButton(self.tr("Pay from wallet"))
        self.wallet_pay.setObjectName("walletPay")
        self.set_wallet(None)

        received_row = QHBoxLayout()
        received_row.addWidget(QLabel(self.tr("Cash received")))
        received_row.addWidget(self.received, 1)
        change_row = QHBoxLayout()
        change_row.addWidget(QLabel(self.tr("Change")))
        change_row.addWidget(self.change, 1)
        split_row = QHBoxLayout()
        split_row.addWidget(self.split_kind)
        split_row.addWidget(self.split_amount, 1)
        split_row.addWidget(self.add_split)
        split_row.addWidget(self.clear_splits)
        left = QVBoxLayout()
        left.addLayout(received_row)
        left.addLayout(change_row)
        left.addLayout(split_row)
        wallet_row = QHBoxLayout()
        wallet_row.addWidget(self.wallet_kind)
        wallet_row.addWidget(self.wallet_amount, 1)
        wallet_row.addWidget(self.wallet_code, 1)
        wallet_row.addWidget(self.wallet_pay)
        left.addLayout(wallet_row)
        left.addWidget(self.parts)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addWidget(self.keypad)

        self.received.textChanged.connect(self._update)
        self.received.returnPressed.connect(self.confirm_requested.emit)
        self.split_amount.returnPressed.connect(self.add_part)
        self.add_split.clicked.connect(self.add_part)
        self.clear_splits.clicked.connect(self.reset_splits)
        self.wallet_code.returnPressed.connect(self.request_wallet)
        self.wallet_pay.clicked.connect(self.request_wallet)
        self.wallet_kind.currentIndexChanged.connect(self._update)
        self._update()

    # ------------------------------------------------------------------ the member's wallet
    def set_wallet(self, view: WalletView | None) -> None:
        """What the member can spend (None: not known, e.g. offline): the kinds offered and the default amounts."""
        self.wallet_view = view
        self.wallet_kind.clear()
        self.wallet_kind.addItem(wallet_kind_text("rebate"), ("rebate", None))
        for v in view.vouchers if view else ():
            self.wallet_kind.addItem(f"{wallet_kind_text('voucher')} {yuan(v.value_fen)}", ("voucher", v.voucher_id))
        if view is None or not view.vouchers:
            self.wallet_kind.addItem(wallet_kind_text("voucher"), ("voucher", None))
        self.wallet_kind.addItem(wallet_kind_text("points"), ("points", None))
        self._update()

    def wallet_default_fen(self) -> int:
        """What is due (the rest), capped by what the chosen kind has (uncapped while the wallet is not known)."""
        rest = max(0, self.rest_fen or 0)
        kind, voucher = self.wallet_kind.currentData() or ("rebate", None)
        if self.wallet_view is None:
            return rest
        return default_amount(due_fen=rest, available_fen=self.wallet_view.available_fen(kind, voucher))

    def request_wallet(self) -> None:
        kind, voucher = self.wallet_kind.currentData() or ("rebate", None)
        text = self.wallet_amount.text().strip()
        try:
            amount = parse_yuan(text) if text else self.wallet_default_fen()
        except ValueError:
            amount = -1
        if kind == "voucher":
            amount = 0  # the voucher pays its face value
        elif amount <= 0:
            self.wallet_amount.setFocus()
            self.wallet_amount.selectAll()
            return
        self.wallet_requested.emit(kind, amount, voucher, self.wallet_code.text().strip())

    def add_hold(self, hold: Hold) -> None:
        """The server reserved it: it pays its part of the sale."""
        self.wallet_holds.append(hold)
        self.wallet_amount.clear()
        self.wallet_code.clear()
        self._update()

    def clear_holds(self) -> None:
        """The holds are given back by the checkout: they pay nothing any more."""
        self.wallet_holds.clear()
        self._update()

    @property
    def wallet_fen(self) -> int:
        return sum(h.amount_fen for h in self.wallet_holds)

    # ------------------------------------------------------------------ what the cashier typed
    def set_due(self, due_fen: int | None) -> None:
        """The amount due as typed in the sale's form (None: not a valid amount yet)."""
        self.due_fen = due_fen
        self._update()

    def add_part(self) -> None:
        text = self.split_amount.text().strip()
        try:
            amount = parse_yuan(text) if text else 0
        except ValueError:
            amount = 0
        if amount <= 0:
            self.split_amount.selectAll()
            return
        self.splits.append(Split(self.split_kind.currentData(), amount))
        self.split_amount.clear()
        self._update()

    def reset_splits(self) -> None:
        self.splits.clear()
        self._update()

    def received_fen(self) -> int | None:
        """The cash handed over; None when nothing is typed (exact payment). ValueError for what is not money."""
        text = self.received.text().strip()
        return parse_yuan(text) if text else None

    def settle(self, *, due_fen: int, rest_kind: str) -> list[TenderPart]:
        """The payment's parts (TenderError with a code when they do not add up; ValueError: not money)."""
        due = due_fen - self.wallet_fen  # the wallet's holds pay their part first
        return settle(due_fen=due, splits=self.splits, rest_kind=rest_kind, received_fen=self.received_fen())

    @property
    def rest_fen(self) -> int | None:
        if self.due_fen is None:
            return None
        return self.due_fen - sum(s.amount_fen for s in self.splits) - self.wallet_fen

    def _show_change(self, text: str) -> None:
        """The change due, as big as the amount to pay, only while there is a cash count to show it for: at rest
        the amount to pay stays the biggest text on the till."""
        self.change.setText(text)
        self.change.setVisible(bool(text))

    def _update(self) -> None:
        if not hasattr(self, "parts"):  # filling the wallet's kinds while the panel is being built
            return
        self.wallet_amount.setPlaceholderText(
            self.tr("wallet amount (empty: %1)").replace("%1", yuan(self.wallet_default_fen()))
        )
        if self.splits or self.wallet_holds:
            parts = " + ".join(
                [f"{wallet_kind_text(h.kind)} {yuan(h.amount_fen)}" for h in self.wallet_holds]
                + [f"{tender_text(s.kind)} {yuan(s.amount_fen)}" for s in self.splits]
            )
            rest = self.rest_fen
            rest_text = "—" if rest is None else yuan(rest)
            self.parts.setText(self.tr("Split: %1 · rest %2").replace("%1", parts).replace("%2", rest_text))
        else:
            self.parts.setText("")
        try:
            received = self.received_fen()
        except ValueError:
            self._show_change("—")
            return
        rest = self.rest_fen
        if received is None or rest is None:
            self._show_change("")
        elif received < rest:
            self._show_change(self.tr("short %1").replace("%1", yuan(rest - received)))
        else:
            self._show_change(yuan(received - rest))

    # ------------------------------------------------------------------ after the sale
    def show_sale(self, sale: Sale) -> None:
        """The change of the sale just recorded stays up (big) until the next sale is typed."""
        if sale.received_fen is not None:
            self._show_change(yuan(sale.change_fen))

    def reset(self) -> None:
        self.received.clear()
        self.split_amount.clear()
        self.splits.clear()
        self.split_kind.setCurrentIndex(0)
        self.wallet_holds.clear()  # captured with the sale, or released by the checkout (Esc)
        self.wallet_amount.clear()
        self.wallet_code.clear()
        self.set_wallet(None)

    def set_locked(self, locked: bool) -> None:
        for edit in (self.received, self.split_amount, self.wallet_amount, self.wallet_code):
            edit.setReadOnly(locked)
        for w in (self.add_split, self.clear_splits, self.split_kind, self.keypad, self.wallet_kind, self.wallet_pay):
            w.setEnabled(not locked)


def tender_summary(parts: tuple[TenderPart, ...] | list[TenderPart], fallback: str) -> str:
    """How a sale was paid, in words: "现金 ¥50.00 + 银行卡 ¥30.00" (the single tender's name when not split)."""
    if not parts:
        return tender_text(fallback)
    if len(parts) == 1 and parts[0].received_fen is None:  # paid exactly by one tender: said as before
        return tender_text(parts[0].kind)
    words = []
    for p in parts:
        text = f"{tender_text(p.kind)} {yuan(p.amount_fen)}"
        if p.received_fen is not None and p.change_fen:
            text += (
                Q.translate("TenderPanel", " (received %1, change %2)")
                .replace("%1", yuan(p.received_fen))
                .replace("%2", yuan(p.change_fen))
            )
        words.append(text)
    return " + ".join(words)


__all__ = ["KINDS", "Keypad", "TenderPanel", "tender_summary"]
