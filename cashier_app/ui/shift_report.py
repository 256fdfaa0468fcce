"""X report (F4: the shift so far) and Z report (closes the shift, manager PIN)."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from shared.money import format_bp

from ..core.reports import ShiftReport
from .context import AppContext
from .words import error_text, tender_text, yuan


class ShiftReportDialog(QDialog):
    closed_shift = Signal(object)  # ShiftReport

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Shift report (F4)"))
        self.view = QTextBrowser()
        self.view.setObjectName("reportView")
        self.pin = QLineEdit()
        self.pin.setObjectName("zPin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("Manager PIN"))
        self.z_button = QPushButton(self.tr("Close shift (Z report)"))
        self.z_button.setObjectName("zButton")
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        row = QHBoxLayout()
        row.addWidget(self.pin)
        row.addWidget(self.z_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.z_button.clicked.connect(self.close_shift)
        self.pin.returnPressed.connect(self.close_shift)
        self.resize(520, 640)
        self.report: ShiftReport | None = None
        self.refresh()

    def refresh(self) -> None:
        """Read the open shift on the database thread; the X report shows when it comes."""
        self.ctx.run(self.ctx.services.x_report, on_done=self.show_x, on_failed=self._failed, owner=self)

    def show_x(self, report: ShiftReport | None) -> None:
        self.report = report
        self.view.setHtml(self.render_html(report, final=False))

    def _failed(self, exc: Exception) -> None:
        self.message.setText(error_text(exc))
        self.pin.clear()

    def render_html(self, report: ShiftReport | None, *, final: bool) -> str:
        title = self.tr("Z report — shift closed") if final else self.tr("X report — shift so far")
        if report is None:
            return f"<h2>{html.escape(title)}</h2><p>{html.escape(self.tr('No sales in this shift yet.'))}</p>"
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
        body = "".join(
            f"<tr><td>{html.escape(k)}</td><td align='right'><b>{html.escape(v)}</b></td></tr>" for k, v in rows
        )
        return f"<h2>{html.escape(title)}</h2><table width='100%' cellpadding='4'>{body}</table>"

    def close_shift(self) -> None:
        """The Z report, with the manager's PIN, on the database thread."""
        if not self.z_button.isEnabled():  # closed already, or closing
            return
        services, pin = self.ctx.services, self.pin.text()
        self.z_button.setEnabled(False)
        self.ctx.run(
            lambda: services.close_shift(manager_pin=pin), on_done=self.show_z, on_failed=self._z_failed, owner=self
        )

    def _z_failed(self, exc: Exception) -> None:
        self.z_button.setEnabled(True)
        self._failed(exc)

    def show_z(self, report: ShiftReport) -> None:
        self.pin.clear()
        self.message.clear()
        self.report = report
        self.view.setHtml(self.render_html(report, final=True))
        self.z_button.setEnabled(False)
        self.closed_shift.emit(report)
