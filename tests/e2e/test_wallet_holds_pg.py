"""20 holds at once for one member, through 4 server processes on PostgreSQL: the wallet is never overdrawn.

Five members each earn 100.00 through the queue; then 20 tills (4 stores) ask at the same instant for 40.00 of
each member's balance, 100 requests in flight. Each request carries one of the member's valid payment codes (a
code authorises one hold, so codes race too). At most two holds per member can be granted; whatever was granted
is captured by sales, and no balance ends below zero.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.db import tables as t
from server.security.keys import KeyRing
from server.services import consent
from shared.ids import MemberId
from tests.server.support import Till, enrolment_code, paid, seed

from .conftest import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

STORES = {"S1": ["C1"], "S2": ["C2"], "S3": ["C3"], "S4": ["C4"]}
MEMBERS = 5
TILLS = 20
HOLD_FEN = 4_000


def _codes(served: ServerProcess, member: str) -> list[str]:
    """The member's codes valid now (one step either side): three distinct consents at most."""
    now = dt.datetime.now(dt.UTC)
    key = consent.consent_key(KeyRing(served.settings.resolved_key_file), now)
    steps = [now + dt.timedelta(seconds=s) for s in (-30, 0, 30)]
    return [consent.payment_code(key, MemberId(member), at) for at in steps]


def test_twenty_concurrent_holds_never_overdraw(served_pg_workers: ServerProcess) -> None:
    served = served_pg_workers
    seed(served.db, stores=STORES, base={"extraction_bp": 5000})
    now = dt.datetime.now(dt.UTC)
    tills: list[Till] = []
    clients = [httpx.Client(base_url=served.url, timeout=60) for _ in range(TILLS)]
    try:
        for i, client in enumerate(clients):
            till = Till(client, name=f"till{i}")
            store = f"S{i % 4 + 1}"
            assert till.enroll(enrolment_code(served.db, store, now=now)).status_code == 200
            tills.append(till)
        members = [f"w{m}" for m in range(MEMBERS)]
        earner = tills[0]
        events = []
        for member in members:  # each member's own 100.00 sale is paid by its contribution and the next sale's
            events.append(earner.event(paid("C1", 10_000, member=member, at=now)))
            events.append(earner.event(paid("C1", 10_000, at=now)))
        from server.services import members as member_service

        with served.db.connect() as conn:
            for n, member in enumerate(members):
                member_service.add(conn, phone=f"1390000{n:04d}", member_id=member, now=now)
        r = earner.push(events)
        assert {x["status"] for x in r.json()["results"]} == {"accepted"}, r.text
        with served.db.connect() as conn:
            start = dict(conn.execute(select(t.Wallet.member_id, t.Wallet.rebate_fen)).all())
        assert all(start[m] == 10_000 for m in members), start

        codes = {m: _codes(served, m) for m in members}
        answers: list[tuple[Till, str, httpx.Response]] = []
        lock = threading.Lock()
        barrier = threading.Barrier(TILLS)

        def ask(i: int) -> None:
            till = tills[i]
            barrier.wait()
            for member in members:
                body: dict[str, Any] = {
                    "member_id": member,
                    "kind": "rebate",
                    "amount_fen": HOLD_FEN,
                    "idempotency_key": str(uuid.uuid4()),
                    "payment_code": codes[member][i % 3],
                }
                r = till.http.post("/api/v1/wallet/holds", json=body, headers=till.auth)
                with lock:
                    answers.append((till, member, r))

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(TILLS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert len(answers) == TILLS * MEMBERS
        granted: dict[str, list[tuple[Till, dict[str, Any]]]] = {m: [] for m in members}
        for till, member, r in answers:
            if r.status_code == 201:
                granted[member].append((till, r.json()))
            else:
                assert r.status_code == 422, r.text
                assert r.json()["code"] in ("insufficient_balance", "consent_required"), r.text
        assert all(1 <= len(g) <= 2 for g in granted.values()), {m: len(g) for m, g in granted.items()}
        with served.db.connect() as conn:
            rows = conn.execute(select(t.Wallet.member_id, t.Wallet.rebate_fen, t.Wallet.rebate_held_fen)).all()
        for member, balance, held in rows:
            if member in granted:
                assert held == HOLD_FEN * len(granted[member]) <= balance

        # every granted hold is spent by a sale at its till's store; no balance goes below zero
        for member, held in granted.items():
            for till, h in held:
                cashier = f"C{till.store_id[1:]}"
                sale = paid(cashier, HOLD_FEN, member=member, at=dt.datetime.now(dt.UTC))
                sale["wallet_tenders"] = [{"hold_id": h["hold_id"], "kind": "rebate", "amount_fen": HOLD_FEN}]
                r = till.push([till.event(sale)])
                assert r.json()["results"][0]["status"] == "accepted", r.text
        with served.db.connect() as conn:
            rows = conn.execute(select(t.Wallet.member_id, t.Wallet.rebate_fen, t.Wallet.rebate_held_fen)).all()
            spent = dict(
                conn.execute(
                    select(t.RebateLedger.member_id, t.RebateLedger.amount_fen).where(t.RebateLedger.kind == "spend")
                ).all()
            )
        assert all(held == 0 and balance >= 0 for _m, balance, held in rows)
        assert set(spent) == set(members)
    finally:
        for client in clients:
            client.close()
