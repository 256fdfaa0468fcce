"""Push throughput over HTTP against a real `paidui-server serve` (one process), SQLite and PostgreSQL.

    python benchmarks/sync_push.py [--events 2000] [--batch 100] [--terminals 1] [--backend sqlite|postgresql]

One or more terminals push order_paid events (80% for members) in batches into one queue, as the cashier app's
sync worker does; prints events/s and the p50/p99 latency of a batch. Each run uses a fresh database.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from server.services import members  # noqa: E402
from tests.e2e.conftest import start_server  # noqa: E402
from tests.server.support import Till, database_location, enrolment_code, paid, seed  # noqa: E402


def run(backend: str, events: int, batch: int, terminals: int, workers: int) -> None:
    serving = contextlib.contextmanager(start_server)
    with (
        tempfile.TemporaryDirectory() as tmp,
        database_location(backend, Path(tmp)) as (url, schema),
        serving(Path(tmp), url, schema, workers=workers) as served,
    ):
        if True:
            seed(served.db, stores={"S1": ["C1"]}, base={"all_cashiers_queue": True, "extraction_bp": 1500})
            now = dt.datetime.now(dt.UTC)
            with served.db.connect() as conn:
                for m in range(100):
                    members.add(conn, phone=f"1380000{m:04d}", member_id=f"m{m}", now=now)
            latencies: list[float] = []
            per_terminal = events // terminals

            def drive(i: int) -> None:
                rng = random.Random(i)
                with httpx.Client(base_url=served.url, timeout=120) as http:
                    till = Till(http)
                    till.enroll(enrolment_code(served.db, "S1", now=now))
                    evs = [
                        till.event(
                            paid(
                                "C1",
                                rng.randrange(100, 50_000),
                                member=f"m{rng.randrange(100)}" if rng.random() < 0.8 else None,
                                at=dt.datetime.now(dt.UTC),
                            )
                        )
                        for _ in range(per_terminal)
                    ]
                    barrier.wait()
                    for k in range(0, len(evs), batch):
                        pending = evs[k : k + batch]
                        while pending:  # the protocol lets a server answer not_applied: a till sends those again
                            t0 = time.perf_counter()
                            r = till.push(pending)
                            latencies.append(time.perf_counter() - t0)
                            assert r.status_code == 200, r.text
                            answers = r.json()["results"]
                            assert all(x["status"] in ("accepted", "duplicate", "not_applied") for x in answers)
                            pending = [e for e, x in zip(pending, answers, strict=True) if x["status"] == "not_applied"]

            barrier = threading.Barrier(terminals + 1)
            threads = [threading.Thread(target=drive, args=(i,)) for i in range(terminals)]
            for th in threads:
                th.start()
            barrier.wait()
            started = time.perf_counter()
            for th in threads:
                th.join()
            elapsed = time.perf_counter() - started
            total = per_terminal * terminals
            q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
            print(
                f"{backend}, {workers} process(es), {terminals} terminal(s), batches of {batch}: {total} events in "
                f"{elapsed:.1f} s = {total / elapsed:.0f} events/s; batch p50 {q[49] * 1000:.0f} ms, "
                f"p99 {q[98] * 1000:.0f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--terminals", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    for backend in args.backend or ["sqlite", "postgresql"]:
        run(backend, args.events, args.batch, args.terminals, args.workers)


if __name__ == "__main__":
    main()
