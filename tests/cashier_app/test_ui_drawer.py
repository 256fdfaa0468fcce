"""The cash drawer (issue 14 item 2): the ESC/POS pulse on cash sales through the receipt printer, and "open drawer"
without a sale with a manager's PIN, recorded and queued for the server. Real widgets offscreen, a real TCP printer."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.db import drawer_openings, outbox, reading
from cashier_app.core.escpos import DRAWER_PULSE, drawer_job
from cashier_app.ui.drawer_dialog import DrawerDialog
from cashier_app.ui.main_window import MainWindow

from .conftest import Till, settle
from .tcp_printer import TcpPrinterStub


@pytest.fixture
def window(printing_window: MainWindow) -> MainWindow:
    return printing_window


def _sell(qtbot: QtBot, window: MainWindow, amount: str, tender: str = "cash") -> None:
    panel = window.checkout
    panel.tender.setCurrentIndex(panel.tender.findData(tender))
    assert window.receipt_printer is not None
    with qtbot.waitSignal(window.receipt_printer.printed, timeout=5000):
        panel.amount.setFocus()
        qtbot.keyClicks(panel.amount, amount)
        qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
        settle(qtbot)


def test_a_cash_sale_opens_the_drawer_a_card_sale_and_a_reprint_do_not(
    qtbot: QtBot, window: MainWindow, printer: TcpPrinterStub
) -> None:
    _sell(qtbot, window, "12")
    _sell(qtbot, window, "30", tender="card")
    assert window.receipt_printer is not None
    with qtbot.waitSignal(window.receipt_printer.printed, timeout=5000):
        qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    cash, card, reprint = printer.wait_jobs(3)
    assert cash.startswith(b"\x1b@\x1c&" + DRAWER_PULSE) and cash.count(DRAWER_PULSE) == 1
    assert DRAWER_PULSE not in card and DRAWER_PULSE not in reprint
    assert DRAWER_PULSE == b"\x1bp\x00\x19\xfa"  # ESC p, pin 2, 50 ms on, 500 ms off


def test_a_split_sale_with_a_cash_part_opens_the_drawer(
    qtbot: QtBot, window: MainWindow, printer: TcpPrinterStub
) -> None:
    tendering = window.checkout.tendering
    tendering.split_kind.setCurrentIndex(tendering.split_kind.findData("cash"))
    tendering.split_amount.setText("5")
    tendering.add_part()
    _sell(qtbot, window, "20", tender="wechat")
    [job] = printer.wait_jobs(1)
    assert job.startswith(b"\x1b@\x1c&" + DRAWER_PULSE)


def _drawer_events(till: Till) -> list[dict]:
    with reading(till.engine) as conn:
        rows = conn.execute(select(outbox.c.body).where(outbox.c.kind == "drawer_opened")).all()
    return [json.loads(r.body) for r in rows]


def test_open_drawer_without_a_sale_needs_the_manager_and_is_recorded(
    qtbot: QtBot, window: MainWindow, till: Till, printer: TcpPrinterStub
) -> None:
    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F9)
    dialog = window.dialogs["drawer"]
    assert isinstance(dialog, DrawerDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.reason, "change for the float")
    dialog.pin.setFocus()
    qtbot.keyClicks(dialog.pin, "9999")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    settle(qtbot)
    assert "Wrong manager PIN" in dialog.message.text() and dialog.isVisible()
    assert _drawer_events(till) == [] and printer.jobs == []
    assert window.receipt_printer is not None
    with qtbot.waitSignal(window.receipt_printer.drawer_opened, timeout=5000):
        qtbot.keyClicks(dialog.pin, "1234")
        qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
        settle(qtbot)
    assert not dialog.isVisible()
    assert printer.wait_jobs(1) == [drawer_job()]  # the pulse alone: no paper
    [event] = _drawer_events(till)
    assert event["reason"] == "change for the float" and event["employee_id"] is None
    with reading(till.engine) as conn:
        [row] = conn.execute(select(drawer_openings)).all()
    assert row.drawer_id == event["drawer_id"] and row.reason == "change for the float"
    assert "drawer opened" in window.checkout.message.text().lower()
    till.sync.run_once()  # the toy server takes it like any other event
    with reading(till.engine) as conn:
        assert conn.execute(select(outbox.c.state).where(outbox.c.kind == "drawer_opened")).scalar_one() == "done"
