"""Ingest: the one path by which every command reaches the rules engine — sync API, replay, jobs, admin.

Each command runs in one unit of work (one transaction) with its entry, settlement, allocations and ledgers; or a
group of them runs in one (`apply_group`, spec §15 "atomic per group, in ingestion order"), each in a savepoint so
that a refused one leaves the others applied, the running totals gathered over the group and written once.
Transactions that lose a race (a deadlock, a serialisation failure, a duplicate key written concurrently, a busy
SQLite file) are retried from the start; a RuleError is final and leaves nothing behind.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared.engine.commands import ChangeSettings, Command, PayOrder, RefundOrder
from shared.engine.engine import Engine, Outcome
from shared.engine.randomness import RandomSource, SystemRandomSource
from shared.errors import RuleError

from ..clock import Clock, SystemClock
from ..db.database import Database
from ..db.repository import PendingLost
from ..db.unit_of_work import UnitOfWork
from .wallet_refunds import give_back

RETRYABLE_PG = {"40001", "40P01", "23505", "55P03"}  # serialization, deadlock, unique race, lock not available

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
T = TypeVar("T")
Within = Callable[[UnitOfWork, Outcome], R]
Before = Callable[[Command], None]


class Applied(NamedTuple, Generic[R]):
    """What a command did, and what ran with it in its transaction gave back."""

    outcome: Outcome
    within: R


class GroupStep(Protocol[R_co]):
    """One event of a group: `apply` runs in a savepoint; when it raises a RuleError the savepoint is rolled back
    and `refused` runs in its place (to record the refusal in the same transaction). A `buffered` step (a sale) takes
    its savepoint only if it needs one: while its work stays in the repository's kept objects, nothing was written."""

    @property
    def buffered(self) -> bool: ...

    def apply(self, uow: UnitOfWork, engine: Engine) -> R_co: ...

    def refused(self, uow: UnitOfWork, error: RuleError) -> R_co: ...


class CommandStep:
    """A group step that is one engine command; the answer is its Outcome, or the RuleError that refused it."""

    def __init__(self, command: Command) -> None:
        self.command = command
        self.buffered = isinstance(command, PayOrder)

    def apply(self, uow: UnitOfWork, engine: Engine) -> Outcome | RuleError:
        return engine.apply(self.command)

    def refused(self, uow: UnitOfWork, error: RuleError) -> Outcome | RuleError:
        return error


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

    def apply_group(
        self,
        steps: Sequence[GroupStep[R]],
        *,
        first: Callable[[UnitOfWork], None] | None = None,
        last: Callable[[UnitOfWork, list[R]], T] | None = None,
        gate: Command | None = None,
    ) -> tuple[list[R], T | None]:
        """Apply `steps` in order in one transaction, each in a savepoint; `first` runs before them (locks, checks),
        `last` after them with their answers and the running totals written (the event log, a cursor). All or
        nothing is committed; a transaction that loses a race is retried whole. `gate` is given to `before`."""
        if self.before is not None and gate is not None:
            self.before(gate)
        behind = True  # sales keep their work in memory until the group's end; False after a PendingLost
        for attempt in range(self.attempts):
            try:
                with UnitOfWork(self.db, at=self.clock.now()) as uow:
                    engine = Engine(uow.repo, self.rng)
                    if first is not None:
                        first(uow)
                    savepoint = _Savepoint(uow, behind=behind)
                    answers = [savepoint.step(engine, step) for step in steps]
                    uow.flush()
                    extra = last(uow, answers) if last is not None else None
                    uow.commit()
                    return answers, extra
            except PendingLost:  # a refused sale changed what earlier ones left unwritten: a savepoint each
                behind = False
                continue
            except (IntegrityError, OperationalError, DBAPIError) as exc:
                if attempt + 1 >= self.attempts or not is_retryable(exc):
                    raise
                time.sleep(min(0.2, 0.002 * 2**attempt) * (0.5 + self._jitter.random()))
        raise AssertionError("unreachable")


class _Savepoint:
    """One savepoint per step, under one name: the previous step's is released and the next one taken in one round
    trip on PostgreSQL (two statements in one simple query), and a refused step is rolled back to it. A buffered step
    takes it lazily (`SqlRepository.begin_step`): a sale whose work stays in memory takes none; any other step first
    writes what earlier ones left pending, then takes its savepoint, so that rolling back to it loses nothing of
    theirs."""

    NAME = "paidui_step"

    def __init__(self, uow: UnitOfWork, *, behind: bool = True) -> None:
        self.uow = uow
        self.open = False
        self.one_trip = not uow.db.is_sqlite
        self.behind = behind

    def _take(self) -> None:
        conn, name = self.uow.conn, self.NAME
        if not self.open:
            conn.exec_driver_sql(f"SAVEPOINT {name}")
        elif self.one_trip:
            conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}; SAVEPOINT {name}")
        else:
            conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
            conn.exec_driver_sql(f"SAVEPOINT {name}")
        self.open = True

    def step(self, engine: Engine, step: GroupStep[R]) -> R:
        uow, repo = self.uow, self.uow.repo
        lazy = self.behind and step.buffered
        if not lazy:
            repo.write_pending()
        mark = repo.mark()
        if lazy:
            repo.begin_step(self._take)
        else:
            self._take()
        try:
            answer = step.apply(uow, engine)
        except RuleError as exc:  # anything else propagates: the whole group is rolled back
            if not lazy or repo.end_step():
                uow.conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {self.NAME}")
            repo.restore(mark)
            return step.refused(uow, exc)
        if lazy:
            repo.end_step()
        return answer


def _nothing(_uow: UnitOfWork, _outcome: Outcome) -> None:
    return None
