#!/usr/bin/env python3
"""Screenshots of the cashier app in Chinese, for the README: checkout screen, customer window, store report.

    xvfb-run -a -s "-screen 0 1280x900x24" python packaging/screenshots.py [--out docs/screenshots]

It starts a real `paidui-server` on loopback with demo data, enrols a till, makes sales with the keyboard,
lets the sync worker answer, and grabs the real windows.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
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
    from cashier_app.options import Options
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
            customer.set_store_name(window.store_name)
            window.resize(1100, 760)
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
            customer.grab().save(str(args.out / "customer-window.png"))
            # the checkout screen mid-sale: a member recognised, amount and deduction typed
            panel.scan.setText("13800001234")
            QTest.keyClick(panel.scan, Qt.Key.Key_Return)
            QTest.keyClicks(panel.amount, "88.00")
            panel.deduction.setText("8.00")
            wait(300)
            window.grab().save(str(args.out / "checkout.png"))
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
    for name in ("checkout", "customer-window", "store-report", "x-report"):
        print(args.out / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
