"""The local SQLite database: tables (SQLAlchemy Core), engine with WAL + synchronous=FULL, and the unit of work.

Every connection gets WAL and synchronous=FULL (measured-facts: NORMAL lost acknowledged rows in a power cut).
Write transactions start with BEGIN IMMEDIATE so the UI thread and the sync worker never deadlock on a lock
upgrade; reads take a plain deferred BEGIN.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.pool import QueuePool

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A sale made at this terminal. Times are ISO 8601 text with an offset; money is int fen.
orders = Table(
    "orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("receipt_no", Integer, nullable=False, unique=True),
    Column("shift_id", Integer, nullable=False, index=True),
    Column("cashier_id", String(64), nullable=False),
    Column("member_id", String(64)),
    Column("member_display", String(80)),
    Column("total_fen", Integer, nullable=False),
    Column("deduction_points_fen", Integer, nullable=False, default=0),
    Column("paid_fen", Integer, nullable=False),
    Column("tender", String(16), nullable=False),  # the one tender, or the largest part of a split
    Column("tenders_json", Text),  # the parts (shared.wire.TenderPart) when said part by part; NULL: `tender` alone
    Column("change_fen", Integer, nullable=False, default=0),
    Column("paid_at", String(40), nullable=False),
    Column("employee_id", String(64)),  # who sold it (a store with employees)
    Column("refunded_fen", Integer, nullable=False, default=0),
    Column("order_link", Text, nullable=False),  # the terminal-signed member page link shown as a QR code
    # filled in from the server's answer; NULL while the sale waits to be synced
    Column("synced", Boolean, nullable=False, default=False),
    Column("entry_json", Text),
    Column("lines_json", Text),  # the sale's items (SaleLine list) when it was sold by items
)

# Headquarters' catalogue as last pulled (core/catalogue.py); a store without one has no rows.
products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("barcode", String(32), index=True),
    Column("name", String(80), nullable=False),
    Column("price_fen", Integer, nullable=False),
    Column("category", String(40), nullable=False, default=""),
    Column("participates", Boolean, nullable=False, default=True),
    Column("version", Integer, nullable=False),
)

# A sale put aside (park) to serve the next customer, recalled later (its lines and member, nothing recorded yet).
parked_sales = Table(
    "parked_sales",
    metadata,
    Column("park_id", Integer, primary_key=True),
    Column("parked_at", String(40), nullable=False),
    Column("member_id", String(64)),
    Column("member_display", String(80)),
    Column("lines_json", Text, nullable=False),
)

refunds = Table(
    "refunds",
    metadata,
    Column("refund_id", String(36), primary_key=True),
    Column("order_id", String(36), nullable=False, index=True),
    Column("shift_id", Integer, nullable=False, index=True),
    Column("amount_fen", Integer, nullable=False),
    Column("tender", String(16)),  # None when the sale was made at another terminal
    Column("refunded_at", String(40), nullable=False),
    Column("reason", String(200), nullable=False, default=""),
    Column("employee_id", String(64)),
)

# The FIFO outbox: seq is per terminal, 1, 2, 3, ... without gaps, assigned in the transaction of its cause.
# state: pending (not answered yet), done (accepted or duplicate), parked, refused (needs attention).
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False, default="pending", index=True),
    Column("code", String(64)),
    Column("detail", Text),
    Column("answered_at", String(40)),
)

# Members pulled from the server, plus members registered here and not yet confirmed (local=True).
members = Table(
    "members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("display_name", String(80), nullable=False),
    Column("phone_key", String(64), index=True),  # shared.phones: found from a typed number, never turned back
    Column("level", String(64)),
    Column("local", Boolean, nullable=False, default=False),
    # the points balance the last pull that brought the member said (None: never said), and when that pull was
    Column("points", Integer),
    Column("points_at", String(40)),
)

# The cash drawer opened without a sale, by a manager's decision (a sale's own opening is the sale).
drawer_openings = Table(
    "drawer_openings",
    metadata,
    Column("drawer_id", String(36), primary_key=True),
    Column("shift_id", Integer, nullable=False, index=True),
    Column("opened_at", String(40), nullable=False),
    Column("employee_id", String(64)),
    Column("reason", String(200), nullable=False, default=""),
)

# The store's employees from the last pull that asked for them (a store without employees: empty).
employees = Table(
    "employees",
    metadata,
    Column("employee_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role", String(12), nullable=False),  # cashier | manager
    Column("pin_hash", String(200), nullable=False),  # argon2id PHC string, verified offline
)

shifts = Table(
    "shifts",
    metadata,
    Column("shift_id", Integer, primary_key=True),
    Column("opened_at", String(40), nullable=False),
    Column("closed_at", String(40)),
    Column("opening_float_fen", Integer, nullable=False, default=0),  # the cash in the drawer at the start
    Column("opened_by", String(64)),  # employee ids; NULL for a store without employees
    Column("closed_by", String(64)),
    Column("counted_cash_fen", Integer),  # at the Z: what the manager counted, and what the till expected
    Column("expected_cash_fen", Integer),
    Column("z_id", String(36)),  # the Z report's id on the wire (shift_closed), made at the Z
)

# Small documents: terminal identity, sync cursor, the last pull's settings, snapshot and keys.
kv = Table(
    "kv",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Autocommit at the driver level: SQLAlchemy's begin hook below issues BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def make_engine(path: Path) -> Engine:
    """An engine for the local database file.

    Connections are pooled: closing the last connection of a WAL database checkpoints and truncates the WAL,
    which cost ~4 ms of fsync on every checkout when each unit of work opened its own connection.
    """
    engine = create_engine(
        f"sqlite:///{path}", poolclass=QueuePool, pool_size=2, max_overflow=4, connect_args={"check_same_thread": False}
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


class UnitOfWork:
    """One write transaction: rolls back unless `commit()` was called (cosmicpython)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._committed = False
        self.conn: Connection

    def __enter__(self) -> UnitOfWork:
        self.conn = self._engine.connect().execution_options(write=True)
        self._tx = self.conn.begin()
        self._committed = False
        return self

    def commit(self) -> None:
        self._tx.commit()
        self._committed = True

    @property
    def committed(self) -> bool:
        return self._committed

    def __exit__(self, *exc: object) -> None:
        try:
            if not self._committed and self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only snapshot (deferred transaction)."""
    with engine.connect() as conn, conn.begin():
        yield conn


def kv_get(conn: Connection, key: str, default: Any = None) -> Any:
    row = conn.execute(select(kv.c.value).where(kv.c.key == key)).first()
    return default if row is None else json.loads(row[0])


def kv_set(conn: Connection, key: str, value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    conn.exec_driver_sql(
        "INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, text)
    )
