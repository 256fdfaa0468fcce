"""API users log in with a password and get a short-lived bearer token (`Authorization: Bearer pdu_...`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from shared.wire import ErrorBody

from ..ratelimit import client_address
from ..services import signin, users
from .deps import CallerDep, limit_attempts
from .errors import ERRORS, LIMITED
from .state import services

router = APIRouter(prefix="/api/v1", tags=["auth"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[^\x00]+$")]
    password: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int  # seconds


class Me(BaseModel):
    role: str
    store_id: str | None
    terminal_id: str | None = None
    username: str | None = None


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    dependencies=[Depends(limit_attempts)],
    responses={401: {"model": ErrorBody, "description": "wrong user name or password"}, 400: ERRORS[400], **LIMITED},
)
def token(request: Request, body: TokenRequest) -> TokenResponse:
    """A bearer token for a headquarters admin or a store manager (attempts throttled per address and per user)."""
    svc = services(request)
    ttl = svc.settings.api_token_minutes
    now = svc.clock.now()
    access = signin.sign_in(
        svc.db,
        username=body.username,
        origins=[signin.address_origin(client_address(request))],
        now=now,
        policy=svc.signin,
        check=lambda conn: users.login(
            conn, username=body.username, password=body.password, now=now, ttl=timedelta(minutes=ttl)
        ),
    )
    return TokenResponse(access_token=access, expires_in=ttl * 60)


@router.get("/me", response_model=Me, responses=ERRORS)
def me(who: CallerDep) -> Me:
    """Who the credential belongs to."""
    return Me(
        role=who.role,
        store_id=who.store_id,
        terminal_id=who.terminal.terminal_id if who.terminal else None,
        username=who.user.username if who.user else None,
    )
