"""API users (headquarters admins, store managers), their passwords and short-lived bearer tokens."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from shared.errors import Code

from ..db import tables as t
from ..errors import Refused, unauthorized
from ..security.secrets import check_password, digest, dummy_password_check, hash_password, new_user_token

HQ_ADMIN = "hq_admin"
STORE_MANAGER = "store_manager"
ROLES = (HQ_ADMIN, STORE_MANAGER)
USERNAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,80}$")
MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class UserPrincipal:
    user_id: int
    username: str
    role: str
    store_id: str | None


def add_user(
    conn: Connection, *, username: str, password: str, role: str, store_id: str | None, now: dt.datetime
) -> int:
    if not USERNAME.match(username):
        raise Refused(Code.INVALID_REQUEST, "a user name is 1-80 letters, digits or _.@-")
    if role not in ROLES:
        raise Refused(Code.INVALID_REQUEST, f"role is one of {', '.join(ROLES)}")
    if role == STORE_MANAGER and not store_id:
        raise Refused(Code.INVALID_REQUEST, "a store manager is bound to a store")
    if role == HQ_ADMIN:
        store_id = None
    if len(password) < MIN_PASSWORD:
        raise Refused(Code.INVALID_REQUEST, f"a password has at least {MIN_PASSWORD} characters")
    store = select(t.Store.store_id).where(t.Store.store_id == store_id)
    if store_id is not None and conn.execute(store).first() is None:
        raise Refused(Code.NOT_FOUND, f"no store {store_id}")
    if conn.execute(select(t.User.user_id).where(t.User.username == username)).first() is not None:
        raise Refused(Code.CONFLICT, f"user {username} exists already")
    result = conn.execute(
        insert(t.User)
        .values(username=username, password_hash=hash_password(password), role=role, store_id=store_id, created_at=now)
        .returning(t.User.user_id)
    )
    return int(result.scalar_one())


def user_exists(conn: Connection, username: str) -> bool:
    return conn.execute(select(t.User.user_id).where(t.User.username == username)).first() is not None


def login(conn: Connection, *, username: str, password: str, now: dt.datetime, ttl: dt.timedelta) -> str:
    """A bearer token for a user whose password checks out; the same refusal whatever was wrong."""
    row = conn.execute(select(t.User).where(t.User.username == username)).first()
    if row is None:
        dummy_password_check()
        raise unauthorized("wrong user name or password")
    if not check_password(row.password_hash, password) or row.disabled_at is not None:
        raise unauthorized("wrong user name or password")
    token = new_user_token()
    conn.execute(delete(t.ApiToken).where(t.ApiToken.user_id == row.user_id, t.ApiToken.expires_at <= now))
    conn.execute(
        insert(t.ApiToken).values(token_hash=digest(token), user_id=row.user_id, created_at=now, expires_at=now + ttl)
    )
    return token


def authenticate(conn: Connection, token: str, *, now: dt.datetime) -> UserPrincipal:
    row = conn.execute(
        select(t.User.user_id, t.User.username, t.User.role, t.User.store_id, t.User.disabled_at, t.ApiToken.expires_at)
        .join(t.ApiToken, t.ApiToken.user_id == t.User.user_id)
        .where(t.ApiToken.token_hash == digest(token))
    ).first()
    if row is None or row.expires_at <= now or row.disabled_at is not None:
        raise unauthorized("unknown or expired token")
    return UserPrincipal(int(row.user_id), row.username, row.role, row.store_id)
