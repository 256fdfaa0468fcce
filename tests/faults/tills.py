"""Tills as the cashier app runs them (its core: local database, checkout service, outbox, sync engine) against a
real `paidui-server serve`, for the fault scenarios."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine

from cashier_app.core.checkout import MemberRef, Sale, record_checkout
from cashier_app.core.clock import Clock, system_clock
from cashier_app.core.credentials import MemoryStore, Secrets
from cashier_app.core.db import UnitOfWork, kv_set, make_engine, reading
from cashier_app.core.migrate import migrate
from cashier_app.core.order_link import OrderLinkSigner
from cashier_app.core.outbox import pending_count
from cashier_app.core.sync import Backoff, SyncEngine
from cashier_app.core.sync_client import RequestRefused, ServerUnavailable, SyncClient
from cashier_app.core.terminal import TerminalInfo, enroll, signer_for
from server.db.database import Database
from server.services import members
from tests.server.support import enrolment_code, seed

from .checks import LocalTill, read_local_till

MEMBERS = 40
EXTRACTION_BP = 1500
STORES = {"S1": ["C1"], "S2": ["C2"]}


def seed_chain(db: Database, *, now: dt.datetime) -> None:
    """Two stores sharing one all-cashiers queue (100% back, 15% of each sale), 40 members."""
    seed(db, stores=STORES, base={"all_cashiers_queue": True, "extraction_bp": EXTRACTION_BP})
    with db.connect() as conn:
        for m in range(MEMBERS):
            members.add(conn, phone=f"1390000{m:04d}", member_id=f"m{m}", now=now)


@dataclass
class AppTill:
    db_path: Path
    engine: Engine
    info: TerminalInfo
    secrets: Secrets
    signer: OrderLinkSigner
    cashier: str

    @property
    def terminal_id(self) -> str:
        return self.info.terminal_id

    def sell(self, rng: random.Random, *, member_share: float = 0.8, clock: Clock = system_clock) -> Sale:
        member = MemberRef(f"m{rng.randrange(MEMBERS)}", "会员") if rng.random() < member_share else None
        with UnitOfWork(self.engine) as uow:
            return record_checkout(
                uow=uow,
                cashier_id=self.cashier,
                member=member,
                total_fen=rng.randint(100, 50_000),
                tender=rng.choice(["cash", "wechat"]),
                signer=self.signer,
                clock=clock,
            )

    def sync(self, http: httpx.Client, *, batch: int = 100) -> SyncEngine:
        return SyncEngine(
            engine=self.engine,
            client=SyncClient(http, credential=self.secrets.credential),
            clock=system_clock,
            batch_size=batch,
        )

    def pending(self) -> int:
        with reading(self.engine) as conn:
            return pending_count(conn)

    def local(self) -> LocalTill:
        return read_local_till(self.engine, self.terminal_id)

    def close(self) -> None:
        self.engine.dispose()


def enrol_till(
    *, data: Path, server_url: str, db: Database, store: str, cashier: str, now: dt.datetime, name: str = "till"
) -> AppTill:
    """Enrol through the real endpoint with the app's own enrol(), then pull (members, settings, keys)."""
    data.mkdir(parents=True, exist_ok=True)
    db_path = data / "paidui-cashier.db"
    migrate(db_path)
    engine = make_engine(db_path)
    store_secrets = MemoryStore()
    with httpx.Client(base_url=server_url, timeout=30) as http:
        client = SyncClient(http)
        info = enroll(
            engine=engine,
            secrets_store=store_secrets,
            client=client,
            server_url=server_url,
            code=enrolment_code(db, store, now=now),
            name=name,
            manager_pin="1234",
        )
        SyncEngine(engine=engine, client=client, clock=system_clock).pull_all()
    with UnitOfWork(engine) as uow:
        kv_set(uow.conn, "cashier_id", cashier)
        uow.commit()
    secrets = store_secrets.load()
    assert secrets is not None
    return AppTill(db_path, engine, info, secrets, signer_for(info, secrets, system_clock), cashier)


def push_until_done(
    till: AppTill, http: httpx.Client, *, batch: int, deadline_s: float = 300.0, abort: threading.Event | None = None
) -> int:
    """Run sync rounds (push, then pull) until the outbox is empty, retrying whatever fails with the app's own
    backoff (short, for tests); returns the number of failed rounds."""
    sync = till.sync(http, batch=batch)
    backoff = Backoff(base=0.05, cap=0.5, rng=random.Random(till.terminal_id))
    failures = 0
    deadline = time.monotonic() + deadline_s
    last: Exception | None = None
    while True:
        try:
            sync.run_once()
            backoff.reset()
        except (ServerUnavailable, RequestRefused) as exc:
            failures += 1
            last = exc
            time.sleep(backoff.next_delay())
        if till.pending() == 0:
            return failures
        if time.monotonic() > deadline or (abort is not None and abort.is_set()):
            why = "aborted" if abort is not None and abort.is_set() else f"not drained in {deadline_s:.0f} s"
            raise TimeoutError(f"{till.terminal_id}: {till.pending()} events still pending ({why}; last: {last!r})")
