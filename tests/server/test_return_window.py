"""The server is the authority on a till sale's completion (issue 12 item 1, spec §8): a sale completes at
`paid_at + cashier_auto_complete_hours` (at once when 0) whatever the till sends, so a refund inside the window
cancels its contribution before it pays anyone. Real HTTP on loopback, the server's clock moved by the test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.clock import FixedClock
from server.db import tables as t

from .support import T0, Till, completed, enrolment_code, paid, refunded, registered, seed

HOUR = dt.timedelta(hours=1)


def _till(app: FastAPI, http: httpx.Client) -> Till:
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
    return till


def _members(till: Till, *phones: str) -> list[str]:
    events = [till.event(registered(p)) for p in phones]
    assert [r["status"] for r in till.push(events).json()["results"]] == ["accepted"] * len(phones)
    return [e["body"]["member_id"] for e in events]


def _sell(till: Till, member: str, fen: int, *, at: dt.datetime = T0, done: bool = True) -> str:
    sale = till.event(paid("C1", fen, member=member, at=at, completed=done))
    result = till.push([sale]).json()["results"][0]
    assert result["status"] == "accepted", result
    return str(sale["body"]["order_id"])


def _allocations_from(app: FastAPI, order_id: str) -> list[tuple[int, int]]:
    with app.state.db.connect() as conn:
        rows = conn.execute(
            select(t.Allocation.entry_seq, t.Allocation.amount_fen).where(t.Allocation.from_order == order_id)
        ).all()
    return [(int(r.entry_seq), int(r.amount_fen)) for r in rows]


def _order(app: FastAPI, order_id: str) -> Any:
    with app.state.db.connect() as conn:
        return conn.execute(select(t.OrderRow).where(t.OrderRow.order_id == order_id)).one()


def _kept_from(app: FastAPI, order_id: str) -> int:
    with app.state.db.connect() as conn:
        rows = conn.execute(select(t.Unallocated.amount_fen).where(t.Unallocated.order_id == order_id)).all()
    return sum(int(r.amount_fen) for r in rows)


def test_a_refund_inside_the_window_never_pays_anyone(app: FastAPI, http: httpx.Client, clock: FixedClock) -> None:
    seed(
        app.state.db,
        stores={"S1": ["C1"]},
        base={"settlement_event": "on_complete", "cashier_auto_complete_hours": 2},
    )
    till = _till(app, http)
    a, b = _members(till, "13800000101", "13800000102")
    sale_a = _sell(till, a, 10_000)  # the till says "completed" as it always has: the server waits 2 hours
    sale_b = _sell(till, b, 100_000)
    assert (_order(app, sale_a).status, _order(app, sale_b).status) == ("paid", "paid")
    assert _allocations_from(app, sale_a) == [] and _allocations_from(app, sale_b) == []

    clock.set(T0 + 30 * dt.timedelta(minutes=1))  # the customer comes back inside the window
    refund = till.event(refunded(sale_b, 100_000, at=clock.now()))
    assert till.push([refund]).json()["results"][0]["status"] == "accepted"
    early = till.event(completed(sale_b, at=clock.now()))  # a till cannot end the window either
    assert till.push([early]).json()["results"][0]["status"] == "accepted"
    assert _order(app, sale_b).contribution == "cancelled"

    for later in (T0 + 2 * HOUR, T0 + 400 * 24 * HOUR):  # the window passes, and long after
        clock.set(later)
        app.state.jobs.tick()
        assert _allocations_from(app, sale_b) == [] and _kept_from(app, sale_b) == 0
    done = _order(app, sale_a)
    assert (done.status, done.completed_at, done.contribution_fen) == ("completed", T0 + 2 * HOUR, 1_000)
    assert _allocations_from(app, sale_a) == [(1, 1_000)]  # A's own 10% reaches its own entry, once the window passed


@pytest.mark.parametrize(("hours", "paid_out_by_b"), [(0, 10_000), (2, 0)])
def test_the_return_window_decides_whether_a_returned_sale_paid_out(
    app: FastAPI, http: httpx.Client, clock: FixedClock, hours: int, paid_out_by_b: int
) -> None:
    """The same till input under two windows: at 0 the sale is complete at once and its contribution has paid the
    head before the refund (which the default clawback does not take back from others); at 2 hours nothing."""
    seed(
        app.state.db,
        stores={"S1": ["C1"]},
        base={"settlement_event": "on_complete", "cashier_auto_complete_hours": hours},
    )
    till = _till(app, http)
    a, b = _members(till, "13800000111", "13800000112")
    _sell(till, a, 100_000, done=False)  # what the till says about completion does not matter either way
    sale_b = _sell(till, b, 100_000, done=False)
    assert _order(app, sale_b).status == ("completed" if hours == 0 else "paid")
    clock.set(T0 + HOUR)
    assert till.push([till.event(refunded(sale_b, 100_000, at=clock.now()))]).json()["results"][0]["status"] == (
        "accepted"
    )
    clock.set(T0 + 3 * HOUR)
    app.state.jobs.tick()
    assert sum(x for _, x in _allocations_from(app, sale_b)) == paid_out_by_b


@pytest.mark.parametrize(("rule", "paid_to"), [("queue_order", 1), ("completed_first", 2)])
def test_completed_first_orders_till_sales_by_the_servers_completion(
    app: FastAPI, http: httpx.Client, clock: FixedClock, rule: str, paid_to: int
) -> None:
    """A sale synced late (paid 3 h ago) is past its window when it arrives and completes at the next sweep, while
    the sale ahead of it is still inside its window: "completed first" serves the later entry first (spec A10)."""
    seed(
        app.state.db,
        stores={"S1": ["C1"]},
        base={"settlement_event": "on_pay", "cashier_auto_complete_hours": 2, "ordering_rule": rule},
    )
    till = _till(app, http)
    a, b, c = _members(till, "13800000121", "13800000122", "13800000123")
    _sell(till, a, 100_000)  # seq 1, inside its window
    _sell(till, b, 100_000, at=T0 - 3 * HOUR)  # seq 2, an offline sale of 3 h ago: its window has passed
    clock.set(T0 + dt.timedelta(minutes=1))
    app.state.jobs.tick()
    sale_c = _sell(till, c, 10_000, at=clock.now())
    assert _allocations_from(app, sale_c) == [(paid_to, 1_000)]
