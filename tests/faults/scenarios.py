"""The fault scenarios, shared by the CI-sized tests and the documented long runs (`PAIDUI_FAULTS=long`)."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cashier_app.core.sync_client import RequestRefused, ServerUnavailable

from . import checks
from .tills import STORES, AppTill, enrol_till, push_until_done
from .transport import FaultRates, FaultyTransport


@dataclass
class RunResult:
    events: int = 0
    elapsed_s: float = 0.0
    injected: Counter[str] = field(default_factory=Counter)
    failed_rounds: int = 0
    recorded: int = 0  # sales in the tills' databases at the end
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def found(self) -> list[str]:
        return [f"{name}: {p}" for name, ps in self.problems.items() for p in ps]


def make_tills(count: int, *, tmp: Path, server_url: str, db: object, now: dt.datetime) -> list[AppTill]:
    stores = sorted(STORES)
    return [
        enrol_till(
            data=tmp / f"till{i}",
            server_url=server_url,
            db=db,
            store=stores[i % len(stores)],  # type: ignore[arg-type]
            cashier=STORES[stores[i % len(stores)]][0],
            now=now,
            name=f"till {i}",
        )
        for i in range(count)
    ]


def selling_and_syncing(
    tills: Sequence[AppTill],
    *,
    events: int,
    server_url: str,
    seed: int,
    transport_for: Callable[[int], httpx.BaseTransport],
    batches: Sequence[int] = (7, 50, 100, 500),
    drain_deadline_s: float = 600.0,
    burst: int = 15,
    sell_until: threading.Event | None = None,
    abort: threading.Event | None = None,
) -> RunResult:
    """Each till in its own thread sells in bursts and runs a sync round after each burst through its own
    transport, until it has made its share of `events` (and, with `sell_until`, until that event is set: the
    faults then always strike while the tills are busy); then it syncs until its outbox is empty."""
    result = RunResult()
    errors: list[BaseException] = []
    lock = threading.Lock()
    sold = [0] * len(tills)

    def drive(i: int, till: AppTill) -> None:
        share = events // len(tills) + (i < events % len(tills))  # exactly `events` in all
        rng = random.Random(seed * 1000 + i)
        try:
            with httpx.Client(base_url=server_url, transport=transport_for(i), timeout=30) as http:
                made = 0
                while made < share or (sell_until is not None and not sell_until.is_set()):
                    for _ in range(max(1, min(share - made, rng.randint(1, burst)))):
                        till.sell(rng)
                        made += 1
                    sold[i] = made
                    try:
                        till.sync(http, batch=rng.choice(batches)).run_once()
                    except (ServerUnavailable, RequestRefused):
                        with lock:
                            result.failed_rounds += 1
                        time.sleep(0.05)  # the sync worker waits before its next round
                failed = push_until_done(
                    till, http, batch=rng.choice(batches), deadline_s=drain_deadline_s, abort=abort
                )
                with lock:
                    result.failed_rounds += failed
        except BaseException as exc:  # reported to the caller, with the others' results
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=drive, args=(i, till)) for i, till in enumerate(tills)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    result.elapsed_s = time.perf_counter() - started
    if errors:
        raise errors[0]
    result.events = sum(sold)
    return result


def check_all(db: object, tills: Sequence[AppTill], result: RunResult | None = None) -> dict[str, list[str]]:
    locals_ = [t.local() for t in tills]
    if result is not None:
        result.recorded = sum(len(t.orders) for t in locals_)
    with db.connect() as conn:  # type: ignore[attr-defined]
        return {
            "exactly_once": checks.exactly_once(conn, locals_),
            "money": checks.money(conn),
            "fifo": checks.fifo(conn),
        }


def transport_faults(
    *, tmp: Path, server_url: str, db: object, events: int, tills: int, seed: int, rates: FaultRates | None = None
) -> RunResult:
    """Tills selling while their sync goes through a transport that loses, duplicates and fails requests."""
    now = dt.datetime.now(dt.UTC)
    made = make_tills(tills, tmp=tmp, server_url=server_url, db=db, now=now)
    transports = [FaultyTransport(rng=random.Random(seed + i), rates=rates or FaultRates()) for i in range(tills)]
    try:
        result = selling_and_syncing(
            made, events=events, server_url=server_url, seed=seed, transport_for=transports.__getitem__
        )
        for t in transports:
            result.injected.update(t.injected)
        result.problems = check_all(db, made, result)
    finally:
        for till in made:
            till.close()
    return result


def acks_never_sent(*, tmp: Path, server_url: str, db: object, events: int, seed: int) -> RunResult:
    """NEGATIVE CONTROL: two tills sync normally, then a broken transport acknowledges their last pushes without
    sending them. The exactly-once checker must report the sales as lost."""
    from .transport import AckWithoutSending

    now = dt.datetime.now(dt.UTC)
    made = make_tills(2, tmp=tmp, server_url=server_url, db=db, now=now)
    transports = [AckWithoutSending() for _ in made]
    try:
        result = selling_and_syncing(
            made, events=events, server_url=server_url, seed=seed, transport_for=transports.__getitem__
        )
        rng = random.Random(seed)
        for till, transport in zip(made, transports, strict=True):
            transport.active = True
            for _ in range(5):
                till.sell(rng)
            with httpx.Client(base_url=server_url, transport=transport) as http:
                push_until_done(till, http, batch=100)
        result.injected["acked_without_sending"] = sum(t.swallowed for t in transports)
        result.problems = check_all(db, made, result)
    finally:
        for till in made:
            till.close()
    return result


def concurrent_pushes(*, tmp: Path, events: int, tills: int, seed: int, lock: bool = True) -> RunResult:
    """Tills push small batches at once into one queue of a PostgreSQL server in this process. With `lock=False`
    (NEGATIVE CONTROL) its repository reads the queue row without `FOR UPDATE`: the FIFO and money checkers must
    report what the race did."""
    from contextlib import nullcontext

    from .broken import without_queue_lock
    from .server import in_process

    now = dt.datetime.now(dt.UTC)
    with nullcontext() if lock else without_queue_lock(), in_process(tmp / "server", "postgresql") as (url, db):
        made = make_tills(tills, tmp=tmp, server_url=url, db=db, now=now)
        try:
            result = selling_and_syncing(
                made,
                events=events,
                server_url=url,
                seed=seed,
                transport_for=lambda _: httpx.HTTPTransport(),
                batches=(5, 10, 20),
                burst=5,
            )
            result.problems = check_all(db, made, result)
        finally:
            for till in made:
                till.close()
    return result


class InFlight(httpx.BaseTransport):
    """Counts pushes on the wire, so a crash can be aimed at the middle of a batch."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.pushing = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        push = request.url.path.endswith("/sync/push")
        if push:
            with self._lock:
                self.pushing += 1
        try:
            response = self._inner.handle_request(request)
            response.read()
            return response
        finally:
            if push:
                with self._lock:
                    self.pushing -= 1

    def close(self) -> None:
        self._inner.close()


@dataclass
class Chaos:
    """What the crash thread did."""

    server_kills: int = 0
    kills_mid_push: int = 0
    pg_crashes: int = 0
    crashes_mid_push: int = 0
    log: list[str] = field(default_factory=list)


def crashes(
    *,
    tmp: Path,
    server: object,
    events: int,
    tills: int,
    seed: int,
    server_kills: int,
    pg_crashes: int = 0,
    cluster: object | None = None,
    pause_s: tuple[float, float] = (0.5, 2.0),
) -> tuple[RunResult, Chaos]:
    """Tills sell and sync while `paidui-server serve` is SIGKILLed in the middle of pushes (`server_kills` times)
    and, with a private `cluster`, PostgreSQL is crashed (`pg_ctl stop -m immediate`) and started again."""
    from .server import ServeProcess

    assert isinstance(server, ServeProcess)
    now = dt.datetime.now(dt.UTC)
    made = make_tills(tills, tmp=tmp, server_url=server.url, db=server.db, now=now)
    transports = [InFlight() for _ in made]
    chaos = Chaos()
    rng = random.Random(seed)
    plan = ["server"] * server_kills + ["postgres"] * pg_crashes
    rng.shuffle(plan)
    stop = threading.Event()
    failure: list[BaseException] = []

    def in_flight() -> bool:
        return any(t.pushing for t in transports)

    def wreck() -> None:
        try:
            for action in plan:
                stop.wait(rng.uniform(*pause_s))
                deadline = time.monotonic() + 10
                mid = False
                while not mid and time.monotonic() < deadline and not stop.is_set():
                    while not in_flight() and time.monotonic() < deadline and not stop.is_set():
                        time.sleep(0.001)
                    time.sleep(rng.uniform(0, 0.05))  # somewhere inside the batch (if it is still going)
                    mid = in_flight()
                if action == "server":
                    server.kill()
                    chaos.server_kills += 1
                    chaos.kills_mid_push += mid
                    time.sleep(rng.uniform(0.2, 1.0))  # down for a moment: the tills keep selling
                    server.start()
                else:
                    assert cluster is not None
                    cluster.restart_after_crash()  # type: ignore[attr-defined]
                    chaos.pg_crashes += 1
                    chaos.crashes_mid_push += mid
                chaos.log.append(f"{action}{' mid-push' if mid else ''}")
        except BaseException as exc:
            failure.append(exc)
            broken.set()  # the server or the database is not coming back: stop the tills, report this
        finally:
            wrecked.set()

    wrecked = threading.Event()
    broken = threading.Event()
    wrecker = threading.Thread(target=wreck)
    wrecker.start()
    try:
        result = selling_and_syncing(
            made,
            events=events,
            server_url=server.url,
            seed=seed,
            transport_for=transports.__getitem__,
            batches=(20, 100, 500),
            burst=30,
            sell_until=wrecked,
            abort=broken,
            drain_deadline_s=240,
        )
    except BaseException as exc:
        if failure:
            raise failure[0] from None  # the tills stopped because the wrecker failed: that is the cause
        alive = server.proc is not None and server.proc.poll() is None
        tail = server.log.read_text(errors="replace")[-4000:] if server.log.exists() else ""
        exc.add_note(f"server process alive: {alive}; chaos: {chaos.log}; end of the server log:\n{tail}")
        raise
    finally:
        stop.set()
        wrecker.join()
    if failure:
        raise failure[0]
    try:
        # the last crash may have come after the tills drained: sync once more to be sure nothing waits
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for till in made:
                push_until_done(till, http, batch=500)
        result.problems = check_all(server.db, made, result)
    finally:
        for till in made:
            till.close()
    return result, chaos


@dataclass
class SkewResult:
    sales: int
    member_sales: int
    clamped: int  # member sales stamped more than 5 minutes ahead of their arrival
    behind: int  # member sales stamped before sales already in the queue
    problems: list[str]


def clock_skew(*, tmp: Path, server_url: str, db: object, rounds: int, seed: int) -> SkewResult:
    """Three tills of two stores feed one queue: A's clock is right, B's is 3 hours behind and is set back another
    6 hours half-way (to put its customers ahead in the queue), C's is 4 hours ahead. Sales are pushed one round
    at a time, so the order in which the server received them is known; queue order must be exactly that."""
    now = dt.datetime.now(dt.UTC)
    made = make_tills(3, tmp=tmp, server_url=server_url, db=db, now=now)
    offsets = [dt.timedelta(0), dt.timedelta(hours=-3), dt.timedelta(hours=4)]
    rng = random.Random(seed)
    pushed: list[tuple[str, dt.datetime]] = []
    sales = behind = ahead = 0
    latest = dt.datetime.min.replace(tzinfo=dt.UTC)
    try:
        with httpx.Client(base_url=server_url, timeout=30) as http:
            for r in range(rounds):
                if r == rounds // 2:
                    offsets[1] -= dt.timedelta(hours=6)  # B's clock set back again, to jump the queue
                i = rng.randrange(3)
                till, offset = made[i], offsets[i]
                for _ in range(rng.randint(1, 4)):
                    sale = till.sell(rng, member_share=0.9, clock=lambda o=offset: system_clock_utc() + o)
                    sales += 1
                    if sale.member is not None:
                        pushed.append((str(sale.order_id), sale.paid_at))
                        behind += sale.paid_at < latest
                        ahead += offset > checks.SKEW
                        latest = max(latest, sale.paid_at)
                push_until_done(till, http, batch=100)
        with db.connect() as conn:  # type: ignore[attr-defined]
            problems = checks.ingestion_order(conn, pushed) + checks.fifo(conn) + checks.money(conn)
            problems += checks.exactly_once(conn, [t.local() for t in made])
    finally:
        for till in made:
            till.close()
    return SkewResult(sales, len(pushed), ahead, behind, problems)


def system_clock_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
