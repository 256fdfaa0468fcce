"""Checkout points (收银台) from real tills (issue 12 item 12): two tills of one store, enrolled with codes that name
two checkout points, fill two queues (one queue per checkout point, the default); the server takes a sale's
checkout point from the till's binding, a manager moves a till with `paidui-server terminal move`, and the till,
its receipt and the member page name the checkout point. A real `paidui-server serve` on loopback, the cashier
app's own enrolment, services and sync."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cashier_app.core.clock import system_clock
from cashier_app.core.credentials import MemoryStore
from cashier_app.core.db import make_engine
from cashier_app.core.migrate import migrate
from cashier_app.core.order_link import OrderLinkSigner
from cashier_app.core.services import TillServices
from cashier_app.core.sync import SyncEngine
from cashier_app.core.sync_client import SyncClient
from cashier_app.core.terminal import TerminalInfo, enroll, signer_for

from .cashier_support import CODE, PaiduiServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PaiduiServer]:
    s = PaiduiServer(tmp_path / "server")
    s.setup()
    s.cli("cashier", "add", "C2", "--store", "S1", "--name", "二号收银台")
    s.start()
    yield s
    s.stop()


@dataclass
class RealTill:
    services: TillServices
    sync: SyncEngine
    signer: OrderLinkSigner
    info: TerminalInfo
    http: httpx.Client

    links: dict[str, str]

    def sell(self, fen: int, phone: str | None = None) -> str:
        member = self.services.identify(text=phone).member if phone else None
        sale = self.services.sell(
            member=member, total_fen=fen, deduction_points_fen=0, tender="cash", signer=self.signer
        )
        self.links[str(sale.sale.order_id)] = sale.sale.order_link
        return str(sale.sale.order_id)

    def sync_now(self) -> None:
        self.sync.run_once()


def _till(server: PaiduiServer, data: Path, name: str, *cli_args: str) -> RealTill:
    data.mkdir()
    db = data / "paidui-cashier.db"
    migrate(db)
    engine = make_engine(db)
    match = CODE.search(server.cli("terminal", "enroll", "S1", *cli_args))
    assert match is not None
    http = httpx.Client(base_url=server.url, timeout=10)
    client = SyncClient(http)
    store = MemoryStore()
    info = enroll(
        engine=engine,
        secrets_store=store,
        client=client,
        server_url=server.url,
        code=match.group(0),
        name=name,
        manager_pin="1234",
    )
    secrets = store.load()
    assert secrets is not None
    sync = SyncEngine(engine=engine, client=client, clock=system_clock)
    sync.pull_all()
    services = TillServices(engine=engine, clock=system_clock)
    return RealTill(services, sync, signer_for(info, secrets, system_clock), info, http, {})


def test_two_tills_at_two_checkout_points_fill_two_queues(server: PaiduiServer, tmp_path: Path) -> None:
    first = _till(server, tmp_path / "a", "till A")  # the code names no checkout point: the store's first
    second = _till(server, tmp_path / "b", "till B", "--cashier", "C2")
    assert (first.services.checkout_name(), second.services.checkout_name()) == ("C1", "二号收银台")
    assert "checkout point C2" in server.cli("terminal", "list")

    sales_a = [first.sell(10_000, "13800001234"), first.sell(5_000)]
    sales_b = [second.sell(20_000, "13800001234"), second.sell(3_000)]
    first.sync_now()
    second.sync_now()
    rows = server.query("SELECT order_id, cashier_id FROM orders")
    assert {o: c for o, c in rows} == {**dict.fromkeys(sales_a, "C1"), **dict.fromkeys(sales_b, "C2")}
    # two queues: each checkout point's contributions pay its own head (10% of each sale), never the other's
    entries = dict(server.query("SELECT order_id, paid_fen FROM entries"))
    assert entries == {sales_a[0]: 1_000 + 500, sales_b[0]: 2_000 + 300}

    # the till's receipt and the member page name the checkout point
    facts = second.services.receipt_facts(order_id=uuid.UUID(sales_b[0]))
    assert (facts.cashier_id, facts.cashier_name) == ("C2", "二号收银台")
    page = httpx.get(second.links[sales_b[0]], timeout=10).text  # the QR code's order page
    assert re.search(r"二号收银台 · 第 \d+ 号", page), page[:2000]

    # a manager moves till B to C1: its next sales are C1's, and the till shows it after its next pull
    server.cli("terminal", "move", second.info.terminal_id, "C1")
    moved = second.sell(7_000)
    second.sync_now()
    assert server.query("SELECT cashier_id FROM orders WHERE order_id = ?", moved) == [("C1",)]
    assert second.services.checkout_name() == "C1"
    with pytest.raises(RuntimeError, match=r"unknown_cashier|not a checkout point"):
        server.cli("terminal", "move", second.info.terminal_id, "C9")
    for till in (first, second):
        till.http.close()
