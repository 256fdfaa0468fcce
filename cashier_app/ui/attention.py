"""Needs attention (F7): events the server refused, with its reason. They never block the events behind them."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ..core.services import AttentionItem
from .context import AppContext
from .words import code_text, error_text


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
        self.note = QLabel(
            self.tr(
                "Refused: the server refused these events; they will never apply. Tell your manager. "
                "To be confirmed: refunds of another till's sale the server has not confirmed yet."
            )
        )
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.resize(760, 400)
        self.refresh()

    def refresh(self) -> None:
        """Read the list on the database thread; it shows when it comes."""
        self.ctx.run(self.ctx.services.needs_attention, on_done=self.show_items, on_failed=self._failed, owner=self)

    def _failed(self, exc: Exception) -> None:
        self.note.setText(error_text(exc))

    def show_items(self, items: list[AttentionItem]) -> None:
        kinds = {
            "order_paid": self.tr("Sale"),
            "order_refunded": self.tr("Refund"),
            "member_registered": self.tr("Member registration"),
            "order_completed": self.tr("Completion"),
        }
        self.table.setRowCount(len(items))
        for i, r in enumerate(items):
            if r.state == "refused":
                reason = code_text(r.code) + (f" ({r.detail})" if r.detail else "")
            elif r.state == "parked":
                reason = self.tr("To be confirmed: the server does not know this order (yet). Check the order id.")
            else:
                reason = self.tr("To be confirmed: not checked with the server yet (offline).")
            for j, text in enumerate((str(r.seq), kinds.get(r.kind, r.kind), r.created_at[:19], reason)):
                self.table.setItem(i, j, QTableWidgetItem(text))
