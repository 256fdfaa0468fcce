"""Stores, cashiers, terminals (enrol, revoke, last seen, backlog) and members with levels in the console."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from server.clock import FixedClock
from server.db import tables as t
from server.services import levels, members, terminals
from shared.tokens import new_private_key, public_key_text

from .console_support import MANAGER_PASSWORD, add_manager, history, seed_history, sign_in
from .support import ADMIN_PASSWORD, seed


def test_stores_and_cashiers_are_added_with_their_ids_checked(http: httpx.Client, app: FastAPI) -> None:
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    r = http.post(
        "/console/stores",
        data={"csrf": csrf, "store_id": "S7", "name": "七号店", "timezone": "Asia/Shanghai", "cashier_id": "S7-1"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/stores/S7"
    page = http.get("/console/stores/S7").text
    assert "七号店" in page and "S7-1" in page
    r = http.post("/console/stores/S7/cashiers", data={"csrf": csrf, "cashier_id": "S7-2", "name": "二号台"})
    assert r.status_code == 303
    for bad, words in (
        ({"store_id": "bad id!", "name": "x"}, "字母"),
        ({"store_id": "S7", "name": "again"}, "exists"),
        ({"store_id": "S8", "name": "x", "timezone": "Mars/Base"}, "时区"),
    ):
        r = http.post("/console/stores", data={"csrf": csrf, **bad})
        assert r.status_code == 422 and words in r.text, bad
    with app.state.db.connect() as conn:
        stores = conn.execute(select(t.Store.store_id)).scalars().all()
        cashiers = conn.execute(select(t.Cashier.cashier_id).where(t.Cashier.store_id == "S7")).scalars().all()
    assert stores == ["S7"] and sorted(cashiers) == ["S7-1", "S7-2"]


def test_terminals_are_enrolled_with_a_code_shown_once_and_revoked(
    http: httpx.Client, app: FastAPI, clock: FixedClock
) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    r = http.post("/console/stores/S1/enrol", data={"csrf": csrf})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    code = re.search(r'id="enrolment-code">([A-Z2-9-]+)<', r.text)
    assert code
    assert code.group(1) not in http.get("/console/stores/S1").text  # shown on that answer only
    enrolled = http.post(
        "/api/v1/terminals/enroll",
        json={"code": code.group(1), "name": "till 1", "public_key": public_key_text(new_private_key())},
    )
    assert enrolled.status_code == 200, enrolled.text
    terminal_id = enrolled.json()["terminal_id"]
    with app.state.db.connect() as conn:
        terminals.touch(conn, terminal_id=terminal_id, now=clock.now() + dt.timedelta(minutes=5), backlog=17)
    page = http.get("/console/stores/S1").text
    row = re.search(rf'<tr data-terminal="{terminal_id}">(.*?)</tr>', page, re.S)
    assert row and ">17<" in row.group(1) and "2026-03-02 10:05" in row.group(1)  # last seen, in Shanghai time
    r = http.post(f"/console/terminals/{terminal_id}/revoke", data={"csrf": csrf})
    assert r.status_code == 303
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.Terminal.revoked_at)).scalar_one() is not None
    refused = http.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {enrolled.json()['credential']}"})
    assert refused.status_code == 401
    assert http.post("/console/terminals/t-nope/revoke", data={"csrf": csrf}).status_code == 404


def test_members_are_added_and_their_level_changes_through_the_engine(
    http: httpx.Client, app: FastAPI, clock: FixedClock
) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    with app.state.db.connect() as conn:
        levels.save(conn, level_id="silver", name_zh="银卡会员", name_en="Silver", rank=1, actor="t", at=clock.now())
        levels.save(conn, level_id="gold", name_zh="金卡会员", name_en="Gold", rank=2, actor="t", at=clock.now())
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    r = http.post("/console/members", data={"csrf": csrf, "phone": "13800001234", "name": "张三", "level": "silver"})
    assert r.status_code == 303
    with app.state.db.connect() as conn:
        member_id = conn.execute(select(t.Member.member_id).where(t.Member.phone == "13800001234")).scalar_one()
    listing = http.get("/console/members", params={"q": "13800001234"}).text
    assert "13800001234" in listing and "张三" in listing  # headquarters reads the whole number
    assert '<option value="silver" selected>银卡会员</option>' in listing  # the level by its catalog name
    clock.advance(dt.timedelta(minutes=10))
    r = http.post(f"/console/members/{member_id}/level", data={"csrf": csrf, "level": "gold"})
    assert r.status_code == 303 and r.headers["location"] == f"/console/members?q={member_id}"
    with app.state.db.connect() as conn:
        changes = conn.execute(
            select(t.MemberLevel.level, t.MemberLevel.effective_at)
            .where(t.MemberLevel.member_id == member_id)
            .order_by(t.MemberLevel.id)
        ).all()
        current = conn.execute(select(t.Member.level).where(t.Member.member_id == member_id)).scalar_one()
    assert [lv for lv, _ in changes] == ["silver", "gold"] and changes[-1][1] == clock.now() and current == "gold"
    assert http.post("/console/members/nobody/level", data={"csrf": csrf, "level": "gold"}).status_code == 404
    refused = "未知的会员等级（先在会员等级目录中添加）：glod"  # a typo is refused, in the user's words
    r = http.post(f"/console/members/{member_id}/level", data={"csrf": csrf, "level": "glod"})
    assert r.status_code == 422 and refused in r.text
    r = http.post("/console/members", data={"csrf": csrf, "phone": "13800009999", "level": "glod"})
    assert r.status_code == 422 and refused in r.text
    r = http.post("/console/members", data={"csrf": csrf, "phone": "13800001234"})
    assert r.status_code == 422 and "belongs to a member already" in r.text
    with app.state.db.connect() as conn:
        assert members.exists(conn, member_id)
        assert conn.execute(select(t.Member.level).where(t.Member.member_id == member_id)).scalar_one() == "gold"
        assert conn.execute(select(t.Member.member_id).where(t.Member.phone == "13800009999")).first() is None


def test_a_store_manager_reads_its_own_store_and_members_only(http: httpx.Client, app: FastAPI) -> None:
    seed_history(app.state.db, history(days=1, per_day=6))
    with app.state.db.connect() as conn:
        members.add(conn, phone="13900000001", name="李四", store_id="S1", now=history()[0].at)
        members.add(conn, phone="13900000002", name="王五", store_id="S2", now=history()[0].at)
    add_manager(app.state.db, "boss1", "S1")
    csrf = sign_in(http, "boss1", MANAGER_PASSWORD)
    listing = http.get("/console/members").text
    assert "139****0001" in listing and "13900000001" not in listing and "139****0002" not in listing
    assert "s1m" in listing and "s2m" not in listing
    assert '/level"' not in listing  # no level form for a manager
    with app.state.db.connect() as conn:
        s2_member = conn.execute(select(t.Member.member_id).where(t.Member.phone == "13900000002")).scalar_one()
    assert http.post(f"/console/members/{s2_member}/level", data={"csrf": csrf, "level": "x"}).status_code == 403
    assert http.post("/console/stores/S1/enrol", data={"csrf": csrf}).status_code == 403
    assert http.post("/console/stores", data={"csrf": csrf, "store_id": "S9", "name": "x"}).status_code == 403
    assert http.get("/console/members", params={"q": s2_member}).text.count("data-member=") == 0


def test_headquarters_keeps_the_level_catalog_and_a_manager_reads_it(
    http: httpx.Client, app: FastAPI, clock: FixedClock
) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    add_manager(app.state.db, "boss1", "S1")
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    r = http.post("/console/levels", data={"csrf": csrf, "level_id": "gold", "name_zh": "金卡", "rank": "20"})
    assert r.status_code == 303
    r = http.post("/console/levels", data={"csrf": csrf, "level_id": "silver", "name_zh": "银卡", "name_en": "Silver"})
    assert r.status_code == 303
    page = http.get("/console/levels").text
    assert page.index('data-level="gold"') < page.index('data-level="silver"')  # the higher rank first
    r = http.post("/console/levels", data={"csrf": csrf, "level_id": "bad id!", "name_zh": "x"})
    assert r.status_code == 422 and 'value="bad id!"' in r.text  # kept as typed
    # a renamed level: every page shows the new name; the change is in the history
    r = http.post("/console/levels", data={"csrf": csrf, "level_id": "gold", "name_zh": "黄金会员", "rank": "20"})
    assert r.status_code == 303
    with app.state.db.connect() as conn:
        members.add(conn, phone="13800001111", level="gold", member_id="m1", now=clock.now())
        assert [(lv.level_id, lv.name_zh, lv.name_en) for lv in levels.catalog(conn, None)] == [
            ("gold", "黄金会员", "黄金会员"),
            ("silver", "银卡", "Silver"),
        ]
        scopes = conn.execute(select(t.SettingsHistory.scope, t.SettingsHistory.actor)).all()
    assert scopes.count(("levels", "admin")) == 3
    assert "黄金会员" in http.get("/console/members", params={"q": "m1"}).text
    r = http.post("/console/levels/gold/remove", data={"csrf": csrf})
    assert r.status_code == 422 and "该等级仍在使用" in r.text  # m1 holds it
    assert http.post("/console/levels/silver/remove", data={"csrf": csrf}).status_code == 303
    # a store manager reads the catalog and changes nothing
    http.post("/console/logout", data={"csrf": csrf})
    csrf = sign_in(http, "boss1", MANAGER_PASSWORD)
    page = http.get("/console/levels").text
    assert "黄金会员" in page and 'id="add-level"' not in page
    r = http.post("/console/levels", data={"csrf": csrf, "level_id": "x", "name_zh": "x"})
    assert r.status_code == 403
