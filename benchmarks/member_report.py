"""The member page and the store report with 10^6 entries, over real HTTP, on SQLite and PostgreSQL.

    python benchmarks/member_report.py                               # 1e6 entries, SQLite then PostgreSQL
    python benchmarks/member_report.py --entries 20000 --check       # small; the seed checked against the ledgers

Seed: benchmarks/console_liability.py::seed (10 stores of one cashier sharing one queue, 100% / 10%, 10^6 completed
100.00 sales over 60 days written with raw executemany / COPY together with the running totals the engine keeps),
plus the 50,000 members it names (`members` rows, which the member page reads). `--check` runs
tests/server/totals.py on the seed.

Then `paidui-server serve` runs in its own process on a loopback port and, interleaved so that all see the same
load, the benchmark times GETs of:
- the member page `/m/<token>` of three members with 20 entries each spread over the whole queue (the first
  completed, the others waiting at places up to ~900,000), with tokens signed by the server's key;
- the store report `GET /api/v1/stores/S3/report` as headquarters, for one day and for the whole 60 days;
- the store's queue snapshot `GET /api/v1/stores/S3/queue` (what a till shows);
- and as the baseline, `GET /api/v1/health` on the same server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from console_liability import DAYS, PASSWORD, PG_URL, T0, location, seed, summary  # noqa: E402
from console_liability import server as serve  # noqa: E402

from server.config import load_settings  # noqa: E402
from server.db.database import Database  # noqa: E402
from server.security.keys import KeyRing  # noqa: E402
from server.security.member_codes import issue_member_page_token  # noqa: E402

MEMBERS = 50_000
SHANGHAI = ZoneInfo("Asia/Shanghai")


def complete_seed(db: Database) -> None:
    """The members that console_liability.seed names but does not write (the member page reads them)."""
    sqlite = db.is_sqlite
    ph = "?" if sqlite else "%s"
    start = T0 - dt.timedelta(days=DAYS)
    created: Any = start.replace(tzinfo=None) if sqlite else start
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if sqlite:
            cur.execute("BEGIN")
        cur.executemany(
            f"INSERT INTO members (member_id, phone, name, level, created_at, registered_store_id, "
            f"change_version) VALUES ({ph}, {ph}, '', NULL, {ph}, {ph}, {ph})",
            [(f"m{i}", f"139{i:08d}", created, f"S{i % 10}", i + 1) for i in range(MEMBERS)],
        )
        if sqlite:
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        else:
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


@contextmanager
def server(tmp: Path, url: str, schema: str | None) -> Iterator[tuple[str, KeyRing]]:
    """The console benchmark's server, with the member page's rate limit out of the way; and its signing keys."""
    with serve(tmp, url, schema, extra=("rate_member_page_per_minute = 1000000",)) as base:
        yield base, KeyRing(load_settings(tmp / "paidui.toml").resolved_key_file)


def run(backend: str, n: int, requests: int, pg_url: str, verify: bool) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="paidui-member-bench-") as name,
        location(backend, pg_url, Path(name)) as (url, schema),
    ):
        tmp = Path(name)
        db = Database(url, schema=schema, pool_size=1)
        try:
            db.migrate()
            began = time.perf_counter()
            seed(db, n)
            complete_seed(db)
            seeded = time.perf_counter() - began
            differences = None
            if verify:
                from tests.server.totals import running_totals_differences

                with db.connect() as conn:
                    differences = running_totals_differences(conn)
        finally:
            db.dispose()
        with server(tmp, url, schema) as (base, keys), httpx.Client(base_url=base, timeout=120) as client:
            token = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
            assert token.status_code == 200, token.text
            hq = {"Authorization": f"Bearer {token.json()['access_token']}"}
            now = dt.datetime.now(dt.UTC)
            members = [f"m{k}" for k in (123, 25_000, 49_999) if k < min(MEMBERS, n)]
            pages = [f"/m/{issue_member_page_token(keys, m, now)}" for m in members]
            last = T0.astimezone(SHANGHAI).date()
            first = (T0 - dt.timedelta(days=DAYS)).astimezone(SHANGHAI).date()
            paths: dict[str, tuple[list[str], dict[str, str]]] = {
                "member_page": (pages, {}),
                "store_report_1_day": ([f"/api/v1/stores/S3/report?date_from={last}&date_to={last}"], hq),
                "store_report_60_days": ([f"/api/v1/stores/S3/report?date_from={first}&date_to={last}"], hq),
                "store_queue": (["/api/v1/stores/S3/queue"], hq),
                "health": (["/api/v1/health"], {}),
            }
            shown = client.get(pages[0])
            assert shown.status_code == 200 and "text/html" in shown.headers["content-type"], shown.status_code
            costs: dict[str, list[float]] = {k: [] for k in paths}
            for i in range(requests + 5):  # interleaved; the first 5 rounds warm up
                for key, (urls, headers) in paths.items():
                    path = urls[i % len(urls)]
                    started = time.perf_counter()
                    r = client.get(path, headers=headers)
                    elapsed = time.perf_counter() - started
                    if r.status_code != 200:
                        raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
                    if i >= 5:
                        costs[key].append(elapsed)
    return {
        "backend": backend,
        "entries": n,
        "seed_s": round(seeded, 1),
        "members_timed": members,
        **{k: summary(v) for k, v in costs.items()},
        "running_totals_differences": differences,
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--check", action="store_true", help="check the seed against the ledgers (slow at 1e6)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        row = run(backend, args.entries, args.requests, args.pg_url, args.check)
        rows.append(row)
        if not args.json:
            figures = "  |  ".join(
                f"{k} p50 {row[k]['p50_ms']} ms p99 {row[k]['p99_ms']} ms"
                for k in ("member_page", "store_report_1_day", "store_report_60_days", "store_queue", "health")
            )
            print(
                f"{backend:10} entries={row['entries']} (seed {row['seed_s']} s)  {figures}  |  load {row['load_avg']}",
                flush=True,
            )
            if row["running_totals_differences"] is not None:
                print(f"  running totals vs ledgers: {row['running_totals_differences'] or 'consistent'}")
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
