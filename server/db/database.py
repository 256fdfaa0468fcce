"""Engine set-up for SQLite (one writer, WAL, synchronous=FULL) and PostgreSQL, and migrations.

A unit of work (one transaction of the rules) is `unit_of_work.UnitOfWork`; plain reads and admin writes use
`Database.connect()`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

from .settings import SettingsCache

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
log = logging.getLogger("paidui")


class Database:
    """One database: its engine, its migrations, and the cache of its configuration keyed by the settings version."""

    def __init__(self, url: str, *, schema: str | None = None, pool_size: int = 5) -> None:
        self.url = make_url(url)
        self.schema = schema
        self.dialect = self.url.get_backend_name()
        self.engine = self._make_engine(pool_size)
        self.settings_cache = SettingsCache()  # the configuration this process read last (server/db/settings.py)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _make_engine(self, pool_size: int) -> Engine:
        if self.is_sqlite:
            engine = create_engine(self.url, connect_args={"timeout": 60, "check_same_thread": False})

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")  # an acknowledged event survives a power cut
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=60000")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Connection) -> None:
                # Take the write lock up front: one writer at a time, no lock upgrades that fail half-way.
                conn.exec_driver_sql("BEGIN IMMEDIATE")

            return engine
        connect_args: dict[str, Any] = {}
        if self.schema:
            connect_args["options"] = f"-csearch_path={self.schema}"
        if pool_size <= 0:
            return create_engine(self.url, connect_args=connect_args, poolclass=NullPool)
        return create_engine(
            self.url, connect_args=connect_args, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )

    def migrate(self, revision: str = "head") -> None:
        """Create or upgrade the schema with Alembic."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain transaction (reads, admin writes): commits on success, rolls back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def consistent_read(self) -> Iterator[Connection]:
        """One read that sees a single moment: REPEATABLE READ on PostgreSQL (SQLite's write lock gives that)."""
        if self.is_sqlite:
            with self.connect() as conn:
                yield conn
            return
        with self.engine.connect() as raw:
            conn = raw.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def forget_caches(self) -> None:
        """After the database was replaced underneath us (restore, test wipe): versions may repeat."""
        self.settings_cache.forget()

    def dispose(self) -> None:
        self.engine.dispose()


# SQLSTATEs of a database that cannot take connections now (PostgreSQL starting, recovering, shutting down) or of a
# connection that failed; None: the driver could not connect at all (refused, no route, SQLite file busy).
_UNREACHABLE = {None, "57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"}


def is_unreachable(exc: DBAPIError) -> bool:
    """A connection that could not be made or was lost, rather than a statement the database refused."""
    if exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError) and getattr(exc.orig, "sqlstate", None) in _UNREACHABLE


def wait_until_reachable(db: Database, *, timeout_s: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """Open one connection, trying again while the database cannot be reached, for up to `timeout_s` seconds."""
    deadline = time.monotonic() + timeout_s
    delay = 0.1
    while True:
        try:
            with db.engine.connect():
                return
        except DBAPIError as exc:
            if not is_unreachable(exc) or time.monotonic() + delay > deadline:
                raise
            log.warning("the database cannot be reached (%s); trying again in %.1f s", exc.orig, delay)
            sleep(delay)
            delay = min(5.0, delay * 2)
