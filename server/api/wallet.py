"""The wallet's hold API for tills (docs/wallet.md, docs/sync-protocol.md "Wallet holds"): terminal-authenticated."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from shared.errors import Code
from shared.wire import HoldRequest, HoldView, MemberWallet, WalletVoucher

from ..errors import Refused
from ..services import holds as hold_service
from ..services import wallet
from .deps import TerminalDep
from .errors import ERRORS, LIMITED
from .state import services

router = APIRouter(prefix="/api/v1/wallet", tags=["wallet"])


def _view(hold: hold_service.Hold) -> HoldView:
    return HoldView(
        hold_id=uuid.UUID(hold.hold_id),
        member_id=hold.member_id,
        kind=hold.kind,  # type: ignore[arg-type]  # one of KINDS, checked when it was made
        amount_fen=hold.amount_fen,
        points=hold.points,
        voucher_id=hold.voucher_id,
        state=hold.state,  # type: ignore[arg-type]
        order_id=hold.order_id,
        expires_at=hold.expires_at,
    )


def _hold_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise Refused(Code.NOT_FOUND, "no such hold") from exc


@router.post("/holds", response_model=HoldView, status_code=201, responses={**ERRORS, **LIMITED})
def place_hold(request: Request, response: Response, terminal: TerminalDep, body: HoldRequest) -> HoldView:
    """Check and reserve a wallet tender for this till's sale (201; a repeat of the idempotency key answers 200)."""
    svc = services(request)
    hold = svc.holds.place(
        terminal_id=terminal.terminal_id,
        store_id=terminal.store_id,
        request=hold_service.HoldRequest(
            member_id=body.member_id,
            kind=body.kind,
            amount_fen=body.amount_fen,
            voucher_id=body.voucher_id,
            idempotency_key=body.idempotency_key,
            payment_code=body.payment_code,
        ),
    )
    if not hold.created:
        response.status_code = 200
    return _view(hold)


@router.get("/holds/{hold_id}", response_model=HoldView, responses=ERRORS)
def get_hold(request: Request, terminal: TerminalDep, hold_id: str) -> HoldView:
    """A hold of this till's store, as it stands."""
    return _view(services(request).holds.get(store_id=terminal.store_id, hold_id=_hold_id(hold_id)))


@router.post("/holds/{hold_id}/release", response_model=HoldView, responses=ERRORS)
def release_hold(request: Request, terminal: TerminalDep, hold_id: str) -> HoldView:
    """The sale was abandoned: give the reservation back (a repeat answers the same)."""
    return _view(services(request).holds.release(store_id=terminal.store_id, hold_id=_hold_id(hold_id)))


@router.get("/members/{member_id}", response_model=MemberWallet, responses=ERRORS)
def member_wallet(request: Request, terminal: TerminalDep, member_id: str) -> MemberWallet:
    """What the member can spend at this till's store now (balance less holds, usable vouchers)."""
    svc = services(request)
    now = svc.clock.now()
    with svc.db.connect() as conn:
        view = wallet.wallet_of(conn, member_id)
    usable = [
        WalletVoucher(voucher_id=v.voucher_id, value_fen=v.value_fen, expires_at=v.expires_at)
        for v in view.vouchers
        if not v.held and (v.expires_at is None or v.expires_at > now) and v.store_id in (None, terminal.store_id)
    ]
    return MemberWallet(
        member_id=member_id,
        rebate_available_fen=view.rebate_available_fen,
        points_available=view.points_available,
        points_per_yuan=svc.holds.points_per_yuan(),
        vouchers=usable,
    )
