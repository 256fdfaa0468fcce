"""Register a member at the till (F3) by phone number; synced as a `member_registered` event."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..core.services import MemberRecorded
from .context import AppContext
from .words import error_text


class RegisterDialog(QDialog):
    registered = Signal(object)  # MemberRecorded

    def __init__(self, ctx: AppContext, phone: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.submitting = False
        self.setWindowTitle(self.tr("Register a member (F3)"))
        self.phone = QLineEdit(phone)
        self.phone.setObjectName("phone")
        self.phone.setPlaceholderText(self.tr("11-digit mobile number"))
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        note = QLabel(
            self.tr(
                "Ask the customer's consent. The number is sent to headquarters; the till shows "
                "only its last four digits."
            )
        )
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Phone"), self.phone)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.phone.returnPressed.connect(self.submit)
        self.phone.setFocus()

    def submit(self) -> None:
        """Register on the database thread; the dialog closes when the member is committed."""
        if self.submitting:
            return
        self.submitting = True
        services, phone = self.ctx.services, self.phone.text()
        self.ctx.run(
            lambda: services.register_member(phone=phone), on_done=self._done, on_failed=self._failed, owner=self
        )

    def _done(self, recorded: MemberRecorded) -> None:
        self.submitting = False
        self.registered.emit(recorded)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.submitting = False
        self.message.setText(error_text(exc))
