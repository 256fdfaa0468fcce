"""Open the cash drawer without a sale (F9): a manager's PIN and a reason; recorded and sent to the server."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..core.services import DrawerRecorded
from .context import AppContext
from .words import error_text


class DrawerDialog(QDialog):
    opened = Signal(object)  # DrawerRecorded

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.submitting = False
        self.setWindowTitle(self.tr("Open the cash drawer (F9)"))
        self.pin = QLineEdit()
        self.pin.setObjectName("drawerPin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.reason = QLineEdit()
        self.reason.setObjectName("drawerReason")
        self.reason.setMaxLength(200)
        self.reason.setPlaceholderText(self.tr("e.g. change for the float"))
        self.message = QLabel()
        self.message.setObjectName("drawerMessage")
        self.message.setStyleSheet("color: #b00020;")
        note = QLabel(self.tr("Opening the drawer without a sale needs a manager. It is recorded and reported."))
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Manager PIN"), self.pin)
        form.addRow(self.tr("Reason"), self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.pin.returnPressed.connect(self.submit)
        self.reason.returnPressed.connect(self.submit)
        self.pin.setFocus()

    def submit(self) -> None:
        """Check the PIN and record the opening on the database thread; the drawer opens once it is committed."""
        if self.submitting:
            return
        self.submitting = True
        services, pin, reason = self.ctx.services, self.pin.text(), self.reason.text()
        self.ctx.run(
            lambda: services.open_drawer(manager_pin=pin, reason=reason),
            on_done=self._done,
            on_failed=self._failed,
            owner=self,
        )

    def _done(self, recorded: DrawerRecorded) -> None:
        self.submitting = False
        self.opened.emit(recorded)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.submitting = False
        self.pin.clear()
        self.message.setText(error_text(exc))
