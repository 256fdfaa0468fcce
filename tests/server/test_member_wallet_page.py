"""The signed-in page's wallet forms (issue 13 items 5 and 6, the member's side): a withdrawal request when
headquarters enabled it, and a confirmed points transfer within the daily cap; both through the wallet services,
idempotent on the form's key, refused with words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.clock import FixedClock
from server.db import tables as t
from server.member_page import session
from server.member_page.i18n import Words
from server.member_page.view import CLOSED_SHOWN
from server.services import admin, wallet
from shared.engine.commands import ChangeSettings, Exchange, PayOrder
from shared.errors import Code

from .support import T0, live_server
from .test_member_signin import shop, sign_in

OTHER = "13900000001"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + dt.timedelta(hours=1))


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    shop(app)
    with app.state.db.connect() as conn:
        admin.add_member(conn, member_id="m3", at=T0, phone=OTHER, name="王小明")
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        sign_in(app, c)
        yield c


def settings(app: FastAPI, clock: FixedClock, **base: Any) -> None:
    app.state.ingest.apply(ChangeSettings(at=clock.now(), base=base, actor="hq"))


def form(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action`."""
    part = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', part))


def balance(app: FastAPI, member: str) -> wallet.WalletView:
    with app.state.db.connect() as conn:
        return wallet.wallet_of(conn, member)


def test_no_withdrawal_form_unless_headquarters_enabled_it(app: FastAPI, client: httpx.Client) -> None:
    assert 'action="/m/me/withdraw"' not in client.get("/m/me").text
    token = session.form_token(client.cookies["paidui_member"], "withdraw")
    refused = client.post("/m/me/withdraw", data={"amount": "10", "key": "k" * 20, "form_token": token})
    assert refused.status_code == 409 and Words("zh").code(Code.WITHDRAWAL_DISABLED) in refused.text
    assert client.post("/m/me/withdraw", data={"amount": "10", "key": "k" * 20, "form_token": "x"}).status_code == 403
    assert balance(app, "m1").rebate_fen == 1500


def test_a_withdrawal_is_requested_once_and_reserves_the_amount(
    app: FastAPI, client: httpx.Client, clock: FixedClock
) -> None:
    settings(app, clock, wallet={"withdrawal_enabled": True, "withdrawal_min_fen": 1000})
    page = client.get("/m/me").text
    assert "不是即时到账" in page and "最低 ¥10.00" in page
    fields = form(page, "/m/me/withdraw")
    done = client.post("/m/me/withdraw", data={**fields, "amount": "12.50"})
    assert done.status_code == 303
    again = client.post("/m/me/withdraw", data={**fields, "amount": "12.50"})  # a second click: the same request
    assert again.status_code == 303
    with app.state.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.Withdrawal)).scalar() == 1
    assert balance(app, "m1").rebate_fen == 1500 - 1250
    shown = client.get(done.headers["location"]).text
    assert "提现申请已提交" in shown and "¥12.50 已从余额中预留" in shown
    assert 'data-field="withdrawal"' in shown and "审核中" in shown
    assert 'data-field="wallet-rebate">¥2.50<' in shown

    fresh = form(shown, "/m/me/withdraw")
    too_little = client.post("/m/me/withdraw", data={**fresh, "amount": "5"})
    assert too_little.status_code == 409
    too_much = client.post("/m/me/withdraw", data={**form(shown, "/m/me/withdraw"), "amount": "10"})
    assert too_much.status_code == 409
    assert client.post("/m/me/withdraw", data={**fresh, "amount": "abc"}).status_code == 400
    assert balance(app, "m1").rebate_fen == 250


def test_points_are_given_after_a_confirmation_within_the_daily_cap(
    app: FastAPI, client: httpx.Client, clock: FixedClock
) -> None:
    settings(app, clock, points_exchange_enabled=True, wallet={"transfer_daily_cap_points": 30})
    app.state.ingest.apply(Exchange(order_id="order-S2", into="points", at=clock.now(), member_id="m1"))
    points = balance(app, "m1").points
    assert points == 45  # 45.00 still waiting on the S2 entry, at 1 point a yuan
    page = client.get("/m/me").text
    assert "每天最多转出 30 积分" in page
    fields = form(page, "/m/me/transfer/confirm")
    confirm = client.post("/m/me/transfer/confirm", data={**fields, "to": OTHER, "points": "20"})
    assert confirm.status_code == 200
    assert "把 20 积分转给 139****0001" in confirm.text and "m3" not in confirm.text
    assert balance(app, "m3").points == 0  # nothing moved before the confirmation
    final = form(confirm.text, "/m/me/transfer")
    assert client.post("/m/me/transfer", data=final).status_code == 303
    assert client.post("/m/me/transfer", data=final).status_code == 303  # the same key: given once
    assert balance(app, "m1").points == points - 20 and balance(app, "m3").points == 20
    shown = client.get("/m/me").text
    assert "转出积分" in shown and "−20 积分" in shown

    # a different amount than the one confirmed is refused (the token binds it)
    assert client.post("/m/me/transfer", data={**final, "points": "1"}).status_code == 403
    over = client.post(
        "/m/me/transfer/confirm", data={**form(shown, "/m/me/transfer/confirm"), "to": OTHER, "points": "20"}
    )
    refused = client.post("/m/me/transfer", data=form(over.text, "/m/me/transfer"))
    assert refused.status_code == 409  # 20 + 20 is over the cap of 30 a day
    assert balance(app, "m3").points == 20


def test_a_transfer_needs_another_member(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    fields = form(client.get("/m/me").text, "/m/me/transfer/confirm")
    nobody = client.post("/m/me/transfer/confirm", data={**fields, "to": "13700000000", "points": "1"})
    assert nobody.status_code == 400 and "没有找到这个会员" in nobody.text
    me = client.post("/m/me/transfer/confirm", data={**fields, "to": "13800138000", "points": "1"})
    assert me.status_code == 400 and "不能转给自己" in me.text


def test_every_closed_entry_can_be_reached_signed_in(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    settings(app, clock, extraction_bp=10_000)  # on a cashier of its own, each sale pays its own entry in full
    with app.state.db.connect() as conn:
        admin.add_cashier(conn, cashier_id="C3", store_id="S1", name="C3")
    for n in range(CLOSED_SHOWN + 3):
        app.state.ingest.apply(
            PayOrder(
                order_id=f"closed-{n:02d}",
                store_id="S1",
                cashier_id="C3",
                member_id="m1",
                paid_fen=100,
                paid_at=clock.now(),
                received_at=clock.now(),
                terminal_id=None,
                completed=True,
            )
        )
    first = client.get("/m/me").text
    shown = set(re.findall(r'data-order="(closed-\d\d)"', first))
    assert len(shown) == CLOSED_SHOWN and 'data-field="older-closed"' in first
    older = client.get("/m/me?c=2").text
    rest = set(re.findall(r'data-order="(closed-\d\d)"', older))
    assert shown | rest == {f"closed-{n:02d}" for n in range(CLOSED_SHOWN + 3)}
    assert 'data-field="older-closed"' not in older and 'data-field="newer-closed"' in older
