"""Every waiting entry can be reached, drawn and exchanged, however many a member has (issue 15 item 6)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.clock import FixedClock
from server.db import tables as t
from server.member_page.view import WAITING_SHOWN

from .member_support import open_shop
from .support import T0, live_server

LOTTERY = {"lottery": {"mode": "fixed", "options": [{"ratio_bp": 5000}, {"ratio_bp": 20000}]}}
MANY = WAITING_SHOWN + 5


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + dt.timedelta(hours=2))


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def _orders(html: str) -> list[str]:
    return re.findall(r'<article class="card entry[^"]*status-waiting" data-order="([^"]+)"', html)


def _waiting(app: FastAPI) -> list[str]:
    with app.state.db.connect() as conn:
        entries = select(t.EntryRow.order_id).where(t.EntryRow.status == "waiting").order_by(t.EntryRow.seq)
        return list(conn.execute(entries).scalars())


def _draw_form(html: str, order_id: str) -> dict[str, str]:
    block = html[html.index(f'data-order="{order_id}"') :]
    block = block[: block.index("</form>")]
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', block))


def test_a_member_with_many_waiting_entries_draws_and_exchanges_the_newest(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app, store=LOTTERY, base={"points_exchange_enabled": True})
    for n in range(MANY + 10):  # each sale's 10% fills the head: the first few entries complete
        shop.sell(f"o{n}", "m1", 10_000, minutes=n)
    orders = _waiting(app)
    assert len(orders) > WAITING_SHOWN
    link = shop.member_link("m1")
    first = client.get(f"/m/{link}")
    assert _orders(first.text) == orders[:WAITING_SHOWN] and 'data-field="next-page"' in first.text
    second = client.get(f"/m/{link}?p=2&lang=zh")
    assert _orders(second.text) == orders[WAITING_SHOWN:]
    assert 'data-field="next-page"' not in second.text and 'data-field="previous-page"' in second.text
    newest = orders[-1]
    form = _draw_form(second.text, newest)
    assert form["form_token"], "the draw form of an entry on the second page has its token"
    r = client.post(f"/m/{link}/draw", data=form)
    assert r.status_code == 303, r.text[:300]
    notice = client.get(r.headers["location"])
    assert 'data-field="notice"' in notice.text  # the outcome is read back although the entry is on page 2
    confirm = client.get(f"/m/{link}/exchange?o={newest}")
    assert confirm.status_code == 200, confirm.text[:300]
    exchange = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', confirm.text.split("<form")[1]))
    assert client.post(f"/m/{link}/exchange", data=exchange).status_code == 303
    with app.state.db.connect() as conn:
        entry = conn.execute(select(t.EntryRow).where(t.EntryRow.order_id == newest)).one()
    assert (entry.lottery_state, entry.status) == ("drawn", "exchanged")


def test_an_order_link_to_a_late_entry_shows_it_waiting(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app, store=LOTTERY)
    for n in range(MANY + 10):
        shop.sell(f"o{n}", "m1", 10_000, minutes=n)
    orders = _waiting(app)
    page = client.get(f"/m/{shop.order_link(orders[-1])}")
    assert _orders(page.text) == [orders[-1]], "the order's own entry, waiting, and nothing else of the member's"
    assert 'data-field="draw"' not in page.text  # the draw is on the member's own page (issue 12 item 5)
    own = client.get(f"/m/{shop.member_link('m1')}", params={"p": (len(orders) - 1) // WAITING_SHOWN + 1}).text
    assert _draw_form(own, orders[-1])["form_token"]
    assert client.get(f"/m/{shop.member_link('m1')}?p=0").status_code == 400
