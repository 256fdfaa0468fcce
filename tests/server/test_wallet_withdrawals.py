"""Withdrawals (提现) and points transfers: the settings decide, every step is idempotent and audited, and headquarters
approves, declines, exports the payout file (CSV, XLSX) and marks it paid in the console (docs/wallet.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select

from server.db import tables as t
from server.db.database import Database
from server.services import admin, audit, wallet, wallet_ops
from shared.errors import RuleError
from shared.settings import BaseSettings

from .console_support import MANAGER_PASSWORD, add_manager, csrf_of, sign_in
from .support import ADMIN_PASSWORD, T0
from .wallet_support import earning_member


def _settings(db: Database) -> BaseSettings:
    with db.connect() as conn:
        return BaseSettings.model_validate_json(conn.execute(select(t.SettingsRow.base_json)).scalar_one())


def _request(db: Database, member: str, fen: int, key: str, at: dt.datetime = T0) -> wallet_ops.WithdrawalView:
    settings = _settings(db)
    with db.connect() as conn:
        return wallet_ops.request_withdrawal(conn, member_id=member, amount_fen=fen, key=key, settings=settings, now=at)


def test_withdrawal_is_off_until_headquarters_switches_it_on(app: FastAPI, http: httpx.Client) -> None:
    _, member = earning_member(app, http)
    with pytest.raises(RuleError) as refused:
        _request(app.state.db, member, 2_000, "k0")
    assert refused.value.code == "withdrawal_disabled"
    current = _settings(app.state.db)
    wallet_settings = current.wallet.model_copy(
        update={"withdrawal_enabled": True, "withdrawal_min_fen": 1_000, "withdrawal_daily_cap_fen": 5_000}
    )
    with app.state.db.connect() as conn:
        admin.set_base_settings(conn, current.model_copy(update={"wallet": wallet_settings}), actor="test", at=T0)
    for fen, code in ((999, "below_minimum"), (20_000, "daily_cap_exceeded")):
        with pytest.raises(RuleError) as refused:
            _request(app.state.db, member, fen, f"k-{fen}")
        assert refused.value.code == code
    first = _request(app.state.db, member, 3_000, "k1")
    assert _request(app.state.db, member, 3_000, "k1") == first  # a double click is one request
    with pytest.raises(RuleError) as refused:
        _request(app.state.db, member, 2_500, "k2")  # 3,000 + 2,500 > today's 5,000
    assert refused.value.code == "daily_cap_exceeded"
    assert _request(app.state.db, member, 2_500, "k3", T0 + dt.timedelta(days=1)).state == "requested"
    with app.state.db.connect() as conn:
        w = wallet.wallet_of(conn, member)
    assert (w.rebate_fen, w.withdrawn_fen) == (10_000 - 5_500, 5_500)


def test_headquarters_approves_declines_exports_and_marks_paid(app: FastAPI, http: httpx.Client) -> None:
    _, member = earning_member(app, http, base={"wallet": {"withdrawal_enabled": True}})
    a = _request(app.state.db, member, 4_000, "a")
    b = _request(app.state.db, member, 1_500, "b")
    add_manager(app.state.db, "boss", "S1")
    sign_in(http, "boss", MANAGER_PASSWORD)
    assert http.get("/console/wallet").status_code == 403  # the wallet is headquarters' business
    http.cookies.clear()
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    page = http.get("/console/wallet")
    assert page.status_code == 200 and f'data-reference="{a.reference}"' in page.text
    r = http.post(f"/console/wallet/withdrawals/{a.id}/approve", data={"csrf": csrf})
    assert r.status_code == 303, r.text
    r = http.post(f"/console/wallet/withdrawals/{b.id}/decline", data={"csrf": csrf, "reason": ""})
    assert r.status_code == 422 and "wallet-error" in r.text  # a decline needs its reason
    r = http.post(f"/console/wallet/withdrawals/{b.id}/decline", data={"csrf": csrf, "reason": "bank details"})
    assert r.status_code == 303
    r = http.post(f"/console/wallet/withdrawals/{a.id}/decline", data={"csrf": csrf, "reason": "late"})
    assert r.status_code == 422 and "wallet-error" in r.text  # decided already
    with app.state.db.connect() as conn:
        w = wallet.wallet_of(conn, member)
    assert (w.rebate_fen, w.withdrawn_fen) == (6_000, 4_000)

    assert http.post("/console/wallet/batches", data={"csrf": csrf}).status_code == 303
    page = http.get("/console/wallet").text
    [batch] = [b for b, *_ in _batches(app)]
    assert f'data-batch="{batch}" data-paid="no"' in page
    rows = list(csv.reader(io.StringIO(http.get(f"/console/wallet/batches/{batch}.csv").content.decode("utf-8-sig"))))
    assert rows[1] == [member, "138****0001", "40.00", a.reference]
    sheet = load_workbook(io.BytesIO(http.get(f"/console/wallet/batches/{batch}.xlsx").content)).active
    values = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert values == [member, "138****0001", 40, a.reference]  # the amount in yuan, a number
    assert http.post("/console/wallet/batches", data={"csrf": csrf}).status_code == 303  # nothing new: no batch
    assert len(_batches(app)) == 1
    for _ in range(2):  # marking paid twice is once
        assert http.post(f"/console/wallet/batches/{batch}/paid", data={"csrf": csrf}).status_code == 303
    assert f'data-batch="{batch}" data-paid="yes"' in http.get("/console/wallet").text
    member_page = http.get("/console/wallet", params={"q": member}).text
    assert 'id="member-balance" data-fen="6000"' in member_page and 'data-reason="withdrawal_declined"' in member_page
    liability = http.get("/console/liability").text
    assert 'id="wallet-balances" data-fen="6000"' in liability
    with app.state.db.connect() as conn:
        actions = [r.action for r in audit.recent(conn, scope=None)]
    assert actions.count("payout_paid") == 1
    assert {"withdrawal_requested", "withdrawal_approved", "withdrawal_declined", "payout_exported"} <= set(actions)


def _batches(app: FastAPI) -> list[tuple[str, int, int, bool]]:
    with app.state.db.connect() as conn:
        return wallet_ops.batches(conn)


def test_points_transfer_has_a_daily_cap_and_is_idempotent(app: FastAPI, http: httpx.Client) -> None:
    _, member = earning_member(app, http, base={"wallet": {"transfer_daily_cap_points": 300}})
    db = app.state.db
    with db.connect() as conn:
        from server.db.wallet_balances import adjust
        from server.services import members

        adjust(conn, member, points=1_000)
        members.add(conn, phone="13900000009", member_id="friend", now=T0)
    settings = _settings(db)

    def send(points: int, key: str, to: str = "13900000009") -> str:
        with db.connect() as conn:
            return wallet_ops.transfer_points(
                conn, from_member=member, to=to, points=points, key=key, settings=settings, now=T0
            )

    assert send(200, "t1") == send(200, "t1")  # one transfer
    for points, key, to, code in (
        (101, "t2", "13900000009", "daily_cap_exceeded"),
        (10, "t3", "13900000000", "unknown_member"),
        (10, "t4", member, "invalid_request"),
    ):
        with pytest.raises(RuleError) as refused:
            send(points, key, to)
        assert refused.value.code == code
    with db.connect() as conn:
        assert (wallet.wallet_of(conn, member).points, wallet.wallet_of(conn, "friend").points) == (800, 200)


__all__ = ["csrf_of"]


def test_headquarters_sets_the_wallet_on_its_page_and_the_rules_form_keeps_it(app: FastAPI, http: httpx.Client) -> None:
    from .test_console_rules import base_form

    _, member = earning_member(app, http)
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    values = {
        "csrf": csrf,
        "withdrawal_enabled": "1",
        "withdrawal_min_fen": "500",
        "withdrawal_daily_cap_fen": "0",
        "points_per_yuan": "50",
        "hold_minutes": "5",
        "voucher_valid_days": "0",
        "transfer_daily_cap_points": "0",
    }
    assert http.post("/console/wallet/settings", data={**values, "hold_minutes": "x"}).status_code == 422
    assert http.post("/console/wallet/settings", data=values).status_code == 303
    assert _request(app.state.db, member, 600, "w1").state == "requested"  # the setting changed the outcome
    # saving the rules page (which does not show the wallet) leaves the wallet's settings as they are
    r = http.post("/console/rules/base", data=base_form(app, csrf, extraction_bp="20"))
    assert r.status_code == 303, r.text
    after = _settings(app.state.db)
    assert after.extraction_bp == 2000 and after.wallet.points_per_yuan == 50 and after.wallet.withdrawal_enabled
