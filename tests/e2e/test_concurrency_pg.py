"""20 terminals of 4 stores push at once into one all-cashiers queue served by 4 processes on PostgreSQL.

A fifth of the batches is sent twice (an answer lost on the way back), and a tenth twice at once (a retry while
the first request is still being served). Afterwards the invariants of spec §19 hold
to the fen, every event is applied exactly once, and the money went through the queue strictly first in, first out.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, func, select

from server.db import tables as t
from server.services import members
from shared.money import pct
from tests.server.support import Till, enrolment_code, paid, seed

from .conftest import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

STORES = {"S1": ["C1"], "S2": ["C2"], "S3": ["C3"], "S4": ["C4"]}
TERMINALS = 20
EVENTS_PER_TERMINAL = 100
MEMBERS = 40
EXTRACTION_BP = 1500


def _drive(till: Till, cashier: str, rng: random.Random, sent: list[dict[str, Any]], errors: list[str]) -> None:
    """One terminal: numbered sales in batches of 5-25, a fifth of the batches sent twice, a pull now and then."""
    events = []
    for _ in range(EVENTS_PER_TERMINAL):
        member = f"m{rng.randrange(MEMBERS)}" if rng.random() < 0.8 else None
        events.append(till.event(paid(cashier, rng.randrange(100, 50_000), member=member, at=dt.datetime.now(dt.UTC))))
    sent.extend(events)
    i = 0
    batches = 0
    while i < len(events):
        batch = events[i : i + rng.randrange(5, 26)]
        if rng.random() < 0.1:  # a retry sent while the first request is still being served
            _twice_at_once(till, batch, errors)
            i += len(batch)
            continue
        for attempt in range(2 if rng.random() < 0.2 else 1):
            r = _until_not_busy(lambda batch=batch: till.push(batch))
            if r.status_code != 200:
                errors.append(f"{till.terminal_id}: HTTP {r.status_code} {r.text[:200]}")
                return
            statuses = {x["status"] for x in r.json()["results"]}
            want = {"accepted"} if attempt == 0 else {"duplicate"}
            if statuses != want:
                errors.append(f"{till.terminal_id}: attempt {attempt} answered {statuses}")
                return
        i += len(batch)
        batches += 1
        if batches % 5 == 0 and till.pull().status_code != 200:
            errors.append(f"{till.terminal_id}: pull failed")


def _busy(r: httpx.Response) -> bool:
    return r.status_code == 503 and r.json().get("code") == "busy"


def _until_not_busy(send: Callable[[], httpx.Response]) -> httpx.Response:
    """As a till does: a `503 busy` applied nothing; wait Retry-After and send again."""
    for _ in range(100):
        r = send()
        if not _busy(r):
            return r
        time.sleep(float(r.headers.get("Retry-After", "1")))
    return r


def _twice_at_once(till: Till, batch: list[dict[str, Any]], errors: list[str]) -> None:
    answers: list[Any] = [None, None]

    def send(k: int) -> None:
        with httpx.Client(base_url=str(till.http.base_url), timeout=120) as http:
            answers[k] = http.post("/api/v1/sync/push", json={"protocol": 1, "events": batch}, headers=till.auth)

    for _ in range(100):  # both sent at once; a pair of which both were told busy is sent again
        pair = [threading.Thread(target=send, args=(k,)) for k in (0, 1)]
        for th in pair:
            th.start()
        for th in pair:
            th.join()
        if not all(a is not None and _busy(a) for a in answers):
            break
        time.sleep(float(answers[0].headers.get("Retry-After", "1")))
    for k in (0, 1):  # one told busy: sent again alone, after the other
        if answers[k] is not None and _busy(answers[k]):
            time.sleep(float(answers[k].headers.get("Retry-After", "1")))
            answers[k] = _until_not_busy(lambda: till.push(batch))
    if any(a is None or a.status_code != 200 for a in answers):
        errors.append(f"{till.terminal_id}: a concurrent resend failed")
        return
    for n, event in enumerate(batch):
        statuses = sorted(a.json()["results"][n]["status"] for a in answers)
        if statuses != ["accepted", "duplicate"]:
            errors.append(f"{till.terminal_id}: event {event['seq']} answered {statuses} by two concurrent requests")
            return


def test_twenty_terminals_four_processes_one_queue(served_pg_workers: ServerProcess) -> None:
    served = served_pg_workers
    seed(served.db, stores=STORES, base={"all_cashiers_queue": True, "extraction_bp": EXTRACTION_BP})
    now = dt.datetime.now(dt.UTC)
    with served.db.connect() as conn:
        for m in range(MEMBERS):
            members.add(conn, phone=f"1380000{m:04d}", member_id=f"m{m}", now=now)
    clients = [httpx.Client(base_url=served.url, timeout=120) for _ in range(TERMINALS)]
    tills, cashiers = [], []
    for i, http in enumerate(clients):
        store = sorted(STORES)[i % len(STORES)]
        till = Till(http, name=f"till {i}")
        assert till.enroll(enrolment_code(served.db, store, now=now)).status_code == 200
        tills.append(till)
        cashiers.append(STORES[store][0])
    sent: list[list[dict[str, Any]]] = [[] for _ in tills]
    errors: list[str] = []
    threads = [
        threading.Thread(target=_drive, args=(till, cashiers[i], random.Random(i), sent[i], errors))
        for i, till in enumerate(tills)
    ]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    elapsed = time.perf_counter() - started
    for http in clients:
        http.close()
    assert not errors, errors[:5]
    total = sum(len(s) for s in sent)
    print(
        f"\n{total} events from {TERMINALS} terminals through 4 processes in {elapsed:.1f} s "
        f"({total / elapsed:.0f} events/s, resends included)"
    )
    with served.db.connect() as conn:
        _check_exactly_once(conn, sent, tills)
        _check_money(conn)
        _check_fifo(conn)


def _check_exactly_once(conn: Connection, sent: list[list[dict[str, Any]]], tills: list[Till]) -> None:
    order_ids = {e["body"]["order_id"] for events in sent for e in events}
    event_ids = {e["event_id"] for events in sent for e in events}
    assert conn.execute(select(func.count()).select_from(t.OrderRow)).scalar_one() == len(order_ids)
    assert set(conn.execute(select(t.OrderRow.order_id)).scalars()) == order_ids
    logged = dict(conn.execute(select(t.EventLog.event_id, t.EventLog.status)).all())
    assert set(logged) == event_ids and set(logged.values()) == {"accepted"}
    through = dict(conn.execute(select(t.Terminal.terminal_id, t.Terminal.applied_through)).all())
    assert all(through[till.terminal_id] == len(events) for till, events in zip(tills, sent, strict=True))
    seqs = list(conn.execute(select(t.EntryRow.seq).order_by(t.EntryRow.seq)).scalars())
    assert len(seqs) == len(set(seqs))  # INV-9: unique


def _check_money(conn: Connection) -> None:
    orders = conn.execute(select(t.OrderRow.order_id, t.OrderRow.paid_fen, t.OrderRow.contribution_fen)).all()
    alloc_from: dict[str, int] = defaultdict(int)
    alloc_to_entry: dict[int, int] = defaultdict(int)
    alloc_to_member: dict[str, int] = defaultdict(int)
    for a in conn.execute(
        select(t.Allocation.from_order, t.Allocation.entry_seq, t.Allocation.member_id, t.Allocation.amount_fen)
    ):
        alloc_from[a.from_order] += a.amount_fen
        alloc_to_entry[a.entry_seq] += a.amount_fen
        alloc_to_member[a.member_id] += a.amount_fen
    kept: dict[str | None, int] = defaultdict(int)
    for order_id, amount in conn.execute(select(t.Unallocated.order_id, t.Unallocated.amount_fen)):
        kept[order_id] += amount
    carry = int(conn.execute(select(func.coalesce(func.sum(t.Queue.carry_fen), 0))).scalar_one())
    for o in orders:  # INV-5: each contribution is exactly what was allocated or kept, and pct of what was paid
        assert o.contribution_fen == pct(o.paid_fen, EXTRACTION_BP)
        assert alloc_from[o.order_id] + kept[o.order_id] == o.contribution_fen, o.order_id
    # INV-6: conservation
    assert sum(o.contribution_fen for o in orders) == sum(alloc_from.values()) + sum(kept.values()) + carry
    entries = conn.execute(
        select(t.EntryRow.seq, t.EntryRow.member_id, t.EntryRow.entitlement_fen, t.EntryRow.paid_fen, t.EntryRow.status)
    ).all()
    for e in entries:  # INV-1, INV-2, INV-4
        assert 0 <= e.paid_fen <= e.entitlement_fen
        assert (e.status == "completed") == (e.paid_fen == e.entitlement_fen), e.seq
        assert alloc_to_entry[e.seq] == e.paid_fen, e.seq
    ledger = dict(
        conn.execute(
            select(t.RebateLedger.member_id, func.sum(t.RebateLedger.amount_fen)).group_by(t.RebateLedger.member_id)
        ).all()
    )
    assert {m: int(v) for m, v in ledger.items() if v} == {m: v for m, v in alloc_to_member.items() if v}  # INV-7
    waiting = [e for e in entries if e.status == "waiting"]
    stats = conn.execute(select(func.sum(t.CashierStats.waiting_count), func.sum(t.CashierStats.outstanding_fen))).one()
    assert (int(stats[0]), int(stats[1])) == (len(waiting), sum(e.entitlement_fen - e.paid_fen for e in waiting))
    daily = conn.execute(select(func.sum(t.DailyStats.payouts_fen), func.sum(t.DailyStats.orders_count))).one()
    assert (int(daily[0]), int(daily[1])) == (sum(alloc_from.values()), len(orders))


def _check_fifo(conn: Connection) -> None:
    """INV-8/INV-9 on one queue: money flows through entries in seq order, each filled before the next is paid."""
    entitlement = dict(conn.execute(select(t.EntryRow.seq, t.EntryRow.entitlement_fen)).all())
    received: dict[int, int] = defaultdict(int)
    last_seq = 0
    lines = conn.execute(
        select(t.Allocation.from_order, t.Allocation.entry_seq, t.Allocation.amount_fen).order_by(t.Allocation.id)
    ).all()
    for line in lines:
        if line.entry_seq != last_seq and last_seq:
            assert line.entry_seq > last_seq, f"entry {line.entry_seq} paid after {last_seq}"
            assert received[last_seq] == entitlement[last_seq], f"{last_seq} left unfilled before {line.entry_seq}"
        received[line.entry_seq] += line.amount_fen
        last_seq = line.entry_seq
    paid = [received[s] for s in sorted(entitlement)]
    full = [received[s] == entitlement[s] for s in sorted(entitlement)]
    first_open = full.index(False) if False in full else len(full)
    assert all(full[:first_open]) and all(p == 0 for p in paid[first_open + 1 :])  # a prefix, one partial, zeros
