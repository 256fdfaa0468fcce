"""Per-store sale limits set by headquarters (issue 12 item 3): shown and edited on a store's rules form, delivered
to the till in the pull, and the server refuses a sale above the maximum (`amount_over_limit`) whatever the till did."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from server.db import tables as t

from .console_support import sign_in
from .support import ADMIN_PASSWORD, enrolled, paid, seed
from .test_console_rules import store_form


def test_the_server_refuses_a_sale_above_the_stores_maximum(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    at_max, above = till.event(paid("C1", 5_000_000)), till.event(paid("C1", 5_000_001))
    huge = till.event(paid("C1", 100_000_000))  # ¥1,000,000: the amount of issue 12
    results = till.push([at_max, above, huge]).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [
        ("accepted", None),
        ("refused", "amount_over_limit"),
        ("refused", "amount_over_limit"),
    ]
    with app.state.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.OrderRow)).scalar_one() == 1


def test_headquarters_sets_the_limits_the_till_pulls_and_the_server_applies(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    pulled = till.pull().json()["store_settings"]
    assert (pulled["sale_confirm_fen"], pulled["sale_max_fen"]) == (200_000, 5_000_000)  # the retail defaults

    with httpx.Client(base_url=str(http.base_url), timeout=30) as browser:
        csrf = sign_in(browser, "admin", ADMIN_PASSWORD)
        page = browser.get("/console/rules/store/S1").text
        assert 'name="sale_confirm" value="2,000.00"' in page or 'name="sale_confirm" value="2000.00"' in page
        wrong = browser.post(
            "/console/rules/store/S1", data=store_form(app, "S1", csrf, sale_confirm="900", sale_max="800")
        )
        assert wrong.status_code == 422 and "需店长密码的金额不能高于单笔最高金额" in wrong.text
        r = browser.post(
            "/console/rules/store/S1", data=store_form(app, "S1", csrf, sale_confirm="100", sale_max="800")
        )
        assert r.status_code == 303, r.text

    pulled = till.pull().json()["store_settings"]
    assert (pulled["sale_confirm_fen"], pulled["sale_max_fen"]) == (10_000, 80_000)
    results = till.push([till.event(paid("C1", 80_000)), till.event(paid("C1", 80_001))]).json()["results"]
    assert [r["code"] for r in results] == [None, "amount_over_limit"]
