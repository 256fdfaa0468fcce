"""Per-store sale limits at the till (issue 12 item 3), through the real widgets: above the confirm amount Enter asks
for the manager's PIN; above the maximum the sale is refused with words. Defaults ¥2,000 and ¥50,000."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from cashier_app.core.db import UnitOfWork, kv_get, kv_set
from cashier_app.ui.context import AppContext
from cashier_app.ui.customer_window import CustomerWindow
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.words import code_text
from shared.errors import Code

from .conftest import Till, app_context, settle
from .test_ui_checkout import sales


@pytest.fixture
def window(qtbot: QtBot, till: Till, tmp_path: Path) -> MainWindow:
    ctx: AppContext = app_context(till, tmp_path)
    customer = CustomerWindow()
    qtbot.addWidget(customer)
    w = MainWindow(ctx, customer=customer)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def _walk_in(qtbot: QtBot, window: MainWindow, amount: str) -> None:
    panel = window.checkout
    qtbot.keyClick(panel.scan, Qt.Key.Key_Return)  # a walk-in
    settle(qtbot)
    qtbot.keyClicks(panel.amount, amount)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle(qtbot)


def test_enter_on_a_large_amount_asks_for_the_managers_pin(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    _walk_in(qtbot, window, "2000.01")
    dialog = panel.pin_dialog
    assert dialog is not None and dialog.isVisible() and sales(till) == []
    assert "¥2,000.01" in dialog.question.text() or "¥2000.01" in dialog.question.text()
    qtbot.keyClicks(dialog.edit, "1234")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    settle(qtbot)
    [sale] = sales(till)
    assert sale.paid_fen == 200_001 and panel.pin_dialog is None


def test_a_wrong_pin_or_esc_records_nothing(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    _walk_in(qtbot, window, "3000")
    dialog = panel.pin_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.edit, "9999")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    settle(qtbot)
    assert sales(till) == [] and code_text(Code.PIN_WRONG) in panel.message.text()
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)  # Enter again: asked again
    settle(qtbot)
    dialog = panel.pin_dialog
    assert dialog is not None
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Escape)
    settle(qtbot)
    assert sales(till) == [] and panel.pin_dialog is None and panel.amount.text() == "3000"


def test_up_to_the_confirm_amount_no_pin_is_asked(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    _walk_in(qtbot, window, "2000")
    assert window.checkout.pin_dialog is None
    [sale] = sales(till)
    assert sale.paid_fen == 200_000


def test_above_the_maximum_the_sale_is_refused_with_words(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    _walk_in(qtbot, window, "1000000")  # ¥1,000,000 with Enter: the amount of issue 12
    assert panel.pin_dialog is None and sales(till) == []
    assert panel.message.text() == code_text(Code.AMOUNT_OVER_LIMIT)
    assert panel.amount.text() == "1000000" and panel.amount.hasFocus()


def test_the_limits_come_from_the_pull(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    with UnitOfWork(till.engine) as uow:  # what a pull stores: the store's settings with its limits
        store = kv_get(uow.conn, "store_settings")
        kv_set(uow.conn, "store_settings", {**store, "sale_confirm_fen": 10_000, "sale_max_fen": 20_000})
        uow.commit()
    panel = window.checkout
    _walk_in(qtbot, window, "150")
    assert panel.pin_dialog is not None
    qtbot.keyClick(panel.pin_dialog.edit, Qt.Key.Key_Escape)
    settle(qtbot)
    panel.amount.clear()
    qtbot.keyClicks(panel.amount, "200.01")
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle(qtbot)
    assert panel.message.text() == code_text(Code.AMOUNT_OVER_LIMIT) and sales(till) == []
