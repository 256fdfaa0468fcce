"""Ingest throughput with 10^3, 10^5 and 10^6 waiting entries in one queue, against a plain-SQL ceiling.

    python benchmarks/allocation.py                       # SQLite and PostgreSQL, 1e3 / 1e5 / 1e6
    python benchmarks/allocation.py --sizes 1000,100000 --backends sqlite --events 2000

Each measured event is a member's completed checkout through `Ingest.apply(PayOrder(...))`: one transaction that
locks the queue, creates the order and its entry at the tail, settles the contribution into the head entry
(allocation + rebate ledger) and keeps the running totals. The ceiling is the same database writing the same rows
per event with plain SQL on the raw driver (select head by index, update it, insert order, entry, allocation,
ledger; one commit), in the same run, on the same data. Durability as shipped: SQLite WAL + synchronous=FULL,
PostgreSQL synchronous_commit on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from server.db.database import Database
from server.replay import throwaway_database
from server.services import admin
from server.services.ingest import Ingest
from shared.engine.commands import PayOrder
from shared.settings import BaseSettings, StoreSettings

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = dt.datetime(2024, 7, 1, 2, 0, tzinfo=dt.UTC)


@contextmanager
def fresh_db(backend: str, pg_url: str) -> Iterator[Database]:
    """A migrated database of its own: a temporary SQLite file, or a temporary PostgreSQL schema."""
    with throwaway_database(None if backend == "sqlite" else pg_url, prefix="paidui_bench") as db:
        yield db


def seed(db: Database, waiting: int) -> None:
    """One store, one cashier, 100% / 10%, and `waiting` entries of 100.00 (each paid 0) in the queue."""
    with db.connect() as conn:
        admin.set_base_settings(conn, BaseSettings(enabled=True), actor="bench", at=T0)
        admin.add_store(conn, store_id="S1", name="S1", settings=StoreSettings(enabled=True), at=T0)
        admin.add_cashier(conn, cashier_id="K1", store_id="S1", name="K1")
    order_cols = (
        "order_id, store_id, cashier_id, terminal_id, member_id, total_fen, discount_fen, deduction_points_fen, "
        "deduction_love_fen, paid_fen, paid_at, received_at, status, completed_at, refunded_fen, participating, "
        "extraction_bp, level_id, contribution, contribution_fen, settled, has_entry, imported, clock_skew"
    )
    entry_cols = (
        "seq, order_id, member_id, store_id, cashier_id, base_fen, ratio_bp, ratio_source, entitlement_fen, "
        "paid_fen, status, local_date, created_at, order_completed, lottery_state, label, clawed_back, imported"
    )
    sqlite = db.is_sqlite
    ts: Any = T0.replace(tzinfo=None) if sqlite else T0
    day = T0.date()

    def orders() -> Iterator[tuple[Any, ...]]:
        for i in range(1, waiting + 1):
            yield (
                f"H{i}",
                "S1",
                "K1",
                None,
                f"m{i % 5000}",
                10000,
                0,
                0,
                0,
                10000,
                ts,
                ts,
                "completed",
                ts,
                0,
                True,
                1000,
                None,
                "allocated",
                0,
                True,
                True,
                None,
                False,
            )

    def entries() -> Iterator[tuple[Any, ...]]:
        for i in range(1, waiting + 1):
            yield (
                i,
                f"H{i}",
                f"m{i % 5000}",
                "S1",
                "K1",
                10000,
                10000,
                "base.default",
                10000,
                0,
                "waiting",
                day,
                ts,
                True,
                "none",
                "cash",
                False,
                False,
            )

    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if sqlite:
            cur.execute("BEGIN")
            cur.executemany(f"INSERT INTO orders ({order_cols}) VALUES ({','.join('?' * 24)})", orders())
            cur.executemany(f"INSERT INTO entries ({entry_cols}) VALUES ({','.join('?' * 18)})", entries())
            cur.execute("INSERT INTO counters (name, value) VALUES ('entry_seq', ?)", (waiting,))
            cur.execute(
                "INSERT INTO cashier_stats (cashier_id, store_id, waiting_count, outstanding_fen, version) "
                "VALUES ('K1', 'S1', ?, ?, 0)",
                (waiting, waiting * 10000),
            )
            cur.execute("COMMIT")
            cur.execute("ANALYZE orders")
            cur.execute("ANALYZE entries")
        else:
            with cur.copy(f"COPY orders ({order_cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in orders():
                    copy.write_row(row)
            with cur.copy(f"COPY entries ({entry_cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in entries():
                    copy.write_row(row)
            cur.execute("SELECT setval('entry_seq', %s)", (waiting,))
            cur.execute(
                "INSERT INTO cashier_stats (cashier_id, store_id, waiting_count, outstanding_fen, version) "
                "VALUES ('K1', 'S1', %s, %s, 0)",
                (waiting, waiting * 10000),
            )
            raw.commit()
            # Committed: statistics written by ANALYZE in a transaction that is rolled back are lost (only the row
            # count in pg_class survives), and the planner then takes the head query for a few rows.
            cur.execute("ANALYZE orders")
            cur.execute("ANALYZE entries")
            raw.commit()
        cur.close()
    finally:
        raw.close()


def measure_engine(db: Database, events: int, prefix: str) -> list[float]:
    ingest = Ingest(db)
    costs = []
    for i in range(events):
        at = T0 + dt.timedelta(seconds=i)
        command = PayOrder(
            order_id=f"{prefix}{i}",
            store_id="S1",
            cashier_id="K1",
            member_id=f"n{i % 997}",
            paid_fen=10000,
            paid_at=at,
            received_at=at,
            completed=True,
        )
        start = time.perf_counter()
        ingest.apply(command)
        costs.append(time.perf_counter() - start)
    return costs


def measure_plain_sql(db: Database, events: int, prefix: str) -> list[float]:
    """The same rows per event, written with plain SQL on the raw driver: the ceiling."""
    sqlite = db.is_sqlite
    ph = "?" if sqlite else "%s"
    raw = db.engine.raw_connection()
    costs = []
    try:
        cur = raw.cursor()
        cur.execute("SELECT max(seq) FROM entries")
        seq = int(cur.fetchone()[0])
        # a fair ceiling keeps the head pointer too (measured-facts: without it PostgreSQL walks the history)
        cur.execute("SELECT min(seq) FROM entries WHERE status = 'waiting' AND entitlement_fen > paid_fen")
        head = int(cur.fetchone()[0] or 0)
        for i in range(events):
            at = T0 + dt.timedelta(seconds=i)
            ts: Any = at.replace(tzinfo=None) if sqlite else at
            order_id = f"{prefix}{i}"
            seq += 1
            start = time.perf_counter()
            if sqlite:
                cur.execute("BEGIN IMMEDIATE")
            cur.execute(
                f"INSERT INTO orders (order_id, store_id, cashier_id, member_id, total_fen, discount_fen, "
                f"deduction_points_fen, deduction_love_fen, paid_fen, paid_at, received_at, status, refunded_fen, "
                f"participating, extraction_bp, contribution, contribution_fen, settled, has_entry, clock_skew) "
                f"VALUES ({ph},'S1','K1',{ph},10000,0,0,0,10000,{ph},{ph},'completed',0,true,1000,'allocated',1000,"
                f"true,true,false)",
                (order_id, f"n{i % 997}", ts, ts),
            )
            cur.execute(
                f"INSERT INTO entries (seq, order_id, member_id, store_id, cashier_id, base_fen, ratio_bp, "
                f"ratio_source, entitlement_fen, paid_fen, status, local_date, created_at, order_completed, "
                f"lottery_state, label, clawed_back, imported) VALUES ({ph},{ph},{ph},'S1','K1',10000,10000,"
                f"'base.default',10000,0,'waiting',{ph},{ph},true,'none','cash',false,false)",
                (seq, order_id, f"n{i % 997}", at.date(), ts),
            )
            cur.execute(
                f"SELECT seq, order_id, member_id, entitlement_fen, paid_fen FROM entries WHERE cashier_id='K1' "
                f"AND status='waiting' AND entitlement_fen > paid_fen AND seq >= {ph} ORDER BY seq LIMIT 1",
                (head,),
            )
            head_seq, head_order, head_member, ent, paid = cur.fetchone()
            head = head_seq
            take = min(1000, ent - paid)
            status = "completed" if paid + take == ent else "waiting"
            cur.execute(
                f"UPDATE entries SET paid_fen={ph}, status={ph} WHERE seq={ph}", (paid + take, status, head_seq)
            )
            cur.execute(
                f"INSERT INTO allocations (from_order, from_store_id, entry_seq, to_order, to_store_id, member_id, "
                f"amount_fen, at) VALUES ({ph},'S1',{ph},{ph},'S1',{ph},{ph},{ph})",
                (order_id, head_seq, head_order, head_member, take, ts),
            )
            cur.execute(
                f"INSERT INTO rebate_ledger (member_id, amount_fen, kind, ref, at) VALUES ({ph},{ph},'rebate',{ph},"
                f"{ph})",
                (head_member, take, order_id, ts),
            )
            if sqlite:
                cur.execute("COMMIT")
            else:
                raw.commit()
            costs.append(time.perf_counter() - start)
        cur.close()
    finally:
        raw.close()
    return costs


def summary(costs: list[float]) -> dict[str, float]:
    costs = sorted(costs)
    mean = statistics.fmean(costs)
    return {
        "events_per_s": round(1 / mean, 1),
        "mean_us": round(mean * 1e6, 1),
        "p50_us": round(costs[len(costs) // 2] * 1e6, 1),
        "p99_us": round(costs[int(len(costs) * 0.99)] * 1e6, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        for size in [int(s) for s in args.sizes.split(",")]:
            with fresh_db(backend, args.pg_url) as db:
                t = time.perf_counter()
                seed(db, size)
                seeded = time.perf_counter() - t
                measure_engine(db, args.warmup, "W")
                engine = summary(measure_engine(db, args.events, "E"))
                measure_plain_sql(db, args.warmup, "V")
                ceiling = summary(measure_plain_sql(db, args.events, "C"))
            row = {
                "backend": backend,
                "waiting": size,
                "seed_s": round(seeded, 1),
                "engine": engine,
                "plain_sql": ceiling,
                "fraction_of_ceiling": round(engine["events_per_s"] / ceiling["events_per_s"], 3),
            }
            rows.append(row)
            if not args.json:
                print(
                    f"{backend:10} waiting={size:>8}  ours {engine['events_per_s']:>7}/s "
                    f"(mean {engine['mean_us']} µs, p99 {engine['p99_us']} µs)  plain SQL "
                    f"{ceiling['events_per_s']:>7}/s (p99 {ceiling['p99_us']} µs)  "
                    f"fraction {row['fraction_of_ceiling']}",
                    flush=True,
                )
    for backend in args.backends.split(","):
        mine = [r for r in rows if r["backend"] == backend]
        if len(mine) >= 2:
            ratio = mine[-1]["engine"]["mean_us"] / mine[0]["engine"]["mean_us"]
            line = f"{backend}: per-event cost at {mine[-1]['waiting']} / at {mine[0]['waiting']} = {ratio:.2f}"
            if args.json:
                rows.append({"backend": backend, "cost_ratio_largest_to_smallest": round(ratio, 3)})
            else:
                print(line)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
