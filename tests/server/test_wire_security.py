"""What a hostile client found on the wire (issue 15): links that live forever, sales back-dated by years."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.clock import FixedClock
from server.db import tables as t

from .member_support import open_shop
from .support import T0, Till, enrolment_code, live_server, paid, seed


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def test_a_till_signed_link_lives_no_longer_than_the_server_honours(
    app: FastAPI, client: httpx.Client, clock: FixedClock
) -> None:
    shop = open_shop(app)
    order = shop.sell("a", "m1", 10_000)
    year_3000 = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
    r = client.get(f"/m/{shop.order_link(order, expires=year_3000)}")
    assert r.status_code == 403, "a link that says it lives for ever"
    usual = shop.order_link(order, expires=T0 + dt.timedelta(days=30))  # what a till signs at the sale
    assert client.get(f"/m/{usual}").status_code == 200
    clock.set(T0 + dt.timedelta(days=30, hours=23))  # a fast till clock is forgiven a day
    fresh = shop.order_link(order, expires=clock.now() + dt.timedelta(days=30))  # signed again, long after the sale
    assert client.get(f"/m/{fresh}").status_code == 200
    clock.set(T0 + dt.timedelta(days=31))
    r = client.get(f"/m/{fresh}")
    assert r.status_code == 410, "an old order's link, however freshly signed, expires with the order's age"
    pending = shop.order_link("5f0c6f4e-0000-4000-8000-000000000001", expires=year_3000)
    assert client.get(f"/m/{pending}").status_code == 403  # not synced yet: the claim alone is refused


def test_a_sale_back_dated_by_years_is_placed_at_its_arrival_and_flagged(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
    years = till.event(paid("C1", 1_000, at=T0 - dt.timedelta(days=3 * 365)))
    weeks = till.event(paid("C1", 2_000, at=T0 - dt.timedelta(days=29)))  # a till long offline: its own times
    results = till.push([years, weeks]).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    with app.state.db.connect() as conn:
        rows = {
            r.paid_fen: (r.paid_at, r.clock_skew)
            for r in conn.execute(select(t.OrderRow.paid_fen, t.OrderRow.paid_at, t.OrderRow.clock_skew))
        }
    assert rows[1_000] == (T0, True)
    assert rows[2_000] == (T0 - dt.timedelta(days=29), False)


def test_a_phone_in_another_scripts_digits_is_refused_with_the_request(app: FastAPI, http: httpx.Client) -> None:
    """`\\d` matches every script's digits: '13٨00000000' (an Arabic-Indic eight) is not a phone number."""
    from .support import registered

    seed(app.state.db, stores={"S1": ["C1"]})
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
    r = till.push([till.event(registered("13\u066800000000"))])
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.Member)).all() == []
