"""Items at the till (issue 14 item 6), through the real widgets offscreen: the scanner types a barcode into the
amount field and Enter adds a line; quantity, line discount, remove, price lookup; park and recall; the lines go
on the wire with their rebate flag; the receipt lists them. And the catalogue's paged sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.catalogue import load_index, pull_catalogue
from cashier_app.core.db import orders, outbox, parked_sales, products, reading
from cashier_app.ui.context import AppContext
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.receipt import receipt_html
from cashier_app.ui.sale_lines import PriceLookup

from .conftest import Till, app_context, settle

NOODLES, COKE, CIGS = "6901234567892", "6901234567915", "6901234567908"
CATALOGUE = [
    ("N01", NOODLES, "牛肉面", 3900, True),
    ("C01", COKE, "可乐", 350, True),
    ("T01", CIGS, "中华香烟", 4500, False),
]


@pytest.fixture
def ctx(till: Till, tmp_path: Path) -> AppContext:
    till.toy.set_catalogue(CATALOGUE)
    assert pull_catalogue(till.engine, till.client)
    return app_context(till, tmp_path)


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    settle(qtbot)  # the catalogue index, built on the database thread
    return w


def scan(qtbot: QtBot, window: MainWindow, code: str) -> None:
    """What a keyboard-wedge scanner does: the digits, then Enter, into the focused amount field."""
    amount = window.checkout.amount
    amount.setFocus()
    qtbot.keyClicks(amount, code)
    qtbot.keyClick(amount, Qt.Key.Key_Return)
    settle(qtbot)


def test_scanning_adds_lines_and_the_sale_sends_them(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    assert panel.items.isVisible()
    scan(qtbot, window, NOODLES)
    scan(qtbot, window, NOODLES)
    scan(qtbot, window, CIGS)
    scan(qtbot, window, COKE)
    items = panel.items
    assert [(x.name, x.quantity) for x in items.lines] == [("牛肉面", 2), ("中华香烟", 1), ("可乐", 1)]
    assert items.table.item(0, 1).text() == "2" and "no rebate" in items.table.item(1, 0).text()
    assert panel.to_pay.text() == "¥126.50" and panel.amount.text() == ""
    # the selected line (the coke) to 3, with 0.50 off; then the cigarettes' line removed and put back
    items.quantity.setValue(3)
    items.discount.setText("0.50")
    items.discount.editingFinished.emit()
    assert (items.lines[2].quantity, items.lines[2].discount_fen, items.lines[2].amount_fen) == (3, 50, 1000)
    items.table.selectRow(1)
    qtbot.mouseClick(items.remove_button, Qt.MouseButton.LeftButton)
    assert [x.sku for x in items.lines] == ["N01", "C01"]
    scan(qtbot, window, CIGS)
    assert panel.to_pay.text() == "¥133.00"
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)  # Enter on the empty field: the sale
    settle(qtbot)
    with reading(till.engine) as conn:
        [sale] = conn.execute(select(orders)).all()
        body = json.loads(conn.execute(select(outbox.c.body).where(outbox.c.kind == "order_paid")).scalar_one())
    assert (sale.total_fen, sale.paid_fen) == (13300, 13300)
    lines = body["body"]["lines"] if "body" in body else body["lines"]
    assert [(x["sku"], x["quantity"], x["discount_fen"], x["participates"]) for x in lines] == [
        ("N01", 2, 0, True),
        ("C01", 3, 50, True),
        ("T01", 1, 0, False),
    ]
    assert json.loads(sale.lines_json) == lines
    assert panel.items.lines == [] and "¥133.00" in panel.message.text()
    till.sync.run_once()
    [pushed] = till.toy.orders.values()
    assert [x["participates"] for x in pushed["lines"]] == [True, True, False]  # type: ignore[index,union-attr]
    html = receipt_html(window.last_sale, ctx_info(window), "Store One")  # type: ignore[arg-type]
    assert "牛肉面 ×2" in html and "中华香烟 ×1" in html


def ctx_info(window: MainWindow):  # type: ignore[no-untyped-def]
    return window.ctx.info


def test_an_unknown_barcode_is_refused_and_an_amount_still_works(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    scan(qtbot, window, "6900000000000")
    assert "No product with this barcode" in panel.message.text() and panel.items.lines == []
    panel.amount.clear()
    scan(qtbot, window, "12.50")  # a plain amount in a store with a catalogue
    with reading(till.engine) as conn:
        [sale] = conn.execute(select(orders)).all()
    assert (sale.total_fen, sale.lines_json) == (1250, None)


def test_park_and_recall(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    scan(qtbot, window, NOODLES)
    scan(qtbot, window, COKE)
    qtbot.keyClick(panel, Qt.Key.Key_F10)
    settle(qtbot)
    assert panel.items.lines == [] and "parked" in panel.message.text()
    scan(qtbot, window, CIGS)  # the next customer
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle(qtbot)
    qtbot.keyClick(panel, Qt.Key.Key_F12)
    settle(qtbot)
    assert [x.sku for x in panel.items.lines] == ["N01", "C01"] and panel.to_pay.text() == "¥42.50"
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle(qtbot)
    with reading(till.engine) as conn:
        totals = [r.total_fen for r in conn.execute(select(orders).order_by(orders.c.receipt_no))]
        assert conn.execute(select(parked_sales)).all() == []  # sold: no longer parked
    assert totals == [4500, 4250]
    qtbot.keyClick(panel, Qt.Key.Key_F12)
    settle(qtbot)
    assert "No sale is parked" in panel.message.text()


def test_price_lookup(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.checkout
    qtbot.keyClick(panel, Qt.Key.Key_F5)
    dialog = panel.findChild(PriceLookup, "priceLookup")
    assert dialog is not None and dialog.isVisible()
    dialog.query.setText("香烟")  # typed with an input method: QTest types ASCII only
    assert dialog.results.count() == 1 and "¥45.00" in dialog.results.item(0).text()
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    assert [x.sku for x in panel.items.lines] == ["T01"]


def test_a_store_without_catalogue_shows_no_lines(qtbot: QtBot, till: Till, tmp_path: Path) -> None:
    assert not pull_catalogue(till.engine, till.client)  # the store has none
    w = MainWindow(app_context(till, tmp_path))
    qtbot.addWidget(w)
    w.show()
    settle(qtbot)
    assert not w.checkout.items.isVisible()
    scan(qtbot, w, "6901234567892")  # digits in a store without items: an amount, as before
    assert w.checkout.items.lines == []


def test_the_catalogue_syncs_in_pages_and_follows_changes(till: Till) -> None:
    toy = till.toy
    toy.set_catalogue([(f"S{i:03d}", f"69000000{i:05d}", f"item {i}", 100 + i, i % 10 != 0) for i in range(25)])
    assert pull_catalogue(till.engine, till.client, limit=4)
    index = load_index(till.engine)
    assert len(index) == 25 and index.enabled and not index.by_barcode["6900000000010"].participates
    toy.set_catalogue([("S001", "6900000000001", "item one", 999, True)])
    toy.set_catalogue([("S002", None, "gone", 0, True)], active=False)
    assert pull_catalogue(till.engine, till.client, limit=4)
    index = load_index(till.engine)
    assert len(index) == 24 and index.find("6900000000001").price_fen == 999  # type: ignore[union-attr]
    assert index.find("S002") is None
    assert not pull_catalogue(till.engine, till.client)  # nothing new
    toy.catalogue_enabled = False
    assert pull_catalogue(till.engine, till.client)
    with reading(till.engine) as conn:
        assert conn.execute(select(products)).all() == []
