"""One transaction of the rules: the engine runs one command through `repo`; nothing is kept unless commit() is
called (cosmicpython's unit of work). It carries the instant it runs at, so nothing under it reads the wall clock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from .database import Database
from .repository import SqlRepository

SETTINGS_LOCK = 7_271_001  # advisory lock id: events share it, settings changes take it alone (PostgreSQL)


class UnitOfWork:
    def __init__(self, db: Database, *, at: dt.datetime, exclusive_settings: bool = False) -> None:
        self.db = db
        self.at = at
        self.exclusive_settings = exclusive_settings
        self.committed = False

    def __enter__(self) -> UnitOfWork:
        self.conn = self.db.engine.connect()
        self.tx = self.conn.begin()
        if not self.db.is_sqlite:
            lock = "pg_advisory_xact_lock" if self.exclusive_settings else "pg_advisory_xact_lock_shared"
            self.conn.execute(text(f"SELECT {lock}(:k)"), {"k": SETTINGS_LOCK})
        self.repo = SqlRepository(self.conn, cache=self.db.settings_cache, at=self.at)
        return self

    def flush(self) -> None:
        """Write the running totals gathered so far (what runs later in the transaction reads them)."""
        self.repo.flush()

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
