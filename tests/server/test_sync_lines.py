"""Sale lines on the wire (docs/rules.md §8, docs/sync-protocol.md SaleLine): what does not take part is left out of
the entry and the contribution; lines are validated; events of before keep their digest."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from server.db import tables as t

from .support import T0, Till, enrolment_code, paid, registered, seed


def _till(app: FastAPI, http: httpx.Client) -> Till:
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
    return till


def _line(name: str, qty: int, unit: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "quantity": qty,
        "unit_price_fen": unit,
        "amount_fen": qty * unit - extra.get("discount_fen", 0),
    } | extra


L1 = [
    _line("牛肉面", 1, 3900, sku="N01"),
    _line("香烟", 1, 2500, sku="T01", participates=False),
    _line("可乐", 2, 300, sku="C01", discount_fen=100),
]


def test_a_sale_with_a_line_outside_the_rebate(app: FastAPI, http: httpx.Client) -> None:
    """rules.md L1 through the push: base 37.62, entry 37.62, contribution 3.76 to itself."""
    seed(app.state.db, stores={"S1": ["C1"]})
    till = _till(app, http)
    reg = till.event(registered("13800000001"))
    sale = paid("C1", 5900, member=reg["body"]["member_id"]) | {"total_fen": 6900, "discount_fen": 1000, "lines": L1}
    body = till.push([reg, till.event(sale)]).json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"], body
    entry = body["results"][1]["entry"]
    assert (entry["entitlement_fen"], entry["paid_fen"]) == (3762, 376)
    with app.state.db.connect() as conn:
        stored = conn.execute(select(t.OrderRow.lines_json, t.OrderRow.paid_fen)).one()
    assert stored.paid_fen == 5900  # the sale is still the whole amount in the books
    assert [x["participates"] for x in json.loads(stored.lines_json)] == [True, False, True]


def test_a_plain_sale_is_unchanged(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = _till(app, http)
    reg = till.event(registered("13800000002"))
    body = till.push([reg, till.event(paid("C1", 5900, member=reg["body"]["member_id"]))]).json()
    assert body["results"][1]["entry"]["entitlement_fen"] == 5900


def test_lines_that_do_not_add_up_are_refused(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = _till(app, http)
    wrong_sum = paid("C1", 5900) | {"total_fen": 5900, "lines": L1}
    bad_line = paid("C1", 100) | {"lines": [_line("x", 1, 100) | {"amount_fen": 90}]}
    too_much_off = paid("C1", 0) | {"total_fen": 0, "lines": [_line("x", 1, 100, discount_fen=200) | {"amount_fen": 0}]}
    not_a_bool = paid("C1", 100) | {"lines": [_line("x", 1, 100) | {"participates": "no"}]}
    for sale in (wrong_sum, bad_line, too_much_off, not_a_bool):
        r = till.push([till.event(sale)])
        assert (r.status_code, r.json()["code"]) == (400, "invalid_request"), sale


def test_an_event_of_before_sent_again_is_a_duplicate(app: FastAPI, http: httpx.Client) -> None:
    """A line without the fields added within protocol 2 has the digest it had: resending it with them spelled
    out at their defaults is the same event, not a conflicting one."""
    seed(app.state.db, stores={"S1": ["C1"]})
    till = _till(app, http)
    old = till.event(paid("C1", 7800) | {"lines": [_line("面", 2, 3900)]})
    assert till.push([old]).json()["results"][0]["status"] == "accepted"
    spelled = dict(
        old, body=old["body"] | {"lines": [_line("面", 2, 3900, sku=None, discount_fen=0, participates=True)]}
    )
    assert till.push([spelled]).json()["results"][0]["status"] == "duplicate"
    changed = dict(old, body=old["body"] | {"lines": [_line("面", 2, 3900, participates=False)]})
    result = till.push([changed]).json()["results"][0]
    assert (result["status"], result["code"]) == ("refused", "conflicting_duplicate")
