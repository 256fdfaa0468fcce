"""Staff at the till (issue 14 item 4): employees pulled from the server, a cashier's sign-in with a personal PIN
verified offline (argon2id), locked after 5 wrong PINs for 5 minutes; every sale, refund, drawer opening and Z
records the employee; manager actions need a manager's PIN instead of the shared till PIN. Real widgets offscreen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.db import UnitOfWork, orders, outbox, reading, refunds
from cashier_app.core.errors import TillError
from cashier_app.core.services import TillServices
from cashier_app.core.staff import authorize_manager
from cashier_app.ui.context import AppContext
from cashier_app.ui.drawer_dialog import DrawerDialog
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.shift_report import ShiftReportDialog
from cashier_app.ui.staff import SignInDialog
from shared.errors import Code
from shared.wire import EmployeeInfo

from .conftest import Till, app_context, settle
from .toyserver import ToyServer

# the till verifies with the parameters the hash names: small ones keep these tests quick (the server's are in
# test_server_hash_verifies_at_the_till)
_quick = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID)


@pytest.fixture
def toy() -> ToyServer:
    server = ToyServer()
    server.add_member("M1", "13800001234", "张*", "gold")
    server.employees = [
        EmployeeInfo(employee_id="e-wang", name="王芳", role="cashier", pin_hash=_quick.hash("111111")),
        EmployeeInfo(employee_id="e-zhao", name="赵强", role="manager", pin_hash=_quick.hash("909090")),
        EmployeeInfo(employee_id="e-gone", name="离职", role="manager", pin_hash=_quick.hash("555555"), active=False),
    ]
    return server


@pytest.fixture
def window(qtbot: QtBot, till: Till, tmp_path: Path) -> MainWindow:
    ctx: AppContext = app_context(till, tmp_path)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    settle(qtbot)
    return w


def _sign_in(qtbot: QtBot, window: MainWindow, employee_id: str, pin: str) -> SignInDialog:
    dialog = window.dialogs.get("signin") or window.open_sign_in()
    assert isinstance(dialog, SignInDialog)
    dialog.who.setCurrentIndex(dialog.who.findData(employee_id))
    dialog.pin.setFocus()
    qtbot.keyClicks(dialog.pin, pin)
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    settle(qtbot)
    return dialog


def _sell(qtbot: QtBot, window: MainWindow, amount: str) -> None:
    panel = window.checkout
    panel.amount.setFocus()
    qtbot.keyClicks(panel.amount, amount)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle(qtbot)


def _bodies(till: Till, kind: str) -> list[dict]:
    with reading(till.engine) as conn:
        rows = conn.execute(select(outbox.c.body).where(outbox.c.kind == kind).order_by(outbox.c.seq)).all()
    return [json.loads(r.body) for r in rows]


def test_a_cashier_signs_in_and_every_sale_records_them(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    dialog = window.dialogs.get("signin")
    assert isinstance(dialog, SignInDialog) and dialog.isVisible()  # the store has employees: who sells?
    assert [dialog.who.itemData(i) for i in range(dialog.who.count())] == ["e-wang", "e-zhao"]  # not the one gone
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    _sell(qtbot, window, "10")  # nobody signed in: refused, nothing recorded
    assert "Sign in first" in window.checkout.message.text()
    with reading(till.engine) as conn:
        assert conn.execute(select(orders)).first() is None
    dialog = _sign_in(qtbot, window, "e-wang", "123456")
    assert dialog.isVisible() and dialog.message.text() == "Wrong PIN."
    _sign_in(qtbot, window, "e-wang", "111111")
    assert not dialog.isVisible() and "王芳" in window.employee_label.text()
    _sell(qtbot, window, "10")
    with reading(till.engine) as conn:
        assert conn.execute(select(orders.c.employee_id)).scalars().all() == ["e-wang"]
    assert _bodies(till, "order_paid")[0]["employee_id"] == "e-wang"


def test_five_wrong_pins_lock_for_five_minutes(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    for _ in range(4):
        dialog = _sign_in(qtbot, window, "e-wang", "000000")
        assert dialog.message.text() == "Wrong PIN."
    dialog = _sign_in(qtbot, window, "e-wang", "000000")
    assert "locked" in dialog.message.text()
    dialog = _sign_in(qtbot, window, "e-wang", "111111")  # the right PIN, but locked
    assert "locked" in dialog.message.text() and window.employee is None
    dialog = _sign_in(qtbot, window, "e-zhao", "909090")  # another employee's PIN is not locked
    assert window.employee is not None and window.employee.employee_id == "e-zhao"
    till.clock.advance(minutes=5, seconds=1)
    window.open_sign_in()
    _sign_in(qtbot, window, "e-wang", "111111")
    assert window.employee is not None and window.employee.employee_id == "e-wang"


def test_manager_actions_need_a_managers_pin(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    _sign_in(qtbot, window, "e-wang", "111111")
    _sell(qtbot, window, "50")
    services = TillServices(engine=till.engine, clock=till.clock)
    with reading(till.engine) as conn:
        order_id = conn.execute(select(orders.c.order_id)).scalar_one()
    for pin in ("1234", "111111"):  # the shared till PIN and a cashier's PIN no longer allow a refund
        with pytest.raises(TillError) as caught:
            services.refund(order_id=order_id, amount_fen=1000, manager_pin=pin, reason="")
        assert caught.value.code == Code.PIN_WRONG
    services.refund(order_id=order_id, amount_fen=1000, manager_pin="909090", reason="cold")
    with reading(till.engine) as conn:
        assert conn.execute(select(refunds.c.employee_id)).scalars().all() == ["e-zhao"]
    assert _bodies(till, "order_refunded")[0]["employee_id"] == "e-zhao"

    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F9)
    drawer = window.dialogs["drawer"]
    assert isinstance(drawer, DrawerDialog)
    qtbot.keyClicks(drawer.pin, "909090")
    qtbot.keyClick(drawer.pin, Qt.Key.Key_Return)
    settle(qtbot)
    assert _bodies(till, "drawer_opened")[0]["employee_id"] == "e-zhao"

    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F4)
    settle(qtbot)
    shift = window.dialogs["shift"]
    assert isinstance(shift, ShiftReportDialog)
    assert "Employee 王芳" in shift.view.toPlainText()  # the X report by employee
    qtbot.keyClicks(shift.counted, "40")
    qtbot.keyClicks(shift.pin, "909090")
    qtbot.keyClick(shift.pin, Qt.Key.Key_Return)
    qtbot.mouseClick(shift.confirm_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    [z] = _bodies(till, "shift_closed")
    assert z["employee_id"] == "e-zhao"


def test_manager_pins_lock_after_five_wrong(till: Till) -> None:
    with UnitOfWork(till.engine) as uow:
        assert authorize_manager(uow=uow, pin="909090", now=till.clock()) == "e-zhao"
    tries = [("000000", Code.PIN_WRONG)] * 4 + [("000000", Code.PIN_LOCKED), ("909090", Code.PIN_LOCKED)]
    for pin, expected in tries:
        with pytest.raises(TillError) as caught, UnitOfWork(till.engine) as uow:
            authorize_manager(uow=uow, pin=pin, now=till.clock())
        assert caught.value.code == expected
    till.clock.advance(minutes=5, seconds=1)
    with UnitOfWork(till.engine) as uow:
        assert authorize_manager(uow=uow, pin="909090", now=till.clock()) == "e-zhao"


def test_server_hash_verifies_at_the_till() -> None:
    from cashier_app.core.staff import _verify
    from server.services.employees import hash_pin

    made = hash_pin("246810")
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert _verify(made, "246810") and not _verify(made, "246811") and not _verify("garbage", "246810")


def test_a_lock_outlives_a_restart_of_the_till(till: Till) -> None:
    first = TillServices(engine=till.engine, clock=till.clock)
    for _ in range(5):
        with pytest.raises(TillError):
            first.sign_in(employee_id="e-wang", pin="000000")
    restarted = TillServices(engine=till.engine, clock=till.clock)  # the count is in the database, not in memory
    with pytest.raises(TillError) as caught:
        restarted.sign_in(employee_id="e-wang", pin="111111")
    assert caught.value.code == Code.PIN_LOCKED
    till.clock.advance(minutes=5, seconds=1)
    assert restarted.sign_in(employee_id="e-wang", pin="111111").name == "王芳"
