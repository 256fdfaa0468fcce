"""Engine set-up for SQLite (one writer, WAL, synchronous=FULL) and PostgreSQL, migrations, units of work."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from shared.settings import BaseSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SETTINGS_LOCK = 7_271_001  # advisory lock id: events share it, settings changes take it alone (PostgreSQL)


class Database:
    """One database: its engine, its migrations, and caches of the settings keyed by their version."""

    def __init__(self, url: str, *, schema: str | None = None, pool_size: int = 5) -> None:
        self.url = make_url(url)
        self.schema = schema
        self.dialect = self.url.get_backend_name()
        self.engine = self._make_engine(pool_size)
        self._cache_lock = threading.Lock()
        self._settings_cache: tuple[int, BaseSettings] | None = None
        self._stores_cache: tuple[int, dict[str, Any]] | None = None

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

    def unit_of_work(self, *, exclusive_settings: bool = False) -> UnitOfWork:
        return UnitOfWork(self, exclusive_settings=exclusive_settings)

    # settings caches: valid while the settings version is unchanged
    def cached_settings(self, version: int) -> BaseSettings | None:
        cache = self._settings_cache
        return cache[1] if cache is not None and cache[0] == version else None

    def cache_settings(self, version: int, settings: BaseSettings) -> None:
        with self._cache_lock:
            self._settings_cache = (version, settings)

    def cached_stores(self, version: int) -> dict[str, Any] | None:
        cache = self._stores_cache
        return cache[1] if cache is not None and cache[0] == version else None

    def cache_stores(self, version: int, stores: dict[str, Any]) -> None:
        with self._cache_lock:
            self._stores_cache = (version, stores)

    def forget_caches(self) -> None:
        """After the database was replaced underneath us (restore, test wipe): versions may repeat."""
        with self._cache_lock:
            self._settings_cache = None
            self._stores_cache = None

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """One transaction: the engine runs one command through `repo`; nothing is kept unless commit() is called."""

    def __init__(self, db: Database, *, exclusive_settings: bool) -> None:
        self.db = db
        self.exclusive_settings = exclusive_settings
        self.committed = False

    def __enter__(self) -> UnitOfWork:
        from .repository import SqlRepository  # the repository imports this module's Database

        self.conn = self.db.engine.connect()
        self.tx = self.conn.begin()
        if not self.db.is_sqlite:
            lock = "pg_advisory_xact_lock" if self.exclusive_settings else "pg_advisory_xact_lock_shared"
            self.conn.execute(text(f"SELECT {lock}(:k)"), {"k": SETTINGS_LOCK})
        self.repo = SqlRepository(self.conn, self.db)
        return self

    def commit(self) -> None:
        self.repo.flush()
        self.tx.commit()
        self.committed = True

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.committed and self.tx.is_active:
                self.tx.rollback()
        finally:
            self.conn.close()
