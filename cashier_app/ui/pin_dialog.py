"""The manager's PIN for a sale above the store's confirm amount (issue 12 item 3): asked at the till, checked by
the till's core when the sale is recorded (`manager_pin_needed`, `pin_wrong`)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from .words import yuan


class SalePinDialog(QDialog):
    """Enter on the PIN confirms, Esc cancels; `pin()` is what was typed."""

    def __init__(self, total_fen: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("salePinDialog")
        self.setWindowTitle(self.tr("Manager PIN"))
        self.question = QLabel(
            self.tr("A sale of %1 is above this store's confirm amount. Manager PIN:").replace("%1", yuan(total_fen))
        )
        self.question.setWordWrap(True)
        self.edit = QLineEdit()
        self.edit.setObjectName("salePin")
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.edit)
        layout.addWidget(buttons)
        self.edit.returnPressed.connect(self._ok)
        self.edit.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # the PIN field's Enter decides, once
            return
        super().keyPressEvent(event)

    def _ok(self) -> None:
        if self.edit.text():
            self.accept()

    def pin(self) -> str:
        return self.edit.text()
