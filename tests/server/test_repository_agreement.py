"""The in-memory and the SQL repositories agree: random scenarios give the same result document on both.

The same engine runs over both; this checks the SQL repository (identity map, head hints, partial indexes,
running totals) against the plain containers, event for event, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import delete, insert, text

from server.db import tables as t
from server.db.database import Database
from server.replay import ServerBackend
from shared.engine.memory_backend import MemoryBackend
from shared.scenario import run
from tests.server.totals import running_totals_differences
from tests.strategies import register_profiles, scenario_documents

register_profiles()


def wipe(db: Database) -> None:
    """Empty every table (faster than a new schema per hypothesis example) and restart the sequences."""
    with db.connect() as conn:
        for table in reversed(t.Base.metadata.sorted_tables):
            conn.execute(delete(table))
        conn.execute(insert(t.SettingsRow).values(id=1, base_json="{}", version=1))
        if not db.is_sqlite:
            conn.execute(text("ALTER SEQUENCE entry_seq RESTART WITH 1"))
    db.forget_caches()


def both(doc: dict[str, Any], db: Database) -> tuple[dict[str, Any], dict[str, Any]]:
    wipe(db)
    backend = ServerBackend(db)
    try:
        on_db = run(doc, backend)
    finally:
        backend.close()
    with db.connect() as conn:
        assert running_totals_differences(conn) == []
    return run(doc, MemoryBackend()), on_db


@pytest.fixture(scope="module")
def module_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('agree') / 'agree.db'}")
    db.migrate()
    yield db
    db.dispose()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=scenario_documents(max_events=30))
def test_memory_and_sqlite_agree(module_sqlite: Database, doc: dict[str, Any]) -> None:
    in_memory, on_db = both(doc, module_sqlite)
    assert on_db == in_memory


@pytest.mark.postgres
@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=scenario_documents(max_events=30))
def test_memory_and_postgresql_agree(pg_db: Database, doc: dict[str, Any]) -> None:
    in_memory, on_db = both(doc, pg_db)
    assert on_db == in_memory
