"""The main window: the checkout screen, F-key actions, the sync status bar; wires the customer window."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QFrame, QLabel, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from ..core.checkout import Sale
from ..core.credentials import Secrets
from ..core.members import MemberView
from ..core.printers import PrinterError
from ..core.services import DrawerRecorded, MemberRecorded, RefundRecorded
from ..core.staff import Employee
from ..core.sync import OrderAck
from ..core.terminal import signer_for
from ..options import AMOUNT_FONT_PT, CUSTOMER_CLEAR_S, ESCPOS_COLUMNS, ESCPOS_PRINTER, ESCPOS_TIMEOUT_MS, RECEIPT_PDF
from ..sync_worker import SyncController, SyncStatus
from . import receipt
from .attention import AttentionDialog
from .checkout import CheckoutPanel
from .context import AppContext
from .customer_window import CustomerWindow
from .drawer_dialog import DrawerDialog
from .queue_report import QueueReportDialog
from .receipt_printer import ReceiptPrinter
from .refund_dialog import RefundDialog
from .register_dialog import RegisterDialog
from .shift_report import ShiftReportDialog
from .staff import SignInDialog
from .status_bar import SyncStatusBar
from .words import code_text, error_text, yuan

D = TypeVar("D", bound=QDialog)

STYLE = """
QWidget { font-size: 15pt; }
#memberCard { background: #fff8e1; border-radius: 6px; }
#memberTitle { font-size: 20pt; font-weight: bold; }
#toPay { color: #0d47a1; }
#confirm { background: #2e7d32; color: white; padding: 10px; }
#hints { color: #555; font-size: 12pt; }
"""


class MainWindow(QMainWindow):
    credential_failed = Signal(object)  # the exception the sync worker met reading the secrets

    def __init__(
        self,
        ctx: AppContext,
        *,
        customer: CustomerWindow | None = None,
        sync: SyncController | None = None,
        escpos: str | None = None,
    ) -> None:
        """`escpos`: the receipt printer for this run (`--escpos`); None reads the setting, "" means none."""
        super().__init__()
        self.ctx = ctx
        self.customer = customer
        self.sync = sync
        self.last_sale: Sale | None = None
        self.dialogs: dict[str, QDialog] = {}
        self.credential_error: Exception | None = None  # why the worker could not read the secrets; main says it
        self.store_name = ctx.info.name  # until the store's name is read (first thing on the database thread)
        self.store_known = False
        self._set_title()
        # What the customer pays is the biggest thing on the till: the style sheet's font size would override the
        # amount's own font (`ui/amount_font_pt`), so the style sheet says it too.
        amount_pt = ctx.options.get(AMOUNT_FONT_PT)
        self.setStyleSheet(STYLE + f"#toPay {{ font-size: {amount_pt}pt; font-weight: bold; }}\n")
        self.checkout = CheckoutPanel(ctx)
        hints = QLabel(
            self.tr(
                "Enter confirm · Esc clear · F2 refund · F3 register member · F4 shift report · F5 price lookup · "
                "F6 store queue · F7 needs attention · F8 print receipt · Shift+F8 receipt printer · F9 open drawer · "
                "F10 park · F11 sign in · F12 recall"
            )
        )
        hints.setObjectName("hints")
        hints.setWordWrap(True)
        central = QWidget()
        layout = QVBoxLayout(central)
        # a store PC's screen may be 1366×768: the sale (member, items, tender, keypad) scrolls rather than pushing
        # the window past the screen's edge (Tab scrolls the focused field into view)
        scroller = QScrollArea()
        scroller.setWidget(self.checkout)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the sale's fields
        layout.addWidget(scroller, 1)
        layout.addWidget(hints)
        self.setCentralWidget(central)
        self.status = SyncStatusBar()
        self.setStatusBar(self.status)
        self.employee: Employee | None = None
        self.staff: list[Employee] = []
        self.employee_label = QLabel()
        self.employee_label.setObjectName("employeeName")
        self.status.addPermanentWidget(self.employee_label)
        self.resize(1366, 720)  # a common store PC screen is 1366×768

        for key, action in (
            (Qt.Key.Key_F2, self.open_refund),
            (Qt.Key.Key_F3, self.open_register),
            (Qt.Key.Key_F4, self.open_shift_report),
            (Qt.Key.Key_F6, self.open_queue_report),
            (Qt.Key.Key_F7, self.open_attention),
            (Qt.Key.Key_F8, self.print_last),
            (Qt.Key.Key_F9, self.open_drawer),
            (Qt.Key.Key_F11, self.open_sign_in),
        ):
            QShortcut(QKeySequence(key), self, action)
        QShortcut(QKeySequence(Qt.KeyboardModifier.ShiftModifier | Qt.Key.Key_F8), self, self.reprint_escpos)
        self.receipt_printer = self._receipt_printer(ctx.options.get(ESCPOS_PRINTER) if escpos is None else escpos)
        self.checkout.sale_done.connect(self.on_sale)
        self.checkout.pending.connect(self.status.set_pending)
        if customer is not None:
            customer.set_clear_after(ctx.options.get(CUSTOMER_CLEAR_S))
            # the next sale's first key (typed or scanned) takes the last one off the customer's screen
            for edit in (self.checkout.scan, self.checkout.amount):
                edit.textEdited.connect(self._next_sale_started)
        ctx.run(ctx.services.store_name, on_done=self.on_store_name, on_failed=self.on_read_failed, owner=self)
        self.refresh_checkout()
        self.refresh_staff()
        if sync is not None:
            sync.worker.status.connect(self.on_status)
            sync.worker.acknowledged.connect(self.on_acks)
            sync.worker.pulled.connect(self.on_pulled)
            sync.worker.catalogue_changed.connect(self.load_catalogue)
            sync.worker.secrets_loaded.connect(self.on_secrets)
            sync.worker.secrets_failed.connect(self.on_secrets_failed)
        self.refresh_pending()
        self.load_catalogue()

    def load_catalogue(self) -> None:
        """The catalogue as last pulled, indexed on the database thread, handed to the checkout (items or not)."""
        self.ctx.run(
            self.ctx.services.catalogue, on_done=self.checkout.set_catalogue, on_failed=self.on_read_failed, owner=self
        )

    def _set_title(self) -> None:
        self.setWindowTitle(
            self.tr("Paidui cashier — %1 · %2").replace("%1", self.store_name).replace("%2", self.ctx.info.name)
        )

    def on_store_name(self, name: str | None) -> None:
        if not name:  # never pulled: the till's own name stands in
            return
        self.store_known = True
        self.store_name = name
        self._set_title()
        if self.customer is not None:
            self.customer.set_store_name(name)
        if self.receipt_printer is not None:
            self.receipt_printer.store_name = name

    def on_read_failed(self, exc: Exception) -> None:
        self.status.showMessage(error_text(exc), 10_000)

    # ------------------------------------------------------------------ events from the checkout and the worker
    def on_sale(self, sale: Sale) -> None:
        self.last_sale = sale
        if self.customer is not None:
            self.customer.show_sale(sale)
        if self.sync is not None:
            self.sync.sync_now()
        if self.receipt_printer is not None:
            self.receipt_printer.print_sale(sale, open_drawer=sale.opens_drawer)  # cash: the drawer opens
        if self.ctx.options.get(RECEIPT_PDF):
            self.save_receipt_pdf(sale)

    def _next_sale_started(self) -> None:
        if self.customer is not None and self.customer.order_id is not None:
            self.customer.idle()

    def save_receipt_pdf(self, sale: Sale) -> None:
        """The receipt as PDF into <data>/receipts, written on the database thread (file work); the words are
        put together here, where the translators are."""
        html = receipt.receipt_html(sale, self.ctx.info, self.store_name)
        path = self.ctx.data_dir / "receipts" / f"receipt-{sale.receipt_no:06d}.pdf"
        self.ctx.run(
            lambda: receipt.write_pdf(html, path),
            on_done=lambda _p: None,
            on_failed=lambda exc: self.status.showMessage(
                self.tr("Receipt %1 NOT saved as PDF: %2").replace("%1", str(sale.receipt_no)).replace("%2", str(exc)),
                10_000,
            ),
            owner=self,
        )

    def on_secrets(self, secrets: Secrets) -> None:
        self.ctx.signer = signer_for(self.ctx.info, secrets, self.ctx.clock)
        if self.ctx.wallet is not None:
            self.ctx.wallet.set_credential(secrets.credential)
        self.checkout.key_ready()

    def on_secrets_failed(self, exc: Exception) -> None:
        """No keyring, a locked one, or no entry for this till: no sale can be signed; main explains (or enrols)."""
        self.credential_error = exc
        self.credential_failed.emit(exc)

    def on_status(self, status: SyncStatus) -> None:
        self.status.show_status(status)

    def on_acks(self, acks: list[OrderAck]) -> None:
        if self.customer is not None:
            for ack in acks:
                self.customer.on_ack(ack.order_id, ack.entry)

    def refresh_checkout(self) -> None:
        """The checkout point in the status bar: a manager may move the till to another, seen at the next pull."""
        services = self.ctx.services
        self.ctx.run(
            services.checkout_name, on_done=self.status.set_checkout, on_failed=self.on_read_failed, owner=self
        )

    # ------------------------------------------------------------------ staff
    def refresh_staff(self) -> None:
        self.ctx.run(self.ctx.services.staff, on_done=self.on_staff, on_failed=self.on_read_failed, owner=self)

    def on_staff(self, staff: list[Employee]) -> None:
        """The store's employees (start-up, and after each pull): nobody signed in yet means the sign-in comes up."""
        self.staff = staff
        known = {e.employee_id for e in staff}
        if self.employee is not None and self.employee.employee_id not in known:
            self.set_employee(None)  # left the store: their sales stop here
        if staff and self.employee is None and "signin" not in self.dialogs:
            self.open_sign_in()
        self._show_employee()

    def open_sign_in(self) -> SignInDialog | None:
        if not self.staff:
            self.checkout.say(self.tr("This store has no employees: the till sells without signing in."))
            return None
        dialog = SignInDialog(self.ctx, self.staff, self)
        dialog.signed_in.connect(self.set_employee)
        dialog.finished.connect(lambda _r: self.dialogs.pop("signin", None))
        return self._open("signin", dialog)

    def set_employee(self, employee: Employee | None) -> None:
        self.employee = employee
        self.checkout.employee_id = employee.employee_id if employee else None
        self._show_employee()
        if employee is not None:
            self.checkout.say(self.tr("Signed in: %1").replace("%1", employee.name))

    def _show_employee(self) -> None:
        if self.employee is not None:
            self.employee_label.setText(self.tr("Cashier: %1 (F11 changes)").replace("%1", self.employee.name))
        elif self.staff:
            self.employee_label.setText(self.tr("Nobody signed in (F11)"))
        else:
            self.employee_label.setText("")

    def on_pulled(self) -> None:
        self.refresh_checkout()
        self.refresh_staff()
        if not self.store_known:  # the first pull of a new till brings the store's name
            services = self.ctx.services
            self.ctx.run(services.store_name, on_done=self.on_store_name, on_failed=self.on_read_failed, owner=self)
        dialog = self.dialogs.get("queue")
        if isinstance(dialog, QueueReportDialog) and dialog.isVisible():
            dialog.refresh()

    def refresh_pending(self) -> None:
        self.ctx.run(
            self.ctx.services.pending_count, on_done=self.status.set_pending, on_failed=self.on_read_failed, owner=self
        )

    # ------------------------------------------------------------------ F-keys
    def _open(self, name: str, dialog: D) -> D:
        old = self.dialogs.pop(name, None)
        if old is not None:
            old.close()
            old.deleteLater()
        self.dialogs[name] = dialog
        dialog.finished.connect(self._back_to_checkout)
        dialog.open()
        dialog.activateWindow()  # keyboard first: the dialog takes the keys at once
        return dialog

    def _back_to_checkout(self) -> None:
        # keyboard first: the keys go back to the sale (a platform without a window manager would leave no window
        # active after the dialog closes). A sale with its member known goes on at the amount: the keys typed next
        # are money, and in the member field they would be taken for a member code (and drop the member).
        self.activateWindow()
        panel = self.checkout
        (panel.amount if panel.member is not None else panel.scan).setFocus()

    def open_refund(self) -> RefundDialog:
        dialog = RefundDialog(self.ctx, self, sync=self.sync)
        dialog.refunded.connect(lambda recorded: self.on_refunded(recorded, to_confirm=dialog.to_confirm))
        return self._open("refund", dialog)

    def on_refunded(self, recorded: RefundRecorded, *, to_confirm: bool = False) -> None:
        if recorded.pending is not None:
            self.status.set_pending(recorded.pending)
        if self.sync is not None:
            self.sync.sync_now()
        amount = yuan(recorded.refund.amount_fen)
        if to_confirm:  # another till's sale the server could not vouch for: not a refund yet, say so
            self.checkout.say(
                self.tr("Refund of %1 recorded, TO BE CONFIRMED by the server: see F7.").replace("%1", amount),
                error=True,
            )
            return
        self.checkout.say(self.tr("Refund recorded: %1").replace("%1", amount))

    def open_register(self) -> RegisterDialog:
        dialog = RegisterDialog(self.ctx, self.checkout.scan.text().strip() or self.checkout.last_unknown_phone, self)
        dialog.registered.connect(self.on_registered)
        return self._open("register", dialog)

    def on_registered(self, recorded: MemberRecorded) -> None:
        member = recorded.member
        self.checkout.set_member(MemberView(member, [], True))
        self.checkout.say(self.tr("Member registered: %1").replace("%1", member.display_name))
        self.checkout.amount.setFocus()
        if recorded.pending is not None:
            self.status.set_pending(recorded.pending)
        if self.sync is not None:
            self.sync.sync_now()

    def open_shift_report(self) -> ShiftReportDialog:
        names = {e.employee_id: e.name for e in self.staff}
        return self._open("shift", ShiftReportDialog(self.ctx, self, printer=self.receipt_printer, names=names))

    def open_drawer(self) -> DrawerDialog:
        dialog = DrawerDialog(self.ctx, self)
        dialog.opened.connect(self.on_drawer_opened)
        return self._open("drawer", dialog)

    def on_drawer_opened(self, recorded: DrawerRecorded) -> None:
        """Recorded (and queued for the server): now the pulse, through the receipt printer the drawer hangs on."""
        if recorded.pending is not None:
            self.status.set_pending(recorded.pending)
        if self.sync is not None:
            self.sync.sync_now()
        if self.receipt_printer is None:
            self.checkout.say(
                self.tr("Drawer opening recorded; no receipt printer is set up to open the drawer."), error=True
            )
            return
        self.receipt_printer.open_drawer()
        self.checkout.say(self.tr("Cash drawer opened (recorded)."))

    def open_queue_report(self) -> QueueReportDialog:
        return self._open("queue", QueueReportDialog(self.ctx, self))

    def open_attention(self) -> AttentionDialog:
        return self._open("attention", AttentionDialog(self.ctx, self))

    def print_last(self) -> QDialog | None:
        if self.last_sale is None:
            self.checkout.say(self.tr("No sale to print yet."), error=True)
            return None
        dialog = receipt.preview(self.last_sale, self.ctx.info, self.store_name, self)
        dialog.finished.connect(self._back_to_checkout)  # closed: the keys go back to the sale, F8 works again
        self.dialogs["print"] = dialog
        return dialog

    # ------------------------------------------------------------------ the ESC/POS receipt printer
    def _receipt_printer(self, target: str) -> ReceiptPrinter | None:
        if not target.strip():
            return None
        opts = self.ctx.options
        try:
            printer = ReceiptPrinter(
                self.ctx,
                target=target,
                store_name=self.store_name,
                columns=opts.get(ESCPOS_COLUMNS),
                timeout_ms=opts.get(ESCPOS_TIMEOUT_MS),
                parent=self,
            )
        except PrinterError as exc:
            self.status.show_printer_problem(self.tr("Receipt printer: %1").replace("%1", code_text(exc.code)))
            return None
        printer.printed.connect(self.on_printed)
        printer.failed.connect(self.on_print_failed)
        return printer

    def reprint_escpos(self) -> None:
        if self.receipt_printer is None:
            self.checkout.say(
                self.tr("No receipt printer is set up (--escpos or escpos/printer in the settings)."), error=True
            )
        elif self.last_sale is None:
            self.checkout.say(self.tr("No sale to print yet."), error=True)
        else:
            self.receipt_printer.print_sale(self.last_sale)
            self.status.showMessage(
                self.tr("Receipt %1 sent to the printer…").replace("%1", str(self.last_sale.receipt_no)), 5000
            )

    def on_printed(self, receipt_no: int) -> None:
        self.status.show_printer_problem("")
        if receipt_no <= 0:  # the drawer alone, or a shift report
            return
        self.status.showMessage(self.tr("Receipt %1 printed.").replace("%1", str(receipt_no)), 5000)

    def on_print_failed(self, receipt_no: int, code: str) -> None:
        # The sale stands (it was committed before printing); only the paper is missing.
        if receipt_no == 0:
            self.status.show_printer_problem(self.tr("The cash drawer did NOT open: %1").replace("%1", code_text(code)))
            return
        if receipt_no < 0:
            self.status.show_printer_problem(
                self.tr("The shift report was NOT printed: %1").replace("%1", code_text(code))
            )
            return
        self.status.show_printer_problem(
            self.tr("Receipt %1 NOT printed: %2 Shift+F8 prints it again.")
            .replace("%1", str(receipt_no))
            .replace("%2", code_text(code))
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.customer is not None:
            self.customer.close()
        super().closeEvent(event)
