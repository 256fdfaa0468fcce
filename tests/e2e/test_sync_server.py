"""End to end against `paidui-server serve` on loopback (SQLite and PostgreSQL), driven as the cashier app does."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from cashier_app.core.sync_client import RequestRefused, SyncClient
from server.db import tables as t
from shared.phones import phone_key
from shared.tokens import new_private_key, public_key_text
from shared.wire import PushRequest
from tests.server.support import ADMIN_PASSWORD, T0, Till, check_event, paid, refunded, registered, seed

from .conftest import ServerProcess

pytestmark = pytest.mark.e2e


def _code(served: ServerProcess, store: str) -> str:
    done = served.cli("terminal", "enroll", store)
    assert done.returncode == 0, done.stderr
    code = done.stdout.strip()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    return code


def _token(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    r = http.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_enrol_push_duplicates_gaps_pull_and_revoke(served: ServerProcess) -> None:
    seed(served.db, stores={"S1": ["C1"], "S2": ["C2"]})
    with served.client() as http:
        client = SyncClient(http)  # the cashier app's own client
        key = public_key_text(new_private_key())
        enrolment = client.enroll(code=_code(served, "S1"), name="till 1", public_key=key)
        assert enrolment.store_id == "S1"
        client.credential = enrolment.credential
        till = Till(http)
        till.credential, till.terminal_id = enrolment.credential, enrolment.terminal_id
        member = till.event(registered("13800000011"))
        sales = [till.event(paid("C1", 10_000 + i, member=member["body"]["member_id"])) for i in range(5)]
        request = PushRequest(events=[check_event(e) for e in [member, *sales[:3]]])
        answer = client.push(request)
        assert [r.status for r in answer.results] == ["accepted"] * 4 and answer.applied_through == 4
        assert answer.results[1].entry is not None and answer.results[1].member_page_token
        # a resend of everything plus the rest: duplicates answered, new ones applied
        answer = client.push(PushRequest(events=[check_event(e) for e in [*sales]]))
        assert [r.status for r in answer.results] == ["duplicate"] * 3 + ["accepted"] * 2
        # a gap: nothing applied, resend from 7
        late = till.event(paid("C1", 500), seq=9)
        answer = client.push(PushRequest(events=[check_event(late)]))
        assert (answer.resend_from, answer.applied_through, answer.results[0].status) == (7, 6, "not_applied")
        refund = till.event(refunded(sales[0]["body"]["order_id"], 10_000))
        assert client.push(PushRequest(events=[check_event(refund)])).results[0].status == "accepted"
        pull = client.pull(None)
        assert pull.store.store_id == "S1" and pull.snapshot.waiting_count == 4
        assert [m.phone_key for m in pull.members] == [phone_key(pull.phone_lookup, "13800000011")]
        assert pull.member_code_keys
        assert [e.position for e in pull.snapshot.entries] == [1, 2, 3, 4]
        assert client.pull(pull.cursor).members == []
        done = served.cli("terminal", "revoke", enrolment.terminal_id)
        assert done.returncode == 0, done.stderr
        with pytest.raises(RequestRefused) as refused:
            client.pull(pull.cursor)
        assert (refused.value.status, refused.value.code) == (401, "terminal_revoked")
    with served.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.OrderRow)).scalar_one() == 5
        assert conn.execute(select(func.count()).select_from(t.EventLog)).scalar_one() == 7


def test_cross_store_reads_are_refused_for_every_endpoint_and_role(served: ServerProcess) -> None:
    seed(served.db, stores={"S1": ["C1"], "S2": ["C2"]})
    assert served.cli("user", "add", "boss1", "--store", "S1", "--password", "boss1-pass").returncode == 0
    with served.client() as http:
        till = Till(http)
        assert till.enroll(_code(served, "S1")).status_code == 200
        till.push([till.event(paid("C1", 1_000))])
        callers = {
            "terminal": {"Authorization": f"Bearer {till.credential}"},
            "store_manager": _token(http, "boss1", "boss1-pass"),
        }
        hq = _token(http, "admin", ADMIN_PASSWORD)
        spec = http.get("/openapi.json").json()
        store_paths = [p for p, ops in spec["paths"].items() if "{store_id}" in p and "get" in ops]
        assert {"/api/v1/stores/{store_id}/queue", "/api/v1/stores/{store_id}/report"} <= set(store_paths)
        for path in store_paths:
            foreign = path.replace("{store_id}", "S2")
            own = path.replace("{store_id}", "S1")
            for role, headers in callers.items():
                r = http.get(foreign, headers=headers)
                assert r.status_code in (403, 404), (role, foreign, r.status_code)
                assert "S2" not in r.text.replace("no store S2", ""), r.text
            assert http.get(foreign, headers=hq).status_code == 200
            assert http.get(own, headers=callers["store_manager"]).status_code == 200
        queue = http.get("/api/v1/stores/S1/queue", headers=callers["store_manager"]).json()
        assert queue["waiting_count"] == 0 or queue["entries"] is not None
        for role, headers in callers.items():  # list endpoints show only the caller's own store
            stores = http.get("/api/v1/stores", headers=headers).json()
            assert [s["store_id"] for s in stores] == ["S1"], role
        assert http.get("/api/v1/terminals", headers=callers["store_manager"]).status_code == 403
        assert http.get("/api/v1/terminals", headers=callers["terminal"]).status_code == 403
        for headers in (callers["store_manager"], hq):
            assert http.post("/api/v1/sync/push", headers=headers, json={"events": []}).status_code == 403
            assert http.get("/api/v1/sync/pull", headers=headers).status_code == 403
        r = http.get("/api/v1/sync/pull", headers=callers["terminal"]).json()
        assert r["store"]["store_id"] == "S1"


def test_health_says_which_database(served: ServerProcess) -> None:
    body = httpx.get(f"{served.url}/api/v1/health").json()
    assert body["database"] == ("sqlite" if served.settings.is_sqlite else "postgresql")
    assert T0.year == 2026
