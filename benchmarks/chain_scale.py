"""A chain of stores × tills pushing to one `paidui-server serve --workers N` on PostgreSQL (issue 16).

    python benchmarks/chain_scale.py                                       # 200 stores x 4 tills, all phases
    python benchmarks/chain_scale.py --stores 5 --steady-s 5               # small: about a minute
    python benchmarks/chain_scale.py --phases storm --storm-sales 25 --json

Every till is bound to its own checkout point (cashier), so with per-cashier queues each till feeds its own queue:
200 × 4 = 800 queues. The tills are simulated in memory, not as the cashier app's SQLite databases: each has its own
terminal credential, its own gapless seq counter, and makes its `order_paid` wire events as the app does (a uuid4
event id and order id, `created_at` / `paid_at` from the clock, 80% for members); one asyncio loop in this process
pushes them over loopback, each till with its own httpx client (one connection), at most one push in flight per till,
up to 100 events a push.
Like the cashier app's sync worker (cashier_app/sync_worker.py) a till pushes as soon as it made a sale, unless it
is waiting out a backoff; a time-out, a 5xx or 429 (the server's `503 busy`), or a push of which nothing was applied
backs off with the app's own `Backoff` (1 s doubling to 60 s, half jitter), at least the `Retry-After` the server
gave. The app's time-out is used: 10 s (3 s to connect). The app's pull after each push round is not made.

Terminals are enrolled directly through the server's services (`terminals.create_enrolment_code` + `enroll`) on the
database before `serve` starts: 800 enrolments through the HTTP endpoint would only measure the enrolment.

Phases (each a row; after each, the fault suite's checkers run on the server's tables: tests/faults/checks.py
`exactly_once` (each sale on the server once with its amount, event_log one row per event under its seq,
applied_through), `money` (the §19 invariants and the running totals) and `fifo` (INV-8 per queue)):

- steady: per-cashier queues; every till makes one sale every `--interval-s` (5 s), for `--steady-s` seconds.
- storm: the same server; every till holds `--storm-sales` sales made while offline and all reconnect at once;
  the time until every event is acknowledged.
- allq: a fresh database with base settings `all_cashiers_queue = true` (one queue for the chain), one sale per
  till every 5 s; first 8 of the tills alone feed the one queue (the others enrolled and idle), then all of them.

A phase whose tills are not all acknowledged `--drain-s` seconds after the last sale stops there; its checks then
show what is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from ssl import create_default_context as ssl_context
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from sync_ingest import _quantile as quantile  # noqa: E402

from cashier_app.core.sync import Backoff  # noqa: E402
from server.db.database import Database  # noqa: E402
from server.services import members, terminals  # noqa: E402
from shared.tokens import new_private_key, public_key_text  # noqa: E402
from shared.wire import PROTOCOL_VERSION  # noqa: E402
from tests.faults.checks import LocalTill, exactly_once, fifo, money  # noqa: E402
from tests.faults.server import ServeProcess  # noqa: E402
from tests.server.support import PG_URL, database_location, paid, seed  # noqa: E402

MEMBERS = 1000
EXTRACTION_BP = 1500
BATCH = 100
TIMEOUT = httpx.Timeout(10.0, connect=3.0)  # the app's sync/timeout_s
REF_TILLS = 8
ONE = httpx.Limits(max_connections=1, max_keepalive_connections=1)


@dataclass
class Event:
    seq: int
    wire: dict[str, Any]
    made: float  # monotonic time the sale was made (the storm: the reconnect)


@dataclass
class SimTill:
    """A till without its database: its credential, its seq, its outbox in memory, what it sold."""

    terminal_id: str
    credential: str
    cashier_id: str
    rng: random.Random
    seq: int = 0
    pending: list[Event] = field(default_factory=list)
    orders: dict[str, int] = field(default_factory=dict)
    acked: list[int] = field(default_factory=list)
    retry_at: float = 0.0
    backoff: Backoff = field(init=False)

    def __post_init__(self) -> None:
        self.backoff = Backoff(base=1.0, cap=60.0, rng=random.Random(self.terminal_id))
        self.headers = {
            "Authorization": f"Bearer {self.credential}",
            "Paidui-Protocol": str(PROTOCOL_VERSION),
            "Content-Type": "application/json",
        }

    def sell(self, made: float, at: dt.datetime) -> None:
        fen = self.rng.randint(100, 50_000)
        member = f"m{self.rng.randrange(MEMBERS)}" if self.rng.random() < 0.8 else None
        body = paid(self.cashier_id, fen, member=member, at=at)
        self.seq += 1
        self.orders[body["order_id"]] = fen
        wire = {"event_id": str(uuid.uuid4()), "seq": self.seq, "created_at": at.isoformat(), "body": body}
        self.pending.append(Event(self.seq, wire, made))

    def wait(self, retry_after: float | None) -> None:
        delay = self.backoff.next_delay()
        if retry_after:
            delay = max(delay, retry_after)
        self.retry_at = time.monotonic() + delay

    def local(self) -> LocalTill:
        """What the checkers compare the server with: every sale, every event (done once acknowledged)."""
        states = {"done": len(self.acked)}
        if self.pending:
            states["pending"] = len(self.pending)
        seqs = sorted(self.acked + [e.seq for e in self.pending])
        return LocalTill(self.terminal_id, dict(self.orders), seqs, states)


@dataclass
class Stats:
    push_s: list[float] = field(default_factory=list)  # answered 200
    ack_s: list[float] = field(default_factory=list)  # sale made -> its event acknowledged
    pushes: int = 0
    busy: int = 0
    timeouts: int = 0
    errors: int = 0
    refused: int = 0
    first_error: str = ""
    last_ack: float = 0.0
    start: float = 0.0
    timeline: dict[int, list[int]] = field(default_factory=dict)  # 10 s bucket -> [pushes answered 200, 503, acked]

    def tick(self, what: int, n: int = 1) -> None:
        bucket = int((time.monotonic() - self.start) // 10)
        self.timeline.setdefault(bucket, [0, 0, 0])[what] += n

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


async def push(till: SimTill, client: httpx.AsyncClient, stats: Stats) -> None:
    """One push of the till's first pending events, and what the app does with the answer."""
    batch = till.pending[:BATCH]
    body = json.dumps(
        {"protocol": PROTOCOL_VERSION, "events": [e.wire for e in batch], "backlog": len(till.pending) - len(batch)}
    )
    stats.pushes += 1
    started = time.monotonic()
    try:
        r = await client.post("/api/v1/sync/push", content=body, headers=till.headers)
    except httpx.TimeoutException:
        stats.timeouts += 1
        till.wait(None)
        return
    except httpx.HTTPError as exc:
        stats.error(f"{type(exc).__name__}: {exc}")
        till.wait(None)
        return
    now = time.monotonic()
    if r.status_code != 200:
        if r.status_code == 503 and r.json().get("code") == "busy":
            stats.busy += 1
            stats.tick(1)
        else:
            stats.error(f"HTTP {r.status_code}: {r.text[:200]}")
        retry = r.headers.get("Retry-After")
        till.wait(float(retry) if retry and retry.isdigit() else None)
        return
    stats.push_s.append(now - started)
    stats.tick(0)
    answer = r.json()
    if answer.get("resend_from") is not None:
        stats.error(f"resend_from {answer['resend_from']} (a simulated till keeps no sent events)")
    done = set()
    for res in answer["results"]:
        if res["status"] == "not_applied":
            continue
        done.add(res["seq"])
        if res["status"] == "refused":
            stats.refused += 1
            stats.first_error = stats.first_error or f"refused {res.get('code')}: {res.get('detail')}"
    if not done:  # the app: "the server applied none of the batch" -> ServerUnavailable -> backoff
        till.wait(None)
        return
    kept = []
    for e in till.pending:
        if e.seq in done:
            stats.ack_s.append(now - e.made)
            till.acked.append(e.seq)
        else:
            kept.append(e)
    stats.tick(2, len(till.pending) - len(kept))
    till.pending = kept
    till.backoff.reset()
    stats.last_ack = now


async def run_till(
    till: SimTill, client: httpx.AsyncClient, stats: Stats, *, start: float, end: float, interval: float, stop: float
) -> None:
    """Sell every `interval` s from a random offset until `end`; push whenever something is pending and no backoff
    runs; return when everything is acknowledged after `end`, or at `stop`."""
    next_sale = start + till.rng.uniform(0, interval) if end > start else float("inf")
    while True:
        now = time.monotonic()
        if next_sale <= now and next_sale < end:
            till.sell(next_sale, dt.datetime.now(dt.UTC))
            next_sale += interval
            continue
        if now >= stop or (not till.pending and next_sale >= end):
            return
        if till.pending and now >= till.retry_at:
            await push(till, client, stats)
            continue
        wake = next_sale if next_sale < end else stop
        if till.pending:
            wake = min(wake, till.retry_at)
        await asyncio.sleep(max(0.0, min(wake, stop) - now))


def _quantile(values: list[float], q: float) -> float | None:
    return quantile(values, q) if values else None


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _group_cpu_s(pgid: int) -> float:
    """CPU seconds used so far by the processes of a process group (the server's supervisor and its workers)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class WaitSampler:
    """What PostgreSQL's sessions are waiting on, sampled every 0.2 s from pg_stat_activity: all active client
    sessions of the cluster (the server's cannot be told apart by their schema; other users of it count too)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        engine = create_engine(PG_URL, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                while not self._stop.wait(0.2):
                    rows = conn.execute(
                        text(
                            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity "
                            "WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                        )
                    ).all()
                    conn.commit()
                    self.samples += 1
                    for (what,) in rows:
                        self.counts[what] = self.counts.get(what, 0) + 1
        finally:
            engine.dispose()

    def top(self) -> dict[str, float]:
        """Mean number of active sessions in each state, the most common first."""
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])[:8]
        return {k: round(v / max(1, self.samples), 2) for k, v in ranked}


def drive(
    url: str,
    tills: list[SimTill],
    *,
    seconds: float,
    interval: float,
    drain_s: float,
    pgid: int,
) -> dict[str, Any]:
    """Run every till (selling for `seconds`, or not at all: a storm of what is pending) and measure."""
    stats = Stats()
    offered_before = sum(t.seq for t in tills)
    pending_before = sum(len(t.pending) for t in tills)
    load = os.getloadavg()[0]
    cpu, server_cpu, machine = time.process_time(), _group_cpu_s(pgid), _machine_busy()

    lag: list[float] = []

    async def watch_loop(done: asyncio.Event) -> None:
        """How late the generator's own event loop wakes a 50 ms sleep: what it adds to every figure."""
        while not done.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.05)
            lag.append(time.monotonic() - before - 0.05)

    async def main() -> float:
        # One client (one connection) per till, as each till has its own: a shared pool of 800 connections costs
        # the loop a scan of the pool per request (httpcore), which inflated every latency under load.
        ssl = ssl_context()
        clients = [httpx.AsyncClient(base_url=url, timeout=TIMEOUT, verify=ssl, limits=ONE) for _ in tills]
        done = asyncio.Event()
        watcher = asyncio.create_task(watch_loop(done))
        try:
            start = stats.start = time.monotonic()
            for t in tills:
                for e in t.pending:  # a storm: the sales were made offline; the wait counts from the reconnect
                    e.made = start
            end = start + seconds
            await asyncio.gather(
                *(
                    run_till(t, c, stats, start=start, end=end, interval=interval, stop=end + drain_s)
                    for t, c in zip(tills, clients, strict=True)
                )
            )
            return start
        finally:
            done.set()
            await watcher
            await asyncio.gather(*(c.aclose() for c in clients))

    wall = time.monotonic()
    with WaitSampler() as waits:
        start = asyncio.run(main())
    wall = time.monotonic() - wall
    cpu = time.process_time() - cpu
    server_cpu = _group_cpu_s(pgid) - server_cpu
    busy, total = (a - b for a, b in zip(_machine_busy(), machine, strict=True))
    offered = sum(t.seq for t in tills) - offered_before + pending_before
    applied = len(stats.ack_s)
    until_acked = (stats.last_ack - start) if stats.last_ack else None
    return {
        "tills": len(tills),
        "offered_events": offered,
        "offered_per_s": round(offered / seconds, 1) if seconds else None,
        "applied_events": applied,
        "unacknowledged": sum(len(t.pending) for t in tills),
        "applied_per_s": round(applied / until_acked, 1) if until_acked else None,
        "all_acked_after_s": round(until_acked, 1) if until_acked else None,
        "pushes": stats.pushes,
        "push_p50_ms": _ms(_quantile(stats.push_s, 0.5)),
        "push_p99_ms": _ms(_quantile(stats.push_s, 0.99)),
        "ack_p50_ms": _ms(_quantile(stats.ack_s, 0.5)),
        "ack_p99_ms": _ms(_quantile(stats.ack_s, 0.99)),
        "busy_503": stats.busy,
        "timeouts": stats.timeouts,
        "errors": stats.errors,
        "refused": stats.refused,
        "first_error": stats.first_error,
        "wall_s": round(wall, 1),
        "generator_cpu_s": round(cpu, 1),
        "generator_cpu_pct_of_core": round(100 * cpu / wall, 1),
        "server_cpu_s": round(server_cpu, 1),
        "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        "load_avg": [round(load, 2), round(os.getloadavg()[0], 2)],
        "generator_loop_lag_p99_ms": _ms(_quantile(lag, 0.99)),
        "generator_loop_lag_max_ms": _ms(max(lag, default=None)),
        "timeline_10s": [stats.timeline.get(b, [0, 0, 0]) for b in range(max(stats.timeline, default=-1) + 1)],
        "pg_waits": waits.top(),
    }


def check(db: Database, tills: list[SimTill], *, all_cashiers_queue: bool) -> dict[str, Any]:
    """The fault suite's checkers on the server's tables; each a list of problems (empty: it holds)."""
    started = time.monotonic()
    with db.connect() as conn:
        found = {
            "exactly_once": exactly_once(conn, [t.local() for t in tills]),
            "money": money(conn),
            "fifo": fifo(conn, all_cashiers_queue=all_cashiers_queue),
        }
    return {
        "checks": {k: v[:5] + ([f"... {len(v) - 5} more"] if len(v) > 5 else []) for k, v in found.items()},
        "checks_ok": not any(found.values()),
        "check_s": round(time.monotonic() - started, 1),
    }


@contextlib.contextmanager
def chain(
    tmp: Path,
    *,
    stores: int,
    tills_per_store: int,
    workers: int,
    all_cashiers_queue: bool,
    seed_no: int,
    logs: Path | None = None,
) -> Iterator[tuple[ServeProcess, list[SimTill], dict[str, Any]]]:
    """A fresh PostgreSQL schema: the chain seeded, its terminals enrolled, `serve --workers N` running."""
    tmp.mkdir(parents=True, exist_ok=True)
    with database_location("postgresql", tmp) as (url, schema):
        server = ServeProcess(tmp, url, schema, workers=workers)
        try:
            now = dt.datetime.now(dt.UTC)
            started = time.monotonic()
            layout = {
                f"S{s:03d}": [f"S{s:03d}-C{c}" for c in range(1, tills_per_store + 1)] for s in range(1, stores + 1)
            }
            seed(
                server.db,
                stores=layout,
                base={"all_cashiers_queue": all_cashiers_queue, "extraction_bp": EXTRACTION_BP},
                at=now,
            )
            with server.db.connect() as conn:
                for m in range(MEMBERS):  # no phones: a phone's key is a slow hash by design, and sales name the id
                    members.add(conn, phone=None, member_id=f"m{m}", now=now)
            seeded = time.monotonic() - started
            started = time.monotonic()
            tills = []
            with server.db.connect() as conn:
                for store, cashiers in layout.items():
                    for cashier in cashiers:
                        code = terminals.create_enrolment_code(
                            conn, store_id=store, now=now, ttl=dt.timedelta(minutes=10), cashier_id=cashier
                        )
                        enrolled = terminals.enroll(
                            conn, code=code, name=cashier, public_key=public_key_text(new_private_key()), now=now
                        )
                        rng = random.Random(f"{seed_no}:{cashier}")
                        tills.append(SimTill(enrolled.terminal_id, enrolled.credential, cashier, rng))
            enrolled_s = time.monotonic() - started
            started = time.monotonic()
            server.start()
            setup = {
                "seed_s": round(seeded, 1),
                "enrol_s": round(enrolled_s, 1),
                "serve_start_s": round(time.monotonic() - started, 1),
            }
            yield server, tills, setup
        finally:
            server.close()
            if logs is not None:
                logs.mkdir(parents=True, exist_ok=True)
                shutil.copy(server.log, logs / f"server-{tmp.name}.log")


def _pgid(server: ServeProcess) -> int:
    assert server.proc is not None
    return server.proc.pid


def run(args: argparse.Namespace) -> dict[str, Any]:
    phases = args.phases.split(",")
    size = args.stores * args.tills_per_store
    rows: list[dict[str, Any]] = []
    out: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "stores": args.stores,
        "tills_per_store": args.tills_per_store,
        "workers": args.workers,
        "load_avg_before": [round(x, 2) for x in os.getloadavg()],
        "rows": rows,
    }

    def emit(row: dict[str, Any]) -> None:
        rows.append(row)
        if not args.json:
            print(line(row), flush=True)

    logs = Path(args.logs_dir) if args.logs_dir else None

    def measure(server: ServeProcess, tills: list[SimTill], seconds: float) -> dict[str, Any]:
        return drive(
            server.url,
            tills,
            seconds=seconds,
            interval=args.interval_s,
            drain_s=args.drain_s,
            pgid=_pgid(server),
        )

    with tempfile.TemporaryDirectory(prefix="paidui-chain-") as name:
        tmp = Path(name)
        per = {"tills_per_store": args.tills_per_store, "workers": args.workers, "logs": logs}
        if "steady" in phases or "storm" in phases:
            with chain(tmp / "per-cashier", stores=args.stores, all_cashiers_queue=False, seed_no=1, **per) as (
                server,
                tills,
                setup,
            ):
                out["setup_per_cashier"] = setup
                if "steady" in phases:
                    row = measure(server, tills, args.steady_s)
                    emit(
                        {"phase": "steady", "queues": size, **row, **check(server.db, tills, all_cashiers_queue=False)}
                    )
                if "storm" in phases:
                    now = dt.datetime.now(dt.UTC)
                    for t in tills:
                        for k in range(args.storm_sales):  # made offline over the last storm_sales x interval s
                            t.sell(0.0, now - dt.timedelta(seconds=args.interval_s * (args.storm_sales - k)))
                    row = measure(server, tills, 0)
                    emit({"phase": "storm", "queues": size, **row, **check(server.db, tills, all_cashiers_queue=False)})
        if "allq" in phases:
            with chain(tmp / "all-cashiers", stores=args.stores, all_cashiers_queue=True, seed_no=2, **per) as (
                server,
                tills,
                setup,
            ):
                out["setup_all_cashiers"] = setup
                # First 8 tills alone on the one queue (the others enrolled, idle), then the whole chain on it.
                for label, active in ((f"all-cashiers, {REF_TILLS}", tills[:REF_TILLS]), ("all-cashiers", tills)):
                    row = measure(server, active, args.steady_s)
                    emit({"phase": label, "queues": 1, **row, **check(server.db, tills, all_cashiers_queue=True)})
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def line(row: dict[str, Any]) -> str:
    checks = "ok" if row["checks_ok"] else json.dumps(row["checks"], ensure_ascii=False)
    return (
        f"{row['phase']:17} {row['tills']:4} tills {row['queues']:4} queues | offered {row['offered_events']} "
        f"({row['offered_per_s']}/s) | applied {row['applied_events']} ({row['applied_per_s']}/s, all acked after "
        f"{row['all_acked_after_s']} s, {row['unacknowledged']} not) | push p50/p99 {row['push_p50_ms']}/"
        f"{row['push_p99_ms']} ms | sale->ack p50/p99 {row['ack_p50_ms']}/{row['ack_p99_ms']} ms | 503 "
        f"{row['busy_503']} | time-outs {row['timeouts']} | errors {row['errors']} {row['first_error'][:80]} | "
        f"generator CPU {row['generator_cpu_s']} s ({row['generator_cpu_pct_of_core']}% of a core, loop lag p99 "
        f"{row['generator_loop_lag_p99_ms']} ms), server "
        f"{row['server_cpu_s']} s, machine {row['machine_busy_pct']}% busy | load {row['load_avg']} | checks "
        f"{checks} ({row['check_s']} s)\n    per 10 s [pushes answered, 503, acked]: {row['timeline_10s']}\n"
        f"    PostgreSQL active sessions by wait: {row['pg_waits']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--tills-per-store", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--steady-s", type=float, default=60.0)
    parser.add_argument("--interval-s", type=float, default=5.0, help="seconds between a till's sales")
    parser.add_argument("--storm-sales", type=int, default=25, help="sales each till holds when the storm starts")
    parser.add_argument("--drain-s", type=float, default=300.0, help="how long after the last sale to wait for acks")
    parser.add_argument("--phases", default="steady,storm,allq")
    parser.add_argument("--logs-dir", help="copy each server's log here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"load before {result['load_avg_before']}, after {result['load_avg_after']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
