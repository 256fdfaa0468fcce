"""Integers a client sends are bounded before they are converted (issue 15 item 7), and the protocol header is
checked on every API route (item 8): a stable code, never a 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from server.inputs import parse_int

from .console_support import sign_in
from .support import ADMIN_PASSWORD, T0, Till, enrolment_code, seed

LONG = "9" * 4_301  # one digit past Python's int-conversion limit


@pytest.fixture
def backend() -> str:
    return "sqlite"  # HTTP parsing: one database is enough


def test_parse_int_takes_bounded_ascii_digits_only() -> None:
    assert parse_int(" 42 ") == 42 and parse_int("-7", signed=True) == -7
    assert parse_int("9" * 18) == 10**18 - 1
    for bad in ("", "-7", "9" * 19, LONG, "²", "١", "1e3", "0x10", "4 2", "+4"):
        assert parse_int(bad) is None, bad


def test_a_long_protocol_header_is_a_bad_request_even_without_a_credential(http: httpx.Client) -> None:
    for path in ("/api/v1/sync/pull", "/api/v1/health"):
        r = http.get(path, headers={"Paidui-Protocol": LONG})
        assert (r.status_code, r.json()["code"]) == (400, "invalid_request"), path
    r = http.post("/api/v1/sync/push", headers={"Paidui-Protocol": LONG}, json={"events": []})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")
    r = http.get("/api/v1/sync/pull", headers={"Paidui-Protocol": "²".encode()})  # isdigit() yes, int() no
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")


def test_every_api_route_answers_426_to_a_version_it_does_not_speak(app: FastAPI, http: httpx.Client) -> None:
    paths = {p: ops for p, ops in app.openapi()["paths"].items() if p.startswith("/api/v1/")}
    assert {"/api/v1/me", "/api/v1/stores", "/api/v1/health", "/api/v1/version", "/api/v1/sync/push"} <= set(paths)
    for path, operations in paths.items():
        for method in operations:
            r = http.request(method, path.replace("{store_id}", "S1"), headers={"Paidui-Protocol": "3"})
            assert (r.status_code, r.json()["code"]) == (426, "unsupported_protocol"), (method, path)
            assert "426" in operations[method]["responses"], (method, path)  # and the OpenAPI document says so
    assert http.get("/api/v1/version", headers={"Paidui-Protocol": "1"}).status_code == 200


def test_a_till_that_names_its_version_is_served(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
    for path in ("/api/v1/me", "/api/v1/stores", "/api/v1/sync/pull"):
        assert http.get(path, headers=till.auth).status_code == 200, path  # till.auth names protocol 1


def test_console_query_numbers_are_bounded(http: httpx.Client) -> None:
    sign_in(http, "admin", ADMIN_PASSWORD)
    for path in (f"/console/history?before={LONG}", f"/console/liability?days={LONG}", "/console/history?before=²"):
        r = http.get(path)
        assert r.status_code == 400, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html") and "请求内容无效" in r.text, path
    assert http.get("/console/history?before=12").status_code == 200
    assert http.get("/console/liability?days=7").status_code == 200
