"""The store manager's queue report (F6): the store's queue from the last snapshot, today's money, CSV export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shared.errors import Code
from shared.ids import StoreId

from ..core.reports import QueueReport
from ..core.sync_client import RequestRefused, StoreDay, fetch_store_day
from .context import AppContext
from .ops import run_op
from .words import code_text, error_text, status_text, yuan


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
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Position"),
                self.tr("Member"),
                self.tr("Entitlement"),
                self.tr("Paid"),
                self.tr("Remaining"),
                self.tr("Status"),
                self.tr("Waiting since"),
            ]
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.export_button = QPushButton(self.tr("Export CSV (Ctrl+E)"))
        self.export_button.setObjectName("exportCsv")
        self.exported = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.export_button)
        row.addWidget(self.exported, 1)
        # Today's contributions, payouts and money kept live on the server, readable by the store manager only.
        self.manager = QLineEdit()
        self.manager.setObjectName("managerUser")
        self.manager.setPlaceholderText(self.tr("Store manager user name"))
        self.password = QLineEdit()
        self.password.setObjectName("managerPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("Password"))
        self.load_button = QPushButton(self.tr("Today's figures from the server"))
        self.load_button.setObjectName("loadToday")
        self.today_label = QLabel()
        self.today_label.setObjectName("todayFigures")
        self.today_label.setWordWrap(True)
        login = QHBoxLayout()
        login.addWidget(self.manager)
        login.addWidget(self.password)
        login.addWidget(self.load_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(login)
        layout.addWidget(self.today_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.export_button.clicked.connect(self.export)
        QShortcut(QKeySequence("Ctrl+E"), self, self.export)
        self.load_button.clicked.connect(self.load_today)
        self.password.returnPressed.connect(self.load_today)
        self.resize(900, 600)
        self.report: QueueReport | None = None
        self.refresh()

    def refresh(self) -> None:
        """Read the snapshot and today's local figures on the database thread; they show when they come."""
        self.ctx.run(self.ctx.services.queue_report, on_done=self.show_report, on_failed=self._failed, owner=self)

    def _failed(self, exc: Exception) -> None:
        self.summary.setText(error_text(exc))

    def show_report(self, report: QueueReport) -> None:
        self.report = report
        snap = report.snapshot
        lines = []
        if snap is None:
            lines.append(self.tr("No snapshot yet: this till has not synced with the server."))
            self.table.setRowCount(0)
        else:
            lines.append(
                self.tr("Queue %1 · snapshot version %2 · pulled %3")
                .replace("%1", snap.queue)
                .replace("%2", str(snap.version))
                .replace("%3", (report.pulled_at or "")[:19])
            )
            lines.append(
                self.tr("Waiting entries: %1 · outstanding total: %2")
                .replace("%1", str(snap.waiting_count))
                .replace("%2", yuan(snap.outstanding_fen))
            )
            if snap.truncated:
                lines.append(self.tr("(list shortened by the server)"))
            self.table.setRowCount(len(snap.entries))
            for i, e in enumerate(snap.entries):
                cells = [
                    "" if e.position is None else str(e.position),
                    e.member_display,
                    yuan(e.entitlement_fen),
                    yuan(e.paid_fen),
                    yuan(e.remaining_fen),
                    status_text(e.status),
                    e.since.astimezone(self.ctx.clock().tzinfo).strftime("%m-%d %H:%M"),
                ]
                for j, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if j in (0, 2, 3, 4):
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(i, j, item)
        if report.today_local_contributions_fen is not None:
            lines.append(
                self.tr("Today's contributions from this till (estimate, computed locally): %1").replace(
                    "%1", yuan(report.today_local_contributions_fen)
                )
            )
        self.summary.setText("\n".join(lines))

    def load_today(self) -> None:
        """Ask the server for today's figures as the store manager, off the UI thread."""
        store = self.report.store if self.report is not None else None
        if store is None:
            self.today_label.setText(self.tr("No snapshot yet: this till has not synced with the server."))
            return
        day = dt.datetime.now(ZoneInfo(store.timezone)).date().isoformat()
        server, user, password = self.ctx.info.server_url, self.manager.text().strip(), self.password.text()
        store_id = StoreId(store.store_id)  # the wire's text, this till's store
        self.password.clear()
        self.today_label.setText(self.tr("Loading…"))

        def job() -> StoreDay:
            import httpx  # on the pool's thread: the till's start-up does not wait for it

            with httpx.Client(base_url=server, timeout=10) as http:
                return fetch_store_day(http, username=user, password=password, store_id=store_id, day=day)

        run_op(job, on_done=self.show_today, on_failed=self._today_failed)

    def show_today(self, d: StoreDay) -> None:
        self.today_label.setText(
            self.tr("Today %1 (server): %2 sales, %3 · contributions %4 · paid out %5 · kept by the store %6")
            .replace("%1", d.day)
            .replace("%2", str(d.orders_count))
            .replace("%3", yuan(d.sales_fen))
            .replace("%4", yuan(d.contributions_fen))
            .replace("%5", yuan(d.payouts_fen))
            .replace("%6", yuan(d.kept_fen))
        )

    def _today_failed(self, exc: Exception) -> None:
        code = exc.code if isinstance(exc, RequestRefused) else Code.SERVER_UNAVAILABLE
        self.today_label.setText(code_text(code))

    def export(self) -> None:
        """Write the CSV on the database thread (file work); says where when it is written."""
        report = self.report
        if report is None:  # not read yet
            return
        services, folder = self.ctx.services, self.ctx.data_dir / "reports"
        self.ctx.run(
            lambda: services.export_queue_csv(report=report, folder=folder),
            on_done=self._exported,
            on_failed=self._export_failed,
            owner=self,
        )

    def _exported(self, path: Path) -> None:
        self.exported.setText(self.tr("Saved to %1").replace("%1", str(path)))

    def _export_failed(self, exc: Exception) -> None:
        self.exported.setText(self.tr("Not saved: %1").replace("%1", str(exc)))
