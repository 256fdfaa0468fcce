"""Checkout latency at the till, from confirm to committed, against a bare SQLite commit on the same disk.

    python benchmarks/checkout_latency.py [--sales 2000] [--dir /path/on/the/disk/to/test] [--no-ui]

Measured: what the checkout screen has done when the cashier presses Enter on the amount (cashier_app/ui/checkout.py
asks `TillServices.sell` on the till's database thread): a unit of work on the app's engine (WAL +
synchronous=FULL, pooled connections, BEGIN IMMEDIATE), `cashier_id`, `record_checkout` (shift, receipt number, the
order row, the signed order link, the outbox event), the commit, and the count of events waiting to be sent; half the
sales for a member. Then, unless --no-ui, the same through the real checkout panel (offscreen): from Enter on the
amount to "done" on screen, i.e. with the hop to the database thread and back through a queued signal.
Baseline in the same run, in the same directory: a bare `sqlite3` connection with the
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

from cashier_app.core.checkout import MemberRef  # noqa: E402
from cashier_app.core.clock import system_clock  # noqa: E402
from cashier_app.core.credentials import InsecureFileStore  # noqa: E402
from cashier_app.core.db import make_engine, reading  # noqa: E402
from cashier_app.core.services import TillServices  # noqa: E402
from cashier_app.core.terminal import load_terminal, signer_for  # noqa: E402
from shared.ids import MemberId  # noqa: E402
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
        self.info = info
        self.signer = signer_for(info, secrets, system_clock)
        self.services = TillServices(engine=self.engine, clock=system_clock)
        self.rng = random.Random(1)
        self.i = 0

    def checkout(self) -> float:
        self.i += 1
        member = MemberRef(MemberId(f"m{self.i % 40}"), "张*") if self.i % 2 else None
        total = self.rng.randint(100, 50_000)
        started = time.perf_counter()
        self.services.sell(member=member, total_fen=total, deduction_points_fen=0, tender="cash", signer=self.signer)
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


def ui_round_trips(till: Till, sales: int) -> dict[str, list[float]]:
    """Enter on the amount -> "done" on the real panel (offscreen), and how long the UI thread was busy in that
    time (the confirm handler, then the handler of the answer): the rest it was free to paint and take keys."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from cashier_app.options import Options
    from cashier_app.ui.checkout import CheckoutPanel
    from cashier_app.ui.context import AppContext

    app = QApplication.instance() or QApplication([])
    ctx = AppContext(
        services=till.services,
        info=till.info,
        signer=till.signer,
        clock=system_clock,
        options=Options(till.wal.parent),
        data_dir=till.wal.parent,
    )
    panel = CheckoutPanel(ctx)
    loop = QEventLoop()
    busy: list[float] = []
    done_at: list[float] = []

    def on_done(_sale: object) -> None:
        done_at.append(time.perf_counter())
        loop.quit()

    panel.sale_done.connect(on_done)
    round_trip, on_ui = [], []
    for i in range(sales + 20):
        panel.amount.setText(f"{1 + i % 90}.{i % 100:02d}")
        started = time.perf_counter()
        QTest.keyClick(panel.amount, Qt.Key.Key_Return)
        busy.append(time.perf_counter() - started)  # the confirm handler, up to the job handed over
        QTimer.singleShot(10_000, loop.quit)
        loop.exec()
        after = time.perf_counter()
        if i >= 20:  # warm-up: thread start, first connections
            round_trip.append(done_at[-1] - started)
            on_ui.append(busy[-1] + (after - done_at[-1]))
    ctx.pool.waitForDone()
    panel.deleteLater()
    app.processEvents()
    return {"ui_round_trip": round_trip, "ui_thread_busy": on_ui}


def run(sales: int, where: Path | None, *, ui: bool = True) -> dict[str, Any]:
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
            if ui:
                costs.update(ui_round_trips(till, min(sales, 500)))
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
        **({key: summary(costs[key]) for key in ("ui_round_trip", "ui_thread_busy")} if ui else {}),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--dir", type=Path, help="a directory on the disk to measure (default: the temp dir)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-ui", action="store_true", help="skip the round trip through the real checkout panel")
    args = parser.parse_args()
    row = run(args.sales, args.dir, ui=not args.no_ui)
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
    if "ui_round_trip" in row:
        r, b = row["ui_round_trip"], row["ui_thread_busy"]
        print(
            f"through the checkout panel ({r['n']} sales): Enter -> done shown p50 {r['p50_ms']} ms, p99 "
            f"{r['p99_ms']} ms, max {r['max_ms']} ms; the UI thread busy in that time p50 {b['p50_ms']} ms, p99 "
            f"{b['p99_ms']} ms, max {b['max_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
