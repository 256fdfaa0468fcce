"""The wallet for headquarters: wallet liability, the withdrawal queue (approve / decline), payout batches (export
CSV / XLSX, mark paid), and one member's wallet and ledger (docs/wallet.md)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from shared.engine.commands import ChangeSettings
from shared.errors import Code, RuleError

from ..api.state import services
from ..inputs import parse_int
from ..services import exports, wallet, wallet_ops
from .i18n import refusal
from .session import ConsoleUser, Denied
from .web import ConsoleRoute, Form, HqPosted, HqUser, base_settings, field, language, page

router = APIRouter(route_class=ConsoleRoute)


def _wallet_page(request: Request, user: ConsoleUser, *, error: str = "", status: int = 200) -> Response:
    svc = services(request)
    q = request.query_params.get("q", "").strip()[:64]
    with svc.db.connect() as conn:
        base = base_settings(conn, svc.db)
        figures = wallet.liability(conn, points_per_yuan=base.wallet.points_per_yuan)
        pending = wallet_ops.listing(conn, states=["requested"])
        approved = wallet_ops.listing(conn, states=["approved"])
        batches = wallet_ops.batches(conn)
        member = None
        ledger: list[wallet.LedgerLine] = []
        history: list[wallet_ops.WithdrawalView] = []
        if q:
            found = wallet_ops.find_member(conn, q)
            if found is not None:
                member = wallet.wallet_of(conn, found, all_vouchers=True)
                ledger = wallet.ledger_of(conn, found, limit=200)
                history = wallet_ops.listing(conn, member_id=found)
    return page(
        request,
        "wallet.html",
        status=status,
        user=user,
        figures=figures,
        settings=base.wallet,
        pending=pending,
        unexported=[w for w in approved if w.batch_id is None],
        batches=batches,
        q=q,
        member=member,
        ledger=ledger,
        history=history,
        error=error,
        zone=base.timezone,
    )


@router.get("/wallet")
def wallet_home(request: Request, user: HqUser) -> Response:
    return _wallet_page(request, user)


def _decide(request: Request, withdrawal_id: str, form: Form, user: ConsoleUser, *, approve: bool) -> Response:
    wid = parse_int(withdrawal_id)
    if wid is None:
        raise Denied(404, "not_found")
    svc = services(request)
    try:
        with svc.db.connect() as conn:
            wallet_ops.decide(
                conn,
                withdrawal_id=wid,
                approve=approve,
                reason=field(form, "reason")[:200],
                actor=f"user:{user.username}",
                now=svc.clock.now(),
            )
    except RuleError as exc:
        return _wallet_page(request, user, error=refusal(language(request), exc.code, exc.detail), status=422)
    return RedirectResponse("/console/wallet", status_code=303)


@router.post("/wallet/withdrawals/{withdrawal_id}/approve")
def approve(request: Request, withdrawal_id: str, form: Form, user: HqPosted) -> Response:
    return _decide(request, withdrawal_id, form, user, approve=True)


@router.post("/wallet/withdrawals/{withdrawal_id}/decline")
def decline(request: Request, withdrawal_id: str, form: Form, user: HqPosted) -> Response:
    return _decide(request, withdrawal_id, form, user, approve=False)


SETTINGS_INTS = (
    "points_per_yuan",
    "hold_minutes",
    "voucher_valid_days",
    "withdrawal_min_fen",
    "withdrawal_daily_cap_fen",
    "transfer_daily_cap_points",
)


@router.post("/wallet/settings")
def save_settings(request: Request, form: Form, user: HqPosted) -> Response:
    """Headquarters' wallet settings (docs/wallet.md), a change of the base settings like any other (history)."""
    svc = services(request)
    doc: dict[str, object] = {"withdrawal_enabled": field(form, "withdrawal_enabled") == "1"}
    for name in SETTINGS_INTS:
        value = parse_int(field(form, name))
        if value is None:
            return _wallet_page(
                request, user, error=refusal(language(request), Code.INVALID_SETTINGS, name), status=422
            )
        doc[name] = value
    try:
        svc.ingest.apply(ChangeSettings(at=svc.clock.now(), base={"wallet": doc}, actor=user.username))
    except RuleError as exc:
        return _wallet_page(request, user, error=refusal(language(request), exc.code, exc.detail), status=422)
    return RedirectResponse("/console/wallet", status_code=303)


@router.post("/wallet/batches")
def new_batch(request: Request, user: HqPosted) -> Response:
    """Every approved request not yet on a payout file goes into a new batch (then downloaded below)."""
    svc = services(request)
    with svc.db.connect() as conn:
        batch_id = wallet_ops.export_batch(conn, actor=f"user:{user.username}", now=svc.clock.now())
    return RedirectResponse("/console/wallet" + (f"#batch-{batch_id}" if batch_id else ""), status_code=303)


@router.post("/wallet/batches/{batch_id}/paid")
def mark_paid(request: Request, batch_id: str, user: HqPosted) -> Response:
    svc = services(request)
    try:
        with svc.db.connect() as conn:
            wallet_ops.mark_paid(conn, batch_id=batch_id[:40], actor=f"user:{user.username}", now=svc.clock.now())
    except RuleError as exc:
        return _wallet_page(request, user, error=refusal(language(request), exc.code, exc.detail), status=422)
    return RedirectResponse("/console/wallet", status_code=303)


@router.get("/wallet/batches/{batch_id}.{fmt}")
def payout_file(request: Request, batch_id: str, fmt: str, user: HqUser) -> Response:
    """The payout file of a batch: member, masked phone, amount in yuan (a number), reference."""
    if fmt not in ("csv", "xlsx"):
        raise Denied(404, "not_found")
    svc = services(request)
    with svc.db.connect() as conn:
        lines = wallet_ops.batch_lines(conn, batch_id[:40])
        zone = base_settings(conn, svc.db).timezone
    if not lines:
        raise Denied(404, "not_found")
    table = exports.payout_table(lines)
    body, media = exports.render(table, fmt, lambda key: _title(request, key), zone)
    name = f"payout-{batch_id[:40]}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _title(request: Request, key: str) -> str:
    from .i18n import translate

    return translate(language(request), key)


__all__ = ["dt", "router"]
