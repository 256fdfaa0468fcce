"""Refund (F2): a sale of this store by receipt number or order id, full or partial, with the manager's PIN.

A sale of another till (by order id) is looked up on the server first, through the sync worker: an order the server
does not know is refused with words (a mistyped id was refunded and parked for ever). Offline, or with a server that
cannot say, the refund is recorded as *to be confirmed* and stays in the F7 list until the server answers for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from shared.errors import Code
from shared.ids import OrderId
from shared.money import format_fen, parse_yuan
from shared.wire import OrderFacts

from ..core.services import FoundSale, RefundRecorded
from ..core.sync_client import RequestRefused
from .context import AppContext
from .words import code_text, error_text, tender_text, yuan

if TYPE_CHECKING:
    from ..sync_worker import SyncController

SERVER_CHECK_MS = 12_000  # no answer by then (a worker stuck in a slow push): as if offline, to be confirmed


class RefundDialog(QDialog):
    refunded = Signal(object)  # RefundRecorded

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, sync: SyncController | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sync = sync
        self.sale: FoundSale | None = None
        self.submitting = False
        self.checking: OrderId | None = None  # another till's sale being looked up on the server
        self.submit_after_check = False
        self.check_timer = QTimer(self)
        self.check_timer.setSingleShot(True)
        self.check_timer.setInterval(SERVER_CHECK_MS)
        self.check_timer.timeout.connect(self._check_timed_out)
        if sync is not None:
            sync.worker.order_found.connect(self._server_answered)
        self.setWindowTitle(self.tr("Refund (F2)"))
        self.lookup = QLineEdit()
        self.lookup.setObjectName("lookup")
        self.lookup.setPlaceholderText(self.tr("Receipt number or order id, then Enter"))
        self.found = QLabel()
        self.found.setObjectName("refundSale")  # not wrapped: the dialog grows to the whole line (it was clipped)
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
        form.addRow(self.found)
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

    @property
    def to_confirm(self) -> bool:
        """The sale is another till's and the server has not vouched for it: the refund waits for its word."""
        return self.sale is not None and not self.sale.local and not self.sale.checked

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
        self.checking = None
        self.check_timer.stop()
        services = self.ctx.services
        self.ctx.run(
            lambda: services.find_sale(text=text),
            on_done=lambda sale: self._found(sale, then_submit),
            on_failed=self._not_found,
            owner=self,
        )

    def _found(self, sale: FoundSale, then_submit: bool) -> None:
        self.message.clear()
        if not sale.local and self.sync is not None:  # another till's: ask the server before anything is refunded
            self.checking = sale.order_id
            self.submit_after_check = then_submit
            self.found.setText(self.tr("A sale of another till: asking the server about this order…"))
            self.amount.clear()
            self.check_timer.start()
            self.sync.look_up.emit(sale.order_id)
            return
        self._show(sale, then_submit)

    def _show(self, sale: FoundSale, then_submit: bool) -> None:
        self.sale = sale
        if sale.local:
            self.found.setText(
                self.tr("Sale %1 at %2: paid %3 by %4, refundable %5")
                .replace("%1", str(sale.receipt_no))
                .replace("%2", sale.paid_at[:19].replace("T", " "))
                .replace("%3", yuan(sale.paid_fen))
                .replace("%4", tender_text(sale.tender))
                .replace("%5", yuan(sale.refundable_fen))
                + (
                    self.tr(
                        " · of which %1 from the member's balance: a refund gives back the other tenders first, "
                        "what exceeds them goes back to the balance (%2 of this refund)"
                    )
                    .replace("%1", yuan(sale.wallet_fen))
                    .replace("%2", yuan(sale.to_balance_fen(sale.refundable_fen)))
                    if sale.wallet_fen
                    else ""
                )
            )
            self.amount.setText(format_fen(sale.refundable_fen))
        elif sale.checked:
            self.found.setText(
                self.tr("Sale of another till at %1: paid %2, refundable %3")
                .replace("%1", sale.paid_at[:19].replace("T", " "))
                .replace("%2", yuan(sale.paid_fen))
                .replace("%3", yuan(sale.refundable_fen))
            )
            self.amount.setText(format_fen(sale.refundable_fen))
        else:
            self.found.setText(
                self.tr("Another till's sale, not checked (offline): the refund will be TO BE CONFIRMED (F7).")
            )
            self.amount.clear()
        if then_submit:
            self.submit()
            return
        self.amount.setFocus()
        self.amount.selectAll()

    def _server_answered(self, order_id: str, answer: object) -> None:
        if self.checking is None or order_id != self.checking:
            return  # an answer for an earlier look-up
        checking, self.checking = self.checking, None
        self.check_timer.stop()
        then_submit = self.submit_after_check
        if isinstance(answer, OrderFacts):
            paid, refundable = answer.paid_fen, answer.paid_fen - answer.refunded_fen
            sale = FoundSale(checking, False, None, answer.paid_at.isoformat(), paid, refundable, checked=True)
            self._show(sale, then_submit)
        elif isinstance(answer, RequestRefused) and answer.code == Code.UNKNOWN_ORDER:
            self.sale = None
            self.found.setText("")
            self.message.setText(code_text(Code.UNKNOWN_ORDER) + " " + self.tr("Check the order id; nothing refunded."))
            self.lookup.setFocus()
            self.lookup.selectAll()
        else:  # offline, or a server that cannot say (one of before answers not_found): recorded, to be confirmed
            self._show(FoundSale(checking, False), then_submit)

    def _check_timed_out(self) -> None:
        if self.checking is not None:
            self._server_answered(self.checking, TimeoutError("no answer from the server"))

    def _not_found(self, exc: Exception) -> None:
        self.found.setText("")
        self.message.setText(error_text(exc))

    def submit(self) -> None:
        """Record the refund on the database thread; the dialog closes when it is committed."""
        if self.submitting:
            return
        if self.checking is not None:  # the server's answer comes first; OK then goes on with it
            self.submit_after_check = True
            return
        if self.sale is None:
            self.look_up(then_submit=True)
            return
        try:
            amount = parse_yuan(self.amount.text())
        except ValueError:
            self.message.setText(code_text(Code.INVALID_AMOUNT))
            self.amount.setFocus()
            return
        if self.sale.checked and amount > self.sale.refundable_fen:
            self.message.setText(code_text(Code.REFUND_EXCEEDS_PAID))
            self.amount.setFocus()
            return
        if not self.pin.text():  # nothing to check yet: ask for it, never "wrong PIN"
            self.message.setText(self.tr("Type the manager PIN, then Enter."))
            self.pin.setFocus()
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
