"""The scheduler of one server process: the reset schedule (§11) and automatic completion, each exactly once.

`tick(now)` does what fell due, in time order: completions due before a reset instant, the reset (several missed
instants collapse into the latest), then the completions due since. A reset holds the reset lock (in process, and
a PostgreSQL advisory lock across processes): the other processes wait and then find it done (`job_runs`). Sweeps
of due completions hold a lock of their own, so a long sweep never holds up a reset or an event; completing an
order twice is a no-op in the engine. `catch_up()` is the tick run at start-up before the app serves.
`gate(command)` is the `before` hook of the app's Ingest (`create_app` passes it when it builds the Ingest): an
event arriving after a reset instant waits for that reset, so the event lands in the new period. The jobs' own
commands go through an Ingest of their own, without the gate.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from shared.engine.commands import Command, CompleteOrder, Reset
from shared.engine.engine import Outcome
from shared.errors import RuleError

from ..clock import Clock
from ..db import settings
from ..db.database import Database
from ..db.unit_of_work import UnitOfWork
from ..services.ingest import Ingest
from . import autocomplete, reset, runs, wallet

log = logging.getLogger("paidui.jobs")

RESET_LOCK = "reset"
SWEEP_LOCK = "autocomplete"
POLL = dt.timedelta(seconds=30)
RECHECK = dt.timedelta(seconds=5)  # how stale the gate's view of the schedule may get
BATCH = 200


@dataclass
class TickReport:
    reset_at: dt.datetime | None = None  # the reset instant this tick ran (None: none ran here)
    completed: list[str] = field(default_factory=list)  # orders this tick completed
    holds_expired: int = 0  # wallet holds past their time (server/jobs/wallet.py)
    vouchers_expired: int = 0


class JobRunner:
    def __init__(
        self, *, db: Database, ingest: Ingest, clock: Clock, poll: dt.timedelta = POLL, batch: int = BATCH
    ) -> None:
        self.db = db
        self.ingest = ingest
        self.clock = clock
        self.poll = poll
        self.batch = batch
        self.started = clock.now()
        self.ready = False  # set once the start-up catch-up has run
        self._reset_lock = threading.RLock()
        self._sweep_lock = threading.Lock()
        self._plan: reset.ResetPlan | None = None
        self._next_reset: dt.datetime | None = None
        self._recheck_at: dt.datetime | None = None
        self._failed: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.after_tick: Callable[[dt.datetime], object] | None = None  # set by create_app: the notifications

    # ------------------------------------------------------------------ the work

    def catch_up(self) -> TickReport:
        """Run what was missed while no server ran (before any event is processed)."""
        report = self.tick()
        self.ready = True
        if report.reset_at is not None or report.completed:
            log.info("catch-up: reset at %s, %d orders completed", report.reset_at, len(report.completed))
        return report

    def tick(self, now: dt.datetime | None = None) -> TickReport:
        """Do everything due at `now` (default: the clock)."""
        now = now if now is not None else self.clock.now()
        report = self._reset_if_due(now)
        with self._sweep_lock, runs.job_lock(self.db, SWEEP_LOCK):
            report.completed += self._sweep(hours=self._hours(), until=now)
        report.holds_expired, report.vouchers_expired = wallet.sweep(self.db, now)
        if self.after_tick is not None:  # the notification outbox (jobs/notify.py): its failure stops nothing else
            try:
                self.after_tick(now)
            except Exception:
                log.exception("the job after the tick failed; it runs again next tick")
        return report

    def _read(self, conn: Connection) -> tuple[reset.ResetPlan, dt.datetime | None]:
        version = settings.version(conn)
        plan = self._plan
        if plan is None or plan.version != version:
            plan = self._plan = reset.read_plan(conn, self.db.settings_cache)
        return plan, reset.last_run(conn)

    def _hours(self) -> int:
        with self.db.connect() as conn:
            return settings.base_settings(conn, self.db.settings_cache).cashier_auto_complete_hours

    def _arm(self, plan: reset.ResetPlan, last: dt.datetime | None, now: dt.datetime) -> None:
        self._next_reset = plan.following(last_run=last, started=self.started, now=now)
        self._recheck_at = now + RECHECK

    def _reset_if_due(self, now: dt.datetime) -> TickReport:
        """Completions due before a missed reset instant, then that reset; re-arms the gate."""
        report = TickReport()
        with self.db.connect() as conn:
            plan, last = self._read(conn)
        if plan.due(last_run=last, started=self.started, now=now) is None:  # the common case: no lock at all
            self._arm(plan, last, now)
            return report
        with self._reset_lock, runs.job_lock(self.db, RESET_LOCK):
            with self.db.connect() as conn:  # again under the lock: another process may have run it meanwhile
                plan, last = self._read(conn)
            due = plan.due(last_run=last, started=self.started, now=now)
            if due is not None:
                report.completed += self._sweep(hours=self._hours(), until=due)
                if self._reset(due, now):
                    report.reset_at = due
                last = due
            self._arm(plan, last, now)
        return report

    def _reset(self, instant: dt.datetime, now: dt.datetime) -> bool:
        def record(uow: UnitOfWork, _: Outcome) -> None:
            if not runs.claim(uow.conn, job=reset.JOB, instant=instant, ran_at=now):
                raise runs.AlreadyRan(instant)

        try:
            self.ingest.apply_within(Reset(at=instant), record)
        except runs.AlreadyRan:
            return False
        log.info("reset at %s (run at %s)", instant.isoformat(), now.isoformat())
        return True

    def _sweep(self, *, hours: int, until: dt.datetime) -> list[str]:
        done: list[str] = []
        while True:
            with self.db.connect() as conn:
                batch = autocomplete.due_orders(
                    conn, hours=hours, until=until, limit=self.batch, skip=frozenset(self._failed)
                )
            for item in batch:
                try:
                    outcome = self.ingest.apply(CompleteOrder(order_id=item.order_id, at=item.at))
                except RuleError as exc:
                    # Cannot happen to a `paid` order; keep going and do not retry it every sweep.
                    log.warning("auto-completion of %s refused: %s", item.order_id, exc)
                    self._failed.add(item.order_id)
                    continue
                if outcome.status == "accepted":
                    done.append(item.order_id)
            if len(batch) < self.batch:
                return done

    # ------------------------------------------------------------------ the gate before every event

    def gate(self, command: Command) -> None:
        """Before a command is applied: if a reset instant has passed, run it first (unless this is a reset)."""
        if isinstance(command, Reset):
            return
        now = self.clock.now()
        nxt, recheck = self._next_reset, self._recheck_at
        if recheck is not None and now < recheck and (nxt is None or now < nxt):
            return
        self._reset_if_due(now)

    # ------------------------------------------------------------------ the thread

    def seconds_to_wait(self) -> float:
        now = self.clock.now()
        wake = now + self.poll
        if self._next_reset is not None and self._next_reset < wake:
            wake = self._next_reset
        return max(0.05, (wake - now).total_seconds())

    def _run(self) -> None:
        while not self._stop.wait(self.seconds_to_wait()):
            try:
                self.tick()
            except Exception:  # the database may be away for a while: log, wait, try again
                log.exception("scheduled jobs failed; retrying in %s", self.poll)
                if self._stop.wait(self.poll.total_seconds()):
                    return

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="paidui-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
