"""Ingest: the one path by which every command reaches the rules engine — sync API, replay, jobs, admin.

Each command runs in one unit of work (one transaction) with its entry, settlement, allocations and ledgers.
Transactions that lose a race (a deadlock, a serialisation failure, a duplicate key written concurrently, a busy
SQLite file) are retried from the start; a RuleError is final and leaves nothing behind.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared.engine.commands import ChangeSettings, Command
from shared.engine.engine import Engine, Outcome
from shared.engine.randomness import RandomSource, SystemRandomSource

from ..db.database import Database, UnitOfWork

RETRYABLE_PG = {"40001", "40P01", "23505", "55P03"}  # serialization, deadlock, unique race, lock not available

Within = Callable[[UnitOfWork, Outcome], None]
Before = Callable[[Command], None]


def is_retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    if code in RETRYABLE_PG:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


class Ingest:
    def __init__(self, db: Database, rng: RandomSource | None = None, *, attempts: int = 8) -> None:
        self.db = db
        self.rng = rng if rng is not None else SystemRandomSource()
        self.attempts = attempts
        self._jitter = random.Random()
        # Runs before every command, outside its transaction: the scheduler (server/jobs) hooks in here so that a
        # reset that fell due runs before any event ingested after its instant (spec §11).
        self.before: Before | None = None

    def apply(self, command: Command, *, within: Within | None = None) -> Outcome:
        """Apply one command; `within` runs in the same transaction (e.g. to log the event that carried it)."""
        if self.before is not None:
            self.before(command)
        exclusive = isinstance(command, ChangeSettings)
        for attempt in range(self.attempts):
            try:
                with self.db.unit_of_work(exclusive_settings=exclusive) as uow:
                    outcome = Engine(uow.repo, self.rng).apply(command)
                    if within is not None:
                        uow.repo.flush()  # the running totals, as what runs in the transaction reads them
                        within(uow, outcome)
                    uow.commit()
                    return outcome
            except (IntegrityError, OperationalError, DBAPIError) as exc:
                if attempt + 1 >= self.attempts or not is_retryable(exc):
                    raise
                time.sleep(min(0.2, 0.002 * 2**attempt) * (0.5 + self._jitter.random()))
        raise AssertionError("unreachable")
