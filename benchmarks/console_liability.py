"""The console's liability page with 10^6 entries in the database, over real HTTP, on SQLite and PostgreSQL.

    python benchmarks/console_liability.py                          # 1e6 entries, SQLite and PostgreSQL
    python benchmarks/console_liability.py --entries 20000 --check  # small, and the seed checked against the ledgers

Seed (raw executemany on SQLite, COPY on PostgreSQL): 10 stores of one cashier each sharing one queue, 100% / 10%,
one completed 100.00 sale per entry spread over 60 days; every sale's 10.00 pays the head, so entry k is paid by
sales 10k..10k+9 and the first tenth of the entries are completed. Orders, entries and allocations are written
with cashier_stats, daily_stats, cashier_daily, the queue's head and the entry counter computed from the same
arithmetic (the state the engine would have left; `--check` verifies it with tests/server/totals.py). Then
`paidui-server serve` runs in its own process on a loopback port; a headquarters admin signs in through the console's
form and the benchmark times GET /console/liability (and, as the baseline of the same run on the same server, GET
/api/v1/health, and for information the settlement matrix over the whole 60 days).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.bootstrap import initialise  # noqa: E402
from server.config import load_settings  # noqa: E402
from server.db.database import Database  # noqa: E402
from server.health_wait import wait_healthy  # noqa: E402
from server.services import admin  # noqa: E402
from shared.settings import BaseSettings, StoreSettings  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
STORES = 10
DAYS = 60
PRICE, SHARE = 10_000, 1_000  # 100.00 a sale, 10% of it to the queue
PASSWORD = "bench-password-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def location(backend: str, pg_url: str, tmp: Path) -> Iterator[tuple[str, str | None]]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}", None
        return
    schema = f"paidui_console_bench_{secrets.token_hex(4)}"
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_url, schema
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def seed(db: Database, n: int) -> None:
    """`n` entries (and their orders and allocations) with the running totals the engine would have kept."""
    start = T0 - dt.timedelta(days=DAYS)
    step = DAYS * 86_400 / n  # seconds between sales (a float for time only: never money)
    with db.connect() as conn:
        admin.set_base_settings(
            conn,
            BaseSettings(enabled=True, all_cashiers_queue=True, settlement_event="on_pay"),
            actor="bench",
            at=start,
        )
        for s in range(STORES):
            admin.add_store(conn, store_id=f"S{s}", name=f"门店{s}", settings=StoreSettings(enabled=True), at=start)
            admin.add_cashier(conn, cashier_id=f"K{s}", store_id=f"S{s}", name=f"K{s}")
    sqlite = db.is_sqlite
    times = [start + dt.timedelta(seconds=int(i * step)) for i in range(n)]
    stamp: list[Any] = [t.replace(tzinfo=None) for t in times] if sqlite else times
    days = [t.astimezone(SHANGHAI).date() for t in times]
    daily: dict[tuple[str, dt.date], list[int]] = defaultdict(lambda: [0] * 8)
    waiting = [0] * STORES
    outstanding = [0] * STORES
    for i in range(n):
        store, day = i % STORES, days[i]
        row = daily[(f"S{store}", day)]
        row[0] += 1  # orders_count
        row[1] += PRICE  # sales
        row[2] += SHARE  # contributions
        row[5] += 1  # entries_created
        row[7] += PRICE  # entitlement_created
        daily[(f"S{(i // 10) % STORES}", day)][3] += SHARE  # payouts, to the head entry's store
        if i % 10 == 9:  # this sale completes entry i // 10
            daily[(f"S{(i // 10) % STORES}", day)][6] += 1
    for k in range(n):
        paid = min(PRICE, max(0, n - 10 * k) * SHARE)
        if paid < PRICE:
            waiting[k % STORES] += 1
            outstanding[k % STORES] += PRICE - paid

    def entry_paid(k: int) -> int:
        return min(PRICE, max(0, n - 10 * k) * SHARE)

    order_cols = (
        "order_id, store_id, cashier_id, terminal_id, member_id, total_fen, discount_fen, deduction_points_fen, "
        "deduction_love_fen, paid_fen, paid_at, received_at, status, completed_at, refunded_fen, participating, "
        "extraction_bp, level_id, contribution, contribution_fen, settled, has_entry, imported, clock_skew"
    )
    entry_cols = (
        "seq, order_id, member_id, store_id, cashier_id, base_fen, ratio_bp, ratio_source, entitlement_fen, "
        "paid_fen, status, local_date, created_at, order_completed, lottery_state, label, clawed_back, imported, "
        "closed_at"
    )
    alloc_cols = "from_order, from_store_id, entry_seq, to_order, to_store_id, member_id, amount_fen, at"

    def orders() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            yield (
                f"H{i}",
                f"S{i % STORES}",
                f"K{i % STORES}",
                None,
                f"m{i % 50_000}",
                PRICE,
                0,
                0,
                0,
                PRICE,
                stamp[i],
                stamp[i],
                "completed",
                stamp[i],
                0,
                True,
                1000,
                None,
                "allocated",
                SHARE,
                True,
                True,
                None,
                False,
            )

    def entries() -> Iterator[tuple[Any, ...]]:
        for k in range(n):
            paid = entry_paid(k)
            done = paid == PRICE
            yield (
                k + 1,
                f"H{k}",
                f"m{k % 50_000}",
                f"S{k % STORES}",
                f"K{k % STORES}",
                PRICE,
                10_000,
                "base.default",
                PRICE,
                paid,
                "completed" if done else "waiting",
                days[k],
                stamp[k],
                True,
                "none",
                "cash",
                False,
                False,
                stamp[10 * k + 9] if done else None,
            )

    def allocations() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            k = i // 10
            yield (f"H{i}", f"S{i % STORES}", k + 1, f"H{k}", f"S{k % STORES}", f"m{k % 50_000}", SHARE, stamp[i])

    stats = [(f"K{s}", f"S{s}", waiting[s], outstanding[s], 1, waiting[s]) for s in range(STORES)]
    pairs: dict[tuple[Any, str, str], int] = defaultdict(int)  # settlement_daily, as add_allocation keeps it
    for i in range(n):
        pairs[(days[i], f"S{i % STORES}", f"S{(i // 10) % STORES}")] += SHARE
    pair_rows = [(d, src, dst, v) for (d, src, dst), v in sorted(pairs.items())]
    pair_cols = "day, from_store_id, to_store_id, amount_fen"
    daily_rows = [(s, d, *v) for (s, d), v in sorted(daily.items())]
    # one cashier a store (K<n> of S<n>): its days are the store's, less sales and entitlement (migration 0005)
    cashier_rows = [(f"K{s[1:]}", d, v[0], v[2], v[3], v[4], v[5], v[6]) for (s, d), v in sorted(daily.items())]
    cashier_cols = (
        "cashier_id, day, orders_count, contributions_fen, payouts_fen, kept_fen, entries_created, entries_completed"
    )
    daily_cols = (
        "store_id, day, orders_count, sales_fen, contributions_fen, payouts_fen, kept_fen, entries_created, "
        "entries_completed, entitlement_created_fen"
    )
    head = next((k + 1 for k in range(n) if entry_paid(k) < PRICE), n + 1)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if sqlite:
            cur.execute("BEGIN")
            cur.executemany(f"INSERT INTO orders ({order_cols}) VALUES ({','.join('?' * 24)})", orders())
            cur.executemany(f"INSERT INTO entries ({entry_cols}) VALUES ({','.join('?' * 19)})", entries())
            cur.executemany(f"INSERT INTO allocations ({alloc_cols}) VALUES ({','.join('?' * 8)})", allocations())
            cur.executemany(
                "INSERT INTO cashier_stats (cashier_id, store_id, waiting_count, outstanding_fen, version, "
                "eligible_count) VALUES (?, ?, ?, ?, ?, ?)",
                stats,
            )
            cur.executemany(f"INSERT INTO settlement_daily ({pair_cols}) VALUES (?, ?, ?, ?)", pair_rows)
            cur.executemany(f"INSERT INTO daily_stats ({daily_cols}) VALUES ({','.join('?' * 10)})", daily_rows)
            cur.executemany(f"INSERT INTO cashier_daily ({cashier_cols}) VALUES ({','.join('?' * 8)})", cashier_rows)
            cur.execute("INSERT INTO counters (name, value) VALUES ('entry_seq', ?)", (n,))
            cur.execute(
                "INSERT INTO queues (key, head_seq, carry_fen, version) VALUES ('cashier:ALL', ?, 0, 1)", (head,)
            )
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        else:
            for table, cols, rows in (
                ("orders", order_cols, orders()),
                ("entries", entry_cols, entries()),
                ("allocations", alloc_cols, allocations()),
            ):
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
            cur.executemany(
                "INSERT INTO cashier_stats (cashier_id, store_id, waiting_count, outstanding_fen, "
                "version, eligible_count) VALUES (%s, %s, %s, %s, %s, %s)",
                stats,
            )
            cur.executemany(f"INSERT INTO settlement_daily ({pair_cols}) VALUES (%s, %s, %s, %s)", pair_rows)
            cur.executemany(f"INSERT INTO daily_stats ({daily_cols}) VALUES ({','.join(['%s'] * 10)})", daily_rows)
            cur.executemany(f"INSERT INTO cashier_daily ({cashier_cols}) VALUES ({','.join(['%s'] * 8)})", cashier_rows)
            cur.execute("SELECT setval('entry_seq', %s)", (n,))
            cur.execute(
                "INSERT INTO queues (key, head_seq, carry_fen, version) VALUES ('cashier:ALL', %s, 0, 1)", (head,)
            )
            raw.commit()
            # ANALYZE this schema's tables and commit: statistics written in a transaction that is rolled back are
            # lost (only pg_class's row counts survive), and the planner then takes every table for a few rows.
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            for (table,) in cur.fetchall():
                cur.execute(f'ANALYZE "{table}"')
            raw.commit()
        cur.close()
    finally:
        raw.close()


def check(db: Database) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.server.totals import running_totals_differences

    with db.connect() as conn:
        return running_totals_differences(conn)


@contextmanager
def server(tmp: Path, url: str, schema: str | None, *, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """`paidui-server serve` in its own process on a free loopback port, configured by `tmp/paidui.toml`
    (`extra`: more lines of it); yields the base URL once the health check answers."""
    port = _free_port()
    config = tmp / "paidui.toml"
    lines = [
        f'data_dir = "{tmp / "var"}"',
        f'database_url = "{url}"',
        f"port = {port}",
        'log_level = "warning"',
        f'public_url = "http://127.0.0.1:{port}"',
        *extra,
    ]
    if schema:
        lines.append(f'database_schema = "{schema}"')
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    initialise(
        load_settings(config), admin_username="admin", admin_password=lambda: PASSWORD, now=dt.datetime.now(dt.UTC)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIDUI_")} | {"PYTHONPATH": str(ROOT)}
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed below, after the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "--config", str(config), "serve"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, base, tmp / "server.log", timeout=60)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def timed(client: httpx.Client, path: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        r = client.get(path)
        out.append(time.perf_counter() - start)
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code}")
    return out


def summary(costs: list[float]) -> dict[str, float]:
    costs = sorted(costs)
    return {
        "p50_ms": round(statistics.median(costs) * 1000, 1),
        "p99_ms": round(costs[min(len(costs) - 1, int(len(costs) * 0.99))] * 1000, 1),
        "max_ms": round(costs[-1] * 1000, 1),
    }


def run(backend: str, n: int, requests: int, pg_url: str, verify: bool) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="paidui-console-bench-") as name,
        location(backend, pg_url, Path(name)) as (url, schema),
    ):
        tmp = Path(name)
        db = Database(url, schema=schema, pool_size=1)
        try:
            db.migrate()
            began = time.perf_counter()
            seed(db, n)
            seeded = time.perf_counter() - began
            differences = check(db) if verify else None
        finally:
            db.dispose()
        with server(tmp, url, schema) as base, httpx.Client(base_url=base, timeout=60) as client:
            form = client.get("/console/login")
            token = re.search(r'name="csrf" value="(\w+)"', form.text)
            assert token
            signed = client.post(
                "/console/login", data={"csrf": token.group(1), "username": "admin", "password": PASSWORD}
            )
            assert signed.status_code == 303, signed.text
            page = client.get("/console/liability")
            waiting = re.search(r'id="total-waiting" data-value="(\d+)"', page.text)
            assert waiting, page.text[:500]
            timed(client, "/console/liability", 5)
            timed(client, "/api/v1/health", 5)
            liability = summary(timed(client, "/console/liability", requests))
            health = summary(timed(client, "/api/v1/health", requests))
            period = f"/console/settlement?from={(T0 - dt.timedelta(days=DAYS)).date()}&to={T0.date()}"
            settlement = summary(timed(client, period, max(5, requests // 10)))
    return {
        "backend": backend,
        "entries": n,
        "waiting_shown": int(waiting.group(1)),
        "seed_s": round(seeded, 1),
        "liability": liability,
        "health": health,
        "settlement_60_days": settlement,
        "running_totals_differences": differences,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--check", action="store_true", help="check the seed against the ledgers (slow at 1e6)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        row = run(backend, args.entries, args.requests, args.pg_url, args.check)
        rows.append(row)
        if not args.json:
            lia, health, settle = row["liability"], row["health"], row["settlement_60_days"]
            print(
                f"{backend:10} entries={row['entries']:>8} (seed {row['seed_s']} s, {row['waiting_shown']} "
                f"waiting shown)  liability p50 {lia['p50_ms']} ms p99 {lia['p99_ms']} ms  |  health p50 "
                f"{health['p50_ms']} ms p99 {health['p99_ms']} ms  |  settlement (60 days) p50 "
                f"{settle['p50_ms']} ms p99 {settle['p99_ms']} ms",
                flush=True,
            )
            if row["running_totals_differences"] is not None:
                print(f"  running totals vs ledgers: {row['running_totals_differences'] or 'consistent'}")
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
