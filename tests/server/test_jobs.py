"""Scheduled jobs: the reset schedule (§11) and automatic completion, on SQLite and PostgreSQL, with a fixed clock."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from server.clock import FixedClock
from server.db import tables as t
from server.db.database import Database
from server.jobs import JobRunner, runs
from server.services.ingest import Applied, Ingest, R, Within
from shared.engine.commands import ChangeSettings, Command, PayOrder, Reset

from .support import T0, seed

SH = ZoneInfo("Asia/Shanghai")
MIDNIGHT = dt.datetime(2026, 3, 3, 0, 0, tzinfo=SH)  # the first daily 00:00 after T0 (10:00 on 03-02)
DAILY = {"reset": {"kind": "daily", "time": "00:00"}}


class CountingIngest(Ingest):
    """Counts the resets that committed (a reset that was rolled back as a duplicate is not counted)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.resets: list[dt.datetime] = []
        self._count_lock = threading.Lock()

    def apply_within(self, command: Command, within: Within[R]) -> Applied[R]:
        applied = super().apply_within(command, within)
        if isinstance(command, Reset):
            with self._count_lock:
                self.resets.append(command.at)
        return applied


def pay(
    ingest: Ingest,
    member: str | None,
    fen: int,
    at: dt.datetime,
    *,
    completed: bool | None = True,
    received: dt.datetime | None = None,
    cashier: str = "c1",
    store: str = "s1",
) -> str:
    order_id = str(uuid.uuid4())
    ingest.apply(
        PayOrder(
            order_id=order_id,
            store_id=store,
            cashier_id=cashier,
            member_id=member,
            paid_fen=fen,
            paid_at=at,
            received_at=received or at,
            completed=completed,
        )
    )
    return order_id


def entries(db: Database) -> dict[str, Any]:
    with db.connect() as conn:
        return {r.order_id: r for r in conn.execute(select(t.EntryRow))}


def order(db: Database, order_id: str) -> Any:
    with db.connect() as conn:
        return conn.execute(select(t.OrderRow).where(t.OrderRow.order_id == order_id)).one()


def job_runs(db: Database) -> list[tuple[dt.datetime, dt.datetime]]:
    with db.connect() as conn:
        return runs.runs(conn, "reset")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def runner(db: Database, clock: FixedClock) -> Iterator[JobRunner]:
    job = JobRunner(db=db, ingest=CountingIngest(db), clock=clock)
    yield job
    job.stop()


@pytest.fixture
def front(db: Database, runner: JobRunner) -> Ingest:
    """The Ingest the app's events go through: the runner's reset gate runs before each (as `create_app` builds it)."""
    return Ingest(db, before=runner.gate)


# ---------------------------------------------------------------------------------------------- reset


def test_daily_reset_fires_at_its_instant_and_is_recorded(db: Database, runner: JobRunner, clock: FixedClock) -> None:
    seed(db, stores={"s1": ["c1"]}, base={**DAILY, "extraction_bp": 1000})
    a = pay(runner.ingest, "a", 10_000, T0)
    assert runner.tick().reset_at is None
    clock.set(MIDNIGHT - dt.timedelta(seconds=1))
    assert runner.tick().reset_at is None
    assert entries(db)[a].status == "waiting"

    clock.set(MIDNIGHT)
    report = runner.tick()
    assert report.reset_at == MIDNIGHT
    row = entries(db)[a]
    assert (row.status, row.closed_at, row.paid_fen) == ("expired", MIDNIGHT, 1000)  # paid amounts are kept
    assert job_runs(db) == [(MIDNIGHT, MIDNIGHT)]
    assert runner.tick().reset_at is None  # once
    assert runner.ingest.resets == [MIDNIGHT]  # type: ignore[attr-defined]


def test_missed_instants_collapse_into_one_run_at_start_up(db: Database, clock: FixedClock) -> None:
    seed(db, stores={"s1": ["c1"]}, base=DAILY)
    ingest = CountingIngest(db)
    a = pay(ingest, "a", 10_000, T0)
    clock.set(MIDNIGHT + dt.timedelta(days=3, hours=9))  # the server was down for three nights
    runner = JobRunner(db=db, ingest=ingest, clock=clock)
    assert not runner.ready
    report = runner.catch_up()
    last = MIDNIGHT + dt.timedelta(days=3)
    assert runner.ready and report.reset_at == last
    assert ingest.resets == [last]
    assert entries(db)[a].closed_at == last
    assert job_runs(db) == [(last, clock.now())]
    assert runner.tick().reset_at is None


def test_instants_before_the_schedule_came_into_force_do_not_count(
    db: Database, runner: JobRunner, clock: FixedClock
) -> None:
    seed(db, stores={"s1": ["c1"]})
    a = pay(runner.ingest, "a", 10_000, T0)
    switched_on = MIDNIGHT + dt.timedelta(hours=10)
    clock.set(switched_on)
    runner.ingest.apply(ChangeSettings(at=switched_on, base=DAILY, actor="hq"))
    clock.set(switched_on + dt.timedelta(minutes=5))
    assert runner.tick().reset_at is None  # 00:00 of that day was before the schedule existed
    assert entries(db)[a].status == "waiting"
    clock.set(MIDNIGHT + dt.timedelta(days=1))
    assert runner.tick().reset_at == MIDNIGHT + dt.timedelta(days=1)
    assert entries(db)[a].status == "expired"


def test_a_changed_time_zone_starts_the_schedule_again(db: Database, runner: JobRunner, clock: FixedClock) -> None:
    seed(db, stores={"s1": ["c1"]}, base=DAILY)
    clock.set(MIDNIGHT + dt.timedelta(hours=1))
    assert runner.tick().reset_at == MIDNIGHT
    changed = MIDNIGHT + dt.timedelta(hours=2)
    runner.ingest.apply(ChangeSettings(at=changed, base={"timezone": "Europe/Berlin"}, actor="hq"))
    berlin_midnight = dt.datetime(2026, 3, 3, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 07:00 in Shanghai
    clock.set(berlin_midnight - dt.timedelta(seconds=1))
    assert runner.tick().reset_at is None  # Berlin midnight before the change does not count either
    clock.set(berlin_midnight + dt.timedelta(days=1))
    assert runner.tick().reset_at == berlin_midnight + dt.timedelta(days=1)


def test_an_event_after_the_instant_waits_for_the_reset_ex14(
    db: Database, runner: JobRunner, front: Ingest, clock: FixedClock
) -> None:
    """EX14: D paid offline at 23:58 and synced at 00:03 joins the new period; C at 00:05 pays D."""
    seed(db, stores={"s1": ["c1"]}, base=DAILY)
    a = pay(front, "a", 10_000, T0)
    runner.tick()  # nothing due yet
    clock.set(MIDNIGHT + dt.timedelta(minutes=3))  # the scheduler thread has not woken yet
    d = pay(front, "d", 10_000, MIDNIGHT - dt.timedelta(minutes=2), received=clock.now())
    rows = entries(db)
    assert rows[a].status == "expired" and rows[a].closed_at == MIDNIGHT
    assert rows[d].status == "waiting" and rows[d].paid_fen == 1000  # its own 10% (on pay)
    clock.set(MIDNIGHT + dt.timedelta(minutes=5))
    pay(front, "c", 10_000, clock.now())
    assert entries(db)[d].paid_fen == 2000
    assert job_runs(db) == [(MIDNIGHT, MIDNIGHT + dt.timedelta(minutes=3))]


def test_weekly_and_once_schedules(db: Database, runner: JobRunner, clock: FixedClock) -> None:
    once = dt.datetime(2026, 3, 5, 12, 0, tzinfo=SH)
    seed(db, stores={"s1": ["c1"]}, base={"reset": {"kind": "once", "at": [once.isoformat()]}})
    clock.set(once - dt.timedelta(seconds=1))
    assert runner.tick().reset_at is None
    clock.set(once + dt.timedelta(days=30))
    assert runner.tick().reset_at == once
    assert runner.tick().reset_at is None
    friday = dt.datetime(2026, 4, 10, 22, 30, tzinfo=SH)  # a Friday
    runner.ingest.apply(
        ChangeSettings(at=clock.now(), base={"reset": {"kind": "weekly", "weekday": 5, "time": "22:30"}}, actor="hq")
    )
    clock.set(friday)
    assert runner.tick().reset_at == friday


def test_no_schedule_no_reset(db: Database, runner: JobRunner, clock: FixedClock) -> None:
    seed(db, stores={"s1": ["c1"]})
    clock.set(T0 + dt.timedelta(days=40))
    assert runner.catch_up().reset_at is None
    assert job_runs(db) == []


def test_carry_is_released_once_by_the_reset(db: Database, runner: JobRunner, clock: FixedClock) -> None:
    seed(db, stores={"s1": ["c1"]}, base={**DAILY, "leftover_policy": "carry_forward"})
    pay(runner.ingest, None, 10_000, T0)  # anonymous: contributes 1000 with nobody waiting -> carried
    clock.set(MIDNIGHT)
    runner.tick()
    runner.tick()
    with db.connect() as conn:
        kept = conn.execute(select(t.Unallocated.amount_fen, t.Unallocated.reason, t.Unallocated.at)).all()
    assert [tuple(k) for k in kept] == [(1000, "reset_carry", MIDNIGHT)]


@pytest.mark.parametrize("processes", [2, 4])
def test_racing_schedulers_reset_exactly_once(db: Database, clock: FixedClock, processes: int) -> None:
    """Several server processes (each its own Database pool and runner) wake at the same instant."""
    seed(db, stores={"s1": ["c1"]}, base=DAILY)
    pay(Ingest(db), "a", 10_000, T0)
    clock.set(MIDNIGHT + dt.timedelta(seconds=1))
    dbs = [db] + [
        Database(str(db.url.render_as_string(hide_password=False)), schema=db.schema) for _ in range(processes - 1)
    ]
    ingests = [CountingIngest(d) for d in dbs]
    runners = [JobRunner(db=d, ingest=i, clock=clock) for d, i in zip(dbs, ingests, strict=True)]
    barrier = threading.Barrier(processes)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def go(r: JobRunner) -> None:
        try:
            barrier.wait()
            reports.append(r.tick())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(r,)) for r in runners]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    for extra in dbs[1:]:
        extra.dispose()
    assert not errors
    assert sorted(r.reset_at is not None for r in reports) == [False] * (processes - 1) + [True]
    assert sum(len(i.resets) for i in ingests) == 1
    assert len(job_runs(db)) == 1


# ---------------------------------------------------------------------------------------------- auto-completion


def test_orders_complete_after_the_configured_hours(db: Database, runner: JobRunner, clock: FixedClock) -> None:
    seed(db, stores={"s1": ["c1"]}, base={"settlement_event": "on_complete", "cashier_auto_complete_hours": 2})
    first = pay(runner.ingest, "a", 10_000, T0, completed=False)
    second = pay(runner.ingest, "b", 10_000, T0 + dt.timedelta(minutes=30), completed=False)
    clock.set(T0 + dt.timedelta(hours=2) - dt.timedelta(seconds=1))
    assert runner.tick().completed == []
    clock.set(T0 + dt.timedelta(hours=2, minutes=40))  # the sweep ran late: the times are still exact
    assert runner.tick().completed == [first, second]
    o1, o2 = order(db, first), order(db, second)
    assert (o1.status, o1.completed_at, o1.contribution_fen) == ("completed", T0 + dt.timedelta(hours=2), 1000)
    assert o2.completed_at == T0 + dt.timedelta(hours=2, minutes=30)
    assert entries(db)[first].paid_fen == 2000  # both contributions went to the head
    assert runner.tick().completed == []


def test_a_late_synced_order_completes_no_earlier_than_it_arrived(
    db: Database, runner: JobRunner, clock: FixedClock
) -> None:
    seed(db, stores={"s1": ["c1"]}, base={"settlement_event": "on_complete", "cashier_auto_complete_hours": 1})
    arrived = T0 + dt.timedelta(hours=5)
    clock.set(arrived)
    late = pay(runner.ingest, "a", 10_000, T0, completed=False, received=arrived)
    assert runner.tick().completed == [late]
    assert order(db, late).completed_at == arrived


def test_a_window_shortened_to_zero_completes_what_waits_at_once(
    db: Database, runner: JobRunner, clock: FixedClock
) -> None:
    """The server is the authority (issue 12 item 1): 0 hours means complete now, also for sales still waiting."""
    seed(db, stores={"s1": ["c1"]}, base={"settlement_event": "on_complete", "cashier_auto_complete_hours": 48})
    o = pay(runner.ingest, "a", 10_000, T0, completed=False)
    clock.set(T0 + dt.timedelta(hours=1))
    assert runner.tick().completed == []
    runner.ingest.apply(ChangeSettings(at=clock.now(), base={"cashier_auto_complete_hours": 0}))
    assert runner.tick().completed == [o]
    assert (order(db, o).status, order(db, o).completed_at) == ("completed", T0)


def test_a_sale_the_server_decides_completes_by_the_window(db: Database, runner: JobRunner) -> None:
    seed(db, stores={"s1": ["c1"]}, base={"settlement_event": "on_complete", "cashier_auto_complete_hours": 1})
    waits = pay(runner.ingest, "a", 10_000, T0, completed=None)
    assert order(db, waits).status == "paid"
    runner.ingest.apply(ChangeSettings(at=T0, base={"cashier_auto_complete_hours": 0}))
    assert order(db, pay(runner.ingest, "b", 10_000, T0, completed=None)).status == "completed"


def test_refunded_and_completed_orders_are_left_alone(db: Database, runner: JobRunner, clock: FixedClock) -> None:
    from shared.engine.commands import CompleteOrder, RefundOrder

    seed(db, stores={"s1": ["c1"]}, base={"settlement_event": "on_complete", "cashier_auto_complete_hours": 1})
    refunded = pay(runner.ingest, "a", 10_000, T0, completed=False)
    runner.ingest.apply(RefundOrder(order_id=refunded, refund_id="r1", amount_fen=10_000, at=T0))
    done = pay(runner.ingest, "b", 10_000, T0, completed=False)
    runner.ingest.apply(CompleteOrder(order_id=done, at=T0 + dt.timedelta(minutes=10)))
    clock.set(T0 + dt.timedelta(hours=3))
    assert runner.tick().completed == []
    assert order(db, done).completed_at == T0 + dt.timedelta(minutes=10)


def test_catch_up_completes_what_was_due_before_the_reset_first(db: Database, clock: FixedClock) -> None:
    """Down from 22:30 to 01:00: the 23:00 completion pays the old period's head before the 00:00 reset."""
    seed(db, stores={"s1": ["c1"]}, base={**DAILY, "settlement_event": "on_complete", "cashier_auto_complete_hours": 1})
    ingest = CountingIngest(db)
    head = pay(ingest, "a", 10_000, T0)  # completed at checkout: its own 10% settles at once
    late_evening = MIDNIGHT - dt.timedelta(hours=2)
    due = pay(ingest, "b", 10_000, late_evening, completed=False)
    clock.set(MIDNIGHT + dt.timedelta(hours=1))
    report = JobRunner(db=db, ingest=ingest, clock=clock).catch_up()
    assert report.completed == [due] and report.reset_at == MIDNIGHT
    rows = entries(db)
    assert rows[head].paid_fen == 2000 and rows[head].status == "expired"
    with db.connect() as conn:
        ats = conn.execute(select(t.Allocation.at).where(t.Allocation.from_order == due)).scalars().all()
    assert ats == [late_evening + dt.timedelta(hours=1)]


def test_racing_sweeps_complete_each_order_once(db: Database, clock: FixedClock) -> None:
    seed(db, stores={"s1": ["c1"]}, base={"settlement_event": "on_complete", "cashier_auto_complete_hours": 1})
    ingest = Ingest(db)
    orders = [pay(ingest, f"m{i}", 10_000, T0, completed=False) for i in range(12)]
    clock.set(T0 + dt.timedelta(hours=2))
    other = Database(str(db.url.render_as_string(hide_password=False)), schema=db.schema)
    runners = [JobRunner(db=d, ingest=Ingest(d), clock=clock, batch=5) for d in (db, other)]
    done: list[list[str]] = []
    barrier = threading.Barrier(2)

    def go(r: JobRunner) -> None:
        barrier.wait()
        done.append(r.tick().completed)

    threads = [threading.Thread(target=go, args=(r,)) for r in runners]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    other.dispose()
    assert sorted(done[0] + done[1]) == sorted(orders)
    with db.connect() as conn:
        total = conn.execute(select(func.sum(t.Allocation.amount_fen))).scalar()
        contributions = conn.execute(select(func.sum(t.OrderRow.contribution_fen))).scalar()
    assert total == contributions == 12 * 1000


# ---------------------------------------------------------------------------------------------- the thread


def test_the_thread_wakes_at_the_reset_instant(db: Database, clock: FixedClock) -> None:
    seed(db, stores={"s1": ["c1"]}, base=DAILY)
    ingest = Ingest(db)
    runner = JobRunner(db=db, ingest=ingest, clock=clock, poll=dt.timedelta(seconds=30))
    runner.catch_up()
    clock.set(MIDNIGHT - dt.timedelta(seconds=0.2))
    assert 0.05 <= runner.seconds_to_wait() <= 0.2  # sleeps until the instant, not a whole poll
    clock.set(MIDNIGHT)
    runner.start()
    try:
        for _ in range(200):
            if job_runs(db):
                break
            threading.Event().wait(0.05)
    finally:
        runner.stop()
    assert [i for i, _ in job_runs(db)] == [MIDNIGHT]


def test_a_long_sweep_does_not_hold_up_the_reset_gate(
    db: Database, runner: JobRunner, front: Ingest, clock: FixedClock
) -> None:
    from server.jobs.runner import SWEEP_LOCK

    seed(db, stores={"s1": ["c1"]}, base=DAILY)
    a = pay(front, "a", 10_000, T0)
    runner.tick()
    clock.set(MIDNIGHT + dt.timedelta(minutes=1))
    done = threading.Event()

    def push() -> None:
        pay(front, "d", 10_000, clock.now())
        done.set()

    with runner._sweep_lock, runs.job_lock(db, SWEEP_LOCK):  # another thread or process is sweeping
        worker = threading.Thread(target=push)
        worker.start()
        assert done.wait(30), "the push waited for the sweep"
    worker.join()
    assert entries(db)[a].status == "expired"
