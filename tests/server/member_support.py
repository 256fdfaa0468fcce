"""A small shop for member-page tests: one store, one cashier, an enrolled till, members, sales through Ingest."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from server.db.database import Database
from server.security.keys import KeyRing
from server.security.member_codes import issue_member_page_token
from server.services import admin, terminals
from server.services.ingest import Ingest
from shared.engine.commands import PayOrder
from shared.tokens import Purpose, new_private_key, public_key_text, sign

from .support import T0, seed


@dataclass
class Shop:
    db: Database
    ingest: Ingest
    keys: KeyRing
    terminal_id: str
    terminal_key: Ed25519PrivateKey
    t0: dt.datetime = T0  # sales happen at t0 + minutes
    orders: dict[str, str] = field(default_factory=dict)  # name -> order id

    def sell(self, name: str, member: str | None, fen: int, *, minutes: int = 0, terminal: str | None = None) -> str:
        order_id = str(uuid.uuid4())
        at = self.t0 + dt.timedelta(minutes=minutes)
        self.ingest.apply(
            PayOrder(
                order_id=order_id,
                store_id="S1",
                cashier_id="C1",
                member_id=member,
                paid_fen=fen,
                paid_at=at,
                received_at=at,
                terminal_id=terminal or self.terminal_id,
                completed=True,
            )
        )
        self.orders[name] = order_id
        return order_id

    def member_link(self, member_id: str, *, now: dt.datetime | None = None, days: int = 30) -> str:
        return issue_member_page_token(self.keys, member_id, now or self.t0, ttl=dt.timedelta(days=days))

    def order_link(
        self,
        order_id: str,
        *,
        expires: dt.datetime | None = None,
        key: Ed25519PrivateKey | None = None,
        terminal_id: str | None = None,
    ) -> str:
        when = expires or self.t0 + dt.timedelta(days=30)
        return sign(
            key=key or self.terminal_key,
            kid=f"t:{terminal_id or self.terminal_id}",
            purpose=Purpose.ORDER_PAGE,
            expires=int(when.timestamp()),
            claims={"o": order_id},
        )


def enrol(db: Database | FastAPI, name: str = "till", *, now: dt.datetime = T0) -> tuple[str, Ed25519PrivateKey]:
    database: Database = db.state.db if isinstance(db, FastAPI) else db
    key = new_private_key()
    with database.connect() as conn:
        code = terminals.create_enrolment_code(conn, store_id="S1", now=now, ttl=dt.timedelta(minutes=10))
        done = terminals.enroll(conn, code=code, name=name, public_key=public_key_text(key), now=now)
    return done.terminal_id, key


def open_shop_on(
    db: Database,
    ingest: Ingest,
    keys: KeyRing,
    *,
    base: dict[str, Any] | None = None,
    store: dict[str, Any] | None = None,
    members: tuple[str, ...] = ("m1", "m2"),
    t0: dt.datetime = T0,
) -> Shop:
    """Extraction 10%, entitlement 100%, settled on pay (support.seed), unless `base` says otherwise."""
    seed(db, stores={"S1": ["C1"]}, base={"extraction_bp": 1000, **(base or {})}, store_settings=store, at=t0)
    with db.connect() as conn:
        for member in members:
            admin.add_member(conn, member_id=member, at=t0)
    terminal_id, key = enrol(db, now=t0)
    return Shop(db, ingest, keys, terminal_id, key, t0)


def open_shop(app: FastAPI, **kw: Any) -> Shop:
    return open_shop_on(app.state.db, app.state.ingest, app.state.keys, **kw)


def queue_of_four(shop: Shop) -> None:
    """m1 100.00, m2 50.00, m1 200.00, m2 30.00: every 10% goes to the head (m1's first entry)."""
    shop.sell("a", "m1", 10_000, minutes=0)
    shop.sell("b", "m2", 5_000, minutes=1)
    shop.sell("c", "m1", 20_000, minutes=2)
    shop.sell("d", "m2", 3_000, minutes=3)
