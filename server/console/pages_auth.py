"""Sign-in, sign-out, the language switch and the console's own static files."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from shared.errors import Code

from ..api.state import services
from ..errors import Refused
from ..ratelimit import Limiter, Rate, client_address, clock_ns
from ..services import signin, users
from .session import (
    COOKIE,
    LOGIN_COOKIE,
    PATH,
    NeedLogin,
    current_user,
    end_session,
    login_csrf,
    new_login_nonce,
    same,
    session_ttl,
)
from .web import HERE, LANG_COOKIE, ConsoleRoute, Form, Posted, field, page, safe_next

router = APIRouter(route_class=ConsoleRoute)
STATIC = {"console.css": "text/css", "console.js": "text/javascript", "favicon.svg": "image/svg+xml"}
LOGIN_ATTEMPTS_PER_MINUTE = 10  # per client address, in each server process (per user: services/signin.py)
DEVICE_COOKIE = "paidui_device"  # this browser signed in here before: its user's correct password is never held back
DEVICE_DAYS = 30
_limiter_lock = threading.Lock()


def _by_address(request: Request) -> Limiter:
    """Sign-in attempts per client address (one limiter per process)."""
    state = request.app.state
    with _limiter_lock:
        if getattr(state, "console_login_limiter", None) is None:
            rate = Rate.per_minute(LOGIN_ATTEMPTS_PER_MINUTE)
            state.console_login_limiter = Limiter(rate, clock=clock_ns(services(request).clock))
        limiter: Limiter = state.console_login_limiter
        return limiter


def _origins(request: Request) -> tuple[list[str], str]:
    """Where this attempt comes from (the address, and the browser's device token) and the device token to keep."""
    device = request.cookies.get(DEVICE_COOKIE, "")
    if not (20 <= len(device) <= 64 and device.isascii()):
        device = secrets.token_urlsafe(24)
    digest = hashlib.sha256(device.encode()).hexdigest()
    return [signin.address_origin(client_address(request)), f"d:{digest}"], device


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/")
def home(request: Request) -> Response:
    current_user(request)  # to the sign-in page first when there is no session
    return RedirectResponse("/console/liability", status_code=303)


def _login_page(
    request: Request, *, next_: str, error: str | None = None, username: str = "", status: int = 200
) -> Response:
    nonce = new_login_nonce()
    response = page(
        request,
        "login.html",
        user=None,
        status=status,
        csrf=login_csrf(nonce),
        next=next_,
        error=error,
        username=username,
        why=request.query_params.get("why", ""),
    )
    response.set_cookie(
        LOGIN_COOKIE, nonce, path=PATH, httponly=True, samesite="strict", secure=_secure(request), max_age=3600
    )
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    try:
        current_user(request)
    except NeedLogin:
        return _login_page(request, next_=safe_next(request.query_params.get("next")))
    return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)


@router.post("/login")
def login(request: Request, form: Form) -> Response:
    next_ = safe_next(field(form, "next"))
    username = field(form, "username")
    # double submit: the form's token must match the cookie this browser got with the form
    if not same(field(form, "csrf"), login_csrf(request.cookies.get(LOGIN_COOKIE, "") or "-")):
        return _login_page(request, next_=next_, error="login.stale", username=username, status=403)
    decision = _by_address(request).hit(client_address(request))
    if not decision.allowed:  # before the password hash is checked: guessing costs the guesser, not the server
        return _too_many(request, next_, username, decision.retry_after_seconds)
    svc = services(request)
    now = svc.clock.now()
    origins, device = _origins(request)
    try:
        token = signin.sign_in(
            svc.db,
            username=username,
            origins=origins,
            now=now,
            policy=svc.signin,
            check=lambda conn: users.login(
                conn, username=username, password=str(form.get("password") or ""), now=now, ttl=session_ttl(request)
            ),
        )
    except Refused as exc:
        if exc.code == Code.RATE_LIMITED:
            return _too_many(request, next_, username, exc.retry_after or 1)
        return _login_page(request, next_=next_, error="login.wrong", username=username, status=401)
    response = RedirectResponse(next_, status_code=303)
    response.set_cookie(COOKIE, token, path=PATH, httponly=True, samesite="lax", secure=_secure(request))
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=int(dt.timedelta(days=DEVICE_DAYS).total_seconds()),
    )
    response.delete_cookie(LOGIN_COOKIE, path=PATH)
    return response


def _too_many(request: Request, next_: str, username: str, seconds: int) -> Response:
    response = _login_page(request, next_=next_, error="login.too_many", username=username, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


@router.post("/logout")
def logout(request: Request, user: Posted) -> Response:
    end_session(request, user.token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax")
    return response


@router.get("/lang")
def switch_language(request: Request) -> Response:
    lang = request.query_params.get("to", "zh")
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if lang in ("zh", "en"):
        response.set_cookie(
            LANG_COOKIE,
            lang,
            path=PATH,
            samesite="lax",
            secure=_secure(request),
            max_age=int(dt.timedelta(days=365).total_seconds()),
        )
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(HERE / "static" / name, media_type=STATIC[name], headers={"Cache-Control": "max-age=3600"})
