"""The signed-in member's browser session: an HttpOnly cookie scoped to /m, and the form token bound to it.

The cookie holds a random token (`pdm_` + 32 bytes); the server keeps its sha256 (`member_sessions`). SameSite=Lax
keeps it off other sites' form posts; it is Secure whenever the page is served over https (the request says so, or
`public_url` does: behind a TLS proxy). The form token of the signed-in page's forms is a hash of the session
token: bound to the session, no storage, and it cannot be turned back into the cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from fastapi import Request, Response

from ..api.state import services
from ..services import member_signin

COOKIE = "paidui_member"
PATH = "/m"


def ttl(request: Request) -> dt.timedelta:
    return dt.timedelta(hours=services(request).settings.member_session_hours)


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or services(request).settings.public_url.startswith("https://")


def current(request: Request) -> tuple[str, str] | None:
    """(member id, session token) of the signed-in browser, or None."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    svc = services(request)
    member_id = member_signin.session_member(svc.db, token=token, now=svc.clock.now(), ttl=ttl(request))
    return (member_id, token) if member_id is not None else None


def start(request: Request, response: Response, member_id: str) -> None:
    svc = services(request)
    life = ttl(request)
    token = member_signin.new_session(svc.db, member_id=member_id, now=svc.clock.now(), ttl=life)
    response.set_cookie(COOKIE, token, path=PATH, httponly=True, samesite="lax", secure=secure(request))


def end(request: Request, response: Response, token: str) -> None:
    member_signin.end_session(services(request).db, token=token)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax", secure=secure(request))


def form_token(session_token: str, action: str) -> str:
    return hashlib.sha256(f"paidui-member-form:{action}:{session_token}".encode()).hexdigest()


def form_valid(session_token: str, action: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(form_token(session_token, action).encode(), given.encode())
