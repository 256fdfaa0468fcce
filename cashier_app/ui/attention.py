"""Needs attention (F7): events the server refused, with its reason. They never block the events behind them."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget
from sqlalchemy import select

from ..core.db import outbox, reading
from .context import AppContext
from .words import code_text


class AttentionDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Needs attention (F7)"))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("attentionTable")
        self.table.setHorizontalHeaderLabels([self.tr("No."), self.tr("Event"), self.tr("Time"), self.tr("Reason")])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        note = QLabel(self.tr("The server refused these events; they will never apply. Tell your manager."))
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        self.resize(760, 400)
        self.refresh()

    def refresh(self) -> None:
        kinds = {
            "order_paid": self.tr("Sale"),
            "order_refunded": self.tr("Refund"),
            "member_registered": self.tr("Member registration"),
            "order_completed": self.tr("Completion"),
        }
        with reading(self.ctx.engine) as conn:
            rows = conn.execute(select(outbox).where(outbox.c.state == "refused").order_by(outbox.c.seq)).all()
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            reason = code_text(r.code or "") + (f" ({r.detail})" if r.detail else "")
            for j, text in enumerate((str(r.seq), kinds.get(r.kind, r.kind), r.created_at[:19], reason)):
                self.table.setItem(i, j, QTableWidgetItem(text))
