"""The rules state machine (tests/shared/test_state_machine.py) with the server's grouped ingest beside it.

Every random event goes, as there, through the engine in memory and the naive model (codes, result documents and
the invariants of spec §19 checked after each). Here it is also queued for a SQLite database, and at random moments
the queued events are applied there as groups (`Ingest.apply_group`: one transaction, a savepoint per event), cut
at random sizes: each event's code and, after each group, the whole result document must be the memory engine's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule

from server.db.database import Database
from server.replay import ServerBackend
from shared.scenario import Replay
from tests.server.test_repository_agreement import wipe
from tests.shared.test_state_machine import RulesMachine, comparable

pytestmark = pytest.mark.timeout(900)
_DB: list[Database] = []


def _database() -> Database:
    """One SQLite file for the whole run, emptied for each example (a schema per example costs seconds)."""
    if not _DB:
        db = Database(f"sqlite:///{Path(tempfile.mkdtemp(prefix='paidui-grouped-')) / 'grouped.db'}")
        db.migrate()
        _DB.append(db)
    return _DB[0]


class GroupedSqlMachine(RulesMachine):
    def step(self, event: Any) -> None:
        if not hasattr(self, "sql"):
            db = _database()
            wipe(db)
            self.sql_backend = ServerBackend(db, group_size=3)
            self.sql = Replay(self.knowledge.header, self.sql_backend)
            self.queued: list[tuple[Any, str | None]] = []
        rejected = len(self.replay.rejected)
        super().step(event)
        code = self.replay.rejected[-1]["code"] if len(self.replay.rejected) > rejected else None
        self.queued.append((event, code))

    @rule(size=st.sampled_from([1, 2, 3, 7, 50]))
    def apply_queued_as_groups(self, size: int) -> None:
        if not getattr(self, "queued", None):
            return
        self.sql_backend.group_size = size
        codes = self.sql.step_group([event for event, _ in self.queued])
        assert codes == [code for _, code in self.queued], self.queued
        self.queued = []
        on_sql = self.sql.result()
        self.sql_backend.close()  # its read connection holds SQLite's write lock until closed
        assert comparable(on_sql) == comparable(self.replay.result())

    def teardown(self) -> None:
        if getattr(self, "queued", None):
            self.apply_queued_as_groups(50)
        if hasattr(self, "sql_backend"):
            self.sql_backend.close()


TestGroupedSql = GroupedSqlMachine.TestCase
TestGroupedSql.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
