"""The counter's screenshots (issue 14): tender and change at the till, and the Z report's confirmation.

Called by `packaging/screenshots.py` with its till (a real server on loopback, a real sync worker), after its own
shots; every widget is the real one, driven with the keyboard and the on-screen keypad.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from cashier_app.ui.customer_window import CustomerWindow
from cashier_app.ui.main_window import MainWindow


def counter_shots(window: MainWindow, customer: CustomerWindow, out: Path, wait: Callable[[int], None]) -> list[Path]:
    panel, tendering = window.checkout, window.checkout.tendering
    panel.clear_sale()
    # a cash sale with change, shown on the customer's screen
    panel.scan.setText("13800001234")
    QTest.keyClick(panel.scan, Qt.Key.Key_Return)
    QTest.keyClicks(panel.amount, "88.50")
    tendering.received.setFocus()
    for key in ("1", "0", "0"):  # typed on the on-screen keypad
        QTest.mouseClick(tendering.keypad.buttons[key], Qt.MouseButton.LeftButton)
    QTest.keyClick(tendering.received, Qt.Key.Key_Return)
    wait(1200)
    customer.grab().save(str(out / "customer-change.png"))
    # mid-sale: ¥30 by card, the rest in cash, ¥100 handed over: the change shows as it is typed
    QTest.keyClicks(panel.amount, "128.00")
    tendering.split_kind.setCurrentIndex(tendering.split_kind.findData("card"))
    tendering.split_amount.setText("30")
    QTest.keyClick(tendering.split_amount, Qt.Key.Key_Return)
    tendering.received.setFocus()
    QTest.keyClicks(tendering.received, "100")
    wait(300)
    window.grab().save(str(out / "tender-change.png"))
    panel.clear_sale()
    # the Z report: float set, counted cash and PIN typed, the confirmation up
    shift = window.open_shift_report()
    shift.resize(620, 860)
    wait(400)
    shift.counted.setText("560.00")
    shift.pin.setText("1234")
    shift.close_shift()
    wait(300)
    shift.grab().save(str(out / "z-report.png"))
    shift.cancel_close()
    return [out / f"{name}.png" for name in ("customer-change", "tender-change", "z-report")]
