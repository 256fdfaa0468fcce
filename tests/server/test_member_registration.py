"""A till registers only new members (issue 15 item 1): a taken id is refused with `conflicting_member` and audited,
an alias names its member for the till that made it only, and no alias redirects an existing member's sales."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import insert, select

from server.db import tables as t
from server.services import members

from .console_support import MANAGER_PASSWORD, add_manager, sign_in
from .support import ADMIN_PASSWORD, T0, Till, enrolment_code, paid, registered, seed


def _till(app: FastAPI, http: httpx.Client, store: str) -> Till:
    till = Till(http, name=f"till-{store}")
    assert till.enroll(enrolment_code(app.state.db, store, now=T0)).status_code == 200
    return till


def _buyer(app: FastAPI, event: dict) -> str | None:
    with app.state.db.connect() as conn:
        row = conn.execute(select(t.OrderRow.member_id).where(t.OrderRow.order_id == event["body"]["order_id"]))
        return row.scalar_one()


def _audit(app: FastAPI) -> list[tuple[str, str, str]]:
    with app.state.db.connect() as conn:
        return [(r.actor, r.code, r.subject) for r in conn.execute(select(t.AuditRow).order_by(t.AuditRow.id))]


def test_a_till_cannot_redirect_another_members_rebates(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    honest, hostile = _till(app, http, "S1"), _till(app, http, "S2")
    victim = honest.event(registered("13800000001"))
    thief = hostile.event(registered("13900000002"))
    assert honest.push([victim]).json()["results"][0]["status"] == "accepted"
    assert hostile.push([thief]).json()["results"][0]["status"] == "accepted"
    victim_id, thief_id = victim["body"]["member_id"], thief["body"]["member_id"]
    # the victim's id with the thief's phone: "record it as an alias" would send the victim's sales to the thief
    claim = hostile.event(registered("13900000002", member_id=victim_id))
    answer = hostile.push([claim]).json()["results"][0]
    assert (answer["status"], answer["code"]) == ("refused", "conflicting_member")
    assert hostile.push([claim]).json()["results"][0]["code"] == "conflicting_member"  # final, said again
    sales = [honest.event(paid("C1", 10_000, member=victim_id)), hostile.event(paid("C2", 10_000, member=victim_id))]
    honest.push([sales[0]])
    hostile.push([sales[1]])
    assert [_buyer(app, s) for s in sales] == [victim_id, victim_id]
    assert _audit(app) == [(f"terminal:{hostile.terminal_id}", "conflicting_member", victim_id)]
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.MemberAlias)).all() == []
        phone = conn.execute(select(t.Member.phone).where(t.Member.member_id == thief_id)).scalar_one()
    assert phone == "13900000002"


def test_a_known_phone_names_its_member_for_the_registering_till_only(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    a, b = _till(app, http, "S1"), _till(app, http, "S2")
    first = a.event(registered("13800000001"))
    a.push([first])
    owner = first["body"]["member_id"]
    # b, offline, registers the same person again under its own id and sells to it, then syncs: a real person paid
    again = b.event(registered("13800000001"))
    sale = b.event(paid("C2", 5_000, member=again["body"]["member_id"]))
    results = b.push([again, sale]).json()["results"]
    assert [(r["status"], r["member_id"]) for r in results] == [("accepted", owner), ("accepted", owner)]
    assert _buyer(app, sale) == owner
    # another till naming b's provisional id: it names nobody there
    borrowed = a.event(paid("C1", 5_000, member=again["body"]["member_id"]))
    answer = a.push([borrowed]).json()["results"][0]
    assert (answer["status"], answer["code"]) == ("refused", "unknown_member")
    # and nobody may register a new member under b's provisional id
    taken = a.event(registered("13700000007", member_id=again["body"]["member_id"]))
    assert a.push([taken]).json()["results"][0]["code"] == "conflicting_member"
    assert [code for _, code, _ in _audit(app)] == ["phone_known", "conflicting_member"]


def test_a_new_phone_registered_offline_lands_its_sales_on_the_new_member(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = _till(app, http, "S1")
    reg = till.event(registered("13600000006"))
    sale = till.event(paid("C1", 3_000, member=reg["body"]["member_id"]))
    resent = till.event(registered("13600000006", member_id=reg["body"]["member_id"]))  # the same, sent again
    results = till.push([reg, sale, resent]).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 3
    assert _buyer(app, sale) == reg["body"]["member_id"] and _audit(app) == []


def test_an_alias_made_before_scoping_never_redirects_a_member(app: FastAPI, http: httpx.Client) -> None:
    """Aliases recorded by an older server, the attack's among them, lose to a member's own id."""
    seed(app.state.db, stores={"S1": ["C1"]})
    with app.state.db.connect() as conn:
        members.add(conn, phone="13800000001", member_id="victim", now=T0)
        members.add(conn, phone="13900000002", member_id="thief", now=T0)
        conn.execute(insert(t.MemberAlias).values(alias_id="victim", member_id="thief", terminal_id=None))
        conn.execute(insert(t.MemberAlias).values(alias_id="old-till-id", member_id="thief", terminal_id=None))
    till = _till(app, http, "S1")
    sales = [till.event(paid("C1", 1_000, member="victim")), till.event(paid("C1", 1_000, member="old-till-id"))]
    till.push(sales)
    assert [_buyer(app, s) for s in sales] == ["victim", "thief"]


def test_headquarters_reads_the_audit_in_the_console(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    with app.state.db.connect() as conn:
        members.add(conn, phone=None, member_id="hq-made", now=T0)  # made by headquarters, no phone yet
    till = _till(app, http, "S1")
    answer = till.push([till.event(registered("13800000001", member_id="hq-made"))]).json()["results"][0]
    assert answer["code"] == "conflicting_member"
    add_manager(app.state.db, "boss", "S1")
    sign_in(http, "admin", ADMIN_PASSWORD)
    page = http.get("/console/audit")
    assert page.status_code == 200 and f"terminal:{till.terminal_id}" in page.text
    assert 'data-code="conflicting_member"' in page.text and "hq-made" in page.text and "138****0001" in page.text
    assert "13800000001" not in page.text
    http.cookies.clear()
    sign_in(http, "boss", MANAGER_PASSWORD)
    assert http.get("/console/audit").status_code == 403
