"""The refund dialog (F2) through the real widgets, offscreen: the sale's line, the PIN, another till's sale checked
on the server first, and a refund the server could not vouch for kept in F7 until it answers (issue 12 item 9)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.db import outbox, reading, refunds
from cashier_app.core.sync import Backoff
from cashier_app.sync_worker import SyncController, SyncWorker
from cashier_app.ui.attention import AttentionDialog
from cashier_app.ui.context import AppContext
from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.refund_dialog import RefundDialog

from .conftest import Till, app_context, settle
from .test_ui_checkout import type_enter

MISTYPED = "5f0c6f4e-0000-4000-8000-000000000001"


@pytest.fixture
def ctx(till: Till, tmp_path: Path) -> AppContext:
    return app_context(till, tmp_path)


def _window(qtbot: QtBot, ctx: AppContext, sync: SyncController | None = None) -> MainWindow:
    w = MainWindow(ctx, sync=sync)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    return _window(qtbot, ctx)


@pytest.fixture
def controller(till: Till) -> Iterator[SyncController]:
    app = till.toy.app()
    worker = SyncWorker(
        db_path=Path(str(till.engine.url.database)),
        http_factory=lambda: httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://toy.test"),
        credential=till.secrets.credential,
        clock=till.clock,
        interval_s=60,
        backoff=Backoff(base=0.05, cap=0.2, rng=random.Random(1)),
    )
    c = SyncController(worker)
    yield c
    c.stop()


def refund_dialog(qtbot: QtBot, window: MainWindow) -> RefundDialog:
    dialog = window.open_refund()
    qtbot.waitExposed(dialog)
    return dialog


def refund_rows(till: Till) -> list[tuple[str, int]]:
    with reading(till.engine) as conn:
        return [(r.order_id, r.amount_fen) for r in conn.execute(select(refunds))]


def test_the_sale_line_is_shown_whole(qtbot: QtBot, window: MainWindow) -> None:
    type_enter(qtbot, window.checkout.amount, "50")
    dialog = refund_dialog(qtbot, window)
    type_enter(qtbot, dialog.lookup, "1")
    line = dialog.found
    assert line.text() == "Sale 1 at 2026-03-02 10:00:00: paid ¥50.00 by Cash, refundable ¥50.00"
    qtbot.waitUntil(lambda: line.width() >= line.sizeHint().width() and line.height() >= line.sizeHint().height())
    assert line.visibleRegion().boundingRect().size() == line.sizeHint()  # nothing of it clipped


def test_no_wrong_pin_before_a_pin_is_typed(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    type_enter(qtbot, window.checkout.amount, "50")
    dialog = refund_dialog(qtbot, window)
    assert dialog.message.text() == ""
    dialog.lookup.setText("1")
    dialog.submit()  # OK pressed with the sale typed, before any PIN
    settle(qtbot)
    assert dialog.message.text() == "Type the manager PIN, then Enter." and dialog.pin.hasFocus()
    assert "PIN" in dialog.message.text() and "Wrong" not in dialog.message.text()
    assert refund_rows(till) == [] and dialog.isVisible()


def test_online_a_mistyped_order_id_is_refused_with_words(
    qtbot: QtBot, ctx: AppContext, till: Till, controller: SyncController
) -> None:
    window = _window(qtbot, ctx, controller)
    controller.start()
    dialog = refund_dialog(qtbot, window)
    type_enter(qtbot, dialog.lookup, MISTYPED)
    qtbot.waitUntil(lambda: dialog.checking is None, timeout=5000)
    assert dialog.message.text() == "The server does not know this order. Check the order id; nothing refunded."
    dialog.amount.setText("10")
    dialog.pin.setText("1234")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.checking is None, timeout=5000)
    settle(qtbot)
    assert refund_rows(till) == [] and dialog.isVisible()


def test_online_another_tills_sale_is_checked_then_refunded(
    qtbot: QtBot, ctx: AppContext, till: Till, controller: SyncController
) -> None:
    theirs = str(uuid.uuid4())
    till.toy.orders[theirs] = {"paid_fen": 3000, "member_id": None, "terminal": "T9"}
    window = _window(qtbot, ctx, controller)
    controller.start()
    dialog = refund_dialog(qtbot, window)
    type_enter(qtbot, dialog.lookup, theirs)
    qtbot.waitUntil(lambda: dialog.sale is not None, timeout=5000)
    assert dialog.sale is not None and dialog.sale.checked and dialog.amount.text() == "30.00"
    assert dialog.found.text().startswith("Sale of another till at ") and "refundable ¥30.00" in dialog.found.text()
    dialog.amount.setText("40")
    dialog.pin.setText("1234")
    dialog.submit()
    assert "larger than what is left" in dialog.message.text() and refund_rows(till) == []
    dialog.amount.setText("10")
    dialog.submit()
    settle(qtbot)
    assert refund_rows(till) == [(theirs, 1000)] and not dialog.isVisible()
    assert window.checkout.message.text() == "Refund recorded: ¥10.00"


def test_offline_a_refund_of_an_unknown_order_is_to_be_confirmed_in_f7(
    qtbot: QtBot, window: MainWindow, till: Till
) -> None:
    dialog = refund_dialog(qtbot, window)
    type_enter(qtbot, dialog.lookup, MISTYPED)
    assert "TO BE CONFIRMED" in dialog.found.text()
    type_enter(qtbot, dialog.amount, "10")
    type_enter(qtbot, dialog.reason, "")
    type_enter(qtbot, dialog.pin, "1234")
    assert not dialog.isVisible() and refund_rows(till) == [(MISTYPED, 1000)]
    said = window.checkout.message.text()
    assert said == "Refund of ¥10.00 recorded, TO BE CONFIRMED by the server: see F7." and "Refund recorded" not in said

    def f7() -> list[str]:
        attention = window.open_attention()
        assert isinstance(attention, AttentionDialog)
        settle(qtbot)
        table = attention.table
        return [table.item(i, 3).text() for i in range(table.rowCount())]

    assert f7() == ["To be confirmed: not checked with the server yet (offline)."]
    till.sync.run_once()  # the server does not know the order: it parks the refund
    assert f7() == ["To be confirmed: the server does not know this order (yet). Check the order id."]
    till.sync.run_once()
    assert len(f7()) == 1
    # the order reaches the server (its till was offline): the parked refund applies, and the till hears of it
    till.toy.orders[MISTYPED] = {"paid_fen": 5000, "member_id": None, "terminal": "T9"}
    for key, body in list(till.toy.parked):
        till.toy.parked.remove((key, body))
        till.toy._refund(body)
    for event_id, (text, answer) in list(till.toy.seen.items()):
        if answer.status == "parked":
            till.toy.seen[event_id] = (text, answer.model_copy(update={"status": "accepted"}))
    till.sync.run_once()
    assert f7() == []
    with reading(till.engine) as conn:
        assert conn.execute(select(outbox.c.state)).scalars().all() == ["done"]
