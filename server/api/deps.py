"""Request dependencies: who is calling (from the bearer credential, never from the body), and what they may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Code
from shared.wire import SUPPORTED_VERSIONS

from ..errors import Refused, forbidden, not_found, unauthorized
from ..inputs import parse_int
from ..security.secrets import TERMINAL_PREFIX, USER_PREFIX
from ..services import terminals, users
from ..services.terminals import TerminalPrincipal
from ..services.users import HQ_ADMIN, UserPrincipal
from .state import services

bearer = HTTPBearer(auto_error=False, description="a terminal credential (pdt_...) or an API token (pdu_...)")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a terminal or a user, and the one store it is bound to (None: headquarters)."""

    terminal: TerminalPrincipal | None = None
    user: UserPrincipal | None = None

    @property
    def role(self) -> str:
        if self.terminal is not None:
            return "terminal"
        assert self.user is not None
        return self.user.role

    @property
    def store_id(self) -> str | None:
        if self.terminal is not None:
            return self.terminal.store_id
        assert self.user is not None
        return self.user.store_id

    def may_read_store(self, store_id: str) -> bool:
        return self.role == HQ_ADMIN or self.store_id == store_id


def check_protocol(paidui_protocol: Annotated[str | None, Header()] = None) -> None:
    """The `Paidui-Protocol` header, when sent, must name a version this server speaks (every /api/v1 route)."""
    if paidui_protocol is None:
        return
    version = parse_int(paidui_protocol)
    if version is None:
        raise Refused(Code.INVALID_REQUEST, "Paidui-Protocol is a version number (ASCII digits)")
    if version not in SUPPORTED_VERSIONS:
        raise Refused(Code.UNSUPPORTED_PROTOCOL, f"this server speaks {sorted(SUPPORTED_VERSIONS)}")


def limit_attempts(request: Request) -> None:
    """Password logins and enrolment codes are guessed one attempt at a time: a budget per client address."""
    from ..ratelimit import client_address

    decision = services(request).auth_limiter.hit(client_address(request))
    if not decision.allowed:
        seconds = decision.retry_after_seconds
        raise Refused(Code.RATE_LIMITED, f"too many attempts; try again in {seconds} s", retry_after=seconds)


def caller(request: Request, credentials: Bearer) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized()
    token = credentials.credentials
    svc = services(request)
    if token.startswith(TERMINAL_PREFIX):
        with svc.db.connect() as conn:
            return Caller(terminal=terminals.authenticate(conn, token))
    if token.startswith(USER_PREFIX):
        with svc.db.connect() as conn:
            return Caller(user=users.authenticate(conn, token, now=svc.clock.now()))
    raise unauthorized("unknown credential")


CallerDep = Annotated[Caller, Depends(caller)]


def terminal_only(who: CallerDep) -> TerminalPrincipal:
    if who.terminal is None:
        raise forbidden("only an enrolled terminal may do this")
    return who.terminal


def hq_only(who: CallerDep) -> UserPrincipal:
    if who.user is None or who.user.role != HQ_ADMIN:
        raise forbidden("only headquarters may do this")
    return who.user


def readable_store(store_id: str, who: Caller) -> str:
    """A store id from a path, checked against the caller: another store's id is answered as if it did not exist."""
    if not who.may_read_store(store_id):
        raise not_found(f"no store {store_id}")
    return store_id


TerminalDep = Annotated[TerminalPrincipal, Depends(terminal_only)]
HqDep = Annotated[UserPrincipal, Depends(hq_only)]
