"""Helpers shared by the server and end-to-end tests: throw-away databases, a live server, terminals, events."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, text

from server.bootstrap import initialise
from server.config import ServerSettings
from server.db.database import Database
from server.services import admin, terminals
from shared.engine.commands import ChangeSettings
from shared.tokens import new_private_key, public_key_text
from shared.wire import PROTOCOL_VERSION, OutboxEvent

PG_URL = os.environ.get("PAIDUI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ADMIN_PASSWORD = "hq-password-1"
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def pg_available() -> bool:
    from sqlalchemy.exc import OperationalError

    engine = create_engine(PG_URL)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@contextlib.contextmanager
def database_location(kind: str, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of an empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'paidui.db'}", None
        return
    schema = f"paidui_t_{secrets.token_hex(6)}"
    admin_engine = create_engine(PG_URL)
    with admin_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield PG_URL, schema
    finally:
        with admin_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


def make_settings(tmp_path: Path, url: str, schema: str | None, **overrides: Any) -> ServerSettings:
    return ServerSettings(data_dir=tmp_path / "var", database_url=url, database_schema=schema, **overrides)


def init_server(settings: ServerSettings, *, now: dt.datetime = T0) -> None:
    initialise(settings, admin_username="admin", admin_password=lambda: ADMIN_PASSWORD, now=now)


def open_db(settings: ServerSettings) -> Database:
    return Database(settings.resolved_database_url, schema=settings.database_schema, pool_size=1)


def seed(
    db: Database,
    *,
    stores: dict[str, list[str]],
    base: dict[str, Any] | None = None,
    at: dt.datetime = T0,
    store_settings: dict[str, Any] | None = None,
) -> None:
    """Stores with their cashiers, all taking part, and base settings (enabled, settled on pay by default)."""
    from server.services.ingest import Ingest

    with db.connect() as conn:
        for store_id, cashiers in stores.items():
            admin.add_store(conn, store_id=store_id, name=f"Store {store_id}", at=at)
            for cashier in cashiers:
                admin.add_cashier(conn, cashier_id=cashier, store_id=store_id, name=cashier)
    patch = {"enabled": True, "settlement_event": "on_pay", **(base or {})}
    per_store = {s: {"enabled": True, **(store_settings or {})} for s in stores}
    Ingest(db).apply(ChangeSettings(at=at, base=patch, stores=per_store, actor="test"))


def enrolment_code(
    db: Database, store_id: str, *, now: dt.datetime, minutes: int = 10, cashier_id: str | None = None
) -> str:
    with db.connect() as conn:
        return terminals.create_enrolment_code(
            conn, store_id=store_id, now=now, ttl=dt.timedelta(minutes=minutes), cashier_id=cashier_id
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a loopback port in a thread: real HTTP, in this process."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


class Till:
    """A terminal as the cashier app drives it: enrols, numbers its events and pushes/pulls over HTTP."""

    def __init__(self, http: httpx.Client, *, name: str = "till") -> None:
        self.http = http
        self.name = name
        self.key = new_private_key()
        self.credential = ""
        self.terminal_id = ""
        self.store_id = ""
        self.seq = 0

    def enroll(self, code: str) -> httpx.Response:
        r = self.http.post(
            "/api/v1/terminals/enroll", json={"code": code, "name": self.name, "public_key": public_key_text(self.key)}
        )
        if r.status_code == 200:
            body = r.json()
            self.credential, self.terminal_id, self.store_id = body["credential"], body["terminal_id"], body["store_id"]
        return r

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}", "Paidui-Protocol": str(PROTOCOL_VERSION)}

    def event(self, body: dict[str, Any], *, seq: int | None = None, event_id: str | None = None) -> dict[str, Any]:
        if seq is None:
            self.seq += 1
            seq = self.seq
        return {"event_id": event_id or str(uuid.uuid4()), "seq": seq, "created_at": T0.isoformat(), "body": body}

    def push(self, events: list[dict[str, Any]], **extra: Any) -> httpx.Response:
        body = {"protocol": PROTOCOL_VERSION, "events": events, **extra}
        return self.http.post("/api/v1/sync/push", json=body, headers=self.auth)

    def pull(self, cursor: str | None = None) -> httpx.Response:
        return self.http.get("/api/v1/sync/pull", params={"cursor": cursor} if cursor else None, headers=self.auth)


def enrolled(app: FastAPI, http: httpx.Client, store: str = "S1") -> Till:
    """A till enrolled to `store` through the API, as the cashier app enrols."""
    till = Till(http)
    r = till.enroll(enrolment_code(app.state.db, store, now=T0))
    assert r.status_code == 200, r.text
    return till


def paid(
    cashier: str,
    fen: int,
    *,
    member: str | None = None,
    at: dt.datetime = T0,
    order_id: str | None = None,
    completed: bool = True,
) -> dict[str, Any]:
    return {
        "type": "order_paid",
        "order_id": order_id or str(uuid.uuid4()),
        "cashier_id": cashier,
        "member_id": member,
        "total_fen": fen,
        "paid_fen": fen,
        "paid_at": at.isoformat(),
        "completed": completed,
    }


def refunded(order_id: str, fen: int, *, at: dt.datetime = T0, refund_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "order_refunded",
        "order_id": order_id,
        "refund_id": refund_id or str(uuid.uuid4()),
        "amount_fen": fen,
        "refunded_at": at.isoformat(),
    }


def completed(order_id: str, *, at: dt.datetime = T0) -> dict[str, Any]:
    return {"type": "order_completed", "order_id": order_id, "completed_at": at.isoformat()}


def registered(phone: str, *, member_id: str | None = None, at: dt.datetime = T0) -> dict[str, Any]:
    return {
        "type": "member_registered",
        "member_id": member_id or str(uuid.uuid4()),
        "phone": phone,
        "registered_at": at.isoformat(),
    }


def check_event(raw: dict[str, Any]) -> OutboxEvent:
    """Our test events are valid wire events (so the tests exercise the server, not pydantic)."""
    return OutboxEvent.model_validate(raw)
