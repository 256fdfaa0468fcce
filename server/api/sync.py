"""Sync protocol v1 routes (docs/sync-protocol.md): enrolment, credential rotation, push, pull."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from shared.errors import Code
from shared.wire import (
    CATALOGUE_PAGE,
    CATALOGUE_PAGE_MAX,
    PROTOCOL_VERSION,
    PULL_VERSIONS,
    SUPPORTED_VERSIONS,
    CataloguePage,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    OrderFacts,
    PullResponse,
    PushRequest,
    PushResponse,
    RotateResponse,
)

from ..admission import Busy
from ..errors import Refused
from ..inputs import parse_int
from ..ratelimit import Limiter
from ..services import catalogue, terminals
from ..services.order_facts import order_facts
from ..services.terminals import TerminalPrincipal
from .deps import TerminalDep, limit_attempts
from .errors import BUSY, ERRORS, LIMITED, NOT_FOUND, TOO_LARGE
from .state import services

router = APIRouter(prefix="/api/v1", tags=["sync"])


@router.post(
    "/terminals/enroll",
    response_model=EnrollResponse,
    responses={
        400: {
            "model": ErrorBody,
            "description": "`enrolment_code_invalid`, `enrolment_code_expired`, `invalid_request`",
        },
        **LIMITED,
    },
    dependencies=[Depends(limit_attempts)],
)
def enroll(request: Request, body: EnrollRequest) -> EnrollResponse:
    """Exchange a one-time enrolment code for a terminal credential (the code is the credential here)."""
    svc = services(request)
    with svc.db.connect() as conn:
        done = terminals.enroll(conn, code=body.code, name=body.name, public_key=body.public_key, now=svc.clock.now())
    return EnrollResponse(terminal_id=done.terminal_id, store_id=done.store_id, credential=done.credential)


@router.post("/terminals/rotate", response_model=RotateResponse, responses=ERRORS)
def rotate(request: Request, terminal: TerminalDep) -> RotateResponse:
    """A new credential; the current one keeps working until the new one is first used."""
    svc = services(request)
    with svc.db.connect() as conn:
        return RotateResponse(credential=terminals.rotate(conn, terminal_id=terminal.terminal_id))


def _within(limiter: Limiter, terminal: TerminalPrincipal) -> None:
    decision = limiter.hit(terminal.terminal_id)
    if not decision.allowed:
        seconds = decision.retry_after_seconds
        raise Refused(Code.RATE_LIMITED, f"too many requests; try again in {seconds} s", retry_after=seconds)


@router.post("/sync/push", response_model=PushResponse, responses={**ERRORS, **TOO_LARGE, **LIMITED, **BUSY})
def push(request: Request, terminal: TerminalDep, body: PushRequest) -> PushResponse:
    """Apply a batch of outbox events, each exactly once; answer per event."""
    if body.protocol not in SUPPORTED_VERSIONS:
        raise Refused(Code.UNSUPPORTED_PROTOCOL, f"this server speaks {sorted(SUPPORTED_VERSIONS)}")
    svc = services(request)
    _within(svc.terminal_limits.push, terminal)
    try:
        with svc.admission.turn():
            return svc.push.push(terminal=terminal, request=body)
    except Busy as exc:
        raise Refused(
            Code.BUSY, f"the server is busy; try again in {exc.retry_after} s", retry_after=exc.retry_after
        ) from None


@router.get("/sync/pull", response_model=PullResponse, responses={**ERRORS, **LIMITED})
def pull(
    request: Request,
    terminal: TerminalDep,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    levels: Annotated[bool, Query(description="also send the level catalog (`levels`)")] = False,
    checkout: Annotated[bool, Query(description="also send the till's checkout point (`checkout`)")] = False,
    points: Annotated[bool, Query(description="also send each member's points balance (`members[].points`)")] = False,
    employees: Annotated[bool, Query(description="also send the store's employees (`employees`)")] = False,
    paidui_protocol: Annotated[str | None, Header()] = None,
) -> Response:
    """Settings in force, members changed since the cursor, the store's queue snapshot, member-code keys."""
    version = parse_int(paidui_protocol) if paidui_protocol is not None else PROTOCOL_VERSION
    if version not in PULL_VERSIONS:  # a version 1 pull handed out phone data that could be reversed in a second
        raise Refused(
            Code.UNSUPPORTED_PROTOCOL, f"pulls are served at versions {sorted(PULL_VERSIONS)}: update the till"
        )
    svc = services(request)
    _within(svc.terminal_limits.pull, terminal)
    answer = svc.pull.pull(
        terminal=terminal,
        cursor=cursor,
        with_levels=levels,
        with_checkout=checkout,
        with_points=points,
        with_employees=employees,
    )
    # A till that did not ask gets the answer of before, field for field: its model refuses a field it does not know.
    asked = (("levels", levels), ("checkout", checkout), ("employees", employees))
    exclude: dict[str, Any] = {name: True for name, wanted in asked if not wanted}
    if not points:
        exclude["members"] = {"__all__": {"points"}}
    body = answer.model_dump_json(exclude=exclude or None)
    return Response(body, media_type="application/json")


@router.get("/sync/orders/{order_id}", response_model=OrderFacts, responses={**ERRORS, **NOT_FOUND, **LIMITED})
def order(request: Request, terminal: TerminalDep, order_id: uuid.UUID) -> OrderFacts:
    """A sale of this terminal's store (any of its tills): a refund by order id is checked before it is recorded.
    An order the server has not seen, or of another store: 404 `unknown_order`."""
    svc = services(request)
    _within(svc.terminal_limits.pull, terminal)
    with svc.db.connect() as conn:
        return order_facts(conn, store_id=terminal.store_id, order_id=str(order_id))


@router.get("/sync/catalogue", response_model=CataloguePage, responses={**ERRORS, **LIMITED})
def catalogue_page(
    request: Request,
    terminal: TerminalDep,
    after_version: Annotated[int, Query(ge=0, le=10**15)] = 0,
    after_sku: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=CATALOGUE_PAGE_MAX)] = CATALOGUE_PAGE,
) -> CataloguePage:
    """The store's product catalogue changed after (after_version, after_sku), in (version, sku) order."""
    svc = services(request)
    _within(svc.terminal_limits.pull, terminal)
    with svc.db.connect() as conn:
        return catalogue.page(
            conn, store_id=terminal.store_id, after_version=after_version, after_sku=after_sku, limit=limit
        )
