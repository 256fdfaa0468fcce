"""A member with a wallet, over HTTP: earn through the queue, then ask for holds with the member's payment code."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from server.services import consent
from shared.ids import MemberId

from .support import Till, enrolled, paid, registered, seed


def earning_member(app: FastAPI, http: httpx.Client, *, base: dict[str, Any] | None = None) -> tuple[Till, str]:
    """Store S1 (cashier C1) with 50% extraction: the member's two 100.00 sales leave 100.00 in their wallet."""
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]}, base={"extraction_bp": 5000, **(base or {})})
    till = enrolled(app, http)
    reg = till.event(registered("13800000001"))
    member = reg["body"]["member_id"]
    r = till.push([reg, till.event(paid("C1", 10_000, member=member)), till.event(paid("C1", 10_000))])
    assert [x["status"] for x in r.json()["results"]] == ["accepted"] * 3, r.text
    return till, member


def code(app: FastAPI, member: str, at: dt.datetime | None = None) -> str:
    now = at if at is not None else app.state.clock.now()
    return consent.payment_code(consent.consent_key(app.state.keys, now), MemberId(member), now)


def hold(till: Till, app: FastAPI, member: str, kind: str = "rebate", **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "member_id": member,
        "kind": kind,
        "idempotency_key": fields.pop("key", None) or str(uuid.uuid4()),
        "payment_code": fields.pop("payment_code", None) or code(app, member),
        **fields,
    }
    return till.http.post("/api/v1/wallet/holds", json=body, headers=till.auth)


def wallet_sale(
    cashier: str, member: str, total: int, tenders: list[dict[str, Any]], **deductions: int
) -> dict[str, Any]:
    """A sale paid partly from the wallet: the balance is payment, vouchers and points are deductions."""
    body = paid(cashier, total, member=member)
    body["paid_fen"] = total - sum(deductions.values())
    body.update(deductions)
    body["wallet_tenders"] = tenders
    return body


def tender(h: dict[str, Any]) -> dict[str, Any]:
    return {"hold_id": h["hold_id"], "kind": h["kind"], "amount_fen": h["amount_fen"]}
