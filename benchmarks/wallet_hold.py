"""Latency of a wallet hold (the one round trip a wallet tender adds at checkout) against `/api/v1/health`.

    python benchmarks/wallet_hold.py [--holds 500] [--workers 1] [--backend postgresql|sqlite]

A real `paidui-server serve` on a loopback port, a fresh database; `--holds` members with a balance each. One till
asks for one hold per member (each with the member's current payment code) and, between two holds, calls health:
both measured in the same run on the same connection, so the difference is what the hold itself costs (consent,
the conditional UPDATE of the wallet row, the hold row, one commit). Prints p50/p99 of each. Target: hold p99
≤ 50 ms on loopback with PostgreSQL (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from server.db.wallet_balances import adjust  # noqa: E402
from server.security.keys import KeyRing  # noqa: E402
from server.services import consent, members  # noqa: E402
from shared.ids import MemberId  # noqa: E402
from tests.e2e.conftest import start_server  # noqa: E402
from tests.server.support import Till, database_location, enrolment_code, seed  # noqa: E402


def _q(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100)
    return q[49] * 1000, q[98] * 1000


def run(backend: str, holds: int, workers: int) -> None:
    serving = contextlib.contextmanager(start_server)
    with (
        tempfile.TemporaryDirectory() as tmp,
        database_location(backend, Path(tmp)) as (url, schema),
        serving(Path(tmp), url, schema, workers=workers) as served,
    ):
        seed(served.db, stores={"S1": ["C1"]})
        now = dt.datetime.now(dt.UTC)
        with served.db.connect() as conn:
            for m in range(holds):
                members.add(conn, phone=f"1370000{m:04d}", member_id=f"b{m}", now=now)
                adjust(conn, f"b{m}", rebate_fen=100_000)
        ring = KeyRing(served.settings.resolved_key_file)
        hold_ms: list[float] = []
        health_ms: list[float] = []
        with httpx.Client(base_url=served.url, timeout=30) as http:
            till = Till(http)
            till.enroll(enrolment_code(served.db, "S1", now=now))
            for _ in range(20):  # warm the connection pool and the caches
                http.get("/api/v1/health", headers=till.auth)
            for m in range(holds):
                at = dt.datetime.now(dt.UTC)
                code = consent.payment_code(consent.consent_key(ring, at), MemberId(f"b{m}"), at)
                body = {
                    "member_id": f"b{m}",
                    "kind": "rebate",
                    "amount_fen": 1_000,
                    "idempotency_key": str(uuid.uuid4()),
                    "payment_code": code,
                }
                t0 = time.perf_counter()
                r = http.post("/api/v1/wallet/holds", json=body, headers=till.auth)
                hold_ms.append(time.perf_counter() - t0)
                assert r.status_code == 201, r.text
                t0 = time.perf_counter()
                r = http.get("/api/v1/health", headers=till.auth)
                health_ms.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
        h50, h99 = _q(hold_ms)
        p50, p99 = _q(health_ms)
        print(
            f"{backend}, {workers} process(es), {holds} holds: hold p50 {h50:.1f} ms, p99 {h99:.1f} ms; "
            f"health p50 {p50:.1f} ms, p99 {p99:.1f} ms (same run, loopback)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--holds", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    for backend in args.backend or ["postgresql"]:
        run(backend, args.holds, args.workers)


if __name__ == "__main__":
    main()
