"""Enrolment, rotation, revocation, pull, and the scoping of every read by the caller's credential."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from fastapi import FastAPI

from server.clock import FixedClock
from server.services import levels, members, users
from shared.phones import phone_key
from shared.tokens import Purpose, public_key_from_text, verify
from shared.wire import PhoneLookup, PullResponse

from .support import ADMIN_PASSWORD, T0, Till, enrolled, enrolment_code, paid, registered, seed


def _token(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    r = http.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_an_enrolment_code_works_once_and_expires(app: FastAPI, http: httpx.Client, clock: FixedClock) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    code = enrolment_code(app.state.db, "S1", now=T0)
    first = Till(http)
    assert first.enroll(code.lower().replace("-", " ")).status_code == 200  # typed loosely, still the code
    assert first.store_id == "S1"
    r = Till(http).enroll(code)
    assert (r.status_code, r.json()["code"]) == (400, "enrolment_code_invalid")
    late = enrolment_code(app.state.db, "S1", now=T0)
    clock.set(T0 + dt.timedelta(minutes=10))
    r = Till(http).enroll(late)
    assert (r.status_code, r.json()["code"]) == (400, "enrolment_code_expired")
    bad_key = http.post("/api/v1/terminals/enroll", json={"code": late, "name": "x", "public_key": "A" * 43})
    assert bad_key.status_code in (400, 422)


def test_rotation_survives_a_lost_answer_and_revocation_is_immediate(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    old = till.credential
    lost = http.post("/api/v1/terminals/rotate", headers=till.auth).json()["credential"]  # answer never arrives
    assert till.pull().status_code == 200  # the old one still works
    new = http.post("/api/v1/terminals/rotate", headers=till.auth).json()["credential"]
    till.credential = lost
    assert till.pull().status_code == 401  # replaced by the newer pending one
    till.credential = new
    assert till.pull().status_code == 200  # first use: the new one takes over
    till.credential = old
    assert till.pull().json()["code"] == "unauthorized"
    till.credential = new
    with app.state.db.connect() as conn:
        from server.services import terminals

        assert terminals.revoke(conn, terminal_id=till.terminal_id, now=T0)
    r = till.push([till.event(paid("C1", 100))])
    assert (r.status_code, r.json()["code"]) == (401, "terminal_revoked")
    assert till.pull().json()["code"] == "terminal_revoked"


def test_pull_pages_members_and_carries_the_snapshot(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]}, base={"all_cashiers_queue": True})
    app.state.services.pull.members_page = 2
    with app.state.db.connect() as conn:
        levels.save(conn, level_id="gold", name_zh="金卡", actor="test", at=T0)
        for i in range(3):
            members.add(conn, phone=f"1370000000{i}", name=f"王小{i}", level="gold", member_id=f"m{i}", now=T0)
    a, b = enrolled(app, http, "S1"), enrolled(app, http, "S2")
    b.push([b.event(paid("C2", 30_000, member="m0"))])
    a.push([a.event(paid("C1", 10_000, member="m1")), a.event(paid("C1", 10_000))])
    first = a.pull().json()
    assert [m["member_id"] for m in first["members"]] == ["m0", "m1"] and first["members_complete"] is False
    assert first["members"][1]["display_name"] == "王*1"
    lookup = PhoneLookup.model_validate(first["phone_lookup"])
    assert first["members"][1]["phone_key"] == phone_key(lookup, "13700000001")
    second = a.pull(first["cursor"]).json()
    assert [m["member_id"] for m in second["members"]] == ["m2"] and second["members_complete"] is True
    assert a.pull(second["cursor"]).json()["members"] == []
    snap = second["snapshot"]
    assert snap["queue"] == "cashier:ALL" and snap["waiting_count"] == 2
    by_seq = {e["seq"]: e for e in snap["entries"]}
    assert by_seq[1]["order_id"] == "" and by_seq[1]["member_display"] == "***"  # another store's customer
    assert by_seq[1]["position"] == 1 and by_seq[2]["position"] == 2 and by_seq[2]["member_id"] == "m1"
    assert second["store"] == {"store_id": "S1", "name": "Store S1", "timezone": "Asia/Shanghai", "cashier_ids": ["C1"]}
    assert second["base_settings"]["all_cashiers_queue"] is True and second["store_settings"]["enabled"] is True
    version = snap["version"]
    a.push([a.event(paid("C1", 10_000, member="m2"))])
    assert a.pull(second["cursor"]).json()["snapshot"]["version"] > version
    assert a.pull("garbage").status_code == 400


def test_member_codes_verify_offline_with_the_pulled_keys(app: FastAPI, http: httpx.Client) -> None:
    from server.security.member_codes import issue_member_code

    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    keys = {k["kid"]: public_key_from_text(k["public_key"]) for k in till.pull().json()["member_code_keys"]}
    code = issue_member_code(app.state.keys, "m-1", T0)
    assert verify(code, keys=keys, purpose=Purpose.MEMBER_CODE, now=T0.timestamp()).claims["m"] == "m-1"


def test_every_store_read_is_scoped_by_the_credential(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    with app.state.db.connect() as conn:
        users.add_user(conn, username="m1", password="manager-one", role="store_manager", store_id="S1", now=T0)
    till = enrolled(app, http, "S1")
    hq = _token(http, "admin", ADMIN_PASSWORD)
    manager = _token(http, "m1", "manager-one")
    terminal = {"Authorization": f"Bearer {till.credential}"}
    for path in ("/api/v1/stores/S2/queue", "/api/v1/stores/S2/report"):
        for who in (manager, terminal):
            assert http.get(path, headers=who).status_code in (403, 404), (path, who)
        assert http.get(path, headers=hq).status_code == 200
    assert http.get("/api/v1/stores/S1/queue", headers=manager).status_code == 200
    assert http.get("/api/v1/stores/S1/queue", headers=terminal).status_code == 200
    assert http.get("/api/v1/stores/S1/report", headers=manager).status_code == 200
    assert http.get("/api/v1/stores/S1/report", headers=terminal).status_code == 403
    assert [s["store_id"] for s in http.get("/api/v1/stores", headers=manager).json()] == ["S1"]
    assert [s["store_id"] for s in http.get("/api/v1/stores", headers=hq).json()] == ["S1", "S2"]
    assert http.get("/api/v1/terminals", headers=manager).status_code == 403
    assert http.get("/api/v1/terminals", headers=hq).status_code == 200
    for who in (manager, hq):  # only terminals push or pull
        assert http.get("/api/v1/sync/pull", headers=who).status_code == 403
    assert http.get("/api/v1/stores/NOPE/queue", headers=hq).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer pdt_forged", "Bearer pdu_forged", "Basic YTpi"])
def test_no_credential_no_data(app: FastAPI, http: httpx.Client, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path in [
        ("GET", "/api/v1/sync/pull"),
        ("POST", "/api/v1/sync/push"),
        ("GET", "/api/v1/stores"),
        ("GET", "/api/v1/stores/S1/queue"),
        ("POST", "/api/v1/terminals/rotate"),
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/terminals"),
    ]:
        r = http.request(method, path, headers=headers, json={"events": []} if method == "POST" else None)
        assert (r.status_code, r.json()["code"]) == (401, "unauthorized"), (method, path)


def test_wrong_passwords_and_protocols_are_refused(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    assert http.post("/api/v1/auth/token", json={"username": "admin", "password": "nope"}).status_code == 401
    assert http.post("/api/v1/auth/token", json={"username": "nobody", "password": "nope"}).status_code == 401
    till = enrolled(app, http)
    r = http.get("/api/v1/sync/pull", headers={**till.auth, "Paidui-Protocol": "3"})
    assert (r.status_code, r.json()["code"]) == (426, "unsupported_protocol")
    r = http.post("/api/v1/sync/push", headers=till.auth, json={"protocol": 9, "events": []})
    assert r.status_code == 426
    r = http.post("/api/v1/sync/push", headers=till.auth, json={"events": [{"nonsense": 1}]})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")
    member = till.event(registered("13800000009"))
    assert till.push([member]).status_code == 200


def test_health_and_version(app: FastAPI, http: httpx.Client) -> None:
    health = http.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["database"] in ("sqlite", "postgresql")
    assert http.get("/api/v1/version").json()["protocols"] == [1, 2]
    assert http.get("/api/v1/nowhere").json()["code"] == "not_found"


def test_guessing_codes_and_passwords_is_rate_limited(app: FastAPI, http: httpx.Client) -> None:
    from server.ratelimit import Limiter, Rate

    ticks = [0]
    app.state.services.auth_limiter = Limiter(Rate(3, 60), clock=lambda: ticks[0])
    for _ in range(2):
        assert http.post("/api/v1/auth/token", json={"username": "admin", "password": "guess"}).status_code == 401
    assert Till(http).enroll("AAAA-BBBB-CCCC-DDDD").status_code == 400
    r = http.post("/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert (r.status_code, r.json()["code"], r.headers["Retry-After"]) == (429, "rate_limited", "20")
    ticks[0] += 20 * 10**9  # one attempt's worth of time later
    assert http.post("/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 200


def test_a_pull_brings_the_level_catalog_only_to_a_till_that_asks(app: FastAPI, http: httpx.Client) -> None:
    """Additive within protocol 1: a till of before (whose model refuses unknown fields) gets the answer of before;
    one that asks with `levels=true` gets the whole catalog, highest rank first, and sees a rename at once."""
    seed(app.state.db, stores={"S1": ["C1"]})
    with app.state.db.connect() as conn:
        levels.save(conn, level_id="silver", name_zh="银卡", name_en="Silver", rank=10, actor="test", at=T0)
        levels.save(conn, level_id="gold", name_zh="金卡", name_en="Gold", rank=20, actor="test", at=T0)
        members.add(conn, phone="13700000009", level="gold", member_id="m9", now=T0)
    till = enrolled(app, http)
    before = till.pull().json()
    assert "levels" not in before
    assert set(before) == set(PullResponse.model_fields) - {"levels", "checkout", "employees"}  # the fields of before
    asked = http.get("/api/v1/sync/pull", params={"levels": "true"}, headers=till.auth)
    answer = PullResponse.model_validate_json(asked.content)
    assert answer.levels is not None
    assert [(lv.level_id, lv.name_zh, lv.name_en, lv.rank) for lv in answer.levels] == [
        ("gold", "金卡", "Gold", 20),
        ("silver", "银卡", "Silver", 10),
    ]
    assert [m.level for m in answer.members] == ["gold"]
    with app.state.db.connect() as conn:
        levels.save(conn, level_id="gold", name_zh="黄金会员", name_en="Gold", rank=20, actor="test", at=T0)
    again = http.get("/api/v1/sync/pull", params={"levels": "true", "cursor": answer.cursor}, headers=till.auth)
    renamed = PullResponse.model_validate_json(again.content)
    assert renamed.levels is not None and renamed.levels[0].name_zh == "黄金会员"
    assert renamed.settings_version > answer.settings_version  # a catalog change is a settings change


def test_a_till_looks_up_a_sale_of_its_store_before_refunding_it(app: FastAPI, http: httpx.Client) -> None:
    """Issue 12 item 9: a refund by a mistyped order id was recorded and parked for ever; the till asks first."""
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    a, other_till, elsewhere = enrolled(app, http, "S1"), enrolled(app, http, "S1"), enrolled(app, http, "S2")
    sale = paid("C1", 10_000)
    assert other_till.push([other_till.event(sale)]).status_code == 200
    theirs = paid("C2", 5_000)
    elsewhere.push([elsewhere.event(theirs)])
    r = http.get(f"/api/v1/sync/orders/{sale['order_id']}", headers=a.auth)  # another till of the same store
    assert r.status_code == 200, r.text
    assert (r.json()["order_id"], r.json()["paid_fen"], r.json()["refunded_fen"]) == (sale["order_id"], 10_000, 0)
    for unknown in ("5f0c6f4e-0000-4000-8000-000000000001", theirs["order_id"]):  # mistyped; another store's
        r = http.get(f"/api/v1/sync/orders/{unknown}", headers=a.auth)
        assert (r.status_code, r.json()["code"]) == (404, "unknown_order")
    assert http.get("/api/v1/sync/orders/not-an-id", headers=a.auth).status_code in (400, 422)
    assert http.get(f"/api/v1/sync/orders/{sale['order_id']}").status_code == 401


def test_a_pull_that_asks_carries_each_members_points_and_sends_a_member_again_when_they_change(
    app: FastAPI, http: httpx.Client
) -> None:
    """Issue 12 item 4: the till caps a points deduction at what the server last said the member holds."""
    from server.db.unit_of_work import UnitOfWork
    from shared.engine.model import PointsKind
    from shared.ids import MemberId

    seed(app.state.db, stores={"S1": ["C1"]})
    with app.state.db.connect() as conn:
        for i in range(2):
            members.add(conn, phone=f"1370000000{i}", name=f"王小{i}", member_id=f"m{i}", now=T0)
    till = enrolled(app, http)

    def pull(cursor: str | None, **params: str) -> dict[str, object]:
        q = {"cursor": cursor, **params} if cursor else params
        r = http.get("/api/v1/sync/pull", params=q, headers=till.auth)
        assert r.status_code == 200, r.text
        return dict(r.json())

    assert all("points" not in m for m in pull(None)["members"])  # a till of before: the answer of before
    first = pull(None, points="true")
    assert {m["member_id"]: m["points"] for m in first["members"]} == {"m0": 0, "m1": 0}
    with UnitOfWork(app.state.db, at=T0) as uow:
        uow.repo.add_points(MemberId("m1"), 120, PointsKind.EXCHANGE, "o1", T0)
        uow.commit()
    again = pull(str(first["cursor"]), points="true")
    assert [(m["member_id"], m["points"]) for m in again["members"]] == [("m1", 120)]
