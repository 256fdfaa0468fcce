"""A pull no longer hands out what recovers a phone (issue 15 item 2): no sha256 of salt + phone, no last four digits,
no digit in a display name; a memory-hard key per member instead, and a version 1 pull is refused."""

from __future__ import annotations

import hashlib
import re
import time

import httpx
import pytest
from fastapi import FastAPI

from server.services import members
from shared.phones import N, P, R, lookup, phone_key
from shared.wire import PhoneLookup

from .support import T0, Till, enrolment_code, paid, registered, seed

DIGITS = re.compile(r"[0-9]")


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _till(app: FastAPI, http: httpx.Client) -> Till:
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
    return till


def test_a_pull_holds_no_phone_digit_and_no_fast_hash(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    with app.state.db.connect() as conn:
        members.add(conn, phone="13812345678", name="", member_id="nameless", now=T0)
        members.add(conn, phone="13987654321", name="王小明", member_id="named", now=T0)
    till = _till(app, http)
    reg = till.event(registered("13711112222"))
    till.push([reg, till.event(paid("C1", 10_000, member=reg["body"]["member_id"]))])
    pull = till.pull()
    assert pull.status_code == 200
    body = pull.json()
    lookup_ = PhoneLookup.model_validate(body["phone_lookup"])
    assert (lookup_.scheme, lookup_.n, lookup_.r, lookup_.p) == ("scrypt", N, R, P) and N * R * 128 >= 16 * 2**20
    by_id = {m["member_id"]: m for m in body["members"]}
    assert set(by_id["nameless"]) == {"member_id", "display_name", "phone_key", "level", "updated_version"}
    assert by_id["nameless"]["display_name"] == "会员" and by_id["named"]["display_name"] == "王*明"
    assert by_id["nameless"]["phone_key"] == phone_key(lookup_, "13812345678")
    text = pull.text
    for phone in ("13812345678", "13987654321", "13711112222"):
        assert phone[-4:] not in text and phone[:3] + "****" not in text, phone
        assert hashlib.sha256((lookup_.salt + phone).encode()).hexdigest() not in text
    for entry in body["snapshot"]["entries"]:
        assert not DIGITS.search(entry["member_display"]), entry  # the store's own customers, shown by name only


def test_a_version_1_pull_is_refused_and_a_version_1_cursor_starts_over(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    with app.state.db.connect() as conn:
        members.add(conn, phone="13812345678", member_id="m1", now=T0)
    till = _till(app, http)
    v1 = {**till.auth, "Paidui-Protocol": "1"}
    r = http.get("/api/v1/sync/pull", headers=v1)
    assert (r.status_code, r.json()["code"]) == (426, "unsupported_protocol")
    pushed = http.post("/api/v1/sync/push", json={"protocol": 1, "events": [till.event(paid("C1", 100))]}, headers=v1)
    assert pushed.status_code == 200 and pushed.json()["results"][0]["status"] == "accepted"  # sales still flow
    first = till.pull().json()
    assert first["cursor"].startswith("v2.") and [m["member_id"] for m in first["members"]] == ["m1"]
    assert till.pull(first["cursor"]).json()["members"] == []
    assert [m["member_id"] for m in till.pull("v1.999").json()["members"]] == ["m1"]  # old data replaced


def test_the_key_is_the_documented_scrypt_and_costs_milliseconds() -> None:
    params = lookup("3f6c1a9e0b7d4e21a5c8f0d2b4e6a791")
    assert phone_key(params, "13800138000") == "85b3f9ccd7b79d267cbcea2836803330"  # the doc's test vector
    times = []
    for n in range(5):
        started = time.perf_counter()
        phone_key(params, f"1380013800{n}")
        times.append(time.perf_counter() - started)
    cost = sorted(times)[len(times) // 2]
    assert 0.005 < cost < 0.25, cost  # memory-hard, not instant; measured alone: 33 ms (docs/sync-protocol.md)
