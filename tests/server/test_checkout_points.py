"""A till's checkout point (收银台) is the server's (issue 12 item 12): bound at enrolment (the code names it, else the
store's first), moved by headquarters in the console, the sale's checkout point taken from the binding whatever
the till sends, and told to the till in the pull when it asks (`checkout=true`)."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from server.db import tables as t
from server.db.database import Database
from server.services import terminals
from shared.tokens import new_private_key, public_key_text

from .console_support import sign_in
from .migration_support import upgrade_from
from .support import ADMIN_PASSWORD, T0, Till, enrolment_code, paid, seed


def _cashier_of(app: FastAPI, order_id: str) -> str:
    with app.state.db.connect() as conn:
        return str(conn.execute(select(t.OrderRow.cashier_id).where(t.OrderRow.order_id == order_id)).scalar_one())


def _enrol(app: FastAPI, http: httpx.Client, cashier: str | None = None) -> Till:
    with app.state.db.connect() as conn:
        code = terminals.create_enrolment_code(
            conn, store_id="S1", now=T0, ttl=dt.timedelta(minutes=10), cashier_id=cashier
        )
    till = Till(http)
    assert till.enroll(code).status_code == 200
    return till


def test_the_server_takes_the_checkout_point_from_the_binding(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1", "C2"]})
    default, bound = _enrol(app, http), _enrol(app, http, "C2")
    a, b = default.event(paid("C2", 1_000)), bound.event(paid("C1", 1_000))  # what each till says does not count
    assert default.push([a]).json()["results"][0]["status"] == "accepted"
    assert bound.push([b]).json()["results"][0]["status"] == "accepted"
    assert (_cashier_of(app, a["body"]["order_id"]), _cashier_of(app, b["body"]["order_id"])) == ("C1", "C2")

    asked = bound.http.get("/api/v1/sync/pull", params={"checkout": "true"}, headers=bound.auth).json()
    assert asked["checkout"] == {"cashier_id": "C2", "name": "C2"}
    assert "checkout" not in bound.pull().json()  # a till that does not ask gets the answer of before


def test_a_code_for_a_checkout_point_of_another_store_is_refused(app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    with app.state.db.connect() as conn:
        try:
            terminals.create_enrolment_code(conn, store_id="S1", now=T0, ttl=dt.timedelta(minutes=5), cashier_id="C2")
        except terminals.Refused as exc:
            assert exc.code == "unknown_cashier"
        else:
            raise AssertionError("a code for another store's checkout point was made")


def test_headquarters_enrols_for_and_moves_between_checkout_points_in_the_console(
    app: FastAPI, http: httpx.Client
) -> None:
    seed(app.state.db, stores={"S1": ["C1", "C2"]})
    with httpx.Client(base_url=str(http.base_url), timeout=30) as browser:
        csrf = sign_in(browser, "admin", ADMIN_PASSWORD)
        page = browser.post("/console/stores/S1/enrol", data={"csrf": csrf, "cashier_id": "C2"}).text
        code = re.search(r'id="enrolment-code">([^<]+)<', page)
        assert code is not None
        till = Till(http)
        assert till.enroll(code.group(1)).status_code == 200
        sale = till.event(paid("C1", 500))
        till.push([sale])
        assert _cashier_of(app, sale["body"]["order_id"]) == "C2"

        moved = browser.post(f"/console/terminals/{till.terminal_id}/move", data={"csrf": csrf, "cashier_id": "C1"})
        assert moved.status_code == 303
        row = re.search(rf'data-terminal="{till.terminal_id}".*?</tr>', browser.get("/console/stores/S1").text, re.S)
        assert row is not None and re.search(r'<option value="C1" selected>', row.group(0))
        later = till.event(paid("C2", 500))
        till.push([later])
        assert _cashier_of(app, later["body"]["order_id"]) == "C1"
        wrong = browser.post(f"/console/terminals/{till.terminal_id}/move", data={"csrf": csrf, "cashier_id": "C9"})
        assert wrong.status_code == 422


def test_upgrade_binds_existing_tills_to_their_stores_first_checkout_point(db: Database) -> None:
    seed(db, stores={"S1": ["C2", "C1"]})
    code = enrolment_code(db, "S1", now=T0)
    with db.connect() as conn:
        enrolled = terminals.enroll(conn, code=code, name="old", public_key=public_key_text(new_private_key()), now=T0)
    upgrade_from(db, "0009_wire_phone_keys")
    with db.connect() as conn:
        bound = conn.execute(select(t.Terminal.cashier_id).where(t.Terminal.terminal_id == enrolled.terminal_id))
        assert bound.scalar_one() == "C1"  # what its till sent until now: the store's first by id
