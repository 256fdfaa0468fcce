"""The hold API over HTTP: consent, reservation, idempotency, capture by the sale, release and expiry."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi import FastAPI

from server.services import wallet

from .support import T0, Till, refunded
from .wallet_support import code, earning_member, enrolled, hold, tender, wallet_sale


def balance(app: FastAPI, member: str) -> wallet.WalletView:
    with app.state.db.connect() as conn:
        return wallet.wallet_of(conn, member, all_vouchers=True)


def test_a_hold_reserves_the_balance_and_the_sale_captures_it(app: FastAPI, http: httpx.Client) -> None:
    till, member = earning_member(app, http)
    assert balance(app, member).rebate_fen == 10_000
    r = hold(till, app, member, amount_fen=6_000, key="k1")
    assert r.status_code == 201, r.text
    h = r.json()
    assert (h["state"], h["amount_fen"], h["expires_at"]) == ("held", 6_000, "2026-03-02T02:10:00Z")
    assert balance(app, member).rebate_available_fen == 4_000
    seen = till.http.get(f"/api/v1/wallet/members/{member}", headers=till.auth).json()
    assert seen["rebate_available_fen"] == 4_000
    # a second hold for more than is left is refused; the first stands
    app.state.clock.set(T0 + dt.timedelta(seconds=30))
    r = hold(till, app, member, amount_fen=4_001)
    assert (r.status_code, r.json()["code"]) == (422, "insufficient_balance")
    # the sale carries the hold: 80.00 of which 60.00 from the balance
    sale = wallet_sale("C1", member, 8_000, [tender(h)])
    r = till.push([till.event(sale)])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    w = balance(app, member)
    assert (w.rebate_fen, w.rebate_held_fen) == (4_000 + sale_rebate(app, member, w), 0)
    assert till.http.get(f"/api/v1/wallet/holds/{h['hold_id']}", headers=till.auth).json()["state"] == "captured"
    r = till.http.post(f"/api/v1/wallet/holds/{h['hold_id']}/release", headers=till.auth)
    assert (r.status_code, r.json()["code"]) == (422, "hold_invalid")


def sale_rebate(app: FastAPI, member: str, w: wallet.WalletView) -> int:
    """What the wallet sale itself brought the member through the queue (its entry is paid from its contribution)."""
    with app.state.db.connect() as conn:
        lines = wallet.ledger_of(conn, member)
    return sum(x.amount for x in lines if x.kind == "rebate" and x.reason == "rebate") - 10_000


def test_consent_is_needed_once_per_hold(app: FastAPI, http: httpx.Client) -> None:
    till, member = earning_member(app, http)
    r = hold(till, app, member, amount_fen=100, payment_code="12345678")
    assert (r.status_code, r.json()["code"]) == (422, "consent_required")
    used = code(app, member)
    assert hold(till, app, member, amount_fen=100, payment_code=used).status_code == 201
    r = hold(till, app, member, amount_fen=100, payment_code=used)
    assert (r.status_code, r.json()["code"]) == (422, "consent_required")
    assert balance(app, member).rebate_held_fen == 100


def test_the_idempotency_key_answers_the_same_hold(app: FastAPI, http: httpx.Client) -> None:
    till, member = earning_member(app, http)
    first = hold(till, app, member, amount_fen=500, key="same")
    again = hold(till, app, member, amount_fen=500, key="same", payment_code="00000000")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["hold_id"] == first.json()["hold_id"]
    other = hold(till, app, member, amount_fen=600, key="same")
    assert (other.status_code, other.json()["code"]) == (422, "conflicting_duplicate")
    assert balance(app, member).rebate_held_fen == 500


def test_release_and_expiry_give_the_reservation_back(app: FastAPI, http: httpx.Client) -> None:
    till, member = earning_member(app, http)
    a = hold(till, app, member, amount_fen=3_000).json()
    app.state.clock.set(T0 + dt.timedelta(seconds=30))
    b = hold(till, app, member, amount_fen=2_000).json()
    assert balance(app, member).rebate_held_fen == 5_000
    r = till.http.post(f"/api/v1/wallet/holds/{a['hold_id']}/release", headers=till.auth)
    assert r.json()["state"] == "released"
    again = till.http.post(f"/api/v1/wallet/holds/{a['hold_id']}/release", headers=till.auth)
    assert again.json()["state"] == "released"
    assert balance(app, member).rebate_held_fen == 2_000
    report = app.state.jobs.tick(T0 + dt.timedelta(minutes=11))
    assert report.holds_expired == 1
    assert balance(app, member).rebate_held_fen == 0
    assert till.http.get(f"/api/v1/wallet/holds/{b['hold_id']}", headers=till.auth).json()["state"] == "expired"
    # a sale that arrives after its hold expired still captures it while the wallet has the money
    r = till.push([till.event(wallet_sale("C1", member, 2_000, [tender(b)]))])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    assert balance(app, member).rebate_fen < 10_000


def test_another_store_cannot_use_the_hold(app: FastAPI, http: httpx.Client) -> None:
    till, member = earning_member(app, http)
    h = hold(till, app, member, amount_fen=1_000).json()
    other: Till = enrolled(app, http, "S2")
    assert other.http.get(f"/api/v1/wallet/holds/{h['hold_id']}", headers=other.auth).json()["code"] == "hold_invalid"
    r = other.push([other.event(wallet_sale("C2", member, 1_000, [tender(h)]))])
    assert (r.json()["results"][0]["status"], r.json()["results"][0]["code"]) == ("refused", "hold_invalid")
    assert balance(app, member).rebate_held_fen == 1_000


def test_points_and_vouchers_are_held_and_spent(app: FastAPI, http: httpx.Client) -> None:
    till, member = earning_member(
        app,
        http,
        base={"points_exchange_enabled": True, "voucher_exchange_enabled": True, "wallet": {"points_per_yuan": 10}},
    )
    # the member's second sale: exchange its waiting entry for a voucher, then one more sale for points
    sale = till.event(wallet_sale("C1", member, 5_000, []))
    till.push([sale])
    order = sale["body"]["order_id"]
    with app.state.db.connect() as conn:
        from sqlalchemy import update

        from server.db import tables as t

        conn.execute(update(t.Wallet).where(t.Wallet.member_id == member).values(points=300))
    from server.services.ingest import Ingest
    from shared.engine.commands import Exchange

    Ingest(app.state.db).apply(Exchange(order_id=order, into="voucher", at=T0, member_id=member))
    [voucher] = balance(app, member).vouchers
    p = hold(till, app, member, "points", amount_fen=2_050)  # 20.50 at 10 points a yuan: 205 points
    assert (p.status_code, p.json()["points"]) == (201, 205), p.text
    app.state.clock.set(T0 + dt.timedelta(seconds=30))
    v = hold(till, app, member, "voucher", voucher_id=voucher.voucher_id)
    assert (v.status_code, v.json()["amount_fen"]) == (201, voucher.value_fen), v.text
    app.state.clock.set(T0 + dt.timedelta(seconds=60))
    again = hold(till, app, member, "voucher", voucher_id=voucher.voucher_id)
    assert again.json()["code"] == "voucher_unavailable"
    tenders = [tender(p.json()), tender(v.json())]
    total = 10_000
    body = wallet_sale(
        "C1", member, total, tenders, deduction_points_fen=2_050, deduction_voucher_fen=voucher.value_fen
    )
    r = till.push([till.event(body)])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    w = balance(app, member)
    assert (w.points, w.points_held, w.voucher_fen) == (95, 0, 0)
    assert [x.state for x in w.vouchers] == ["used"]


def test_a_refund_gives_back_to_the_tender_it_came_from(app: FastAPI, http: httpx.Client) -> None:
    """80.00 from the balance + 20.00 cash: refund 50.00 -> 20.00 cash, 30.00 back to the balance; then the rest."""
    till, member = earning_member(app, http)
    h = hold(till, app, member, amount_fen=8_000).json()
    sale = till.event(wallet_sale("C1", member, 10_000, [tender(h)]))
    r = till.push([sale])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    after_sale = balance(app, member).rebate_fen
    order = sale["body"]["order_id"]
    r = till.push([till.event(refunded(order, 5_000))])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    assert balance(app, member).rebate_fen == after_sale + 3_000
    r = till.push([till.event(refunded(order, 5_000))])
    w = balance(app, member)
    with app.state.db.connect() as conn:
        lines = wallet.ledger_of(conn, member)
    clawed = -sum(x.amount for x in lines if x.reason == "clawback_received")
    assert w.rebate_fen == after_sale + 8_000 - clawed  # all 80.00 back, less what the sale's own entry received
    assert sorted(x.amount for x in lines if x.reason == "spend_refund") == [3_000, 5_000]


def test_a_full_refund_reinstates_the_voucher_and_the_points(app: FastAPI, http: httpx.Client) -> None:
    till, member = earning_member(app, http, base={"voucher_exchange_enabled": True, "wallet": {"points_per_yuan": 10}})
    sale = till.event(wallet_sale("C1", member, 5_000, []))
    till.push([sale])
    from sqlalchemy import update

    from server.db import tables as t
    from server.services.ingest import Ingest
    from shared.engine.commands import Exchange

    with app.state.db.connect() as conn:
        conn.execute(update(t.Wallet).where(t.Wallet.member_id == member).values(points=500))
    Ingest(app.state.db).apply(Exchange(order_id=sale["body"]["order_id"], into="voucher", at=T0, member_id=member))
    [voucher] = balance(app, member).vouchers
    p = hold(till, app, member, "points", amount_fen=1_000).json()
    app.state.clock.set(T0 + dt.timedelta(seconds=30))
    v = hold(till, app, member, "voucher", voucher_id=voucher.voucher_id).json()
    body = wallet_sale(
        "C1", member, 10_000, [tender(p), tender(v)], deduction_points_fen=1_000, deduction_voucher_fen=v["amount_fen"]
    )
    sale = till.event(body)
    assert till.push([sale]).json()["results"][0]["status"] == "accepted"
    assert (balance(app, member).points, balance(app, member).voucher_fen) == (400, 0)
    r = till.push([till.event(refunded(sale["body"]["order_id"], body["paid_fen"]))])
    assert r.json()["results"][0]["status"] == "accepted", r.text
    w = balance(app, member)
    assert (w.points, w.voucher_fen, [x.state for x in w.vouchers]) == (500, voucher.value_fen, ["issued"])
