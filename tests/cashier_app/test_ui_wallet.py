"""Wallet tenders at the till (issue 13 item 9), through the real widgets offscreen against the toy server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.checkout import MemberRef
from cashier_app.core.db import outbox, reading
from cashier_app.core.members import MemberView
from cashier_app.core.wallet import WalletService
from cashier_app.ui import receipt
from cashier_app.ui.checkout import CheckoutPanel
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.words import code_text
from shared.errors import Code
from shared.ids import MemberId

from .conftest import Till, app_context
from .conftest import settle as settle_ui
from .toyserver import ToyServer

CODE = "12345678"  # what the member's signed-in page shows


@pytest.fixture
def window(qtbot: QtBot, till: Till, toy: ToyServer, tmp_path: Path) -> Iterator[MainWindow]:
    toy.set_wallet("M1", rebate_fen=5_000, points=1_000, vouchers=(2_000,), code=CODE)
    ctx = app_context(till, tmp_path)
    ctx.wallet = WalletService(
        lambda: httpx.Client(transport=httpx.WSGITransport(app=toy.app()), base_url="http://toy.test"),
        credential=till.secrets.credential,
    )
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    yield w
    settle_ui(qtbot)
    ctx.wallet.close()


def _type_enter(qtbot: QtBot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    widget.setFocus()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)
    settle_ui(qtbot)
    settle_ui(qtbot)


def _member_sale(qtbot: QtBot, panel: CheckoutPanel, amount: str) -> None:
    _type_enter(qtbot, panel.scan, "13800001234")
    assert panel.member is not None
    panel.amount.setFocus()
    qtbot.keyClicks(panel.amount, amount)


def _hold(qtbot: QtBot, panel: CheckoutPanel, amount: str, code: str) -> None:
    tendering = panel.tendering
    tendering.wallet_amount.setFocus()
    qtbot.keyClicks(tendering.wallet_amount, amount)
    _type_enter(qtbot, tendering.wallet_code, code)


def _sale_events(till: Till) -> list[dict]:  # type: ignore[type-arg]
    with reading(till.engine) as conn:
        rows = conn.execute(select(outbox.c.body).where(outbox.c.kind == "order_paid").order_by(outbox.c.seq)).all()
    return [json.loads(r.body) for r in rows]


def test_the_member_panel_shows_the_wallet(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.checkout
    _type_enter(qtbot, panel.scan, "13800001234")
    text = panel.card.wallet.text()
    assert "¥50.00" in text and "1000" in text and "¥20.00" in text
    kinds = [panel.tendering.wallet_kind.itemData(i)[0] for i in range(panel.tendering.wallet_kind.count())]
    assert kinds == ["rebate", "voucher", "points"]


def test_30_from_the_balance_and_the_rest_in_cash(qtbot: QtBot, window: MainWindow, till: Till, toy: ToyServer) -> None:
    panel = window.checkout
    sales = []
    panel.sale_done.connect(sales.append)
    _member_sale(qtbot, panel, "80")
    _hold(qtbot, panel, "30", CODE)
    [hold_id] = toy.holds
    assert "¥30.00" in panel.tendering.parts.text() and "¥50.00" in panel.tendering.parts.text()  # rest ¥50
    _type_enter(qtbot, panel.tendering.received, "100")  # Enter in "received" records the sale
    [body] = _sale_events(till)
    assert body["wallet_tenders"] == [{"hold_id": hold_id, "kind": "rebate", "amount_fen": 3_000}]
    assert body["paid_fen"] == 8_000 and body["tenders"][0]["amount_fen"] == 5_000
    assert body["tenders"][0]["change_fen"] == 5_000
    [sale] = sales
    html = receipt.receipt_html(sale, till.info, "Store One")
    assert "¥30.00" in html and "¥20.00" in html  # what the wallet paid and the balance left
    till.sync.run_once()
    assert toy.holds[hold_id]["state"] == "captured"


def test_the_default_amount_is_what_is_due_capped_by_the_balance(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    _member_sale(qtbot, panel, "80")
    _type_enter(qtbot, panel.tendering.wallet_code, CODE)  # no amount typed: ¥50 of the ¥80 due
    assert panel.tendering.wallet_fen == 5_000 and panel.tendering.rest_fen == 3_000


def test_a_wrong_payment_code_shows_words_and_holds_nothing(
    qtbot: QtBot, window: MainWindow, till: Till, toy: ToyServer
) -> None:
    panel = window.checkout
    _member_sale(qtbot, panel, "80")
    _hold(qtbot, panel, "30", "00000000")
    assert panel.message.text() == code_text(Code.CONSENT_REQUIRED)
    assert toy.holds == {} and panel.tendering.wallet_holds == []
    assert _sale_events(till) == []


def test_offline_the_wallet_is_refused_and_cash_still_sells(
    qtbot: QtBot, window: MainWindow, till: Till, toy: ToyServer
) -> None:
    toy.down = True
    panel = window.checkout
    _member_sale(qtbot, panel, "80")
    assert "—" in panel.card.wallet.text()
    _hold(qtbot, panel, "30", CODE)
    assert panel.message.text() == code_text(Code.WALLET_OFFLINE)
    assert panel.tendering.wallet_holds == []
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)  # every other tender keeps working
    settle_ui(qtbot)
    [body] = _sale_events(till)
    assert body["paid_fen"] == 8_000 and body["wallet_tenders"] == []


def test_esc_releases_the_hold(qtbot: QtBot, window: MainWindow, till: Till, toy: ToyServer) -> None:
    panel = window.checkout
    _member_sale(qtbot, panel, "80")
    _hold(qtbot, panel, "30", CODE)
    [hold_id] = toy.holds
    qtbot.keyClick(panel.amount, Qt.Key.Key_Escape)
    settle_ui(qtbot)
    assert toy.holds[hold_id]["state"] == "released"
    assert panel.tendering.wallet_holds == [] and _sale_events(till) == []


def test_more_than_is_due_is_not_asked_for(qtbot: QtBot, window: MainWindow, toy: ToyServer) -> None:
    panel = window.checkout
    _member_sale(qtbot, panel, "20")
    _hold(qtbot, panel, "30", CODE)
    assert panel.message.text() == code_text(Code.TENDER_EXCEEDS_DUE) and toy.holds == {}


def test_another_member_releases_the_first_ones_hold(qtbot: QtBot, window: MainWindow, toy: ToyServer) -> None:
    panel = window.checkout
    _member_sale(qtbot, panel, "80")
    _hold(qtbot, panel, "30", CODE)
    [hold_id] = toy.holds
    panel.set_member(MemberView(MemberRef(MemberId("M2"), "李*")))  # the sale is another member's now
    settle_ui(qtbot)
    assert toy.holds[hold_id]["state"] == "released" and panel.tendering.wallet_holds == []


def test_the_refund_dialog_says_what_goes_back_to_the_balance(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.checkout
    _member_sale(qtbot, panel, "80")
    _hold(qtbot, panel, "30", CODE)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)  # the rest (¥50) in cash
    settle_ui(qtbot)
    dialog = window.open_refund()
    qtbot.waitExposed(dialog)
    _type_enter(qtbot, dialog.lookup, "1")
    assert "¥30.00" in dialog.found.text() and "refundable ¥80.00" in dialog.found.text()
    dialog.reject()
