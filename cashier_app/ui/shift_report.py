"""X report (F4: the shift so far), the opening float, and the Z report: the cash counted, a confirmation showing
the expected cash and the over/short, then the shift closes (manager PIN). Past Z reports can be shown and printed
again."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from shared.errors import Code
from shared.money import format_bp, parse_yuan

from ..core.reports import ShiftReport
from .context import AppContext
from .receipt_printer import ReceiptPrinter
from .words import code_text, error_text, tender_text, yuan


def signed_yuan(fen: int) -> str:
    return ("+" if fen > 0 else "") + yuan(fen) if fen >= 0 else "−" + yuan(-fen)


class ShiftReportDialog(QDialog):
    closed_shift = Signal(object)  # ShiftReport

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        printer: ReceiptPrinter | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.printer = printer
        self.names = names or {}  # employee id -> name, for the lines by employee
        self.setWindowTitle(self.tr("Shift report (F4)"))
        self.view = QTextBrowser()
        self.view.setObjectName("reportView")

        self.float_edit = QLineEdit()
        self.float_edit.setObjectName("openingFloat")
        self.float_edit.setPlaceholderText(self.tr("Opening float (yuan)"))
        self.float_button = QPushButton(self.tr("Set opening float"))
        self.float_button.setObjectName("setFloat")
        self.counted = QLineEdit()
        self.counted.setObjectName("countedCash")
        self.counted.setPlaceholderText(self.tr("Cash counted in the drawer (yuan)"))
        self.pin = QLineEdit()
        self.pin.setObjectName("zPin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("Manager PIN"))
        self.z_button = QPushButton(self.tr("Close shift (Z report)"))
        self.z_button.setObjectName("zButton")

        self.confirm_box = QFrame()
        self.confirm_box.setObjectName("zConfirmBox")
        self.confirm_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.confirm_text = QLabel()
        self.confirm_text.setObjectName("zConfirmText")
        self.confirm_text.setWordWrap(True)
        self.confirm_button = QPushButton(self.tr("Yes, close the shift"))
        self.confirm_button.setObjectName("zConfirm")
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("zCancel")
        confirm_row = QHBoxLayout()
        confirm_row.addWidget(self.confirm_button)
        confirm_row.addWidget(self.cancel_button)
        confirm_layout = QVBoxLayout(self.confirm_box)
        confirm_layout.addWidget(self.confirm_text)
        confirm_layout.addLayout(confirm_row)
        self.confirm_box.hide()

        self.past = QComboBox()
        self.past.setObjectName("pastZ")
        self.reprint_button = QPushButton(self.tr("Show / print again"))
        self.reprint_button.setObjectName("reprintZ")
        self.message = QLabel()
        self.message.setObjectName("shiftMessage")
        self.message.setStyleSheet("color: #b00020;")

        float_row = QHBoxLayout()
        float_row.addWidget(self.float_edit, 1)
        float_row.addWidget(self.float_button)
        z_row = QHBoxLayout()
        z_row.addWidget(self.counted, 1)
        z_row.addWidget(self.pin, 1)
        z_row.addWidget(self.z_button)
        past_row = QHBoxLayout()
        past_row.addWidget(QLabel(self.tr("Past Z reports")))
        past_row.addWidget(self.past, 1)
        past_row.addWidget(self.reprint_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(float_row)
        layout.addLayout(z_row)
        layout.addWidget(self.confirm_box)
        layout.addLayout(past_row)
        layout.addWidget(self.message)

        for button in (self.float_button, self.z_button, self.confirm_button, self.cancel_button, self.reprint_button):
            button.setAutoDefault(False)  # Enter in a field does what that field says, never "the first button"
        self.float_button.clicked.connect(self.set_float)
        self.float_edit.returnPressed.connect(self.set_float)
        self.z_button.clicked.connect(self.close_shift)
        self.pin.returnPressed.connect(self.close_shift)
        self.counted.returnPressed.connect(self.close_shift)
        self.confirm_button.clicked.connect(self.confirm_close)
        self.cancel_button.clicked.connect(self.cancel_close)
        self.reprint_button.clicked.connect(self.reprint)
        self.resize(560, 720)
        self.report: ShiftReport | None = None
        self.past_reports: list[ShiftReport] = []
        self._pending: tuple[str, int] | None = None  # PIN and counted cash, waiting for the confirmation
        self.refresh()

    def refresh(self) -> None:
        """Read the open shift and the past Z reports on the database thread; the X report shows when it comes."""
        services = self.ctx.services
        self.ctx.run(services.x_report, on_done=self.show_x, on_failed=self._failed, owner=self)
        self.ctx.run(services.past_z_reports, on_done=self._show_past, on_failed=self._failed, owner=self)

    def show_x(self, report: ShiftReport | None) -> None:
        self.report = report
        self.view.setHtml(self.render_html(report, final=False))

    def _show_past(self, reports: list[ShiftReport]) -> None:
        self.past_reports = reports
        self.past.clear()
        for r in reports:
            self.past.addItem(
                self.tr("Shift %1 · closed %2").replace("%1", str(r.shift_id)).replace("%2", (r.closed_at or "")[:16])
            )
        self.reprint_button.setEnabled(bool(reports))

    def _failed(self, exc: Exception) -> None:
        self.message.setText(error_text(exc))
        self.pin.clear()

    # ------------------------------------------------------------------ the report in words
    def rows(self, report: ShiftReport) -> list[tuple[str, str]]:
        rows = [
            (self.tr("Shift"), f"{report.shift_id} ({report.opened_at[:16]} → {(report.closed_at or '')[:16]})"),
            (self.tr("Sales"), str(report.sales_count)),
            (self.tr("Member sales"), str(report.member_sales)),
            (self.tr("Gross amount"), yuan(report.gross_fen)),
            (self.tr("Points deductions"), yuan(report.deductions_fen)),
            (self.tr("Money taken"), yuan(report.paid_fen)),
            (self.tr("Refunds"), f"{report.refunds_count} · {yuan(report.refunds_fen)}"),
            (self.tr("Net"), yuan(report.net_fen)),
        ]
        for tender, line in sorted(report.by_tender.items()):
            rows.append(
                (
                    tender_text(tender),
                    self.tr("%1 sales · %2 · refunds %3")
                    .replace("%1", str(line.sales_count))
                    .replace("%2", yuan(line.sales_fen))
                    .replace("%3", yuan(line.refunds_fen)),
                )
            )
        rows += [
            (self.tr("Opening float"), yuan(report.opening_float_fen)),
            (self.tr("Cash from sales (net of change)"), yuan(report.cash_sales_fen)),
            (self.tr("Cash refunds"), yuan(report.cash_refunds_fen)),
            (self.tr("Expected cash in the drawer"), yuan(report.expected_cash_fen)),
            (self.tr("Drawer opened without a sale"), str(report.drawer_openings)),
        ]
        if report.counted_cash_fen is not None and report.over_short_fen is not None:
            rows.append((self.tr("Cash counted"), yuan(report.counted_cash_fen)))
            rows.append((self.over_short_label(report.over_short_fen), signed_yuan(report.over_short_fen)))
        for employee, who in sorted(report.by_employee.items()):
            if not employee and len(report.by_employee) == 1:
                break  # a store without employees: nothing to split
            name = self.names.get(employee, employee) if employee else self.tr("(nobody signed in)")
            rows.append(
                (
                    self.tr("Employee %1").replace("%1", name),
                    self.tr("%1 sales · %2 · refunds %3")
                    .replace("%1", str(who.sales_count))
                    .replace("%2", yuan(who.paid_fen))
                    .replace("%3", yuan(who.refunds_fen)),
                )
            )
        if report.contributions_fen is not None and report.extraction_bp is not None:
            rows.append(
                (
                    self.tr("Rebate contributions (estimate, computed locally at %1)").replace(
                        "%1", format_bp(report.extraction_bp)
                    ),
                    yuan(report.contributions_fen),
                )
            )
        else:
            rows.append((self.tr("Rebate contributions"), self.tr("store not taking part, or not synced yet")))
        return rows

    def over_short_label(self, fen: int) -> str:
        if fen > 0:
            return self.tr("Over")
        if fen < 0:
            return self.tr("Short")
        return self.tr("Over/short")

    def title(self, final: bool) -> str:
        return self.tr("Z report — shift closed") if final else self.tr("X report — shift so far")

    def render_html(self, report: ShiftReport | None, *, final: bool) -> str:
        title = self.title(final)
        if report is None:
            return f"<h2>{html.escape(title)}</h2><p>{html.escape(self.tr('No sales in this shift yet.'))}</p>"
        body = "".join(
            f"<tr><td>{html.escape(k)}</td><td align='right'><b>{html.escape(v)}</b></td></tr>"
            for k, v in self.rows(report)
        )
        return f"<h2>{html.escape(title)}</h2><table width='100%' cellpadding='4'>{body}</table>"

    # ------------------------------------------------------------------ the opening float
    def set_float(self) -> None:
        try:
            fen = parse_yuan(self.float_edit.text().strip())
        except ValueError:
            self.message.setText(code_text(Code.INVALID_AMOUNT))
            return
        services = self.ctx.services
        self.ctx.run(
            lambda: services.set_opening_float(float_fen=fen),
            on_done=self._float_set,
            on_failed=self._failed,
            owner=self,
        )

    def _float_set(self, report: ShiftReport) -> None:
        self.float_edit.clear()
        self.message.clear()
        self.show_x(report)

    # ------------------------------------------------------------------ the Z report
    def close_shift(self) -> None:
        """Step one: the count and the PIN are typed; the confirmation shows the expected cash and the over/short."""
        if not self.z_button.isEnabled():  # closed already, or closing
            return
        text = self.counted.text().strip()
        if not text:
            self.message.setText(self.tr("Count the cash in the drawer and type it first."))
            self.counted.setFocus()
            return
        try:
            counted = parse_yuan(text)
        except ValueError:
            self.message.setText(code_text(Code.INVALID_AMOUNT))
            self.counted.setFocus()
            self.counted.selectAll()
            return
        if not self.pin.text():
            self.message.setText(self.tr("The manager PIN closes the shift."))
            self.pin.setFocus()
            return
        self.message.clear()
        self._pending = (self.pin.text(), counted)
        expected = self.report.expected_cash_fen if self.report is not None else 0
        diff = counted - expected
        self.confirm_text.setText(
            self.tr("Close the shift? Expected cash %1, counted %2: %3 %4. This cannot be undone.")
            .replace("%1", yuan(expected))
            .replace("%2", yuan(counted))
            .replace("%3", self.over_short_label(diff))
            .replace("%4", signed_yuan(diff))
        )
        self.confirm_box.show()
        self.z_button.setEnabled(False)
        self.confirm_button.setFocus()

    def cancel_close(self) -> None:
        self._pending = None
        self.confirm_box.hide()
        self.z_button.setEnabled(True)
        self.counted.setFocus()

    def confirm_close(self) -> None:
        """Step two: the Z, with the manager's PIN and the count, on the database thread."""
        if self._pending is None:
            return
        (pin, counted), self._pending = self._pending, None
        self.confirm_box.hide()
        services = self.ctx.services
        self.ctx.run(
            lambda: services.close_shift(manager_pin=pin, counted_cash_fen=counted),
            on_done=self.show_z,
            on_failed=self._z_failed,
            owner=self,
        )

    def _z_failed(self, exc: Exception) -> None:
        self.z_button.setEnabled(True)
        self._failed(exc)

    def show_z(self, report: ShiftReport) -> None:
        self.pin.clear()
        self.counted.clear()
        self.message.clear()
        self.report = report
        self.view.setHtml(self.render_html(report, final=True))
        self.z_button.setEnabled(False)
        self.closed_shift.emit(report)
        self.print_report(report)
        self.ctx.run(self.ctx.services.past_z_reports, on_done=self._show_past, on_failed=self._failed, owner=self)

    # ------------------------------------------------------------------ past Z reports
    def reprint(self) -> None:
        index = self.past.currentIndex()
        if not 0 <= index < len(self.past_reports):
            return
        report = self.past_reports[index]
        self.view.setHtml(self.render_html(report, final=True))
        self.print_report(report, again=True)

    def print_report(self, report: ShiftReport, *, again: bool = False) -> None:
        if self.printer is None:
            return
        title = self.title(True) + (" " + self.tr("(copy)") if again else "")
        self.printer.print_report(title, self.rows(report))
