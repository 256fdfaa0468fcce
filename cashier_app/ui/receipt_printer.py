"""Receipts to an ESC/POS printer, after the sale is committed, on a print thread of their own.

The sale is already durable when a job starts; a printer that is off, refuses or hangs only ever produces a
`failed` signal (said in the status bar), and the cashier reprints with Shift+F8. One thread keeps jobs in order
and never takes a thread of the global pool that other work (the server's figures) waits for.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import QObject, QThreadPool, Signal

from shared.errors import Code

from ..core.checkout import Sale
from ..core.escpos import ReceiptData, ReceiptWords, drawer_job, render_receipt, render_report
from ..core.printers import PrinterError, open_printer
from ..core.services import ReceiptFacts
from .context import AppContext
from .ops import run_op
from .receipt import wallet_rows
from .words import status_words, tender_text

log = logging.getLogger("paidui.cashier.printer")


def receipt_words() -> ReceiptWords:
    return ReceiptWords(
        receipt_no=Q.translate("Receipt", "Receipt no."),
        time=Q.translate("Receipt", "Time"),
        till=Q.translate("Receipt", "Till"),
        cashier=Q.translate("Receipt", "Cashier"),
        member=Q.translate("Receipt", "Member"),
        walk_in=Q.translate("Receipt", "Walk-in"),
        amount=Q.translate("Receipt", "Amount"),
        points=Q.translate("Receipt", "Points deduction"),
        tender=Q.translate("Receipt", "Tender"),
        paid=Q.translate("Receipt", "Paid"),
        position_pending=Q.translate("Receipt", "Queue position pending sync"),
        position=Q.translate("Receipt", "Queue position: No. %1"),
        entry_status=Q.translate("Receipt", "Queue entry: %1"),
        scan_member=Q.translate("Receipt", "Scan for your order and your queue rebate"),
        scan_walk_in=Q.translate("Receipt", "Scan to see your order"),
        order=Q.translate("Receipt", "Order"),
        thanks=Q.translate("Receipt", "Thank you!"),
    )


def receipt_data(
    sale: Sale, facts: ReceiptFacts, *, store_name: str, till_name: str, tender: str, statuses: dict[str, str]
) -> ReceiptData:
    """What this sale's receipt says now: the cashier point and the queue position as the order row holds them."""
    entry = facts.entry
    return ReceiptData(
        store_name=store_name,
        receipt_no=sale.receipt_no,
        paid_at=sale.paid_at,
        till_name=till_name,
        cashier_id=facts.cashier_name or facts.cashier_id or "",  # the checkout point, by name once known
        tender_text=tender,
        member_display=sale.member.display_name if sale.member else None,
        total_fen=sale.total_fen,
        deduction_points_fen=sale.deduction_points_fen,
        paid_fen=sale.paid_fen,
        order_id=str(sale.order_id),
        order_link=sale.order_link,
        lines=sale.lines,
        position=entry.position if entry else None,
        entry_status=statuses.get(entry.status, entry.status) if entry and entry.position is None else None,
        wallet_rows=wallet_rows(sale),
    )


class ReceiptPrinter(QObject):
    printed = Signal(int)  # receipt number
    failed = Signal(int, str)  # receipt number (0: the cash drawer alone), PrinterError code
    drawer_opened = Signal()

    def __init__(
        self,
        ctx: AppContext,
        *,
        target: str,
        store_name: str,
        columns: int = 48,
        timeout_ms: int = 5000,
        parent: QObject | None = None,
    ) -> None:
        """Raises PrinterError("printer_address") for a target that names no printer."""
        super().__init__(parent)
        self.ctx = ctx
        self.target = target
        self.store_name = store_name
        self.columns = max(24, min(64, columns))
        self.printer = open_printer(target, timeout_s=max(100, timeout_ms) / 1000)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.pool.setExpiryTimeout(-1)  # keep the one thread: no start-up cost per receipt

    def print_sale(self, sale: Sale, *, open_drawer: bool = False) -> None:
        """Gather the receipt's words here (the translators); read the order's facts, render and send on the print
        thread (database and printer I/O stay off the UI thread). `open_drawer`: a cash sale, as it is made (never a
        reprint)."""
        words, columns, printer, receipt_no = receipt_words(), self.columns, self.printer, sale.receipt_no
        services, store_name, till_name = self.ctx.services, self.store_name, self.ctx.info.name
        tender, statuses = tender_text(sale.tender), status_words()

        def send() -> int:
            facts = services.receipt_facts(order_id=sale.order_id)
            data = receipt_data(
                sale, facts, store_name=store_name, till_name=till_name, tender=tender, statuses=statuses
            )
            printer.send(render_receipt(data, words=words, columns=columns, open_drawer=open_drawer))
            return receipt_no

        def failed(exc: Exception) -> None:
            code = exc.code if isinstance(exc, PrinterError) else Code.PRINTER_IO
            log.warning(
                "receipt %s not printed on %s: %s",
                receipt_no,
                self.target,
                exc,
                exc_info=None if isinstance(exc, PrinterError) else exc,
            )  # a bug: keep its traceback
            self.failed.emit(receipt_no, code)

        run_op(send, on_done=self.printed.emit, on_failed=failed, pool=self.pool)

    def print_report(self, title: str, rows: list[tuple[str, str]]) -> None:
        """A shift report (the Z, or a past Z again): `printed` / `failed` with receipt number 0."""
        printer, columns = self.printer, self.columns

        def send() -> int:
            printer.send(render_report(title, rows, columns=columns))
            return 0

        def failed(exc: Exception) -> None:
            log.warning("a shift report was not printed on %s: %s", self.target, exc)
            self.failed.emit(-1, exc.code if isinstance(exc, PrinterError) else Code.PRINTER_IO)

        run_op(send, on_done=self.printed.emit, on_failed=failed, pool=self.pool)

    def open_drawer(self) -> None:
        """Open the cash drawer (wired to this printer) without printing; failures come as `failed` with 0."""

        def send() -> int:
            self.printer.send(drawer_job())
            return 0

        def failed(exc: Exception) -> None:
            log.warning("the cash drawer did not open on %s: %s", self.target, exc)
            self.failed.emit(0, exc.code if isinstance(exc, PrinterError) else Code.PRINTER_IO)

        run_op(send, on_done=lambda _n: self.drawer_opened.emit(), on_failed=failed, pool=self.pool)

    def wait(self, ms: int) -> bool:
        """Wait for queued jobs (closing the app, tests); False if they still run."""
        return bool(self.pool.waitForDone(ms))
