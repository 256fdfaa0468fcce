"""The counter on the wire (issue 14): split tenders with cash received and change, stored with the order."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select

from server.db import tables as t
from shared.wire import OrderPaid, TenderPart

from .support import T0, enrolled, paid, seed


def _order(app: FastAPI, order_id: str) -> t.OrderRow:
    with app.state.db.connect() as conn:
        return conn.execute(select(t.OrderRow).where(t.OrderRow.order_id == order_id)).one()


def test_split_tenders_are_stored_with_the_order(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    body = paid("C1", 10_000) | {
        "tender": "cash",
        "tenders": [
            {"kind": "card", "amount_fen": 3_000},
            {"kind": "cash", "amount_fen": 7_000, "received_fen": 10_000, "change_fen": 3_000},
        ],
    }
    plain = paid("C1", 500)
    r = till.push([till.event(body), till.event(plain)])
    assert [x["status"] for x in r.json()["results"]] == ["accepted", "accepted"], r.text
    row = _order(app, body["order_id"])
    assert json.loads(row.tenders_json) == body["tenders"]
    assert _order(app, plain["order_id"]).tenders_json is None  # the fast sale is as it was


@pytest.mark.parametrize(
    "tenders",
    [
        [{"kind": "card", "amount_fen": 3_000}],  # does not add up to paid_fen
        [{"kind": "cash", "amount_fen": 10_000, "received_fen": 5_000, "change_fen": 0}],  # received - change ≠ amount
        [{"kind": "card", "amount_fen": 10_000, "received_fen": 10_000, "change_fen": 0}],  # change for a card
        [{"kind": "cash", "amount_fen": 10_000, "received_fen": 10_000}],  # received without change
        [{"kind": "other", "amount_fen": 10_000}],
        [{"kind": "cash", "amount_fen": 0}, {"kind": "card", "amount_fen": 10_000}],
    ],
)
def test_tenders_that_do_not_add_up_are_refused(app: FastAPI, http: httpx.Client, tenders: list[object]) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    r = till.push([till.event(paid("C1", 10_000) | {"tenders": tenders})])
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.OrderRow)).first() is None


def test_the_wire_model_checks_the_sums() -> None:
    part = TenderPart(kind="cash", amount_fen=8850, received_fen=10_000, change_fen=1150)
    sale = OrderPaid.model_validate(paid("C1", 8850) | {"tenders": [part.model_dump(exclude_none=True)]}, strict=False)
    assert sale.tenders == [part]
    with pytest.raises(ValidationError, match="add up to paid_fen"):
        OrderPaid.model_validate(paid("C1", 8851) | {"tenders": [part.model_dump()]})


def test_a_drawer_opening_is_stored_once(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    body = {
        "type": "drawer_opened",
        "drawer_id": "0192f3a4-5b6c-7d8e-9f00-000000000001",
        "opened_at": T0.isoformat(),
        "reason": "change for the float",
    }
    event = till.event(body)
    assert till.push([event]).json()["results"][0]["status"] == "accepted"
    assert till.push([event]).json()["results"][0]["status"] == "duplicate"
    with app.state.db.connect() as conn:
        [row] = conn.execute(select(t.DrawerOpening)).all()
    assert (row.store_id, row.terminal_id, row.reason, row.employee_id) == (
        "S1",
        till.terminal_id,
        body["reason"],
        None,
    )


def _z(z_id: str, shift_no: int = 1) -> dict[str, object]:
    return {
        "type": "shift_closed",
        "z_id": z_id,
        "shift_no": shift_no,
        "opened_at": T0.isoformat(),
        "closed_at": T0.isoformat(),
        "sales_count": 2,
        "paid_fen": 12_850,
        "refunds_fen": 0,
        "opening_float_fen": 20_000,
        "cash_expected_fen": 28_850,
        "cash_counted_fen": 28_350,
        "tenders": [
            {"kind": "cash", "sales_count": 1, "sales_fen": 8_850, "refunds_fen": 0},
            {"kind": "card", "sales_count": 1, "sales_fen": 4_000, "refunds_fen": 0},
        ],
    }


def test_a_z_report_is_stored_once(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    first = till.event(_z("0192f3a4-5b6c-7d8e-9f00-0000000000a1"))
    # the same Z again (resent), and a second Z for the same shift of the same till (a till restored from a backup)
    again = till.event(_z("0192f3a4-5b6c-7d8e-9f00-0000000000a2"))
    body = till.push([first, again]).json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert till.push([first]).json()["results"][0]["status"] == "duplicate"
    with app.state.db.connect() as conn:
        [row] = conn.execute(select(t.ZReport)).all()
    assert (row.z_id, row.store_id, row.terminal_id, row.shift_no) == (first["body"]["z_id"], "S1", till.terminal_id, 1)
    assert (row.cash_expected_fen, row.cash_counted_fen, row.opening_float_fen) == (28_850, 28_350, 20_000)
    assert json.loads(row.tenders_json)[1] == {"kind": "card", "sales_count": 1, "sales_fen": 4_000, "refunds_fen": 0}
