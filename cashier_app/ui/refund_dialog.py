"""Refund (F2): a sale of this store by receipt number or order id, full or partial, with the manager's PIN."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from shared.errors import Code
from shared.money import format_fen, parse_yuan

from ..core.services import FoundSale, RefundRecorded
from .context import AppContext
from .words import code_text, error_text, tender_text, yuan


class RefundDialog(QDialog):
    refunded = Signal(object)  # RefundRecorded

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sale: FoundSale | None = None
        self.submitting = False
        self.setWindowTitle(self.tr("Refund (F2)"))
        self.lookup = QLineEdit()
        self.lookup.setObjectName("lookup")
        self.lookup.setPlaceholderText(self.tr("Receipt number or order id, then Enter"))
        self.found = QLabel()
        self.found.setWordWrap(True)
        self.amount = QLineEdit()
        self.amount.setObjectName("refundAmount")
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.pin = QLineEdit()
        self.pin.setObjectName("pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setObjectName("refundMessage")
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow(self.tr("Sale"), self.lookup)
        form.addRow("", self.found)
        form.addRow(self.tr("Refund amount (yuan)"), self.amount)
        form.addRow(self.tr("Reason"), self.reason)
        form.addRow(self.tr("Manager PIN"), self.pin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.lookup.returnPressed.connect(self.look_up)
        self.amount.returnPressed.connect(self.reason.setFocus)
        self.reason.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.submit)
        self.lookup.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter moves field by field (on the PIN it submits): it must not also press the dialog's default button,
        # which tried the refund with no PIN yet and looked the sale up again
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return
        super().keyPressEvent(event)

    def look_up(self, *, then_submit: bool = False) -> None:
        """Find the sale on the database thread; `then_submit`: OK was pressed before the sale was looked up."""
        text = self.lookup.text().strip()
        self.sale = None
        services = self.ctx.services
        self.ctx.run(
            lambda: services.find_sale(text=text),
            on_done=lambda sale: self._found(sale, then_submit),
            on_failed=self._not_found,
            owner=self,
        )

    def _found(self, sale: FoundSale, then_submit: bool) -> None:
        self.sale = sale
        if sale.local:
            self.found.setText(
                self.tr("Sale %1 at %2: paid %3 by %4, refundable %5")
                .replace("%1", str(sale.receipt_no))
                .replace("%2", sale.paid_at[:19])
                .replace("%3", yuan(sale.paid_fen))
                .replace("%4", tender_text(sale.tender))
                .replace("%5", yuan(sale.refundable_fen))
            )
            self.amount.setText(format_fen(sale.refundable_fen))
        else:
            self.found.setText(self.tr("A sale of another till of this store: the server checks the amount."))
            self.amount.clear()
        self.message.clear()
        if then_submit:
            self.submit()
            return
        self.amount.setFocus()
        self.amount.selectAll()

    def _not_found(self, exc: Exception) -> None:
        self.found.setText("")
        self.message.setText(error_text(exc))

    def submit(self) -> None:
        """Record the refund on the database thread; the dialog closes when it is committed."""
        if self.submitting:
            return
        if self.sale is None:
            self.look_up(then_submit=True)
            return
        try:
            amount = parse_yuan(self.amount.text())
        except ValueError:
            self.message.setText(code_text(Code.INVALID_AMOUNT))
            return
        services, order_id, pin, reason = self.ctx.services, self.sale.order_id, self.pin.text(), self.reason.text()
        self.submitting = True
        self.ctx.run(
            lambda: services.refund(order_id=order_id, amount_fen=amount, manager_pin=pin, reason=reason),
            on_done=self._refunded,
            on_failed=self._refused,
            owner=self,
        )

    def _refunded(self, recorded: RefundRecorded) -> None:
        self.submitting = False
        self.refunded.emit(recorded)
        self.accept()

    def _refused(self, exc: Exception) -> None:
        self.submitting = False
        self.message.setText(error_text(exc))
        self.pin.clear()
