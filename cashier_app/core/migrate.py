"""Bring the local database to the newest schema with Alembic, safely.

Refuses while the outbox holds events the server has not answered (a migration that went wrong could strand
sales), unless forced; copies the database file aside before every migration. Alembic is imported only when the
database is not at the recorded head revision (`migrations/head.py`): on every ordinary start it is, and the import
would cost the cashier about 0.3 s before the checkout screen.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..migrations.head import HEAD_REVISION
from .db import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class MigrationRefused(RuntimeError):
    """The outbox still holds unsent sales; migrate after they are synced, or force it."""

    def __init__(self, pending: int, current: str | None, head: str) -> None:
        super().__init__(f"{pending} events wait in the outbox; refusing to migrate {current} -> {head}")
        self.pending = pending


class DatabaseTooNew(RuntimeError):
    """The database was written by a newer app (the app was rolled back): leave it alone, say so."""

    def __init__(self, current: str, head: str) -> None:
        super().__init__(f"the database is at revision {current}, which this app (newest {head}) does not know")
        self.current = current


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str
    backup: Path | None


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """Alembic's own head, read from the migration scripts (imports Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _inspect(path: Path) -> tuple[str | None, int]:
    """(current revision, pending outbox events) read with plain sqlite3, whatever the schema's age."""
    con = sqlite3.connect(path)
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        current = None
        if "alembic_version" in names:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            current = row[0] if row else None
        pending = 0
        if "outbox" in names:
            pending = con.execute("SELECT COUNT(*) FROM outbox WHERE state='pending'").fetchone()[0]
        return current, pending
    finally:
        con.close()


def backup_database(path: Path, label: str, *, now: dt.datetime) -> Path:
    """A consistent copy made with SQLite's online backup (safe with WAL, unlike copying the file)."""
    target = path.with_name(f"{path.name}.{label}.{now:%Y%m%dT%H%M%S}.bak")
    n = 1
    while target.exists():  # never overwrite an earlier backup, e.g. of a second attempt in the same second
        target = path.with_name(f"{path.name}.{label}.{now:%Y%m%dT%H%M%S}-{n}.bak")
        n += 1
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def migrate(path: Path, *, force: bool = False, now: dt.datetime | None = None) -> MigrationResult:
    """Upgrade the database at `path` to head (creating it if missing)."""
    backup = None
    current: str | None = None
    exists = path.exists()
    if exists:
        current, pending = _inspect(path)
        if current == HEAD_REVISION:  # the usual start: nothing to do, learnt without importing Alembic
            return MigrationResult(current, current, None)
    head = head_revision()
    if exists:
        if current == head:
            return MigrationResult(current, head, None)
        if current is not None and not _known(current):
            raise DatabaseTooNew(current, head)
        if pending and not force:
            raise MigrationRefused(pending, current, head)
        backup = backup_database(path, f"before-{head}", now=now or dt.datetime.now(dt.UTC))
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(path)
    try:
        with engine.connect() as conn:
            cfg = _config()
            cfg.attributes["connection"] = conn
            _upgrade(cfg, "head")
            conn.commit()
    finally:
        engine.dispose()
    return MigrationResult(current, head, backup)


def _upgrade(cfg: Config, revision: str) -> None:
    from alembic import command

    command.upgrade(cfg, revision)


def upgrade_to(path: Path, revision: str) -> None:
    """Upgrade to a given revision (tests build older databases with it)."""
    engine = make_engine(path)
    try:
        with engine.connect() as conn:
            cfg = _config()
            cfg.attributes["connection"] = conn
            _upgrade(cfg, revision)
            conn.commit()
    finally:
        engine.dispose()
