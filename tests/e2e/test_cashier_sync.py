"""The cashier app against a real `paidui-server serve` on loopback: offline sales, crashes, a slow server."""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.clock import system_clock
from cashier_app.core.credentials import InsecureFileStore, MemoryStore
from cashier_app.core.db import make_engine, orders, outbox, reading
from cashier_app.core.migrate import migrate
from cashier_app.core.services import TillServices
from cashier_app.core.sync import Backoff, SyncEngine
from cashier_app.core.sync_client import RequestRefused, SyncClient, fetch_store_day
from cashier_app.core.terminal import enroll, signer_for
from cashier_app.options import Options
from cashier_app.sync_worker import SyncController, SyncWorker
from cashier_app.ui.context import AppContext
from cashier_app.ui.customer_window import CustomerWindow
from cashier_app.ui.main_window import MainWindow
from shared.money import pct

from .cashier_support import PaiduiServer

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PaiduiServer]:
    s = PaiduiServer(tmp_path / "server")
    s.setup()
    s.start()
    yield s
    s.stop()


def enrol(server: PaiduiServer, data: Path, store) -> tuple:  # type: ignore[no-untyped-def]
    db = data / "paidui-cashier.db"
    migrate(db)
    engine = make_engine(db)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        client = SyncClient(http)
        info = enroll(
            engine=engine,
            secrets_store=store,
            client=client,
            server_url=server.url,
            code=server.enrolment_code(),
            name="till e2e",
            manager_pin="1234",
        )
        SyncEngine(engine=engine, client=client, clock=system_clock).pull_all()
    return db, engine, info, store.load()


def test_sales_made_while_the_server_is_down_are_applied_once_and_the_position_appears(
    qtbot: QtBot, server: PaiduiServer, tmp_path: Path
) -> None:
    data = tmp_path / "till"
    data.mkdir()
    db, engine, info, secrets = enrol(server, data, MemoryStore())
    server.stop()  # the store loses its connection
    worker = SyncWorker(
        db_path=db,
        http_factory=lambda: httpx.Client(base_url=server.url, timeout=5),
        credential=secrets.credential,
        clock=system_clock,
        interval_s=0.5,
        backoff=Backoff(base=0.2, cap=1.0, rng=random.Random(3)),
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
    qtbot.addWidget(customer)
    window = MainWindow(ctx, customer=customer, sync=controller)
    qtbot.addWidget(window)
    window.show()
    controller.start()
    try:
        qtbot.waitUntil(lambda: window.status.online.text() == "● offline", timeout=10_000)
        panel = window.checkout
        for i in range(12):
            if i % 3 == 2:  # a member, by phone number (the last sale too); the others are walk-ins
                panel.scan.setText("13800001234")
                qtbot.keyClick(panel.scan, Qt.Key.Key_Return)
                qtbot.waitUntil(lambda: panel.member is not None)  # looked up on the till's database thread
            qtbot.keyClicks(panel.amount, f"{10 + i}.50")
            qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda i=i: f"Sale {i + 1} done" in panel.message.text())  # committed, then "done"
        assert customer.position.text() == "Queue position pending sync"  # the last sale was a member's
        assert window.status.pending.text() == "Waiting to send: 12"
        server.start()  # back: the worker's backoff finds it
        qtbot.waitUntil(lambda: customer.position.text().startswith("Your queue position: No. "), timeout=30_000)
        qtbot.waitUntil(
            lambda: window.status.online.text() == "● online" and window.status.pending.text() == "Waiting to send: 0",
            timeout=30_000,
        )
    finally:
        controller.stop()
    page = httpx.get(customer.qr.text, timeout=10)  # the QR code, signed offline by the till, opens the page
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    with reading(engine) as conn:
        local = {r.order_id for r in conn.execute(select(orders.c.order_id))}
        assert conn.execute(select(outbox.c.state).distinct()).scalars().all() == ["done"]
    on_server = server.query("SELECT order_id FROM orders WHERE terminal_id = ?", info.terminal_id)
    assert len(on_server) == 12 and {r[0] for r in on_server} == local
    entries = server.query("SELECT order_id, COUNT(*) FROM entries GROUP BY order_id")
    assert len(entries) == 4 and all(n == 1 for _, n in entries)  # four member sales, one entry each
    # the store manager's figures for today, read from the server as the queue report does
    server.cli("user", "add", "manager1", "--store", "S1", "--password", "manager-pass-1")
    paid = sum(1050 + 100 * i for i in range(12))
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        day = fetch_store_day(http, username="manager1", password="manager-pass-1", store_id="S1", day=today)
        with pytest.raises(RequestRefused):
            fetch_store_day(http, username="manager1", password="wrong", store_id="S1", day=today)
    assert (day.orders_count, day.sales_fen) == (12, paid)
    assert day.contributions_fen == sum(pct(1050 + 100 * i, 1000) for i in range(12))
    assert day.payouts_fen + day.kept_fen == day.contributions_fen
    engine.dispose()


@pytest.mark.slow
def test_sigkill_during_checkouts_loses_no_reported_sale_and_applies_each_once(
    server: PaiduiServer, tmp_path: Path
) -> None:
    data = tmp_path / "till"
    data.mkdir()
    db, engine, info, secrets = enrol(server, data, InsecureFileStore(data / "secrets.json"))
    engine.dispose()
    rng = random.Random(20260302)
    reported: list[str] = []
    kills = 0
    for round_no in range(55):
        with_sync = round_no % 2 == 0  # half the rounds also push concurrently, so kills land mid-sync too
        child = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "e2e" / "cashier_crash_child.py"),
                str(data),
                server.url if with_sync else "",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.02, 0.4))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        kills += 1
        reported += [line.split()[1] for line in out.splitlines() if line.startswith("done ")]
    print(f"{kills} SIGKILLs, {len(reported)} sales reported done")
    assert kills >= 50 and len(reported) > kills
    engine = make_engine(db)
    with reading(engine) as conn:
        local = {r.order_id for r in conn.execute(select(orders.c.order_id))}
        seqs = conn.execute(select(outbox.c.seq).order_by(outbox.c.seq)).scalars().all()
    assert set(reported) <= local  # every sale reported done survived the kills
    assert seqs == list(range(1, len(seqs) + 1))  # the outbox has no gap and no duplicate
    with httpx.Client(base_url=server.url, timeout=30) as http:
        SyncEngine(engine=engine, client=SyncClient(http, credential=secrets.credential), clock=system_clock).run_once()
    on_server = server.query("SELECT order_id FROM orders WHERE terminal_id = ?", info.terminal_id)
    assert sorted(r[0] for r in on_server) == sorted(local)  # each exactly once (order_id is the key)
    applied = server.query(
        "SELECT COUNT(*), COUNT(DISTINCT terminal_seq) FROM event_log WHERE terminal_id = ?", info.terminal_id
    )
    assert applied == [(len(seqs), len(seqs))]
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["slow", "down", "blackhole"])
def test_ui_thread_stalls_under_100ms_p99_while_the_server_is_slow_or_down(
    qapp, server: PaiduiServer, tmp_path: Path, mode: str
) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import ui_stall

    from .cashier_support import SlowProxy, free_port

    data = tmp_path / "till"
    data.mkdir()
    db, engine, info, secrets = enrol(server, data, MemoryStore())
    proxy = None
    if mode == "slow":
        proxy = SlowProxy(server.port, delay=2.0)
    elif mode == "blackhole":
        proxy = SlowProxy(server.port, blackhole=True)
    url = proxy.url if proxy else f"http://127.0.0.1:{free_port()}"
    try:
        result = ui_stall.measure(
            mode=mode,
            db=db,
            engine=engine,
            info=info,
            secrets=secrets,
            signer=signer_for(info, secrets, system_clock),
            sync_url=url,
            data_dir=data,
            sales=30,
            timeout_s=4.0,
        )
    finally:
        if proxy is not None:
            proxy.close()
        engine.dispose()
    print(result.line())
    assert result.ticks > 1000 and result.p99_ms <= 100, result.line()


def test_items_from_the_catalogue_reach_the_server_and_what_does_not_take_part_stays_out(
    server: PaiduiServer, tmp_path: Path
) -> None:
    """Headquarters imports the demo catalogue by the CLI and switches it on for S1; the till pulls it from the real
    server, sells two noodles and the cigarettes to a member, and the server's entry counts the noodles only."""
    from cashier_app.core.catalogue import CartLine, load_index
    from cashier_app.core.checkout import MemberRef
    from server.demo_data import catalogue_csv
    from shared.ids import MemberId

    csv_file = tmp_path / "catalogue.csv"
    csv_file.write_text(catalogue_csv(), encoding="gbk")
    server.cli("catalogue", "import", str(csv_file))
    server.cli("catalogue", "store", "S1", "on")
    data = tmp_path / "till"
    data.mkdir()
    _db, engine, info, secrets = enrol(server, data, MemoryStore())
    with httpx.Client(base_url=server.url, timeout=10) as http:
        client = SyncClient(http, credential=secrets.credential)
        sync = SyncEngine(engine=engine, client=client, clock=system_clock)
        assert sync.run_once().catalogue_changed
        index = load_index(engine)
        assert len(index) == 50 and index.enabled
        noodles = next(p for p in index.by_sku.values() if p.name == "牛肉面")
        cigarettes = next(p for p in index.by_sku.values() if p.name == "中华香烟")
        member_id = server.query("SELECT member_id FROM members")[0][0]
        services = TillServices(engine=engine, clock=system_clock)
        services.sell(
            member=MemberRef(MemberId(str(member_id)), "张*"),
            total_fen=0,
            deduction_points_fen=0,
            tender="cash",
            signer=signer_for(info, secrets, system_clock),
            lines=[CartLine.of(noodles, 2), CartLine.of(cigarettes)],
        )
        sync.run_once()
    [(paid, lines_json)] = server.query("SELECT paid_fen, lines_json FROM orders")
    assert paid == 2 * noodles.price_fen + cigarettes.price_fen and '"participates": false' in str(lines_json)
    [(entitlement, base)] = server.query("SELECT entitlement_fen, base_fen FROM entries")
    assert (base, entitlement) == (2 * noodles.price_fen, 2 * noodles.price_fen)
