"""This terminal's identity: enrolment with a one-time code, and what the app needs to sell."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine

from shared.ids import CashierId, StoreId, TerminalId
from shared.tokens import new_private_key, private_key_bytes, private_key_from_bytes, public_key_text

from .clock import Clock
from .credentials import CredentialStore, Secrets
from .db import UnitOfWork, kv_get, kv_set
from .order_link import OrderLinkSigner
from .pin import set_manager_pin
from .snapshot import load_store
from .sync_client import SyncClient


@dataclass(frozen=True)
class TerminalInfo:
    terminal_id: TerminalId
    store_id: StoreId
    server_url: str
    name: str


def load_terminal(conn: Connection) -> TerminalInfo | None:
    raw = kv_get(conn, "terminal")
    if raw is None:
        return None
    return TerminalInfo(TerminalId(raw["terminal_id"]), StoreId(raw["store_id"]), raw["server_url"], raw["name"])


def cashier_id(conn: Connection) -> CashierId:
    """The checkout point this terminal sells for: set explicitly, else the store's first (spec A3: one per store)."""
    chosen = kv_get(conn, "cashier_id")
    if chosen:
        return CashierId(str(chosen))
    store = load_store(conn)
    if store is not None and store.cashier_ids:
        return CashierId(store.cashier_ids[0])
    return CashierId("default")


def cashier_name(conn: Connection) -> str:
    """The name of the checkout point this till sells for, as the server last said (its id before that)."""
    return str(kv_get(conn, "cashier_name") or cashier_id(conn))


def enroll(
    *,
    engine: Engine,
    secrets_store: CredentialStore,
    client: SyncClient,
    server_url: str,
    code: str,
    name: str,
    manager_pin: str | None,
) -> TerminalInfo:
    """Enrol with the server; keep the credential and signing key in the secrets store, the rest in the db."""
    key = new_private_key()
    enrolment = client.enroll(code=code.strip(), name=name, public_key=public_key_text(key))
    secrets_store.save(Secrets(enrolment.terminal_id, enrolment.store_id, enrolment.credential, private_key_bytes(key)))
    info = TerminalInfo(enrolment.terminal_id, enrolment.store_id, server_url.rstrip("/"), name)
    with UnitOfWork(engine) as uow:
        kv_set(uow.conn, "terminal", info.__dict__)
        if manager_pin:
            set_manager_pin(uow.conn, manager_pin)
        uow.commit()
    client.credential = enrolment.credential
    return info


def signer_for(info: TerminalInfo, secrets: Secrets, clock: Clock) -> OrderLinkSigner:
    key: Ed25519PrivateKey = private_key_from_bytes(secrets.private_key)
    return OrderLinkSigner(key=key, terminal_id=info.terminal_id, server_url=info.server_url, clock=clock)
