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
from .words import tender_text, yuan

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
        self._update()

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
        return settle(due_fen=due_fen, splits=self.splits, rest_kind=rest_kind, received_fen=self.received_fen())

    @property
    def rest_fen(self) -> int | None:
        if self.due_fen is None:
            return None
        return self.due_fen - sum(s.amount_fen for s in self.splits)

    def _show_change(self, text: str) -> None:
        """The change due, as big as the amount to pay, only while there is a cash count to show it for: at rest
        the amount to pay stays the biggest text on the till."""
        self.change.setText(text)
        self.change.setVisible(bool(text))

    def _update(self) -> None:
        if self.splits:
            parts = " + ".join(f"{tender_text(s.kind)} {yuan(s.amount_fen)}" for s in self.splits)
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
        self._update()

    def set_locked(self, locked: bool) -> None:
        for edit in (self.received, self.split_amount):
            edit.setReadOnly(locked)
        for w in (self.add_split, self.clear_splits, self.split_kind, self.keypad):
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
