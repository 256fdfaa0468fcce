"""Tender and change at the till (issue 14 item 1), through the real widgets offscreen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.db import orders, outbox, reading
from cashier_app.core.tender import Split, TenderError, settle
from cashier_app.ui.context import AppContext
from cashier_app.ui.customer_window import CustomerWindow
from cashier_app.ui.main_window import MainWindow
from shared.errors import Code

from .conftest import Till, app_context
from .conftest import settle as settle_ui


@pytest.fixture
def window(qtbot: QtBot, till: Till, tmp_path: Path) -> MainWindow:
    ctx: AppContext = app_context(till, tmp_path)
    customer = CustomerWindow()
    qtbot.addWidget(customer)
    w = MainWindow(ctx, customer=customer)
    qtbot.addWidget(w)
    w.show()
    customer.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def _sales(till: Till) -> list:
    with reading(till.engine) as conn:
        return conn.execute(select(orders).order_by(orders.c.receipt_no)).all()


def _sale_events(till: Till) -> list[dict]:
    with reading(till.engine) as conn:
        rows = conn.execute(select(outbox.c.body).where(outbox.c.kind == "order_paid").order_by(outbox.c.seq)).all()
    return [json.loads(r.body) for r in rows]


def test_amount_and_enter_is_still_an_exact_payment(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    panel.amount.setFocus()
    qtbot.keyClicks(panel.amount, "25")
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle_ui(qtbot)
    [sale] = _sales(till)
    assert (sale.paid_fen, sale.tender, sale.tenders_json, sale.change_fen) == (2500, "cash", None, 0)
    assert _sale_events(till)[0]["tenders"] == []  # on the wire exactly as before
    assert panel.tendering.change.text() == ""
    assert window.customer is not None and window.customer.change.text() == ""


def test_cash_received_shows_the_change_big_on_the_till_and_the_customer_window(
    qtbot: QtBot, window: MainWindow, till: Till
) -> None:
    panel = window.checkout
    panel.amount.setFocus()
    qtbot.keyClicks(panel.amount, "88.5")
    panel.tendering.received.setFocus()
    qtbot.keyClicks(panel.tendering.received, "50")
    assert panel.tendering.change.text() == "short ¥38.50"
    qtbot.keyClicks(panel.tendering.received, "0")  # 500
    assert panel.tendering.change.text() == "¥411.50"
    panel.tendering.received.clear()
    qtbot.keyClicks(panel.tendering.received, "100")
    assert panel.tendering.change.text() == "¥11.50"
    assert panel.tendering.change.font().pointSize() >= panel.to_pay.font().pointSize()
    qtbot.keyClick(panel.tendering.received, Qt.Key.Key_Return)  # Enter in "received" records the sale
    settle_ui(qtbot)
    [sale] = _sales(till)
    assert (sale.paid_fen, sale.tender, sale.change_fen) == (8850, "cash", 1150)
    parts = [{"kind": "cash", "amount_fen": 8850, "received_fen": 10000, "change_fen": 1150}]
    assert json.loads(sale.tenders_json) == parts
    assert _sale_events(till)[0]["tenders"] == parts
    # the change stays up after the form cleared, on the till and on the customer's screen
    assert panel.tendering.change.text() == "¥11.50" and panel.amount.text() == ""
    assert "Cash ¥88.50 (received ¥100.00, change ¥11.50)" in panel.message.text()
    assert window.customer is not None
    assert window.customer.change.text() == "Received ¥100.00 · Change ¥11.50"
    qtbot.keyClicks(panel.amount, "1")  # the next sale starts: the old change goes
    assert panel.tendering.change.text() == ""


def test_split_tender_card_and_cash(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel, tendering = window.checkout, window.checkout.tendering
    panel.amount.setFocus()
    qtbot.keyClicks(panel.amount, "100")
    tendering.split_kind.setCurrentIndex(tendering.split_kind.findData("card"))
    tendering.split_amount.setFocus()
    qtbot.keyClicks(tendering.split_amount, "30")
    qtbot.keyClick(tendering.split_amount, Qt.Key.Key_Return)  # Enter adds the part, it does not sell
    assert _sales(till) == []
    assert "¥30.00" in tendering.parts.text() and "¥70.00" in tendering.parts.text()
    tendering.split_kind.setCurrentIndex(tendering.split_kind.findData("wechat"))
    qtbot.keyClicks(tendering.split_amount, "10")
    qtbot.mouseClick(tendering.add_split, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tendering.received, "100")
    assert tendering.change.text() == "¥40.00"
    qtbot.keyClick(tendering.received, Qt.Key.Key_Return)
    settle_ui(qtbot)
    [sale] = _sales(till)
    assert sale.tender == "cash" and sale.change_fen == 4000
    assert _sale_events(till)[0]["tenders"] == [
        {"kind": "card", "amount_fen": 3000, "received_fen": None, "change_fen": None},
        {"kind": "wechat", "amount_fen": 1000, "received_fen": None, "change_fen": None},
        {"kind": "cash", "amount_fen": 6000, "received_fen": 10000, "change_fen": 4000},
    ]
    assert "Card" in panel.message.text() or "card" in panel.message.text().lower()


def test_split_paid_entirely_by_parts_and_the_rest_by_card(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel, tendering = window.checkout, window.checkout.tendering
    panel.amount.setFocus()
    qtbot.keyClicks(panel.amount, "80")
    panel.tender.setCurrentIndex(panel.tender.findData("card"))
    tendering.split_kind.setCurrentIndex(tendering.split_kind.findData("alipay"))
    qtbot.keyClicks(tendering.split_amount, "20")
    qtbot.keyClick(tendering.split_amount, Qt.Key.Key_Return)
    panel.amount.setFocus()
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle_ui(qtbot)
    [sale] = _sales(till)
    assert sale.tender == "card"
    assert [(p["kind"], p["amount_fen"]) for p in json.loads(sale.tenders_json)] == [("alipay", 2000), ("card", 6000)]


def test_too_little_cash_or_too_much_split_is_refused(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel, tendering = window.checkout, window.checkout.tendering
    panel.amount.setFocus()
    qtbot.keyClicks(panel.amount, "50")
    qtbot.keyClicks(tendering.received, "20")
    qtbot.keyClick(tendering.received, Qt.Key.Key_Return)
    settle_ui(qtbot)
    assert _sales(till) == [] and "less than the cash due" in panel.message.text()
    tendering.received.clear()
    qtbot.keyClicks(tendering.split_amount, "60")
    qtbot.keyClick(tendering.split_amount, Qt.Key.Key_Return)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle_ui(qtbot)
    assert _sales(till) == [] and "more than the amount due" in panel.message.text()
    qtbot.mouseClick(tendering.clear_splits, Qt.MouseButton.LeftButton)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle_ui(qtbot)
    assert [s.paid_fen for s in _sales(till)] == [5000]


def test_the_keypad_types_into_the_focused_field_and_sells(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel, keypad = window.checkout, window.checkout.tendering.keypad
    panel.amount.setFocus()
    for key in ("1", "2", ".", "5"):
        qtbot.mouseClick(keypad.buttons[key], Qt.MouseButton.LeftButton)
    assert panel.amount.text() == "12.5" and panel.amount.hasFocus()
    panel.tendering.received.setFocus()
    for key in ("5", "0", "0", "back"):
        qtbot.mouseClick(keypad.buttons[key], Qt.MouseButton.LeftButton)
    assert panel.tendering.received.text() == "50"
    assert panel.tendering.change.text() == "¥37.50"
    qtbot.mouseClick(keypad.buttons["enter"], Qt.MouseButton.LeftButton)
    settle_ui(qtbot)
    [sale] = _sales(till)
    assert (sale.paid_fen, sale.change_fen) == (1250, 3750)
    assert all(b.focusPolicy() == Qt.FocusPolicy.NoFocus for b in keypad.buttons.values())


def test_settle_rules() -> None:
    assert [p.model_dump() for p in settle(due_fen=100, rest_kind="card")] == [
        {"kind": "card", "amount_fen": 100, "received_fen": None, "change_fen": None}
    ]
    parts = settle(due_fen=100, splits=[Split("card", 30), Split("card", 20)], received_fen=50)
    assert [(p.kind, p.amount_fen, p.change_fen) for p in parts] == [("card", 50, None), ("cash", 50, 0)]
    assert settle(due_fen=0) == []
    with pytest.raises(TenderError) as exc:
        settle(due_fen=100, splits=[Split("card", 101)])
    assert exc.value.code == Code.TENDER_EXCEEDS_DUE
    with pytest.raises(TenderError) as exc:
        settle(due_fen=100, received_fen=99)
    assert exc.value.code == Code.RECEIVED_TOO_LITTLE
    with pytest.raises(TenderError) as exc:
        settle(due_fen=100, rest_kind="card", received_fen=100)
    assert exc.value.code == Code.INVALID_AMOUNT
