"""Crash-test child: makes checkouts as fast as it can (and syncs in a thread when a server is given),
printing `done <order_id>` only after each commit. The parent kills it with SIGKILL at random moments."""

from __future__ import annotations

import random
import sys
import threading
import time
from pathlib import Path

import httpx

from cashier_app.core.checkout import record_checkout
from cashier_app.core.clock import system_clock
from cashier_app.core.credentials import InsecureFileStore
from cashier_app.core.db import UnitOfWork, make_engine, reading
from cashier_app.core.migrate import migrate
from cashier_app.core.sync import SyncEngine, SyncOutcome
from cashier_app.core.sync_client import RequestRefused, ServerUnavailable, SyncClient
from cashier_app.core.terminal import cashier_id, load_terminal, signer_for


def sync_loop(engine, server: str, credential: str) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=server, timeout=5) as http:
        sync = SyncEngine(
            engine=engine, client=SyncClient(http, credential=credential), clock=system_clock, batch_size=7
        )
        while True:
            try:
                sync.push_all(SyncOutcome())
            except (ServerUnavailable, RequestRefused):
                time.sleep(0.05)
            time.sleep(0.01)


def main() -> int:
    data = Path(sys.argv[1])
    server = sys.argv[2] if len(sys.argv) > 2 else ""
    db = data / "paidui-cashier.db"
    migrate(db)
    engine = make_engine(db)
    secrets = InsecureFileStore(data / "secrets.json").load()
    assert secrets is not None
    with reading(engine) as conn:
        info = load_terminal(conn)
        cashier = cashier_id(conn)
    assert info is not None
    signer = signer_for(info, secrets, system_clock)
    if server:
        threading.Thread(target=sync_loop, args=(engine, server, secrets.credential), daemon=True).start()
    rng = random.Random()
    print("ready", flush=True)
    while True:
        with UnitOfWork(engine) as uow:
            sale = record_checkout(
                uow=uow,
                cashier_id=cashier,
                member=None,
                total_fen=rng.randint(1, 99_999),
                tender=rng.choice(["cash", "wechat", "alipay", "card"]),
                signer=signer,
                clock=system_clock,
            )
        print(f"done {sale.order_id}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
