"""The sync worker in its own QThread against the toy server: signals back, the UI never waits."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from cashier_app.core.sync import Backoff
from cashier_app.sync_worker import SyncController, SyncStatus, SyncWorker
from cashier_app.ui.customer_window import CustomerWindow
from cashier_app.ui.main_window import MainWindow

from .conftest import Till, app_context, settle


@pytest.fixture
def controller(till: Till) -> SyncController:
    app = till.toy.app()
    worker = SyncWorker(
        db_path=Path(str(till.engine.url.database)),
        http_factory=lambda: httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://toy.test"),
        credential=till.secrets.credential,
        clock=till.clock,
        interval_s=0.2,
        backoff=Backoff(base=0.05, cap=0.2, rng=random.Random(1)),
    )
    c = SyncController(worker)
    yield c
    c.stop()


def test_worker_sends_sales_and_the_customer_window_shows_the_position(
    qtbot: QtBot, till: Till, controller: SyncController, tmp_path: Path
) -> None:
    ctx = app_context(till, tmp_path)
    customer = CustomerWindow()
    qtbot.addWidget(customer)
    window = MainWindow(ctx, customer=customer, sync=controller)
    qtbot.addWidget(window)
    window.show()
    till.toy.down = True
    controller.start()
    qtbot.waitUntil(lambda: "offline" in window.status.online.text(), timeout=5000)
    panel = window.checkout
    panel.scan.setText("13800001234")
    qtbot.keyClick(panel.scan, Qt.Key.Key_Return)
    panel.amount.setText("66")
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle(qtbot, ctx.pool)
    assert customer.position.text() == "Queue position pending sync"
    assert window.status.pending.text() == "Waiting to send: 1"
    till.toy.down = False  # the server comes back: the backoff retries on its own
    qtbot.waitUntil(lambda: customer.position.text() == "Your queue position: No. 1", timeout=10_000)
    qtbot.waitUntil(
        lambda: window.status.online.text() == "● online" and window.status.pending.text() == "Waiting to send: 0",
        timeout=5000,
    )
    assert window.status.last.text() != "Last sync: never" and len(till.toy.applied_orders) == 1


def test_worker_reports_refused_events_and_goes_on(qtbot: QtBot, till: Till, controller: SyncController) -> None:
    from .test_core_checkout import sell

    bad = sell(till, 100)
    till.toy.refuse[str(bad.order_id)] = "invalid_event"
    sell(till, 200)
    seen: list[SyncStatus] = []
    controller.worker.status.connect(seen.append)
    controller.start()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].online is True, timeout=5000)
    assert (seen[-1].pending, seen[-1].attention) == (0, 1)
    assert len(till.toy.applied_orders) == 1


def test_the_controller_does_not_shadow_qobject_thread(qtbot: QtBot, controller: SyncController) -> None:
    """`QObject.thread()` is where a QObject lives; an attribute of that name broke every Qt call that asks it."""
    from PySide6.QtCore import QCoreApplication, QThread

    app = QCoreApplication.instance()
    assert app is not None
    assert controller.thread() is app.thread()  # the controller lives on the UI thread
    assert isinstance(controller.worker_thread, QThread) and controller.worker.thread() is controller.worker_thread
