"""One documented code per kind of refusal (issue 15 item 10): a malformed request is `400 invalid_request` whatever
part of it is wrong; under the console and the member page the same refusal is a page in the reader's language."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from .console_support import sign_in
from .support import ADMIN_PASSWORD, T0, Till, enrolment_code, seed


def _till(app: FastAPI, http: httpx.Client) -> Till:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
    return till


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_malformed_body_is_one_code_with_one_status(app: FastAPI, http: httpx.Client) -> None:
    till = _till(app, http)
    headers = {**till.auth, "Content-Type": "application/json"}
    bodies = {
        "JSON syntax": b'{"events": [',
        "not UTF-8": b'{"events": [], "backlog": "\xff\xfe"}',
        "schema": b'{"events": [{"nonsense": 1}]}',
        "unknown field": b'{"events": [], "extra": 1}',
        "a number too long": b'{"events": [], "backlog": ' + b"9" * 5_000 + b"}",
    }
    for kind, raw in bodies.items():
        r = http.post("/api/v1/sync/push", content=raw, headers=headers)
        assert (r.status_code, r.json()["code"]) == (400, "invalid_request"), (kind, r.text[:200])
    r = http.post("/api/v1/auth/token", content=b"\xff", headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")
    r = http.get("/api/v1/sync/pull", params={"cursor": "garbage"}, headers=till.auth)
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_openapi_document_gives_malformed_requests_400_and_error_body(app: FastAPI) -> None:
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert "422" not in answers, (method, path)
            if "400" in answers:
                schema = answers["400"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
    push = app.openapi()["paths"]["/api/v1/sync/push"]["post"]["responses"]
    assert "invalid_request" in push["400"]["description"]


def test_the_console_answers_a_nul_or_a_number_too_large_with_its_own_page(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    answers = {
        "member name": http.post("/console/members", data={"csrf": csrf, "phone": "13800001234", "name": "a\x00b"}),
        "store name": http.post("/console/stores", data={"csrf": csrf, "store_id": "S9", "name": "a\x00b"}),
        "search": http.get("/console/members", params={"q": "a\x00"}),
        "a bigint too large": http.get("/console/history", params={"before": "9" * 20}),
    }
    for what, r in answers.items():
        assert r.status_code == 400, (what, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("text/html"), what
        assert "请求内容无效" in r.text and 'id="error-reason"' in r.text, what
        assert r.headers["content-security-policy"].startswith("default-src 'self'"), what
    http.cookies.set("paidui_lang", "en", path="/console")
    r = http.post("/console/members", data={"csrf": csrf, "phone": "13800001234", "name": "a\x00b"})
    assert r.status_code == 400 and "Invalid request" in r.text
    r = http.put("/console/liability")  # a method no console page takes: still a page, not JSON
    assert r.status_code == 405 and r.headers["content-type"].startswith("text/html")
    with app.state.db.connect() as conn:
        from sqlalchemy import func, select

        from server.db import tables as t

        assert conn.execute(select(func.count()).select_from(t.Member)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(t.Store)).scalar_one() == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_malformed_member_page_form_is_a_page_in_the_members_language(app: FastAPI, http: httpx.Client) -> None:
    r = http.post("/m/PD1.x.y/draw", data={"order_id": "o1"}, headers={"Accept-Language": "en"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "The request is not valid." in r.text and "Field required" not in r.text
    r = http.post("/m/PD1.x.y/exchange", data={"order_id": "o1", "into": "points", "amount": "9" * 3000})
    assert r.status_code == 400 and "请求内容无效" in r.text
