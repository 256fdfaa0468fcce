"""Shifts at the till (issue 14 item 3, issue 12 item 11): the opening float, the Z report that asks for the counted
cash and a confirmation showing the expected cash and the over/short, and past Z reports shown and printed again.
Real widgets offscreen, a real TCP printer on loopback."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.db import outbox, reading, shifts
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.shift_report import ShiftReportDialog

from .conftest import Till, settle
from .tcp_printer import TcpPrinterStub


@pytest.fixture
def window(printing_window: MainWindow) -> MainWindow:
    return printing_window


def _sell(qtbot: QtBot, window: MainWindow, amount: str, *, received: str = "", tender: str = "cash") -> None:
    panel = window.checkout
    panel.tender.setCurrentIndex(panel.tender.findData(tender))
    panel.amount.setFocus()
    qtbot.keyClicks(panel.amount, amount)
    if received:
        qtbot.keyClicks(panel.tendering.received, received)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle(qtbot)


def _shift_dialog(qtbot: QtBot, window: MainWindow) -> ShiftReportDialog:
    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F4)
    settle(qtbot)
    dialog = window.dialogs["shift"]
    assert isinstance(dialog, ShiftReportDialog)
    return dialog


def _shift_events(till: Till) -> list[dict]:
    with reading(till.engine) as conn:
        rows = conn.execute(select(outbox.c.body).where(outbox.c.kind == "shift_closed").order_by(outbox.c.seq)).all()
    return [json.loads(r.body) for r in rows]


def test_float_count_confirmation_and_over_short(
    qtbot: QtBot, window: MainWindow, till: Till, printer: TcpPrinterStub
) -> None:
    dialog = _shift_dialog(qtbot, window)
    qtbot.keyClicks(dialog.float_edit, "200")
    qtbot.keyClick(dialog.float_edit, Qt.Key.Key_Return)
    settle(qtbot)
    assert "Opening float¥200.00" in dialog.view.toPlainText().replace("\t", "").replace("\n", "")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    _sell(qtbot, window, "88.5", received="100")  # cash kept: 88.50 (11.50 given back)
    _sell(qtbot, window, "40", tender="card")
    printer.wait_jobs(2)
    dialog = _shift_dialog(qtbot, window)
    text = dialog.view.toPlainText()
    assert "Expected cash in the drawer" in text and "¥288.50" in text  # 200 + 88.50

    # the PIN alone does not close the shift: the count comes first
    dialog.pin.setFocus()
    qtbot.keyClicks(dialog.pin, "1234")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    settle(qtbot)
    assert "Count the cash" in dialog.message.text() and dialog.counted.hasFocus()
    assert not dialog.confirm_box.isVisible() and _shift_events(till) == []

    # counted and PIN: a confirmation with the expected cash and the over/short, nothing closed yet
    qtbot.keyClicks(dialog.counted, "283.5")
    qtbot.keyClick(dialog.counted, Qt.Key.Key_Return)
    settle(qtbot)
    assert dialog.confirm_box.isVisible()
    confirm = dialog.confirm_text.text()
    assert "¥288.50" in confirm and "¥283.50" in confirm and "Short" in confirm and "−¥5.00" in confirm
    with reading(till.engine) as conn:
        assert conn.execute(select(shifts.c.closed_at)).scalars().all() == [None]
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # changed their mind: still open
    assert not dialog.confirm_box.isVisible() and dialog.z_button.isEnabled()
    qtbot.keyClick(dialog.counted, Qt.Key.Key_Return)
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    settle(qtbot)

    text = dialog.view.toPlainText()
    assert "Z report" in text and "Cash counted" in text and "¥283.50" in text and "−¥5.00" in text
    with reading(till.engine) as conn:
        [row] = conn.execute(select(shifts)).all()
    assert (row.opening_float_fen, row.expected_cash_fen, row.counted_cash_fen) == (20_000, 28_850, 28_350)
    [event] = _shift_events(till)
    assert event["z_id"] == row.z_id and event["shift_no"] == 1
    assert (event["opening_float_fen"], event["cash_expected_fen"], event["cash_counted_fen"]) == (
        20_000,
        28_850,
        28_350,
    )
    assert (event["sales_count"], event["paid_fen"]) == (2, 12_850)
    assert {t["kind"]: t["sales_fen"] for t in event["tenders"]} == {"cash": 8_850, "card": 4_000}
    z_job = printer.wait_jobs(3)[2]  # the Z is printed
    assert b"Z report" in z_job and b"283.50" in z_job
    till.sync.run_once()  # sent like any event
    with reading(till.engine) as conn:
        assert conn.execute(select(outbox.c.state).where(outbox.c.kind == "shift_closed")).scalar_one() == "done"


def test_past_z_reports_are_shown_and_printed_again(
    qtbot: QtBot, window: MainWindow, till: Till, printer: TcpPrinterStub
) -> None:
    for amount, counted in (("10", "10"), ("20", "21")):
        _sell(qtbot, window, amount)
        dialog = _shift_dialog(qtbot, window)
        qtbot.keyClicks(dialog.counted, counted)
        qtbot.keyClicks(dialog.pin, "1234")
        qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
        settle(qtbot)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda d=dialog: not d.isVisible() and window.isActiveWindow())
    printer.wait_jobs(4)
    dialog = _shift_dialog(qtbot, window)
    assert "No sales in this shift yet" in dialog.view.toPlainText()
    assert [dialog.past.itemText(i)[:7] for i in range(dialog.past.count())] == ["Shift 2", "Shift 1"]
    dialog.past.setCurrentIndex(1)
    qtbot.mouseClick(dialog.reprint_button, Qt.MouseButton.LeftButton)
    text = dialog.view.toPlainText()
    assert "Z report" in text and "¥10.00" in text and "¥20.00" not in text
    copy = printer.wait_jobs(5)[4]
    assert b"(copy)" in copy and b"10.00" in copy
    dialog.past.setCurrentIndex(0)
    qtbot.mouseClick(dialog.reprint_button, Qt.MouseButton.LeftButton)
    assert "Over" in dialog.view.toPlainText() and "+¥1.00" in dialog.view.toPlainText()
    assert len(_shift_events(till)) == 2  # a reprint sends nothing
