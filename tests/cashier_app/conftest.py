"""Cashier app test fixtures: offscreen Qt, a migrated local database, an enrolled terminal on a toy server."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import (pytest-qt makes one QApplication)

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from cashier_app.core.credentials import MemoryStore, Secrets
from cashier_app.core.db import make_engine
from cashier_app.core.migrate import migrate
from cashier_app.core.order_link import OrderLinkSigner
from cashier_app.core.sync import SyncEngine
from cashier_app.core.sync_client import SyncClient
from cashier_app.core.terminal import TerminalInfo, enroll, signer_for

from .tcp_printer import TcpPrinterStub
from .toyserver import ToyServer

if TYPE_CHECKING:
    from cashier_app.ui.context import AppContext
    from cashier_app.ui.main_window import MainWindow

TZ = dt.timezone(dt.timedelta(hours=8))


class FakeClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "paidui.db"
    migrate(path)
    return path


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    e = make_engine(db_path)
    yield e
    e.dispose()


@pytest.fixture
def toy() -> ToyServer:
    server = ToyServer()
    server.add_member("M1", "13800001234", "张*", "gold", points=50)  # worth ¥50.00 at 1 point a yuan
    return server


@pytest.fixture
def http(toy: ToyServer) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.WSGITransport(app=toy.app()), base_url="http://toy.test") as client:
        yield client


def settle(qtbot: QtBot, pool: QThreadPool | None = None) -> None:
    """Wait until every job the widgets started off the UI thread (on `pool`, if given) has answered and its answer
    was handled (a lookup's answer may start the sale: that is waited for too)."""
    from cashier_app.ui import ops

    qtbot.waitUntil(lambda: ops.idle(pool), timeout=10_000)


def app_context(till: Till, data_dir: Path) -> AppContext:
    from cashier_app.core.services import TillServices
    from cashier_app.options import Options
    from cashier_app.ui.context import AppContext

    return AppContext(
        services=TillServices(engine=till.engine, clock=till.clock),
        info=till.info,
        signer=till.signer,
        clock=till.clock,
        options=Options(data_dir),
        data_dir=data_dir,
    )


@dataclass
class Till:
    engine: Engine
    info: TerminalInfo
    secrets: Secrets
    signer: OrderLinkSigner
    client: SyncClient
    sync: SyncEngine
    clock: FakeClock
    toy: ToyServer


@pytest.fixture
def till(engine: Engine, http: httpx.Client, toy: ToyServer, clock: FakeClock) -> Till:
    """An enrolled terminal that has pulled once; manager PIN 1234."""
    store = MemoryStore()
    client = SyncClient(http)
    info = enroll(
        engine=engine,
        secrets_store=store,
        client=client,
        server_url="http://toy.test",
        code="ENROL-1",
        name="till 1",
        manager_pin="1234",
    )
    secrets = store.load()
    assert secrets is not None
    sync = SyncEngine(engine=engine, client=client, clock=clock)
    sync.pull_all()
    return Till(engine, info, secrets, signer_for(info, secrets, clock), client, sync, clock, toy)


@pytest.fixture
def printer() -> Iterator[TcpPrinterStub]:
    """A receipt printer on loopback that takes what it is sent (test_ui_escpos.py has its own, offline at first)."""
    stub = TcpPrinterStub()
    yield stub
    stub.close()


@pytest.fixture
def printing_window(qtbot: QtBot, till: Till, tmp_path: Path, printer: TcpPrinterStub) -> MainWindow:
    """The till's main window printing to `printer`, shown and active (its shortcuts take keys)."""
    from cashier_app.ui.main_window import MainWindow

    w = MainWindow(app_context(till, tmp_path), escpos=printer.url)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    return w
