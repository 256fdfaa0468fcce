"""The store manager's queue report (F6): the store's queue from the last snapshot, today's money, CSV export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.db import reading
from ..core.reports import QueueReport, queue_report, queue_report_csv
from .context import AppContext
from .words import status_text, yuan


class QueueReportDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Store queue report (F6)"))
        self.summary = QLabel()
        self.summary.setObjectName("queueSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 7)
        self.table.setObjectName("queueTable")
        self.table.setHorizontalHeaderLabels([
            self.tr("Position"), self.tr("Member"), self.tr("Entitlement"), self.tr("Paid"), self.tr("Remaining"),
            self.tr("Status"), self.tr("Waiting since"),
        ])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.export_button = QPushButton(self.tr("Export CSV (Ctrl+E)"))
        self.export_button.setObjectName("exportCsv")
        self.exported = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.export_button)
        row.addWidget(self.exported, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.export_button.clicked.connect(self.export)
        QShortcut(QKeySequence("Ctrl+E"), self, self.export)
        self.resize(900, 600)
        self.refresh()

    def refresh(self) -> None:
        with reading(self.ctx.engine) as conn:
            self.report: QueueReport = queue_report(conn, now=self.ctx.clock())
        snap = self.report.snapshot
        lines = []
        if snap is None:
            lines.append(self.tr("No snapshot yet: this till has not synced with the server."))
            self.table.setRowCount(0)
        else:
            lines.append(self.tr("Queue %1 · snapshot version %2 · pulled %3").replace("%1", snap.queue)
                         .replace("%2", str(snap.version)).replace("%3", (self.report.pulled_at or "")[:19]))
            lines.append(self.tr("Waiting entries: %1 · outstanding total: %2").replace("%1", str(snap.waiting_count))
                         .replace("%2", yuan(snap.outstanding_fen)))
            if snap.truncated:
                lines.append(self.tr("(list shortened by the server)"))
            self.table.setRowCount(len(snap.entries))
            for i, e in enumerate(snap.entries):
                cells = ["" if e.position is None else str(e.position), e.member_display, yuan(e.entitlement_fen),
                         yuan(e.paid_fen), yuan(e.remaining_fen), status_text(e.status),
                         e.since.strftime("%Y-%m-%d %H:%M")]
                for j, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if j in (0, 2, 3, 4):
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(i, j, item)
        today = self.report.today
        if today:
            lines.append(self.tr("Today (server): contributions %1 · paid out %2 · kept by the store %3")
                         .replace("%1", yuan(today.get("contributions_fen", 0)))
                         .replace("%2", yuan(today.get("payouts_fen", 0)))
                         .replace("%3", yuan(today.get("kept_fen", 0))))
        if self.report.today_local_contributions_fen is not None:
            lines.append(self.tr("Today's contributions from this till (estimate, computed locally): %1")
                         .replace("%1", yuan(self.report.today_local_contributions_fen)))
        self.summary.setText("\n".join(lines))

    def export(self) -> Path:
        folder = self.ctx.data_dir / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"queue-{self.ctx.clock():%Y%m%d-%H%M%S}.csv"
        # utf-8-sig: Excel on Chinese Windows reads the BOM and shows the masked names correctly
        path.write_text(queue_report_csv(self.report), encoding="utf-8-sig")
        self.exported.setText(self.tr("Saved to %1").replace("%1", str(path)))
        return path
