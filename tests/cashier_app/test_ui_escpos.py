"""Sales made with the real checkout widgets, offscreen, printed on a TCP receipt printer on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.db import orders, reading
from cashier_app.core.escpos import qr_store_command
from cashier_app.core.services import TillServices
from cashier_app.options import ESCPOS_COLUMNS, ESCPOS_TIMEOUT_MS, Options
from cashier_app.ui.context import AppContext
from cashier_app.ui.main_window import MainWindow

from .conftest import Till, settle
from .tcp_printer import TcpPrinterStub
from .toyserver import ToyServer

STORE = "排队示范店"


@pytest.fixture
def toy() -> ToyServer:  # this module's store has a Chinese name
    server = ToyServer(store_name=STORE)
    server.add_member("M1", "13800001234", "张*", "gold")
    return server


@pytest.fixture
def ctx(till: Till, tmp_path: Path) -> AppContext:
    options = Options(tmp_path)
    options.set(ESCPOS_COLUMNS, 32)
    options.set(ESCPOS_TIMEOUT_MS, 400)
    services = TillServices(engine=till.engine, clock=till.clock)
    return AppContext(
        services=services, info=till.info, signer=till.signer, clock=till.clock, options=options, data_dir=tmp_path
    )


@pytest.fixture
def printer() -> Iterator[TcpPrinterStub]:
    stub = TcpPrinterStub(online=False)
    yield stub
    stub.close()


def open_window(qtbot: QtBot, ctx: AppContext, target: str) -> MainWindow:
    window = MainWindow(ctx, escpos=target)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # shortcuts reach the active window only
    return window


def sell(qtbot: QtBot, window: MainWindow, amount: str, member_text: str = "") -> None:
    panel = window.checkout
    panel.scan.setFocus()
    qtbot.keyClicks(panel.scan, member_text)
    qtbot.keyClick(panel.scan, Qt.Key.Key_Return)
    qtbot.keyClicks(panel.amount, amount)
    qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
    settle(qtbot, window.ctx.pool)  # the sale is committed (its receipt may still be printing)


def stored_qr_data(job: bytes) -> list[bytes]:
    """The data of every GS ( k "store" command (cn 49, fn 80, m 48) in a job."""
    found, i = [], job.find(b"\x1d(k")
    while i >= 0:
        size = job[i + 3] + 256 * job[i + 4]
        if job[i + 5 : i + 8] == b"1P0":
            found.append(job[i + 8 : i + 5 + size])
        i = job.find(b"\x1d(k", i + 5 + size)
    return found


def test_a_member_sale_prints_one_receipt(qtbot: QtBot, ctx: AppContext, till: Till, printer: TcpPrinterStub) -> None:
    printer.go_online()
    window = open_window(qtbot, ctx, printer.url)
    assert window.receipt_printer is not None
    with qtbot.waitSignal(window.receipt_printer.printed, timeout=5000) as printed:
        sell(qtbot, window, "88.5", till.toy.member_code("M1", now=till.clock().timestamp()))
    assert printed.args == [1]
    sale = window.last_sale
    assert sale is not None and sale.member is not None
    [job] = printer.wait_jobs(1)
    assert job.startswith(b"\x1b@")
    assert STORE.encode("gb18030") in job and "张*".encode("gb18030") in job
    assert b"88.50" in job and "￥88.50".encode("gb18030") in job
    assert b"Queue position pending sync" in job and b"C1" in job
    assert stored_qr_data(job) == [sale.order_link.encode()]
    assert qr_store_command(sale.order_link) in job
    assert job.endswith(b"\x1dVB\x00")
    assert window.status.printer.text() == "" and "printed" in window.status.currentMessage()
    assert printer.jobs == [job]  # one job for one sale


def test_reprint_shows_the_queue_position_once_known(
    qtbot: QtBot, ctx: AppContext, till: Till, printer: TcpPrinterStub
) -> None:
    printer.go_online()
    window = open_window(qtbot, ctx, printer.url)
    assert window.receipt_printer is not None
    with qtbot.waitSignal(window.receipt_printer.printed, timeout=5000):
        sell(qtbot, window, "30", "13800001234")
    till.sync.run_once()  # the server answered: position 1
    with qtbot.waitSignal(window.receipt_printer.printed, timeout=5000):
        qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    first, second = printer.wait_jobs(2)
    assert b"Queue position pending sync" in first
    assert b"Queue position: No. 1" in second and b"pending" not in second


def test_an_offline_printer_loses_no_sale_and_is_reported(
    qtbot: QtBot, ctx: AppContext, till: Till, printer: TcpPrinterStub
) -> None:
    window = open_window(qtbot, ctx, printer.url)  # the port refuses: the printer is off
    assert window.receipt_printer is not None
    with qtbot.waitSignal(window.receipt_printer.failed, timeout=5000) as failed:
        sell(qtbot, window, "12")
    assert failed.args == [1, "printer_offline"]
    with reading(till.engine) as conn:
        assert conn.execute(select(orders.c.receipt_no, orders.c.paid_fen)).all() == [(1, 1200)]
    assert "Sale 1 done" in window.checkout.message.text()
    problem = window.status.printer.text()
    assert "Receipt 1 NOT printed" in problem and "cannot be reached" in problem and "Shift+F8" in problem
    printer.go_online()  # switched on: Shift+F8 prints the same receipt, the warning goes
    with qtbot.waitSignal(window.receipt_printer.printed, timeout=5000):
        qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    [job] = printer.wait_jobs(1)
    assert window.last_sale is not None and stored_qr_data(job) == [window.last_sale.order_link.encode()]
    assert window.status.printer.text() == ""


def test_a_hung_printer_does_not_block_the_till(
    qtbot: QtBot, ctx: AppContext, till: Till, printer: TcpPrinterStub
) -> None:
    printer.hang()  # connects are never answered: each job waits out the timeout
    ctx.options.set(ESCPOS_TIMEOUT_MS, 700)  # a margin over two sales typed on a busy machine
    window = open_window(qtbot, ctx, printer.url)
    assert window.receipt_printer is not None
    ticks: list[int] = []
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    at_failure: list[int] = []
    window.receipt_printer.failed.connect(lambda *_: at_failure.append(len(ticks)))
    sell(qtbot, window, "5")
    sell(qtbot, window, "6")  # the next customer is served while the first receipt still waits
    with reading(till.engine) as conn:
        assert conn.execute(select(orders.c.paid_fen).order_by(orders.c.receipt_no)).scalars().all() == [500, 600]
    assert at_failure == [] and "Sale 2 done" in window.checkout.message.text()
    qtbot.waitUntil(lambda: len(at_failure) == 2, timeout=5000)
    assert at_failure[0] >= 5  # the UI thread ran its timer while the printer hung
    assert "Receipt 2 NOT printed" in window.status.printer.text()
    assert "does not answer" in window.status.printer.text()


def test_no_printer_configured(qtbot: QtBot, ctx: AppContext) -> None:
    window = open_window(qtbot, ctx, "")
    assert window.receipt_printer is None
    qtbot.keyClick(window.checkout.scan, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert "No receipt printer is set up" in window.checkout.message.text()


def test_a_bad_printer_setting_is_said_and_the_till_still_sells(qtbot: QtBot, ctx: AppContext, till: Till) -> None:
    window = open_window(qtbot, ctx, "http://printer")
    assert window.receipt_printer is None and "not valid" in window.status.printer.text()
    sell(qtbot, window, "1")
    assert window.last_sale is not None and window.last_sale.paid_fen == 100


def test_a_file_printer_from_the_setting(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    from cashier_app.options import ESCPOS_PRINTER

    out = tmp_path / "receipts.bin"
    ctx.options.set(ESCPOS_PRINTER, f"file://{out}")
    window = MainWindow(ctx)  # no --escpos: the setting holds
    qtbot.addWidget(window)
    assert window.receipt_printer is not None
    with qtbot.waitSignal(window.receipt_printer.printed, timeout=5000):
        window.checkout.amount.setText("9.99")
        window.checkout.confirm()
    job = out.read_bytes()
    assert job.startswith(b"\x1b@") and STORE.encode("gb18030") in job and b"9.99" in job


def test_the_chinese_receipt_in_gb18030(
    qtbot: QtBot, qapp, ctx: AppContext, till: Till, printer: TcpPrinterStub
) -> None:
    from cashier_app.ui.i18n import install_translators

    printer.go_online()
    translators = install_translators(qapp, "zh_CN")
    try:
        window = open_window(qtbot, ctx, printer.url)
        assert window.receipt_printer is not None
        with qtbot.waitSignal(window.receipt_printer.printed, timeout=5000):
            sell(qtbot, window, "100", "13800001234")
    finally:
        for t in translators:
            qapp.removeTranslator(t)
        install_translators(qapp, "en")  # the source language again for the other tests
    [job] = printer.wait_jobs(1)
    assert job.startswith(b"\x1b@\x1c&")
    for words in (
        "小票号",
        "收银点",
        "会员",
        "张*",
        "现金",
        "实付",
        "排队位置待同步",
        "扫码查看订单和排队返利",
        "谢谢惠顾",
    ):
        assert words.encode("gb18030") in job, words
    assert b"Queue" not in job
