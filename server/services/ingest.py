"""Ingest: the one path by which every command reaches the rules engine — sync API, replay, jobs, admin.

Each command runs in one unit of work (one transaction) with its entry, settlement, allocations and ledgers.
Transactions that lose a race (a deadlock, a serialisation failure, a duplicate key written concurrently, a busy
SQLite file) are retried from the start; a RuleError is final and leaves nothing behind.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared.engine.commands import ChangeSettings, Command, RefundOrder
from shared.engine.engine import Engine, Outcome
from shared.engine.randomness import RandomSource, SystemRandomSource

from ..clock import Clock, SystemClock
from ..db.database import Database
from ..db.unit_of_work import UnitOfWork
from .wallet_refunds import give_back

RETRYABLE_PG = {"40001", "40P01", "23505", "55P03"}  # serialization, deadlock, unique race, lock not available

R = TypeVar("R")
Within = Callable[[UnitOfWork, Outcome], R]
Before = Callable[[Command], None]


class Applied(NamedTuple, Generic[R]):
    """What a command did, and what ran with it in its transaction gave back."""

    outcome: Outcome
    within: R


def is_retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    if code in RETRYABLE_PG:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


class Ingest:
    def __init__(
        self,
        db: Database,
        rng: RandomSource | None = None,
        *,
        clock: Clock | None = None,
        before: Before | None = None,
        attempts: int = 8,
    ) -> None:
        self.db = db
        self.rng = rng if rng is not None else SystemRandomSource()
        self.clock = clock if clock is not None else SystemClock()
        # Runs before every command, outside its transaction: the scheduler (server/jobs) gives its reset gate here
        # so that a reset that fell due runs before any event ingested after its instant (spec §11).
        self.before = before
        self.attempts = attempts
        self._jitter = random.Random()

    def apply(self, command: Command) -> Outcome:
        """Apply one command in its own transaction."""
        return self.apply_within(command, _nothing).outcome

    def apply_within(self, command: Command, within: Within[R]) -> Applied[R]:
        """Apply one command; `within` runs in the same transaction (e.g. to log the event that carried it) and
        what it returns comes back with the outcome. An exception from it rolls the command back."""
        if self.before is not None:
            self.before(command)
        exclusive = isinstance(command, ChangeSettings)
        for attempt in range(self.attempts):
            try:
                with UnitOfWork(self.db, at=self.clock.now(), exclusive_settings=exclusive) as uow:
                    outcome = Engine(uow.repo, self.rng).apply(command)
                    uow.flush()  # the running totals, as what runs in the transaction reads them
                    if isinstance(command, RefundOrder) and outcome.status == "accepted":
                        # the wallet tenders get their part back with the clawback (docs/rules.md §6a)
                        give_back(uow.conn, order_id=command.order_id, now=command.at)
                    extra = within(uow, outcome)
                    uow.commit()
                    return Applied(outcome, extra)
            except (IntegrityError, OperationalError, DBAPIError) as exc:
                if attempt + 1 >= self.attempts or not is_retryable(exc):
                    raise
                time.sleep(min(0.2, 0.002 * 2**attempt) * (0.5 + self._jitter.random()))
        raise AssertionError("unreachable")


def _nothing(_uow: UnitOfWork, _outcome: Outcome) -> None:
    return None
