"""Issue 13's end-to-end: a member earns a rebate through the queue at S1, spends it at S2's till, the sale is
refunded, then the member asks for a withdrawal that headquarters approves and exports (HTTP, real server)."""

from __future__ import annotations

import csv
import io

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from server.db import tables as t
from server.services import wallet, wallet_ops
from shared.settings import BaseSettings

from .console_support import sign_in
from .support import ADMIN_PASSWORD, refunded
from .wallet_support import earning_member, enrolled, hold, tender, wallet_sale


def test_earn_at_s1_spend_at_s2_refund_withdraw_approve_export(app: FastAPI, http: httpx.Client) -> None:
    _, member = earning_member(app, http, base={"wallet": {"withdrawal_enabled": True}})  # 100.00 earned at S1
    s2 = enrolled(app, http, "S2")
    seen = s2.http.get(f"/api/v1/wallet/members/{member}", headers=s2.auth).json()
    assert seen["rebate_available_fen"] == 10_000
    h = hold(s2, app, member, amount_fen=7_000).json()
    sale = s2.event(wallet_sale("C2", member, 9_000, [tender(h)]))  # 70.00 from the wallet + 20.00 cash
    assert s2.push([sale]).json()["results"][0]["status"] == "accepted"
    with app.state.db.connect() as conn:
        after_sale = wallet.wallet_of(conn, member).rebate_fen
    assert after_sale < 10_000
    r = s2.push([s2.event(refunded(sale["body"]["order_id"], 9_000))])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    with app.state.db.connect() as conn:
        back = wallet.wallet_of(conn, member)
        base = BaseSettings.model_validate_json(conn.execute(select(t.SettingsRow.base_json)).scalar_one())
    assert back.rebate_fen == 10_000  # the 70.00 back, and what the sale's own entry got clawed back
    with app.state.db.connect() as conn:
        request = wallet_ops.request_withdrawal(
            conn, member_id=member, amount_fen=5_000, key="journey", settings=base, now=app.state.clock.now()
        )
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    assert http.post(f"/console/wallet/withdrawals/{request.id}/approve", data={"csrf": csrf}).status_code == 303
    assert http.post("/console/wallet/batches", data={"csrf": csrf}).status_code == 303
    with app.state.db.connect() as conn:
        [(batch, count, total, paid)] = wallet_ops.batches(conn)
    assert (count, total, paid) == (1, 5_000, False)
    lines = list(csv.reader(io.StringIO(http.get(f"/console/wallet/batches/{batch}.csv").content.decode("utf-8-sig"))))
    assert lines[1][2:] == ["50.00", request.reference]
    assert http.post(f"/console/wallet/batches/{batch}/paid", data={"csrf": csrf}).status_code == 303
    with app.state.db.connect() as conn:
        final = wallet.wallet_of(conn, member)
        assert wallet_ops.get(conn, request.id).state == "paid"
    assert (final.rebate_fen, final.withdrawn_fen) == (5_000, 5_000)
