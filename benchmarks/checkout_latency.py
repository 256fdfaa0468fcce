"""Checkout latency at the till, from confirm to committed, against a bare SQLite commit on the same disk.

    python benchmarks/checkout_latency.py [--sales 2000] [--dir /path/on/the/disk/to/test]

Measured: what the checkout screen does when the cashier presses Enter on the amount (cashier_app/ui/checkout.py):
a unit of work on the app's engine (WAL + synchronous=FULL, pooled connections, BEGIN IMMEDIATE), `cashier_id`,
`record_checkout` (shift, receipt number, the order row, the signed order link, the outbox event) and the commit;
half the sales for a member. Baseline in the same run, in the same directory: a bare `sqlite3` connection with the
same durability (WAL + synchronous=FULL) inserting one row and committing; the same writing as many pages per
commit as a checkout appends to the WAL (measured in the run); and for information one row with synchronous=NORMAL
and the app's checkout on a database switched to NORMAL (what FULL costs: the fsync of the WAL at every commit).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from cashier_app.core.checkout import MemberRef, record_checkout  # noqa: E402
from cashier_app.core.clock import system_clock  # noqa: E402
from cashier_app.core.credentials import InsecureFileStore  # noqa: E402
from cashier_app.core.db import UnitOfWork, make_engine, reading  # noqa: E402
from cashier_app.core.terminal import cashier_id, load_terminal, signer_for  # noqa: E402
from tests.faults.powercut import make_till  # noqa: E402


def summary(costs: list[float]) -> dict[str, float]:
    costs = sorted(costs)
    return {
        "n": len(costs),
        "p50_ms": round(statistics.median(costs) * 1000, 2),
        "p99_ms": round(costs[min(len(costs) - 1, int(len(costs) * 0.99))] * 1000, 2),
        "max_ms": round(costs[-1] * 1000, 2),
    }


class Till:
    """The app's engine and signer on a till database, one checkout at a time."""

    def __init__(self, data: Path, *, weaker: bool = False) -> None:
        make_till(data, data.parent / f"{data.name}-secrets.json")
        self.wal = data / "paidui-cashier.db-wal"
        self.engine = make_engine(data / "paidui-cashier.db")
        if weaker:  # for information only: the same path without the fsync (synchronous=NORMAL after FULL)
            event.listen(self.engine, "connect", lambda dbapi, _r: dbapi.execute("PRAGMA synchronous=NORMAL"))
        secrets = InsecureFileStore(data.parent / f"{data.name}-secrets.json").load()
        assert secrets is not None
        with reading(self.engine) as conn:
            info = load_terminal(conn)
        assert info is not None
        self.signer = signer_for(info, secrets, system_clock)
        self.rng = random.Random(1)
        self.i = 0

    def checkout(self) -> float:
        self.i += 1
        member = MemberRef(f"m{self.i % 40}", "张*") if self.i % 2 else None
        total = self.rng.randint(100, 50_000)
        started = time.perf_counter()
        with UnitOfWork(self.engine) as uow:
            record_checkout(
                uow=uow,
                cashier_id=cashier_id(uow.conn),
                member=member,
                total_fen=total,
                tender="cash",
                signer=self.signer,
                clock=system_clock,
            )
        return time.perf_counter() - started

    def close(self) -> None:
        self.engine.dispose()


class Bare:
    """A bare sqlite3 connection: one row into each of `pages` tables per commit (`pages` WAL frames)."""

    def __init__(self, path: Path, synchronous: str, pages: int = 1) -> None:
        self.con = sqlite3.connect(path, isolation_level=None)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute(f"PRAGMA synchronous={synchronous}")
        self.pages = pages
        for k in range(pages):
            self.con.execute(f"CREATE TABLE t{k} (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        self.body = "x" * 400  # about an order row

    def commit(self) -> float:
        started = time.perf_counter()
        self.con.execute("BEGIN IMMEDIATE")
        for k in range(self.pages):
            self.con.execute(f"INSERT INTO t{k} (body) VALUES (?)", (self.body,))
        self.con.execute("COMMIT")
        return time.perf_counter() - started

    def close(self) -> None:
        self.con.close()


def run(sales: int, where: Path | None) -> dict[str, Any]:
    """Interleaved in rounds of 50, so the checkouts and the bare commits see the same disk and the same load."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="paidui-checkout-", dir=where) as name:
        tmp = Path(name)
        till = Till(tmp / "till")
        for _ in range(50):  # imports, first connections, a few pages in the tables
            till.checkout()
        frames = []
        for _ in range(10):
            before = till.wal.stat().st_size
            till.checkout()
            frames.append((till.wal.stat().st_size - before) / (4096 + 24))
        pages = round(statistics.median(frames))
        unsynced = Till(tmp / "till-normal", weaker=True)
        for _ in range(50):
            unsynced.checkout()
        bare = {
            "full": Bare(tmp / "full.db", "FULL"),
            "pages": Bare(tmp / "pages.db", "FULL", pages),
            "normal": Bare(tmp / "normal.db", "NORMAL"),
        }
        costs: dict[str, list[float]] = {"checkout": [], "checkout_normal": [], "full": [], "pages": [], "normal": []}
        try:
            for _ in range(0, sales, 50):
                costs["checkout"] += [till.checkout() for _ in range(50)]
                costs["checkout_normal"] += [unsynced.checkout() for _ in range(50)]
                for key, b in bare.items():
                    costs[key] += [b.commit() for _ in range(50)]
        finally:
            till.close()
            unsynced.close()
            for b in bare.values():
                b.close()
    return {
        "sales": len(costs["checkout"]),
        "directory": str(where or tempfile.gettempdir()),
        "checkout": summary(costs["checkout"]),
        "wal_frames_per_checkout": pages,
        "bare_commit_full": summary(costs["full"]),
        "bare_commit_full_same_pages": summary(costs["pages"]),
        "bare_commit_normal": summary(costs["normal"]),
        "checkout_normal": summary(costs["checkout_normal"]),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--dir", type=Path, help="a directory on the disk to measure (default: the temp dir)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    row = run(args.sales, args.dir)
    if args.json:
        print(json.dumps(row, indent=2))
        return 0
    c, f, n = row["checkout"], row["bare_commit_full"], row["bare_commit_normal"]
    p = row["bare_commit_full_same_pages"]
    print(
        f"checkout, confirm -> committed ({c['n']} sales): p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms, max "
        f"{c['max_ms']} ms ({row['wal_frames_per_checkout']:.0f} WAL pages per checkout)"
    )
    print(
        f"bare SQLite commit of one row, WAL + FULL, same directory: p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms, "
        f"max {f['max_ms']} ms"
    )
    print(
        f"bare SQLite commit of {row['wal_frames_per_checkout']:.0f} pages (one row in each of as many tables), "
        f"WAL + FULL: p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, max {p['max_ms']} ms"
    )
    u = row["checkout_normal"]
    print(
        f"  for information, WAL + NORMAL (no fsync): bare commit p50 {n['p50_ms']} ms, p99 {n['p99_ms']} ms; "
        f"checkout p50 {u['p50_ms']} ms, p99 {u['p99_ms']} ms  |  load {row['load_avg']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
