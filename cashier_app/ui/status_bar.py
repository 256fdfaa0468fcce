"""The status bar: online or not, sales waiting to be sent, last sync, events needing attention."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from shared.errors import Code

from ..sync_worker import SyncStatus
from .words import code_text


class SyncStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.online = QLabel()
        self.online.setObjectName("online")
        self.pending = QLabel()
        self.pending.setObjectName("pending")
        self.last = QLabel()
        self.last.setObjectName("lastSync")
        self.attention = QLabel()
        self.attention.setObjectName("attention")
        self.printer = QLabel()
        self.printer.setObjectName("printer")
        self.checkout = QLabel()  # the checkout point (收银台) this till sells for: its queue
        self.checkout.setObjectName("checkoutPoint")
        for w in (self.checkout, self.online, self.pending, self.last, self.attention, self.printer):
            self.addPermanentWidget(w)
        self.show_status(SyncStatus(None, 0, 0, None))

    def show_status(self, status: SyncStatus) -> None:
        if status.online is None:
            self.online.setText(self.tr("● connecting…"))
            self.online.setStyleSheet("color: #9e9e9e;")
        elif status.online:
            self.online.setText(self.tr("● online"))
            self.online.setStyleSheet("color: #2e7d32; font-weight: bold;")
        elif status.error and status.error != Code.SERVER_UNAVAILABLE:
            # the server answered but refuses us (revoked, bad credential): say why, it will not heal by itself
            self.online.setText(self.tr("● refused: %1").replace("%1", code_text(status.error)))
            self.online.setStyleSheet("color: #c62828; font-weight: bold;")
        else:
            self.online.setText(self.tr("● offline"))
            self.online.setStyleSheet("color: #c62828; font-weight: bold;")
        self.set_pending(status.pending)
        when = status.last_sync.strftime("%H:%M:%S") if status.last_sync else self.tr("never")
        self.last.setText(self.tr("Last sync: %1").replace("%1", when))
        self.attention.setText(
            self.tr("Needs attention: %1 (F7)").replace("%1", str(status.attention)) if status.attention else ""
        )
        self.attention.setStyleSheet("color: #c62828;" if status.attention else "")

    def show_printer_problem(self, text: str) -> None:
        """A receipt printer problem stays in view until a receipt prints again ("" clears it)."""
        self.printer.setText(text)
        self.printer.setStyleSheet("color: #c62828; font-weight: bold;" if text else "")

    def set_checkout(self, name: str) -> None:
        self.checkout.setText(self.tr("Checkout point: %1").replace("%1", name))

    def set_pending(self, count: int) -> None:
        self.pending.setText(self.tr("Waiting to send: %1").replace("%1", str(count)))
