"""First run: the server address and a one-time enrolment code; the enrolment runs off the UI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from shared.errors import Code

from ..core.pin import PinError
from ..core.sync_client import RequestRefused, ServerUnavailable
from ..core.terminal import TerminalInfo
from .ops import run_op
from .words import code_text

Enroller = Callable[[str, str, str, str], TerminalInfo]  # (server_url, code, name, manager_pin)


class EnrollDialog(QDialog):
    def __init__(self, enroller: Enroller, server_url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enroller = enroller
        self.info: TerminalInfo | None = None
        self.setWindowTitle(self.tr("Set up this till"))
        self.server = QLineEdit(server_url)
        self.server.setObjectName("server")
        self.server.setPlaceholderText("https://paidui.example.com")
        self.code = QLineEdit()
        self.code.setObjectName("code")
        self.name = QLineEdit(self.tr("Till 1"))
        self.name.setObjectName("name")
        self.pin = QLineEdit()
        self.pin.setObjectName("pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow(self.tr("Server address"), self.server)
        form.addRow(self.tr("Enrolment code"), self.code)
        form.addRow(self.tr("Till name"), self.name)
        form.addRow(self.tr("Manager PIN (4–12 digits)"), self.pin)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Headquarters gives you a one-time enrolment code for this till.")))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        pin = self.pin.text().strip()
        if not (pin.isdigit() and 4 <= len(pin) <= 12):
            self.message.setText(code_text(Code.PIN_FORMAT))
            return
        self.buttons.setEnabled(False)
        self.message.setText(self.tr("Enrolling…"))
        args = (self.server.text().strip(), self.code.text().strip(), self.name.text().strip() or "till", pin)
        run_op(lambda: self.enroller(*args), on_done=self._done, on_failed=self._failed)

    def _done(self, info: TerminalInfo) -> None:
        self.info = info
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, RequestRefused | PinError):
            self.message.setText(code_text(exc.code))
        elif isinstance(exc, ServerUnavailable):
            self.message.setText(code_text(Code.SERVER_UNAVAILABLE) + f" ({exc})")
        else:
            self.message.setText(str(exc))
