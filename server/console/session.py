"""Browser sessions of the console: who is signed in, for how long, and the CSRF token of the session.

A session is a row of `api_tokens` (the users' short-lived tokens: only the sha256 of a 32-byte random token is
kept), carried in an HttpOnly, SameSite=Lax cookie scoped to /console. It lasts `api_token_minutes` from its last
use (renewed when half of that has passed) and ends at logout, when the row is deleted: a copied cookie dies with
it. The CSRF token of every form is a hash of the session token, so it is bound to the session, cannot be turned
back into the cookie, and needs no storage. The sign-in form, which has no session yet, uses a double-submit
cookie instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import delete, select, update

from ..api.state import services
from ..db import tables as t
from ..security.secrets import USER_PREFIX, digest
from ..services.users import HQ_ADMIN, STORE_MANAGER

COOKIE = "paidui_console"
LOGIN_COOKIE = "paidui_login"
PATH = "/console"


class NeedLogin(Exception):
    """No valid session: the browser is sent to the sign-in page."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class Denied(Exception):
    """The signed-in user may not see or do this: 403, or 404 for another store's things (not even named)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    user_id: int
    username: str
    role: str
    store_id: str | None
    token: str

    @property
    def is_hq(self) -> bool:
        return self.role == HQ_ADMIN

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)

    @property
    def scope(self) -> list[str] | None:
        """The stores this user reads: None for all (headquarters), else the manager's own store."""
        return None if self.is_hq else [self.store_id or ""]

    def may_see(self, store_id: str) -> bool:
        return self.is_hq or store_id == self.store_id


def csrf_for(token: str) -> str:
    return hashlib.sha256(f"paidui-console-csrf:{token}".encode()).hexdigest()


def login_csrf(nonce: str) -> str:
    return hashlib.sha256(f"paidui-console-login:{nonce}".encode()).hexdigest()


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def session_ttl(request: Request) -> dt.timedelta:
    return dt.timedelta(minutes=services(request).settings.api_token_minutes)


def current_user(request: Request) -> ConsoleUser:
    """The user of the session cookie; NeedLogin when there is none, or it expired, or the user was disabled."""
    token = request.cookies.get(COOKIE)
    if not token or not token.startswith(USER_PREFIX):
        raise NeedLogin()
    svc = services(request)
    now = svc.clock.now()
    ttl = session_ttl(request)
    u, tok = t.User, t.ApiToken
    with svc.db.connect() as conn:
        row = conn.execute(
            select(u.user_id, u.username, u.role, u.store_id, u.disabled_at, tok.expires_at)
            .join(tok, tok.user_id == u.user_id)
            .where(tok.token_hash == digest(token))
        ).first()
        live = row is not None and row.expires_at > now and row.disabled_at is None
        if row is not None and not live:
            conn.execute(delete(tok).where(tok.token_hash == digest(token)))
        elif row is not None and row.expires_at - now < ttl / 2:  # in use: keep it alive, not a write per page
            conn.execute(update(tok).where(tok.token_hash == digest(token)).values(expires_at=now + ttl))
    if row is None or not live:
        raise NeedLogin("expired")
    if row.role not in (HQ_ADMIN, STORE_MANAGER) or (row.role == STORE_MANAGER and not row.store_id):
        raise Denied(403, "role")
    return ConsoleUser(int(row.user_id), row.username, row.role, row.store_id, token)


def end_session(request: Request, token: str) -> None:
    with services(request).db.connect() as conn:
        conn.execute(delete(t.ApiToken).where(t.ApiToken.token_hash == digest(token)))
