#!/usr/bin/env python3
"""Screenshots of the cashier app in Chinese, for the README: store report and X report; the till's scenes.

    xvfb-run -a -s "-screen 0 1280x900x24" python packaging/screenshots.py [--out docs/screenshots]
    packaging/screenshots-x.sh     the till's scenes as the X server shows them (checkout, customer window before
                                   and after it clears, refund dialog): this script with --driven, captured by
                                   ImageMagick's `import` on a fresh Xvfb

It starts a real `paidui-server` on loopback with demo data, enrols a till, makes sales with the keyboard,
lets the sync worker answer, and grabs the real windows. With `--driven DIR` it sets each scene up in turn, writes
DIR/<scene>.ready with the window's title, and goes on when DIR/<scene>.go appears (the capture is done).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cashier_app.ui.customer_window import CustomerWindow
    from cashier_app.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--driven", type=Path, help="scene by scene, for a capture from outside (see above)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    import httpx
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from cashier_app.core.clock import system_clock
    from cashier_app.core.credentials import MemoryStore
    from cashier_app.core.db import make_engine
    from cashier_app.core.migrate import migrate
    from cashier_app.core.services import TillServices
    from cashier_app.core.sync import Backoff, SyncEngine
    from cashier_app.core.sync_client import SyncClient
    from cashier_app.core.terminal import enroll, signer_for
    from cashier_app.options import CUSTOMER_CLEAR_S, Options
    from cashier_app.sync_worker import SyncController, SyncWorker
    from cashier_app.ui.context import AppContext
    from cashier_app.ui.customer_window import CustomerWindow
    from cashier_app.ui.i18n import install_translators
    from cashier_app.ui.main_window import MainWindow
    from tests.e2e.cashier_support import PaiduiServer

    app = QApplication(sys.argv[:1])
    app._translators = install_translators(app, "zh_CN")  # type: ignore[attr-defined]

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    with tempfile.TemporaryDirectory() as tmp:
        server = PaiduiServer(Path(tmp) / "server")
        server.setup()
        phones = ["13800001234"]
        for i, name in enumerate(["李四", "王五", "赵六", "孙七", "周八"]):
            phone = f"1391234{i:04d}"
            server.cli("member", "add", "--phone", phone, "--name", name, "--level", "silver")
            phones.append(phone)
        server.cli("user", "add", "manager1", "--store", "S1", "--password", "manager-pass-1")
        from server.demo_data import catalogue_csv  # the demo's 50 products; S1 sells items

        (Path(tmp) / "catalogue.csv").write_text(catalogue_csv(), encoding="utf-8")
        server.cli("catalogue", "import", str(Path(tmp) / "catalogue.csv"))
        server.cli("catalogue", "store", "S1", "on")
        server.start()
        try:
            data = Path(tmp) / "till"
            data.mkdir()
            db = data / "paidui-cashier.db"
            migrate(db)
            engine = make_engine(db)
            store = MemoryStore()
            with httpx.Client(base_url=server.url, timeout=10) as http:
                client = SyncClient(http)
                info = enroll(
                    engine=engine,
                    secrets_store=store,
                    client=client,
                    server_url=server.url,
                    code=server.enrolment_code(),
                    name="1号收银台",
                    manager_pin="1234",
                )
                SyncEngine(engine=engine, client=client, clock=system_clock).pull_all()
            secrets = store.load()
            assert secrets is not None
            worker = SyncWorker(
                db_path=db,
                http_factory=lambda: httpx.Client(base_url=server.url, timeout=5),
                credential=secrets.credential,
                clock=system_clock,
                interval_s=0.5,
                backoff=Backoff(base=0.2, cap=1.0, rng=random.Random(1)),
            )
            controller = SyncController(worker)
            if args.driven:
                Options(data).set(CUSTOMER_CLEAR_S, 8)  # the "after" scene comes sooner than the 60 s default
            ctx = AppContext(
                services=TillServices(engine=engine, clock=system_clock),
                info=info,
                signer=signer_for(info, secrets, system_clock),
                clock=system_clock,
                options=Options(data),
                data_dir=data,
            )
            customer = CustomerWindow()
            window = MainWindow(ctx, customer=customer, sync=controller)
            window.resize(1366, 740)
            customer.resize(520, 760)
            window.show()
            customer.show()
            controller.start()
            panel = window.checkout
            amounts = ["168", "99.5", "45", "230", "18.8", "66", "128"]
            for i, amount in enumerate(amounts):
                if i != 4:  # one walk-in among members
                    panel.scan.setText(phones[i % len(phones)])
                    QTest.keyClick(panel.scan, Qt.Key.Key_Return)
                QTest.keyClicks(panel.amount, amount)
                QTest.keyClick(panel.amount, Qt.Key.Key_Return)
                wait(300)
            wait(2500)  # the worker sends the sales and pulls the snapshot
            if args.driven:
                scenes(args.driven, window, customer, phones, wait)
                controller.stop()
                engine.dispose()
                return 0
            # the checkout screen and the customer window: packaging/screenshots-x.sh (as the X display shows them)
            # a sale by items: two noodles, a cola and cigarettes (outside the rebate), scanned into the amount field
            panel.clear_sale()
            panel.scan.setText("13800001234")
            QTest.keyClick(panel.scan, Qt.Key.Key_Return)
            wait(300)
            by_name = {p.name: p.barcode for p in panel.catalogue.by_sku.values()}
            for name in ("牛肉面", "牛肉面", "可乐", "薯片", "中华香烟"):
                panel.amount.setText(by_name[name] or "")
                QTest.keyClick(panel.amount, Qt.Key.Key_Return)
                wait(100)
            wait(300)
            window.grab().save(str(args.out / "checkout-items.png"))
            panel.clear_sale()
            report = window.open_queue_report()
            report.resize(1000, 620)
            report.manager.setText("manager1")
            report.password.setText("manager-pass-1")
            report.load_today()
            wait(1500)
            report.grab().save(str(args.out / "store-report.png"))
            shift = window.open_shift_report()
            wait(300)
            shift.grab().save(str(args.out / "x-report.png"))
            shift.close()
            from screenshots_counter import counter_shots  # beside this script (its folder is on sys.path)

            for path in counter_shots(window, customer, args.out, wait):
                print(path)
            controller.stop()
            engine.dispose()
        finally:
            server.stop()
    for name in ("checkout-items", "store-report", "x-report"):
        print(args.out / f"{name}.png")
    return 0


def scenes(folder: Path, w: MainWindow, c: CustomerWindow, phones: list[str], wait: Callable[[int], None]) -> None:
    """The till's scenes one after another, each held until the capture from outside says it is done."""
    import time

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QWidget

    folder.mkdir(parents=True, exist_ok=True)

    def hold(scene: str, shown: QWidget) -> None:
        shown.move(0, 0)
        shown.raise_()
        shown.activateWindow()
        wait(300)
        (folder / f"{scene}.ready").write_text(str(int(shown.winId())))  # the X window's id, for `import -window`
        while not (folder / f"{scene}.go").exists():
            wait(100)

    panel = w.checkout
    # the customer window right after a member's sale: the amount paid, the QR code of the order, the position
    panel.scan.setText(phones[0])
    QTest.keyClick(panel.scan, Qt.Key.Key_Return)
    wait(400)
    QTest.keyClicks(panel.amount, "58")
    QTest.keyClick(panel.amount, Qt.Key.Key_Return)
    wait(2500)
    hold("customer-window", c)
    started = time.monotonic()
    while c.order_id is not None and time.monotonic() - started < 30:
        wait(200)
    hold("customer-window-cleared", c)
    # the checkout screen mid-sale: a member recognised, amount and deduction typed
    w.activateWindow()
    panel.scan.setText(phones[0])
    QTest.keyClick(panel.scan, Qt.Key.Key_Return)
    wait(400)
    QTest.keyClicks(panel.amount, "88.00")
    wait(300)
    hold("checkout", w)
    QTest.keyClick(panel.amount, Qt.Key.Key_Escape)
    # the refund dialog: a sale found by its receipt number, its line whole
    dialog = w.open_refund()
    dialog.lookup.setText("1")
    QTest.keyClick(dialog.lookup, Qt.Key.Key_Return)
    wait(600)
    hold("refund-dialog", dialog)
    dialog.reject()


if __name__ == "__main__":
    sys.exit(main())
