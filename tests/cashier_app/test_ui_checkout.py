"""The real widgets driven by the keyboard, offscreen."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.checkout import MemberRef
from cashier_app.core.db import orders, reading, refunds
from cashier_app.core.members import MemberView
from cashier_app.options import Options
from cashier_app.ui.checkout import MemberCard
from cashier_app.ui.context import AppContext
from cashier_app.ui.customer_window import CustomerWindow
from cashier_app.ui.main_window import MainWindow
from shared.tokens import Purpose, new_private_key, sign

from .conftest import Till


@pytest.fixture
def ctx(till: Till, tmp_path: Path) -> AppContext:
    return AppContext(
        engine=till.engine,
        info=till.info,
        signer=till.signer,
        clock=till.clock,
        options=Options(tmp_path),
        data_dir=tmp_path,
    )


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    customer = CustomerWindow()
    qtbot.addWidget(customer)
    w = MainWindow(ctx, customer=customer)
    qtbot.addWidget(w)
    w.show()
    customer.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def type_enter(qtbot: QtBot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def sales(till: Till) -> list:
    with reading(till.engine) as conn:
        return conn.execute(select(orders).order_by(orders.c.receipt_no)).all()


def test_member_sale_by_keyboard(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    assert panel.scan.hasFocus()
    type_enter(qtbot, panel.scan, till.toy.member_code("M1", now=till.clock().timestamp()))
    assert panel.member is not None and panel.member.member.member_id == "M1"
    # the level by the name the catalog gives it (the till runs in English here), not its id
    assert "张*" in panel.card.title.text() and "Gold card" in panel.card.title.text()
    assert panel.amount.hasFocus()
    qtbot.keyClicks(panel.amount, "88.5")
    assert panel.to_pay.text() == "¥88.50"
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    [sale] = sales(till)
    assert (sale.member_id, sale.paid_fen, sale.tender, sale.synced) == ("M1", 8850, "cash", False)
    assert "¥88.50" in panel.message.text() and panel.member is None and panel.scan.hasFocus()
    customer = window.customer
    assert customer is not None and customer.qr.text == sale.order_link
    assert customer.position.text() == "Queue position pending sync"


def test_walk_in_sale_with_tender_shortcut(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    qtbot.keyClick(panel.scan, Qt.Key.Key_Return)  # nobody to identify: a walk-in
    assert panel.amount.hasFocus()
    qtbot.keyClicks(panel.amount, "12")
    qtbot.keyClick(panel.amount, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # Alipay
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    [sale] = sales(till)
    assert (sale.member_id, sale.paid_fen, sale.tender) == (None, 1200, "alipay")


def test_forged_member_code_is_refused_and_not_attributed(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    forged = sign(
        key=new_private_key(),
        kid="mk1",
        purpose=Purpose.MEMBER_CODE,
        expires=int(till.clock().timestamp()) + 300,
        claims={"m": "M1"},
    )
    type_enter(qtbot, panel.scan, forged)
    assert panel.member is None
    assert "not genuine" in panel.message.text()
    type_enter(qtbot, panel.amount, "5")
    [sale] = sales(till)
    assert sale.member_id is None


def test_points_deduction_and_escape(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    type_enter(qtbot, panel.scan, "13800001234")
    assert panel.member is not None
    qtbot.keyClicks(panel.amount, "100")
    qtbot.keyClick(panel.amount, Qt.Key.Key_Tab)
    assert panel.deduction.hasFocus()
    qtbot.keyClicks(panel.deduction, "20")
    assert panel.to_pay.text() == "¥80.00"
    qtbot.keyClick(panel.deduction, Qt.Key.Key_Escape)
    assert panel.member is None and panel.amount.text() == "" and sales(till) == []
    type_enter(qtbot, panel.scan, "13800001234")
    qtbot.keyClicks(panel.amount, "100")
    panel.deduction.setFocus()
    type_enter(qtbot, panel.deduction, "20")
    [sale] = sales(till)
    assert (sale.total_fen, sale.deduction_points_fen, sale.paid_fen) == (10_000, 2_000, 8_000)


def test_bad_amount_is_refused_with_words(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    type_enter(qtbot, window.checkout.amount, "12.345")
    assert sales(till) == [] and window.checkout.message.text() == "The amount is not valid."


def test_unknown_phone_then_register_with_f3(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    type_enter(qtbot, panel.scan, "13911112222")
    assert "F3" in panel.message.text()
    qtbot.keyClick(panel.scan, Qt.Key.Key_F3)
    dialog = window.dialogs["register"]
    assert dialog.phone.text() == "13911112222"  # type: ignore[attr-defined]
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)  # type: ignore[attr-defined]
    assert panel.member is not None and panel.member.pending_registration
    type_enter(qtbot, panel.amount, "30")
    [sale] = sales(till)
    assert sale.member_id == panel.member.member.member_id if panel.member else sale.member_id is not None


def test_refund_with_f2_needs_the_manager_pin(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    type_enter(qtbot, panel.amount, "50")
    qtbot.keyClick(panel.scan, Qt.Key.Key_F2)
    dialog = window.dialogs["refund"]
    type_enter(qtbot, dialog.lookup, "1")  # type: ignore[attr-defined]
    assert dialog.amount.text() == "50.00" and dialog.focusWidget() is dialog.amount  # type: ignore[attr-defined]
    dialog.amount.selectAll()  # type: ignore[attr-defined]
    type_enter(qtbot, dialog.amount, "20")  # type: ignore[attr-defined]
    type_enter(qtbot, dialog.reason, "broken")  # type: ignore[attr-defined]
    type_enter(qtbot, dialog.pin, "0000")  # type: ignore[attr-defined]
    assert dialog.message.text() == "Wrong manager PIN." and dialog.isVisible()  # type: ignore[attr-defined]
    type_enter(qtbot, dialog.pin, "1234")  # type: ignore[attr-defined]
    assert not dialog.isVisible()
    with reading(till.engine) as conn:
        assert conn.execute(select(refunds.c.amount_fen, refunds.c.reason)).all() == [(2000, "broken")]
    assert sales(till)[0].refunded_fen == 2000
    assert "¥20.00" in panel.message.text()


def test_x_and_z_report_figures(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    type_enter(qtbot, panel.amount, "100")
    qtbot.keyClicks(panel.amount, "25.5")
    qtbot.keyClick(panel.amount, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    qtbot.keyClick(panel.scan, Qt.Key.Key_F4)
    dialog = window.dialogs["shift"]
    text = dialog.view.toPlainText()  # type: ignore[attr-defined]
    assert "X report" in text and "¥125.50" in text and "Money taken" in text
    assert "1 sales · ¥100.00" in text and "1 sales · ¥25.50" in text
    assert "computed locally at 10%" in text and "¥12.55" in text  # floor(10000*10%) + floor(2550*10%)
    type_enter(qtbot, dialog.pin, "1234")  # type: ignore[attr-defined]
    assert "Z report" in dialog.view.toPlainText()  # type: ignore[attr-defined]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    type_enter(qtbot, panel.amount, "1")
    qtbot.keyClick(panel.scan, Qt.Key.Key_F4)
    assert "¥1.00" in window.dialogs["shift"].view.toPlainText()  # type: ignore[attr-defined]
    assert "¥125.50" not in window.dialogs["shift"].view.toPlainText()  # type: ignore[attr-defined]


def test_queue_report_shows_snapshot_and_exports_csv(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    type_enter(qtbot, window.checkout.scan, "13800001234")
    type_enter(qtbot, window.checkout.amount, "30")
    till.sync.run_once()
    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F6)
    dialog = window.dialogs["queue"]
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.table.rowCount() == 1  # type: ignore[attr-defined]
    assert dialog.table.item(0, 1).text() == "张*" and dialog.table.item(0, 4).text() == "¥30.00"  # type: ignore
    qtbot.keyClick(dialog.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]
    [csv_file] = (window.ctx.data_dir / "reports").iterdir()
    assert "张*" in csv_file.read_text(encoding="utf-8-sig")


def test_refused_sale_is_listed_under_needs_attention(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    till.toy.cashier_ids = ["OTHER"]
    type_enter(qtbot, window.checkout.amount, "9")
    till.sync.push_all(__import__("cashier_app.core.sync", fromlist=["SyncOutcome"]).SyncOutcome())
    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F7)
    table = window.dialogs["attention"].table  # type: ignore[attr-defined]
    assert table.rowCount() == 1 and "cashier" in table.item(0, 3).text()


def test_receipt_pdf(qtbot: QtBot, window: MainWindow, till: Till, tmp_path: Path) -> None:
    from cashier_app.ui import receipt

    type_enter(qtbot, window.checkout.amount, "42")
    assert window.last_sale is not None
    path = receipt.save_pdf(window.last_sale, till.info, "Store One", tmp_path / "r.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    preview = window.print_last()
    assert preview is not None and preview.isVisible()
    preview.close()


def test_queue_report_shows_the_managers_figures_for_today(qtbot: QtBot, window: MainWindow) -> None:
    from cashier_app.core.sync_client import StoreDay

    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F6)
    dialog = window.dialogs["queue"]
    dialog.show_today(StoreDay("2026-03-02", 3, 30_000, 3_000, 2_500, 500))  # type: ignore[attr-defined]
    text = dialog.today_label.text()  # type: ignore[attr-defined]
    assert "3 sales, ¥300.00" in text and "¥30.00" in text and "¥25.00" in text and "¥5.00" in text
    dialog.manager.setText("m")  # type: ignore[attr-defined]
    dialog.password.setText("secret")  # type: ignore[attr-defined]
    # nothing listens on loopback port 9: the job fails off the UI thread and the dialog says so
    window.ctx.info = dataclasses.replace(window.ctx.info, server_url="http://127.0.0.1:9")
    dialog.load_today()  # type: ignore[attr-defined]
    assert dialog.password.text() == ""  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.today_label.text() == "The server cannot be reached.", timeout=5000)  # type: ignore


def test_status_bar_says_why_the_server_refuses(qtbot: QtBot, window: MainWindow) -> None:
    from cashier_app.sync_worker import SyncStatus

    window.on_status(SyncStatus(False, 3, 0, None, "terminal_revoked"))
    assert "revoked" in window.status.online.text() and window.status.pending.text() == "Waiting to send: 3"
    window.on_status(SyncStatus(False, 3, 1, None, "server_unavailable"))
    assert window.status.online.text() == "● offline" and "1" in window.status.attention.text()


def test_a_sale_that_cannot_be_written_is_not_shown_as_done(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    from sqlalchemy import event

    from cashier_app.core.db import make_engine

    impatient = make_engine(Path(str(till.engine.url.database)))
    event.listen(impatient, "connect", lambda c, _r: c.execute("PRAGMA busy_timeout=50"))  # after ours
    window.ctx.engine = impatient  # the panel shares the context
    blocker = till.engine.raw_connection()  # another writer holds the database past the busy timeout
    blocker.execute("BEGIN IMMEDIATE")
    try:
        type_enter(qtbot, window.checkout.amount, "10")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        impatient.dispose()
    assert "NOT be saved" in window.checkout.message.text() and window.checkout.amount.text() == "10"
    assert sales(till) == []


def test_the_member_card_names_the_level_in_the_tills_language(qtbot: QtBot) -> None:
    card = MemberCard()
    qtbot.addWidget(card)
    view = MemberView(MemberRef("M1", "张*", "gold"), "1234", level_names=("金卡", "Gold card"))
    QLocale.setDefault(QLocale("zh_CN"))
    try:
        card.show_member(view)
        assert "金卡" in card.title.text() and "gold" not in card.title.text()
    finally:
        QLocale.setDefault(QLocale("en"))
    card.show_member(view)
    assert "Gold card" in card.title.text()
    card.show_member(dataclasses.replace(view, level_names=None))  # no catalog pulled yet: the id
    assert "gold" in card.title.text()
