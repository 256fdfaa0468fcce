#!/usr/bin/env python3
"""How long the cashier app's UI thread stalls while the server is slow or down, during a run of checkouts.

    QT_QPA_PLATFORM=offscreen python benchmarks/ui_stall.py [--sales 300] [--delay 3] [--modes slow,down,blackhole]

It starts a real `paidui-server` on loopback, enrols a till, then for each mode points the sync worker at
 - slow:      a proxy that holds every server response for --delay seconds,
 - down:      a port nobody listens on (connection refused),
 - blackhole: a proxy that accepts and never answers (the worker waits for its timeout),
and drives the real checkout screen with keyboard events (member by phone, amount, Enter) every 250 ms. A 5 ms
heartbeat QTimer on the UI thread records how late each tick fires; the stall is lateness beyond the interval.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from cashier_app.core.credentials import MemoryStore  # noqa: E402
from cashier_app.core.db import make_engine  # noqa: E402
from cashier_app.core.migrate import migrate  # noqa: E402
from cashier_app.core.sync import Backoff, SyncEngine  # noqa: E402
from cashier_app.core.sync_client import SyncClient  # noqa: E402
from cashier_app.core.terminal import enroll, signer_for  # noqa: E402

HEARTBEAT_MS = 5


@dataclass
class StallResult:
    mode: str
    sales: int
    ticks: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    pending_at_end: int
    sync_attempts: int

    def line(self) -> str:
        return (
            f"{self.mode:9s} sales={self.sales} ticks={self.ticks} stall p50={self.p50_ms:.1f} ms "
            f"p99={self.p99_ms:.1f} ms max={self.max_ms:.1f} ms pending_at_end={self.pending_at_end} "
            f"sync_attempts={self.sync_attempts}"
        )


def enrolled_till(data_dir: Path, server_url: str, code: str):  # type: ignore[no-untyped-def]
    from cashier_app.core.clock import system_clock

    db = data_dir / "paidui-cashier.db"
    migrate(db)
    engine = make_engine(db)
    store = MemoryStore()
    with httpx.Client(base_url=server_url, timeout=10) as http:
        client = SyncClient(http)
        info = enroll(
            engine=engine,
            secrets_store=store,
            client=client,
            server_url=server_url,
            code=code,
            name="bench",
            manager_pin="1234",
        )
        SyncEngine(engine=engine, client=client, clock=system_clock).pull_all()
    secrets = store.load()
    assert secrets is not None
    return db, engine, info, secrets, signer_for(info, secrets, system_clock)


def measure(
    *,
    mode: str,
    db: Path,
    engine,
    info,
    secrets,
    signer,
    sync_url: str,
    data_dir: Path,  # type: ignore
    sales: int,
    interval_ms: int = 250,
    timeout_s: float = 10.0,
) -> StallResult:
    """Drive `sales` keyboard checkouts through the real window while the worker talks to `sync_url`."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from cashier_app.core.clock import system_clock
    from cashier_app.core.services import TillServices
    from cashier_app.options import Options
    from cashier_app.sync_worker import SyncController, SyncWorker
    from cashier_app.ui.context import AppContext
    from cashier_app.ui.customer_window import CustomerWindow
    from cashier_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    ctx = AppContext(
        services=TillServices(engine=engine, clock=system_clock),
        info=info,
        signer=signer,
        clock=system_clock,
        options=Options(data_dir),
        data_dir=data_dir,
    )
    worker = SyncWorker(
        db_path=db,
        http_factory=lambda: httpx.Client(base_url=sync_url, timeout=httpx.Timeout(timeout_s, connect=3)),
        credential=secrets.credential,
        clock=system_clock,
        interval_s=1.0,
        backoff=Backoff(base=0.5, cap=4.0, rng=random.Random(4)),
    )
    controller = SyncController(worker)
    attempts = [0]
    last_pending = [0]

    def on_status(s) -> None:  # type: ignore[no-untyped-def]
        attempts[0] += 1
        last_pending[0] = s.pending

    worker.status.connect(on_status)
    customer = CustomerWindow()
    window = MainWindow(ctx, customer=customer, sync=controller)
    window.show()
    customer.show()
    controller.start()
    panel = window.checkout

    # Warm up (first paint, fonts, thread pool) before measuring: the run of checkouts is what is measured.
    warm = QEventLoop()
    QTimer.singleShot(500, warm.quit)
    warm.exec()
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def beat() -> None:
        now = clock.nsecsElapsed()
        gaps.append(max(0.0, (now - last[0]) / 1e6 - HEARTBEAT_MS))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)
    heartbeat.start(HEARTBEAT_MS)

    loop = QEventLoop()
    done = [0]

    def sell() -> None:
        if done[0] >= sales:
            driver.stop()
            loop.quit()
            return
        if done[0] % 2 == 0:  # every other sale is a member's, found by phone
            panel.scan.setText("13800001234")
            QTest.keyClick(panel.scan, Qt.Key.Key_Return)
        QTest.keyClicks(panel.amount, f"{1 + done[0] % 50}.{done[0] % 100:02d}")
        QTest.keyClick(panel.amount, Qt.Key.Key_Return)
        done[0] += 1

    driver = QTimer()
    driver.timeout.connect(sell)
    driver.start(interval_ms)
    loop.exec()
    heartbeat.stop()
    ctx.pool.waitForDone(10_000)  # the last sale's commit, on the till's database thread
    controller.stop(timeout_ms=int(timeout_s * 1000) + 5000)
    window.close()
    customer.close()
    window.deleteLater()
    customer.deleteLater()
    app.processEvents()
    gaps.sort()
    p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
    return StallResult(mode, sales, len(gaps), statistics.median(gaps), p99, gaps[-1], last_pending[0], attempts[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--delay", type=float, default=3.0, help="seconds the slow proxy holds each response")
    parser.add_argument("--modes", default="slow,down,blackhole")
    args = parser.parse_args(argv)
    from tests.e2e.cashier_support import PaiduiServer, SlowProxy, free_port

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        server = PaiduiServer(Path(tmp) / "server")
        server.setup()
        server.start()
        try:
            for mode in args.modes.split(","):
                data = Path(tmp) / f"till-{mode}"
                data.mkdir()
                db, engine, info, secrets, signer = enrolled_till(data, server.url, server.enrolment_code())
                proxy = None
                if mode == "slow":
                    proxy = SlowProxy(server.port, delay=args.delay)
                    url = proxy.url
                elif mode == "blackhole":
                    proxy = SlowProxy(server.port, blackhole=True)
                    url = proxy.url
                else:
                    url = f"http://127.0.0.1:{free_port()}"
                try:
                    result = measure(
                        mode=mode,
                        db=db,
                        engine=engine,
                        info=info,
                        secrets=secrets,
                        signer=signer,
                        sync_url=url,
                        data_dir=data,
                        sales=args.sales,
                        timeout_s=args.delay + 2,
                    )
                finally:
                    if proxy is not None:
                        proxy.close()
                    engine.dispose()
                print(result.line(), flush=True)
                results.append(result)
        finally:
            server.stop()
    return 0 if all(r.p99_ms <= 100 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
