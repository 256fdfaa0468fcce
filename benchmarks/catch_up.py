"""Catch-up: a store offline for a day with 10,000 sales, and the time until all are applied after it reconnects.

    python benchmarks/catch_up.py                                  # 10,000 sales; SQLite and PostgreSQL servers
    python benchmarks/catch_up.py --sales 2000 --backends sqlite

A till of the cashier app (its core: local SQLite database with WAL + synchronous=FULL, the checkout service, the
outbox) is enrolled with a real `paidui-server serve`; the server is then stopped and the till records `--sales`
checkouts through `record_checkout` (80% for members), stamped over the past 24 hours. The server is started again
and the app's own sync engine (`SyncEngine.push_all`, batches of 500) pushes the outbox over HTTP; the time is
measured from the first push to the last answer stored in the outbox.

Baseline, in the same run: the rows the server wrote for those sales (orders, entries, allocations, rebate ledger,
money kept, event_log), bulk-inserted with the raw driver into a fresh database of the same kind, one
`executemany` per table in one transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from sync_ingest import _columns, _insert, capture, counts, laws  # noqa: E402

from cashier_app.core.outbox import pending_count  # noqa: E402
from cashier_app.core.sync import SyncEngine, SyncOutcome  # noqa: E402
from cashier_app.core.sync_client import SyncClient  # noqa: E402
from server.db.database import Database  # noqa: E402
from tests.faults.server import ServeProcess  # noqa: E402
from tests.faults.tills import enrol_till, seed_chain  # noqa: E402
from tests.server.support import database_location  # noqa: E402


class DayClock:
    """The till's clock walking through the past day, one step per sale."""

    def __init__(self, start: dt.datetime, step: dt.timedelta) -> None:
        self.now, self.step = start, step

    def __call__(self) -> dt.datetime:
        self.now += self.step
        return self.now


def bulk_baseline(
    db: Database, captured: list[dict[str, Any]], cols: dict[str, list[str]], terminals: list[tuple[Any, ...]]
) -> float:
    """Seconds to insert the captured rows with one executemany per table, one transaction."""
    sqlite = db.is_sqlite
    ph = "?" if sqlite else "%s"
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.executemany(_insert("terminals", _columns(raw, "terminals"), ph), terminals)
        if not sqlite:
            raw.commit()
        tables = {
            "orders": [ev["order"] for ev in captured],
            "entries": [ev["entry"] for ev in captured if ev["entry"] is not None],
            "allocations": [r[1:] for ev in captured for r in ev["allocations"]],
            "rebate_ledger": [r[1:] for ev in captured for r in ev["ledger"]],
            "unallocated": [r[1:] for ev in captured for r in ev["kept"]],
            "event_log": [ev["log"] for ev in captured],
        }
        started = time.perf_counter()
        if sqlite:
            cur.execute("BEGIN")
        for table, rows in tables.items():
            names = cols[table] if table in ("orders", "entries", "event_log") else cols[table][1:]
            if rows:
                cur.executemany(_insert(table, names, ph), rows)
        if sqlite:
            cur.execute("COMMIT")
        else:
            raw.commit()
        elapsed = time.perf_counter() - started
        cur.close()
    finally:
        raw.close()
    return elapsed


def run(backend: str, sales: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="paidui-catchup-") as name:
        tmp = Path(name)
        (tmp / "server").mkdir()
        (tmp / "baseline").mkdir()
        with database_location(backend, tmp / "server") as (url, schema):
            server = ServeProcess(tmp / "server", url, schema)
            try:
                now = dt.datetime.now(dt.UTC)
                seed_chain(server.db, now=now)
                server.start()
                till = enrol_till(
                    data=tmp / "till", server_url=server.url, db=server.db, store="S1", cashier="C1", now=now
                )
                server.stop()  # the store goes offline for a day
                clock = DayClock(now - dt.timedelta(days=1), dt.timedelta(days=1) / (sales + 1))
                rng = random.Random(1)
                started = time.perf_counter()
                for _ in range(sales):
                    till.sell(rng, clock=clock)
                selling = time.perf_counter() - started
                server.start()
                with httpx.Client(base_url=server.url, timeout=300) as http:
                    engine = SyncEngine(
                        engine=till.engine,
                        client=SyncClient(http, credential=till.secrets.credential),
                        clock=lambda: dt.datetime.now(dt.UTC),
                    )
                    outcome = SyncOutcome()
                    started = time.perf_counter()
                    engine.push_all(outcome)
                    catching_up = time.perf_counter() - started
                with till.engine.connect() as conn:
                    left = pending_count(conn)
                till.close()
                captured, cols, terminals = capture(server.db)
                server_counts = counts(server.db)
                problems = laws(server.db, events=sales)
            finally:
                server.close()
        with database_location(backend, tmp / "baseline") as (url, schema):
            db = Database(url, schema=schema)
            try:
                db.migrate()
                seed_chain(db, now=dt.datetime.now(dt.UTC))
                bulk = bulk_baseline(db, captured, cols, terminals)
            finally:
                db.dispose()
    assert left == 0 and outcome.answered == sales, (left, outcome.answered)
    assert not problems, problems[:5]
    rows = sum(
        server_counts[t] for t in ("orders", "entries", "allocations", "rebate_ledger", "unallocated", "event_log")
    )
    return {
        "backend": backend,
        "sales": sales,
        "till_checkouts_s": round(selling, 1),
        "catch_up_s": round(catching_up, 2),
        "applied_per_s": round(sales / catching_up, 1),
        "bulk_insert_s": round(bulk, 3),
        "rows": rows,
        "ratio": round(catching_up / bulk, 1),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        row = run(backend, args.sales)
        rows.append(row)
        if not args.json:
            print(
                f"{backend:10} {row['sales']} sales made offline (till: {row['till_checkouts_s']} s); catch-up "
                f"{row['catch_up_s']} s = {row['applied_per_s']} sales/s  |  bulk insert of the same "
                f"{row['rows']} rows {row['bulk_insert_s']} s  |  {row['ratio']}x  |  load {row['load_avg']}",
                flush=True,
            )
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
