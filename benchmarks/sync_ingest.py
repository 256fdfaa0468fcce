"""Sync ingest through the real HTTP API against the ceiling of the same database writing the same rows in plain SQL.

    python benchmarks/sync_ingest.py                                   # SQLite 1 process, PostgreSQL 1 and 4
    python benchmarks/sync_ingest.py --configs sqlite:1 --events 1000  # one configuration, smaller

For each configuration (database, server processes): a fresh database with one store, one all-cashiers queue
(100% back, 15% of each sale) and 100 members; `paidui-server serve --workers N` on a loopback port; 2×N terminals
(`--terminals-per-process`)
enrolled through the API push prebuilt `order_paid` events (80% for members) in batches of 100 from their own
threads, as the cashier app's sync worker does. Measured: events/s from the first push to the last answer, and the
latency of a batch.

Ceiling, in the same run: a second fresh database of the same kind and seed, into which N connections of the raw
driver (sqlite3 / psycopg) write the rows the server wrote, event by event, one transaction per event as the server
does, with the same durability (SQLite WAL + synchronous=FULL, PostgreSQL synchronous_commit on): the event_log row,
the terminal's applied_through, the order, its entry, for each payout the head read by index + the entry update + the
allocation + the rebate ledger row, money kept, the queue row (locked FOR UPDATE on PostgreSQL, as the server does),
the running totals (cashier_stats, daily_stats, settlement_daily). The rows are taken from the server's own database
after the HTTP run, so both write the same rows; the table counts of both are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from server.db.database import Database  # noqa: E402
from server.services import members  # noqa: E402
from tests.e2e.conftest import start_server  # noqa: E402
from tests.server.support import Till, database_location, enrolment_code, paid, seed  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
TABLES = (
    "orders",
    "entries",
    "allocations",
    "rebate_ledger",
    "unallocated",
    "event_log",
    "cashier_stats",
    "daily_stats",
    "settlement_daily",
)


def _seed(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]}, base={"all_cashiers_queue": True, "extraction_bp": 1500})
    now = dt.datetime.now(dt.UTC)
    with db.connect() as conn:
        for m in range(100):
            members.add(conn, phone=f"1380000{m:04d}", member_id=f"m{m}", now=now)


def _quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def through_http(db: Database, url: str, *, events: int, terminals: int, batch: int) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    per = events // terminals
    prepared: list[tuple[Till, list[bytes]]] = []
    clients = [httpx.Client(base_url=url, timeout=300) for _ in range(terminals)]
    for i, http in enumerate(clients):
        rng = random.Random(i)
        till = Till(http, name=f"bench {i}")
        assert till.enroll(enrolment_code(db, "S1", now=now)).status_code == 200
        evs = [
            till.event(
                paid(
                    "C1",
                    rng.randrange(100, 50_000),
                    member=f"m{rng.randrange(100)}" if rng.random() < 0.8 else None,
                    at=now,
                )
            )
            for _ in range(per)
        ]
        bodies = [json.dumps({"protocol": 1, "events": evs[k : k + batch]}).encode() for k in range(0, len(evs), batch)]
        prepared.append((till, bodies))
    latencies: list[float] = []
    resent = [0]
    barrier = threading.Barrier(terminals + 1)
    errors: list[str] = []

    def drive(till: Till, bodies: list[bytes]) -> None:
        headers = {**till.auth, "Content-Type": "application/json"}
        barrier.wait()
        for body in bodies:
            while True:
                t0 = time.perf_counter()
                r = till.http.post("/api/v1/sync/push", content=body, headers=headers)
                latencies.append(time.perf_counter() - t0)
                if r.status_code == 503 and r.json().get("code") == "busy":  # as a till does: wait, send again
                    resent[0] += 1
                    time.sleep(float(r.headers.get("Retry-After", "1")))
                    continue
                if r.status_code != 200:
                    errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
                    return
                statuses = {x["status"] for x in r.json()["results"]}
                if statuses <= {"accepted", "duplicate"}:
                    break
                resent[0] += 1  # not_applied (a concurrent push of this terminal): send the batch again
                if resent[0] > 1000:
                    errors.append(f"keeps answering {statuses}")
                    return

    threads = [threading.Thread(target=drive, args=p) for p in prepared]
    for th in threads:
        th.start()
    barrier.wait()
    started = time.perf_counter()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started
    for http in clients:
        http.close()
    if errors:
        raise RuntimeError(errors[0])
    total = per * terminals
    return {
        "events": total,
        "seconds": round(elapsed, 2),
        "events_per_s": round(total / elapsed, 1),
        "batch_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "batch_p99_ms": round(_quantile(latencies, 0.99) * 1000, 1),
        "batches_resent": resent[0],
    }


# ------------------------------------------------------------------------------------------------ the ceiling


def _rows(raw: Any, sql: str) -> list[tuple[Any, ...]]:
    cur = raw.cursor()
    cur.execute(sql)
    rows = [tuple(r) for r in cur.fetchall()]
    cur.close()
    return rows


def _columns(raw: Any, table: str) -> list[str]:
    cur = raw.cursor()
    cur.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    names = [d[0] for d in cur.description]
    cur.close()
    return names


def capture(db: Database) -> tuple[list[dict[str, Any]], dict[str, list[str]], list[tuple[Any, ...]]]:
    """The rows the server wrote, grouped per event in the order the server applied them."""
    raw = db.engine.raw_connection()
    try:
        cols = {
            t: _columns(raw, t)
            for t in ("orders", "entries", "allocations", "rebate_ledger", "unallocated", "event_log")
        }
        col = {t: {c: i for i, c in enumerate(cs)} for t, cs in cols.items()}
        orders = _rows(raw, "SELECT * FROM orders ORDER BY received_at")
        entries = {r[col["entries"]["order_id"]]: r for r in _rows(raw, "SELECT * FROM entries")}
        allocations: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for r in _rows(raw, "SELECT * FROM allocations ORDER BY id"):
            allocations[r[col["allocations"]["from_order"]]].append(r)
        ledger: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for r in _rows(raw, "SELECT * FROM rebate_ledger ORDER BY id"):
            ledger[r[col["rebate_ledger"]["ref"]]].append(r)
        kept: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for r in _rows(raw, "SELECT * FROM unallocated ORDER BY id"):
            kept[r[col["unallocated"]["order_id"]]].append(r)
        logged = {}
        for r in _rows(raw, "SELECT * FROM event_log"):
            answer = json.loads(r[col["event_log"]["response_json"]])
            if answer.get("order_id"):
                logged[answer["order_id"]] = r
        terminals = _rows(raw, "SELECT * FROM terminals")
    finally:
        raw.close()
    events = []
    for o in orders:
        order_id = o[col["orders"]["order_id"]]
        events.append(
            {
                "order": o,
                "entry": entries.get(order_id),
                "allocations": allocations[order_id],
                "ledger": ledger[order_id],
                "kept": kept[order_id],
                "log": logged[order_id],
            }
        )
    return events, cols, terminals


def _insert(table: str, cols: list[str], ph: str) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))})"


def plain_sql(
    db: Database,
    events: list[dict[str, Any]],
    cols: dict[str, list[str]],
    terminals: list[tuple[Any, ...]],
    *,
    connections: int,
) -> dict[str, Any]:
    sqlite = db.is_sqlite
    ph = "?" if sqlite else "%s"
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        tcols = _columns(raw, "terminals")
        cur.executemany(_insert("terminals", tcols, ph), terminals)
        if not sqlite:
            raw.commit()
        cur.close()
    finally:
        raw.close()
    ci = {t: {c: i for i, c in enumerate(cs)} for t, cs in cols.items()}
    o_, e_, a_, u_ = ci["orders"], ci["entries"], ci["allocations"], ci["unallocated"]
    entry_cols = list(cols["entries"])
    sql = {
        "log": _insert("event_log", cols["event_log"], ph),
        "through": f"UPDATE terminals SET applied_through = applied_through + 1, last_seen_at = {ph} "
        f"WHERE terminal_id = {ph}",
        "lock": "SELECT head_seq, carry_fen FROM queues WHERE key = 'cashier:ALL'" + ("" if sqlite else " FOR UPDATE"),
        "order": _insert("orders", cols["orders"], ph),
        "entry": _insert("entries", entry_cols, ph),
        "head": f"SELECT seq, entitlement_fen, paid_fen FROM entries WHERE cashier_id = {ph} AND status = 'waiting' "
        f"AND seq >= {ph} ORDER BY seq LIMIT 1",
        "pay": f"UPDATE entries SET paid_fen = paid_fen + {ph}, status = CASE WHEN paid_fen + {ph} = entitlement_fen "
        f"THEN 'completed' ELSE status END WHERE seq = {ph}",
        "alloc": _insert("allocations", [c for c in cols["allocations"] if c != "id"], ph),
        "ledger": _insert("rebate_ledger", [c for c in cols["rebate_ledger"] if c != "id"], ph),
        "kept": _insert("unallocated", [c for c in cols["unallocated"] if c != "id"], ph),
        "queue": f"UPDATE queues SET head_seq = {ph}, version = version + 1 WHERE key = 'cashier:ALL'",
        "cashier": f"INSERT INTO cashier_stats (cashier_id, store_id, waiting_count, outstanding_fen, eligible_count, "
        f"version) VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, 1) ON CONFLICT (cashier_id) DO UPDATE SET "
        "waiting_count = cashier_stats.waiting_count + excluded.waiting_count, outstanding_fen = "
        "cashier_stats.outstanding_fen + excluded.outstanding_fen, eligible_count = "
        "cashier_stats.eligible_count + excluded.eligible_count, version = cashier_stats.version + 1",
        "daily": f"INSERT INTO daily_stats (store_id, day, orders_count, sales_fen, contributions_fen, payouts_fen, "
        f"kept_fen, entries_created, entries_completed, entitlement_created_fen) VALUES "
        f"({', '.join([ph] * 10)}) ON CONFLICT (store_id, day) DO UPDATE SET orders_count = "
        "daily_stats.orders_count + excluded.orders_count, sales_fen = daily_stats.sales_fen + "
        "excluded.sales_fen, contributions_fen = daily_stats.contributions_fen + excluded.contributions_fen, "
        "payouts_fen = daily_stats.payouts_fen + excluded.payouts_fen, kept_fen = daily_stats.kept_fen + "
        "excluded.kept_fen, entries_created = daily_stats.entries_created + excluded.entries_created, "
        "entries_completed = daily_stats.entries_completed + excluded.entries_completed, "
        "entitlement_created_fen = daily_stats.entitlement_created_fen + excluded.entitlement_created_fen",
        "settle": f"INSERT INTO settlement_daily (day, from_store_id, to_store_id, amount_fen) VALUES ({ph}, {ph}, "
        f"{ph}, {ph}) ON CONFLICT (day, from_store_id, to_store_id) DO UPDATE SET amount_fen = "
        "settlement_daily.amount_fen + excluded.amount_fen",
    }
    entitlement = {ev["entry"][e_["seq"]]: ev["entry"][e_["entitlement_fen"]] for ev in events if ev["entry"]}

    def day_of(at: Any) -> dt.date:
        when = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
        return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(SHANGHAI).date()

    def apply(cur: Any, ev: dict[str, Any], paid_so_far: dict[int, int]) -> None:
        o, entry = ev["order"], ev["entry"]
        cur.execute("BEGIN IMMEDIATE" if sqlite else "SELECT 1")
        cur.execute(sql["lock"])
        head = cur.fetchone()[0]
        cur.execute(sql["log"], ev["log"])
        cur.execute(sql["through"], (o[o_["received_at"]], o[o_["terminal_id"]]))
        cur.execute(sql["order"], o)
        waiting, outstanding, completed = 0, 0, 0
        if entry is not None:
            fresh = list(entry)
            fresh[e_["paid_fen"]], fresh[e_["status"]] = 0, "waiting"
            if "closed_at" in e_:
                fresh[e_["closed_at"]] = None
            cur.execute(sql["entry"], fresh)
            waiting, outstanding = 1, entry[e_["entitlement_fen"]]
        for a in ev["allocations"]:
            cur.execute(sql["head"], ("C1", head))
            cur.fetchone()
            seq, amount = a[a_["entry_seq"]], a[a_["amount_fen"]]
            cur.execute(sql["pay"], (amount, amount, seq))
            cur.execute(sql["alloc"], a[1:])  # every column but the id (the first)
            paid_so_far[seq] = paid_so_far.get(seq, 0) + amount
            outstanding -= amount
            if paid_so_far[seq] == entitlement.get(seq):
                waiting -= 1
                completed += 1
                head = seq + 1
        for r in ev["ledger"]:
            cur.execute(sql["ledger"], r[1:])
        for r in ev["kept"]:
            cur.execute(sql["kept"], r[1:])
        cur.execute(sql["queue"], (head,))
        cur.execute(sql["cashier"], ("C1", "S1", waiting, outstanding, waiting))
        payouts = sum(a[a_["amount_fen"]] for a in ev["allocations"])
        cur.execute(
            sql["daily"],
            (
                "S1",
                day_of(o[o_["received_at"]]),
                1,
                o[o_["paid_fen"]],
                o[o_["contribution_fen"]],
                payouts,
                sum(r[u_["amount_fen"]] for r in ev["kept"]),
                1 if entry is not None else 0,
                completed,
                outstanding if entry is not None else 0,
            ),
        )
        if payouts:
            cur.execute(sql["settle"], (day_of(o[o_["received_at"]]), "S1", "S1", payouts))
        if sqlite:
            cur.execute("COMMIT")
        else:
            cur.connection.commit()

    shares = [events[i::connections] for i in range(connections)]
    paid_so_far: dict[int, int] = {}
    guard = threading.Lock()
    costs: list[float] = []
    barrier = threading.Barrier(connections + 1)

    def run(share: list[dict[str, Any]]) -> None:
        conn = db.engine.raw_connection()
        try:
            cur = conn.cursor()
            barrier.wait()
            for ev in share:
                t0 = time.perf_counter()
                with guard if sqlite else contextlib.nullcontext():
                    apply(cur, ev, paid_so_far)
                costs.append(time.perf_counter() - t0)
            cur.close()
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(s,)) for s in shares]
    for th in threads:
        th.start()
    barrier.wait()
    started = time.perf_counter()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started
    return {
        "events": len(events),
        "seconds": round(elapsed, 2),
        "events_per_s": round(len(events) / elapsed, 1),
        "event_p50_ms": round(statistics.median(costs) * 1000, 2),
        "event_p99_ms": round(_quantile(costs, 0.99) * 1000, 2),
    }


def counts(db: Database) -> dict[str, int]:
    raw = db.engine.raw_connection()
    try:
        return {t: int(_rows(raw, f"SELECT count(*) FROM {t}")[0][0]) for t in TABLES}
    finally:
        raw.close()


def laws(db: Database, *, events: int, all_cashiers_queue: bool = True) -> list[str]:
    """After a run, by SQL: every event logged and every sale recorded exactly once, money conserved (INV-4..9 and
    the running totals), each queue paid first in, first out (tests/faults/checks.py, the fault suite's checks)."""
    from tests.faults.checks import fifo, money

    with db.connect() as conn:
        problems = money(conn) + fifo(conn, all_cashiers_queue=all_cashiers_queue)
        logged = conn.execute(text("SELECT count(*), count(DISTINCT event_id) FROM event_log")).one()
        orders = conn.execute(text("SELECT count(*), count(DISTINCT order_id) FROM orders")).one()
    if tuple(logged) != (events, events) or tuple(orders) != (events, events):
        problems.append(f"exactly once: {events} events sent, event_log {tuple(logged)}, orders {tuple(orders)}")
    return problems


def run(backend: str, workers: int, events: int, batch: int, per_process: int = 2) -> dict[str, Any]:
    serving = contextlib.contextmanager(start_server)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="paidui-ingest-") as name:
        tmp = Path(name)
        (tmp / "server").mkdir()
        (tmp / "ceiling").mkdir()
        with (
            database_location(backend, tmp / "server") as (url, schema),
            serving(tmp / "server", url, schema, workers=workers) as served,
        ):
            _seed(served.db)
            http = through_http(served.db, served.url, events=events, terminals=per_process * workers, batch=batch)
            captured, cols, terminals = capture(served.db)
            server_counts = counts(served.db)
            problems = laws(served.db, events=events)
        assert not problems, problems[:5]
        with database_location(backend, tmp / "ceiling") as (url, schema):
            db = Database(url, schema=schema, pool_size=workers)
            try:
                db.migrate()
                _seed(db)
                ceiling = plain_sql(db, captured, cols, terminals, connections=workers)
                ceiling_counts = counts(db)
            finally:
                db.dispose()
    return {
        "backend": backend,
        "processes": workers,
        "terminals": per_process * workers,
        "batch": batch,
        "http": http,
        "plain_sql": ceiling,
        "fraction_of_ceiling": round(http["events_per_s"] / ceiling["events_per_s"], 3),
        "rows_server": server_counts,
        "rows_plain_sql": ceiling_counts,
        "laws": "exactly once, money, FIFO: held",
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="sqlite:1,postgresql:1,postgresql:4")
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--terminals-per-process", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for config in args.configs.split(","):
        backend, workers = config.split(":")
        row = run(backend, int(workers), args.events, args.batch, args.terminals_per_process)
        rows.append(row)
        if not args.json:
            h, c = row["http"], row["plain_sql"]
            print(
                f"{backend:10} {workers} process(es), {row['terminals']} terminals: HTTP {h['events_per_s']} "
                f"events/s (batch of {args.batch} p50 {h['batch_p50_ms']} ms, p99 {h['batch_p99_ms']} ms)  |  "
                f"plain SQL, {workers} connection(s): {c['events_per_s']} events/s (p99 {c['event_p99_ms']} ms)  "
                f"|  fraction {row['fraction_of_ceiling']}  |  load {row['load_avg']}",
                flush=True,
            )
            same = {t: (row["rows_server"][t], row["rows_plain_sql"][t]) for t in TABLES}
            print(f"  rows (server, plain SQL): {same}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
