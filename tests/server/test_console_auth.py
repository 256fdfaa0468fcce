"""Console sign-in, sessions (cookie flags, expiry, sign-out), CSRF on every POST, language, security headers."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from server.clock import FixedClock
from server.console.pages_auth import LOGIN_ATTEMPTS_PER_MINUTE
from server.console.session import COOKIE
from server.db import tables as t

from .console_support import add_manager, csrf_of, sign_in
from .support import ADMIN_PASSWORD, seed


def _count(app: FastAPI, table: type) -> int:
    with app.state.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_every_page_sends_a_stranger_to_the_sign_in_page(http: httpx.Client) -> None:
    for path in (
        "/console/",
        "/console/liability",
        "/console/settlement",
        "/console/rules",
        "/console/history",
        "/console/stores",
        "/console/members",
        "/console/simulate",
        "/console/export/members.csv",
    ):
        r = http.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/console/login?next="), path
    r = http.get("/console/login?next=/console/settlement")
    assert r.status_code == 200 and "登录" in r.text and 'name="password"' in r.text


def test_sign_in_sets_an_http_only_same_site_cookie_and_wrong_passwords_get_nothing(http: httpx.Client) -> None:
    form = http.get("/console/login")
    wrong = http.post("/console/login", data={"csrf": csrf_of(form.text), "username": "admin", "password": "nope"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    assert COOKIE not in wrong.headers.get("set-cookie", "")
    form = http.get("/console/login")
    ok = http.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "username": "admin", "password": ADMIN_PASSWORD, "next": "/console/members"},
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/console/members"
    cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith(COOKIE + "="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/console"} <= flags
    assert http.get("/console/members").status_code == 200


def test_password_guessing_is_slowed_down(http: httpx.Client, clock: FixedClock) -> None:
    statuses = []
    for _ in range(LOGIN_ATTEMPTS_PER_MINUTE):
        form = http.get("/console/login")
        r = http.post("/console/login", data={"csrf": csrf_of(form.text), "username": "admin", "password": "guess"})
        statuses.append(r.status_code)
    assert statuses[:6] == [401] * 6 and set(statuses[6:]) == {429}  # five free failures, then the wait doubles
    assert "尝试次数太多" in r.text and int(r.headers["retry-after"]) >= 1
    form = http.get("/console/login")  # from where admin never signed in, even the right password waits now
    r = http.post("/console/login", data={"csrf": csrf_of(form.text), "username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 429 and COOKIE not in r.headers.get("set-cookie", "")
    clock.advance(dt.timedelta(minutes=1))  # the wait is over
    form = http.get("/console/login")
    r = http.post("/console/login", data={"csrf": csrf_of(form.text), "username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 303


def test_the_sign_in_form_needs_its_own_cookie(http: httpx.Client) -> None:
    form = http.get("/console/login")
    token = csrf_of(form.text)
    http.cookies.clear()  # a cross-site form post would not carry the strict login cookie
    r = http.post("/console/login", data={"csrf": token, "username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 403 and COOKIE not in r.headers.get("set-cookie", "")


def test_after_sign_in_only_console_paths_are_followed(http: httpx.Client) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/api/v1/me", "/console\\..\\x"):
        http.cookies.clear()
        form = http.get("/console/login")
        r = http.post(
            "/console/login",
            data={"csrf": csrf_of(form.text), "username": "admin", "password": ADMIN_PASSWORD, "next": target},
        )
        assert r.status_code == 303 and r.headers["location"] == "/console/", target


def test_every_post_without_the_session_csrf_token_is_refused_and_changes_nothing(
    http: httpx.Client, app: FastAPI
) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    with app.state.db.connect() as conn:
        version = conn.execute(select(t.SettingsRow.version)).scalar_one()
    posts = {
        "/console/rules/base": {"extraction_bp": "20"},
        "/console/rules/store/S1": {"daily_limit": "3"},
        "/console/stores": {"store_id": "S9", "name": "new"},
        "/console/stores/S1/cashiers": {"cashier_id": "C9", "name": "c"},
        "/console/stores/S1/enrol": {},
        "/console/members": {"phone": "13800000001"},
        "/console/members/m1/level": {"level": "gold"},
        "/console/simulate": {"from": "2026-03-01", "to": "2026-03-02"},
        "/console/logout": {},
    }
    before = {table: _count(app, table) for table in (t.Store, t.Cashier, t.EnrolmentCode, t.Member, t.ApiToken)}
    for path, data in posts.items():
        for token in (None, "0" * 64, csrf[:-1] + ("0" if csrf[-1] != "0" else "1")):
            body = dict(data) if token is None else {**data, "csrf": token}
            r = http.post(path, data=body)
            assert r.status_code == 403, (path, token, r.status_code)
            assert "CSRF" in r.text
    assert {table: _count(app, table) for table in before} == before
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.SettingsRow.version)).scalar_one() == version
    assert http.get("/console/liability").status_code == 200  # the session survived: logout was refused too


def test_sign_out_ends_the_session_on_the_server(http: httpx.Client, app: FastAPI) -> None:
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    stolen = http.cookies.get(COOKIE, path="/console")
    assert stolen
    r = http.post("/console/logout", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    assert _count(app, t.ApiToken) == 0
    with httpx.Client(base_url=str(http.base_url), cookies={COOKIE: stolen}) as other:
        assert other.get("/console/liability").status_code == 303


def test_a_session_ends_after_its_idle_time_and_lives_on_while_used(
    http: httpx.Client, app: FastAPI, clock: FixedClock
) -> None:
    sign_in(http, "admin", ADMIN_PASSWORD)
    minutes = app.state.settings.api_token_minutes
    for _ in range(3):  # used every (ttl - 1) minutes: renewed each time
        clock.advance(dt.timedelta(minutes=minutes - 1))
        assert http.get("/console/liability").status_code == 200
    clock.advance(dt.timedelta(minutes=minutes + 1))
    r = http.get("/console/liability")
    assert r.status_code == 303 and "why=expired" in r.headers["location"]
    assert "会话已过期" in http.get(r.headers["location"]).text
    assert _count(app, t.ApiToken) == 0


def test_a_disabled_user_is_signed_out(http: httpx.Client, app: FastAPI, clock: FixedClock) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    add_manager(app.state.db, "boss1", "S1")
    sign_in(http, "boss1", "manager-pass-1")
    with app.state.db.connect() as conn:
        conn.execute(update(t.User).where(t.User.username == "boss1").values(disabled_at=clock.now()))
    assert http.get("/console/liability").status_code == 303


def test_chinese_by_default_english_on_request(http: httpx.Client) -> None:
    sign_in(http, "admin", ADMIN_PASSWORD)
    assert "队列负债" in http.get("/console/liability").text
    r = http.get("/console/lang", params={"to": "en", "next": "/console/liability?days=7"})
    assert r.status_code == 303 and r.headers["location"] == "/console/liability?days=7"
    page = http.get("/console/liability?days=7").text
    assert "Queue liability" in page and "队列负债" not in page
    http.get("/console/lang", params={"to": "zh"})
    assert "队列负债" in http.get("/console/liability").text


@pytest.mark.parametrize("path", ["/console/login", "/console/nowhere"])
def test_console_pages_carry_security_headers(http: httpx.Client, path: str) -> None:
    r = http.get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"


def test_static_files_are_served_locally(http: httpx.Client) -> None:
    css = http.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert http.get("/console/static/../app.py").status_code == 404
    page = http.get("/console/login").text
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
