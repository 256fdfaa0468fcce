"""Request size limits per endpoint (issue 15 item 5): a larger body is `413 too_large`, JSON for the API and a page
for people, whether its length is declared or streamed; and the per-terminal rate of pushes and pulls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.bodylimits import BODY_LIMITS, DEFAULT_BODY_LIMIT, limit_for
from server.clock import FixedClock
from server.config import ServerSettings
from shared.wire import MAX_PUSH_BYTES

from .console_support import sign_in
from .support import ADMIN_PASSWORD, T0, Till, enrolment_code, live_server, seed

MB = 1024 * 1024


@pytest.fixture
def backend() -> str:
    return "sqlite"  # limits live in the HTTP layer: one database is enough


def _till(app: FastAPI, http: httpx.Client, store: str = "S1") -> Till:
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, store, now=T0)).status_code == 200
    return till


def _streamed(raw: bytes) -> Iterator[bytes]:
    """A body without Content-Length (chunked): the server has to count it as it arrives."""
    for i in range(0, len(raw), 64 * 1024):
        yield raw[i : i + 64 * 1024]


def test_a_ten_megabyte_push_is_refused_declared_or_streamed(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = _till(app, http)
    headers = {**till.auth, "Content-Type": "application/json"}
    big = b'{"events": [], "backlog": 0' + b" " * (10 * MB) + b"}"
    for body in (big, _streamed(big)):
        r = http.post("/api/v1/sync/push", content=body, headers=headers)
        assert (r.status_code, r.json()["code"]) == (413, "too_large"), r.text[:200]
    fits = b'{"events": [], "backlog": 0' + b" " * (MAX_PUSH_BYTES - 100) + b"}"
    assert http.post("/api/v1/sync/push", content=fits, headers=headers).status_code == 200


def test_small_endpoints_take_small_bodies(http: httpx.Client) -> None:
    padding = "x" * 5_000
    r = http.post("/api/v1/auth/token", json={"username": "admin", "password": padding})
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    r = http.post("/api/v1/terminals/enroll", json={"code": padding, "name": "t", "public_key": "A" * 43})
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    r = http.post("/api/v1/terminals/rotate", content=b"x" * 20_000)  # takes no body at all
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    r = http.post("/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200


def test_pages_refuse_a_large_body_with_a_page(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    r = http.post("/console/members", data={"csrf": csrf, "phone": "13800001234", "name": "x" * 300_000})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "请求内容太大" in r.text
    raw = b"order_id=o1&form_token=" + b"x" * 5_000
    r = http.post(
        "/m/PD1.x.y/draw",
        content=_streamed(raw),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"},
    )
    assert r.status_code == 413 and "The request is too large." in r.text


def test_the_limit_of_each_endpoint() -> None:
    assert limit_for(BODY_LIMITS, DEFAULT_BODY_LIMIT, "POST", "/api/v1/sync/push") == MAX_PUSH_BYTES
    assert limit_for(BODY_LIMITS, DEFAULT_BODY_LIMIT, "POST", "/console/rules/base") == 256 * 1024
    assert limit_for(BODY_LIMITS, DEFAULT_BODY_LIMIT, "POST", "/m/PD1.a.b/draw") == 4 * 1024
    assert limit_for(BODY_LIMITS, DEFAULT_BODY_LIMIT, "GET", "/api/v1/sync/push") == DEFAULT_BODY_LIMIT
    assert limit_for(BODY_LIMITS, DEFAULT_BODY_LIMIT, "POST", "/api/v1/sync/pushy") == DEFAULT_BODY_LIMIT


def test_pushes_and_pulls_are_limited_per_terminal(server_settings: ServerSettings, clock: FixedClock) -> None:
    settings = server_settings.model_copy(update={"rate_push_per_minute": 3, "rate_pull_per_minute": 2})
    app = create_app(settings, clock=clock)
    try:
        with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            seed(app.state.db, stores={"S1": ["C1"]})
            a, b = _till(app, http), _till(app, http)
            assert [a.push([]).status_code for _ in range(4)] == [200, 200, 200, 429]
            r = a.push([])
            assert r.json()["code"] == "rate_limited" and int(r.headers["retry-after"]) == 20
            assert b.push([]).status_code == 200  # another terminal has its own budget
            assert [a.pull().status_code for _ in range(3)] == [200, 200, 429]
            clock.advance(dt.timedelta(seconds=20))  # one push's worth of time
            assert [a.push([]).status_code for _ in range(2)] == [200, 429]
    finally:
        app.state.db.dispose()
