"""Refund (F2): a sale of this store by receipt number or order id, full or partial, with the manager's PIN."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from sqlalchemy import select

from shared.errors import Code
from shared.money import format_fen, parse_yuan

from ..core.checkout import CheckoutError, Refund, record_refund
from ..core.db import UnitOfWork, orders, reading
from ..core.pin import PinError
from .context import AppContext
from .words import code_text, tender_text, yuan


class RefundDialog(QDialog):
    refunded = Signal(object)  # Refund

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.order_id: uuid.UUID | None = None
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

    def look_up(self) -> None:
        text = self.lookup.text().strip()
        self.order_id = None
        with reading(self.ctx.engine) as conn:
            query = select(orders)
            if text.isdigit():
                query = query.where(orders.c.receipt_no == int(text))
            else:
                query = query.where(orders.c.order_id == text.lower())
            row = conn.execute(query).first()
        if row is not None:
            self.order_id = uuid.UUID(row.order_id)
            left = row.paid_fen - row.refunded_fen
            self.found.setText(
                self.tr("Sale %1 at %2: paid %3 by %4, refundable %5")
                .replace("%1", str(row.receipt_no))
                .replace("%2", row.paid_at[:19])
                .replace("%3", yuan(row.paid_fen))
                .replace("%4", tender_text(row.tender))
                .replace("%5", yuan(left))
            )
            self.amount.setText(format_fen(left))
        else:
            try:
                self.order_id = uuid.UUID(text)
            except ValueError:
                self.found.setText("")
                self.message.setText(code_text(Code.ORDER_NOT_FOUND))
                return
            self.found.setText(self.tr("A sale of another till of this store: the server checks the amount."))
            self.amount.clear()
        self.message.clear()
        self.amount.setFocus()
        self.amount.selectAll()

    def submit(self) -> Refund | None:
        if self.order_id is None:
            self.look_up()
            if self.order_id is None:
                return None
        try:
            amount = parse_yuan(self.amount.text())
        except ValueError:
            self.message.setText(code_text(Code.INVALID_AMOUNT))
            return None
        try:
            with UnitOfWork(self.ctx.engine) as uow:
                refund = record_refund(
                    uow=uow,
                    order_id=self.order_id,
                    amount_fen=amount,
                    manager_pin=self.pin.text(),
                    reason=self.reason.text(),
                    clock=self.ctx.clock,
                )
        except (CheckoutError, PinError) as exc:
            self.message.setText(code_text(exc.code))
            self.pin.clear()
            return None
        self.refunded.emit(refund)
        self.accept()
        return refund
