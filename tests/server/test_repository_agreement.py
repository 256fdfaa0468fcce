"""The in-memory and the SQL repositories agree: random scenarios give the same result document on both.

The same engine runs over both; this checks the SQL repository (identity map, head hints, partial indexes,
running totals) against the plain containers, event for event, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, insert, select, text

from server.db import tables as t
from server.db.database import Database
from server.db.settings import base_settings
from server.member_page.view import Waiting, ahead
from server.replay import ServerBackend
from server.services.positions import placed, positions
from shared.engine.memory_backend import MemoryBackend
from shared.engine.model import queue_key
from shared.scenario import run
from tests.server.totals import running_totals_differences
from tests.strategies import register_profiles, scenario_documents

register_profiles()
GROUPS = st.sampled_from([1, 2, 5, 50])  # events per transaction: one each, and groups cut at random places


def wipe(db: Database) -> None:
    """Empty every table (faster than a new schema per hypothesis example) and restart the sequences."""
    with db.connect() as conn:
        for table in reversed(t.Base.metadata.sorted_tables):
            conn.execute(delete(table))
        conn.execute(insert(t.SettingsRow).values(id=1, base_json="{}", version=1))
        if not db.is_sqlite:
            conn.execute(text("ALTER SEQUENCE entry_seq RESTART WITH 1"))
    db.forget_caches()


def both(doc: dict[str, Any], db: Database, group: int = 50) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document on `db` through the grouped path (`group` events a transaction, each in a savepoint), and in
    memory."""
    wipe(db)
    backend = ServerBackend(db, group_size=group)
    try:
        on_db = run(doc, backend)
    finally:
        backend.close()
    with db.connect() as conn:
        assert running_totals_differences(conn) == []
        assert_positions_as_settlement_would_pay(conn, db)
    return run(doc, MemoryBackend()), on_db


def assert_positions_as_settlement_would_pay(conn: Connection, db: Database) -> None:
    """INV-18: the displayed position is 1 + the entries the next settlement of that queue would pay first."""
    base = base_settings(conn, db.settings_cache)
    rows = conn.execute(select(t.EntryRow.__table__)).all()
    got = positions(conn, base, [placed(r) for r in rows])
    lines: dict[str, list[Any]] = {}
    for r in rows:
        if r.status == "waiting" and r.entitlement_fen > r.paid_fen:
            lines.setdefault(queue_key(r.cashier_id, base.all_cashiers_queue), []).append(r)
    want: dict[int, int | None] = {r.seq: None for r in rows}
    for line in lines.values():
        if base.ordering_rule == "completed_first":
            line.sort(key=lambda r: (not r.order_completed, r.seq))
        else:
            line.sort(key=lambda r: r.seq)
        want.update({r.seq: i for i, r in enumerate(line, start=1)})
    assert got == want
    # the member page's (count, Σ remaining) ahead of each entry agrees with the same sort
    waiting = [
        Waiting(r.seq, r.cashier_id, bool(r.order_completed), r.entitlement_fen - r.paid_fen)
        for line in lines.values()
        for r in line
    ]
    expected = {}
    for line in lines.values():
        fen = 0
        for i, r in enumerate(line):
            expected[r.seq] = (i, fen)
            fen += r.entitlement_fen - r.paid_fen
    assert ahead(conn, base, waiting) == expected


@pytest.fixture(scope="module")
def module_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('agree') / 'agree.db'}")
    db.migrate()
    yield db
    db.dispose()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=scenario_documents(max_events=30), group=GROUPS)
def test_memory_and_sqlite_agree(module_sqlite: Database, doc: dict[str, Any], group: int) -> None:
    in_memory, on_db = both(doc, module_sqlite, group)
    assert on_db == in_memory


@pytest.mark.postgres
@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=scenario_documents(max_events=30), group=GROUPS)
def test_memory_and_postgresql_agree(pg_db: Database, doc: dict[str, Any], group: int) -> None:
    in_memory, on_db = both(doc, pg_db, group)
    assert on_db == in_memory
