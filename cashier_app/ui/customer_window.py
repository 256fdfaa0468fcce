"""The customer-facing window (the POS's second screen): the amount, and a QR code to the order's member page."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from shared.wire import EntryInfo

from ..core.checkout import Sale
from .qr import QrWidget
from .words import yuan


class CustomerWindow(QWidget):
    def __init__(self, store_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerWindow")
        self.setWindowTitle(self.tr("Paidui — customer display"))
        self.order_id: uuid.UUID | None = None
        self.welcome = QLabel(self.tr("Welcome to %1").replace("%1", store_name) if store_name else self.tr("Welcome"))
        self.amount = QLabel()
        self.amount.setObjectName("customerAmount")
        self.change = QLabel()  # cash received and the change due, as big as the amount
        self.change.setObjectName("customerChange")
        self.change.setWordWrap(True)
        self.qr = QrWidget()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.position = QLabel()
        self.position.setObjectName("customerPosition")
        self.position.setWordWrap(True)
        for label, size in (
            (self.welcome, 22),
            (self.amount, 40),
            (self.change, 30),
            (self.hint, 18),
            (self.position, 26),
        ):
            font = QFont()
            font.setPointSize(size)
            font.setBold(label is not self.hint)
            label.setFont(font)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.welcome)
        layout.addWidget(self.amount)
        layout.addWidget(self.change)
        layout.addWidget(self.qr, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.position)
        self.resize(480, 720)
        # privacy: the sale leaves the screen by itself, so the next person in line cannot scan the last one's code
        self.clear_timer = QTimer(self)
        self.clear_timer.setSingleShot(True)
        self.clear_timer.setInterval(60_000)
        self.clear_timer.timeout.connect(self.idle)
        self.idle()

    def set_clear_after(self, seconds: int) -> None:
        """How long a sale stays on screen (the till's `ui/customer_clear_s`), bounded to 1 s .. 1 h."""
        self.clear_timer.setInterval(min(max(seconds, 1), 3600) * 1000)

    def set_store_name(self, name: str) -> None:
        self.welcome.setText(self.tr("Welcome to %1").replace("%1", name) if name else self.tr("Welcome"))

    def idle(self) -> None:
        self.clear_timer.stop()
        self.order_id = None
        self.amount.setText("")
        self.change.setText("")
        self.qr.set_text("")
        self.qr.hide()
        self.hint.setText("")
        self.position.setText("")

    def show_sale(self, sale: Sale) -> None:
        self.order_id = sale.order_id
        self.amount.setText(self.tr("Paid %1").replace("%1", yuan(sale.paid_fen)))
        received = sale.received_fen
        self.change.setText(
            ""
            if received is None
            else self.tr("Received %1 · Change %2").replace("%1", yuan(received)).replace("%2", yuan(sale.change_fen))
        )
        self.qr.set_text(sale.order_link)
        self.qr.show()
        if sale.member is not None:
            self.hint.setText(self.tr("Scan to follow this sale's queue entry and rebate."))
            self.position.setText(self.tr("Queue position pending sync"))
        else:
            self.hint.setText(self.tr("Scan to see your order. Become a member to join the queue rebate."))
            self.position.setText("")
        self.clear_timer.start()

    def on_ack(self, order_id: uuid.UUID, entry: EntryInfo | None) -> None:
        """The server answered for an order; show its queue position if it is the one on screen."""
        if order_id != self.order_id or entry is None:
            return
        if entry.position is not None:
            text = self.tr("Your queue position: No. %1").replace("%1", str(entry.position))
        else:
            text = self.tr("Queue entry: %1").replace("%1", entry.status)
        if entry.lottery_state == "available":
            text += "\n" + self.tr("A lottery is waiting for you: scan the code to draw.")
        self.position.setText(text)
