"""Sign in at the till (F11): who sells. A store with employees sells only under a signed-in employee; the PIN is
checked offline on the database thread (argon2id, about 0.1 s), five wrong PINs lock it for five minutes."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from shared.errors import Code

from ..core.errors import TillError
from ..core.staff import Employee
from .context import AppContext
from .words import error_text


class SignInDialog(QDialog):
    signed_in = Signal(object)  # Employee

    def __init__(self, ctx: AppContext, staff: list[Employee], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.submitting = False
        self.setWindowTitle(self.tr("Sign in (F11)"))
        self.who = QComboBox()
        self.who.setObjectName("employee")
        for e in staff:
            role = self.tr("manager") if e.is_manager else self.tr("cashier")
            self.who.addItem(f"{e.name} · {role}", e.employee_id)
        self.pin = QLineEdit()
        self.pin.setObjectName("employeePin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setObjectName("signInMessage")
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow(self.tr("Employee"), self.who)
        form.addRow(self.tr("Your PIN"), self.pin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.pin.returnPressed.connect(self.submit)
        self.pin.setFocus()

    def submit(self) -> None:
        if self.submitting or self.who.currentIndex() < 0:
            return
        self.submitting = True
        services, employee_id, pin = self.ctx.services, str(self.who.currentData()), self.pin.text()
        self.ctx.run(
            lambda: services.sign_in(employee_id=employee_id, pin=pin),
            on_done=self._done,
            on_failed=self._failed,
            owner=self,
        )

    def _done(self, employee: Employee) -> None:
        self.submitting = False
        self.signed_in.emit(employee)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.submitting = False
        self.pin.clear()
        if isinstance(exc, TillError) and exc.code == Code.PIN_WRONG:
            self.message.setText(self.tr("Wrong PIN."))
        else:
            self.message.setText(error_text(exc))
