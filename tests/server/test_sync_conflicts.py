"""A reused event id or order id with changed contents is a conflict the till hears about (issue 15 item 9), and the
event log keeps one row for every seq a terminal used (no gap under `applied_through`)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from server.db import tables as t

from .support import Till, enrolled, paid, registered, seed


def _logged_seqs(app: FastAPI, till: Till) -> list[int]:
    with app.state.db.connect() as conn:
        rows = conn.execute(
            select(t.EventLog.terminal_seq).where(t.EventLog.terminal_id == till.terminal_id).order_by("terminal_seq")
        )
        return [int(s) for s in rows.scalars()]


def test_a_reused_event_id_at_the_next_seq_is_refused_and_logged(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    sale = till.event(paid("C1", 1_000))
    assert till.push([sale]).json()["results"][0]["status"] == "accepted"
    changed = till.event({**sale["body"], "paid_fen": 999, "total_fen": 999}, event_id=sale["event_id"])  # seq 2
    body = till.push([changed]).json()
    assert (body["results"][0]["status"], body["results"][0]["code"]) == ("refused", "conflicting_duplicate")
    assert body["applied_through"] == 2
    assert _logged_seqs(app, till) == [1, 2]  # the seq is used up, and the log says by what
    again = till.push([changed]).json()["results"][0]  # final: said again, nothing more written
    assert (again["status"], again["code"]) == ("refused", "conflicting_duplicate")
    after = till.event(paid("C1", 500))
    body = till.push([after]).json()
    assert body["results"][0]["status"] == "accepted" and body["applied_through"] == 3
    assert _logged_seqs(app, till) == [1, 2, 3]
    with app.state.db.connect() as conn:
        paid_fen = conn.execute(select(t.OrderRow.paid_fen).order_by(t.OrderRow.paid_fen)).scalars().all()
    assert paid_fen == [500, 1_000]


def test_an_order_resent_with_another_amount_is_a_conflict(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1", "C2"]})
    till = enrolled(app, http)
    member = till.event(registered("13800000009"))
    sale = till.event(paid("C1", 1_000, member=member["body"]["member_id"]))
    assert [r["status"] for r in till.push([member, sale]).json()["results"]] == ["accepted", "accepted"]
    same = till.event(sale["body"])  # the same sale under a new event id: a duplicate, never a second sale
    assert till.push([same]).json()["results"][0]["status"] == "duplicate"
    order_id = sale["body"]["order_id"]
    for changes in (
        {"paid_fen": 900, "total_fen": 900},
        {"paid_fen": 900, "discount_fen": 100},
        {"cashier_id": "C2"},
        {"member_id": None},
    ):
        other = till.event({**sale["body"], **changes})
        result = till.push([other]).json()["results"][0]
        assert (result["status"], result["code"], result["order_id"]) == ("refused", "order_conflict", order_id)
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.OrderRow.paid_fen)).scalars().all() == [1_000]
    assert _logged_seqs(app, till) == list(range(1, till.seq + 1))
