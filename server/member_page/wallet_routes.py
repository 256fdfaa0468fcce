"""The signed-in member's wallet forms: a withdrawal request (提现, when headquarters enabled it) and a points
transfer to another member (by phone, member id or member code), confirmed first, within a daily cap.

The work is the wallet services' (`server.services.wallet_ops`): one transaction each, idempotent on a key the form
carries (a second click, or a reload of the post, does the same request once). Every post is signed in, same-site,
carries a token bound to the session and counts against the member's action rate.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from shared.errors import Code, RuleError
from shared.money import format_fen, parse_yuan
from shared.tokens import TokenError

from ..api.state import services
from ..db import tables as t
from ..db.settings import base_settings
from ..ratelimit import client_address
from ..security.member_codes import verify_member_code
from ..services import wallet_ops
from ..services.members import display_name, mask_phone
from . import session
from .i18n import Words, negotiate
from .routes import HEADERS, PAGE_ERRORS, _html, _limited, _message, _same_site

router = APIRouter(prefix="/m/me", tags=["member page"])
LANG_FORM = Annotated[str | None, Form(max_length=5)]
TOKEN = Annotated[str, Form(max_length=100)]
KEY = Annotated[str, Form(min_length=16, max_length=40)]
ERRORS = {
    **PAGE_ERRORS,
    303: {"description": "done: back to the signed-in page"},
    400: {"description": "not an amount, or not a member (HTML)"},
    409: {"description": "refused by the wallet's rules (HTML)"},
}


def new_key() -> str:
    """The idempotency key a form carries (one request however often it is posted)."""
    return secrets.token_urlsafe(18)


def _words(request: Request, lang: str | None) -> Words:
    return Words(negotiate(lang, request.headers.get("accept-language")))


def _back(words: Words) -> str:
    return f"/m/me?{urlencode({'lang': words.lang})}"


def _checks(request: Request, words: Words, action: str, form_token: str) -> str | Response:
    """The signed-in member of a wallet post, or the refusal."""
    signed = session.current(request)
    if signed is None:
        return RedirectResponse(f"/m/signin?{urlencode({'lang': words.lang})}", status_code=303, headers=HEADERS)
    limits = services(request).member_limits
    for limiter, key in ((limits.action_by_address, client_address(request)), (limits.action_by_member, signed[0])):
        decision = limiter.hit(key)
        if not decision.allowed:
            return _limited(words, decision)
    if not _same_site(request) or not session.form_valid(signed[1], action, form_token):
        return _message(words, 403, "form_invalid", back=_back(words))
    return signed[0]


def _refused(words: Words, exc: RuleError) -> HTMLResponse:
    return _message(words, 409, "refused", back=_back(words), reason=words.code(exc.code))


@router.post("/withdraw", response_class=HTMLResponse, responses=ERRORS)
def withdraw(
    request: Request, amount: Annotated[str, Form(max_length=20)], key: KEY, form_token: TOKEN, lang: LANG_FORM = None
) -> Response:
    """Request a withdrawal of part of the rebate balance: reserved now, paid once headquarters approves it."""
    words = _words(request, lang)
    checked = _checks(request, words, "withdraw", form_token)
    if isinstance(checked, Response):
        return checked
    try:
        fen = parse_yuan(amount)
    except ValueError:
        return _message(words, 400, Code.INVALID_AMOUNT.value, back=_back(words))
    svc = services(request)
    now = svc.clock.now()
    try:
        with svc.db.connect() as conn:
            done = wallet_ops.request_withdrawal(
                conn,
                member_id=checked,
                amount_fen=fen,
                key=f"member-page:{checked}:{key}",
                settings=base_settings(conn, svc.db.settings_cache),
                now=now,
            )
    except RuleError as exc:
        return _refused(words, exc)
    url = f"/m/me?{urlencode({'lang': words.lang, 'done': 'withdrawal', 'ref': done.reference})}#wallet-title"
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def _recipient(request: Request, to: str) -> tuple[str, str] | None:
    """(member id, how the confirmation names them) of a phone, member id or member code; None: no such member."""
    svc = services(request)
    typed = to.strip()
    member_id: str | None = None
    if typed.startswith("PD1."):
        try:
            member_id = verify_member_code(
                svc.keys, typed, svc.clock.now(), ttl=dt.timedelta(seconds=svc.settings.member_code_seconds)
            )
        except TokenError:
            return None
    m = t.Member
    with svc.db.connect() as conn:
        clause = m.member_id == member_id if member_id is not None else (m.phone == typed) | (m.member_id == typed)
        row = conn.execute(select(m.member_id, m.phone, m.name).where(clause)).first()
    if row is None:
        return None
    return str(row.member_id), mask_phone(row.phone) if row.phone else display_name(row.name)


@router.post("/transfer/confirm", response_class=HTMLResponse, responses=ERRORS)
def transfer_confirm(
    request: Request,
    to: Annotated[str, Form(min_length=1, max_length=300)],
    points: Annotated[int, Form(ge=1, le=10**12)],
    key: KEY,
    form_token: TOKEN,
    lang: LANG_FORM = None,
) -> Response:
    """What the transfer would do, and the button that does it."""
    words = _words(request, lang)
    checked = _checks(request, words, "transfer", form_token)
    if isinstance(checked, Response):
        return checked
    found = _recipient(request, to)
    if found is None:
        return _message(words, 400, "transfer_no_member", back=_back(words))
    target, shown = found
    if target == checked:
        return _message(words, 400, "transfer_self", back=_back(words))
    signed = session.current(request)
    assert signed is not None
    return _html(
        "transfer_confirm.html",
        words,
        to=to,  # as typed: the recipient's member id is not shown to the giver
        shown=shown,
        points=points,
        key=key,
        form_token=session.form_token(signed[1], f"transfer:{to}:{points}:{key}"),
        back=_back(words),
    )


@router.post("/transfer", response_class=HTMLResponse, responses=ERRORS)
def transfer(
    request: Request,
    to: Annotated[str, Form(min_length=1, max_length=300)],
    points: Annotated[int, Form(ge=1, le=10**12)],
    key: KEY,
    form_token: TOKEN,
    lang: LANG_FORM = None,
) -> Response:
    """Move the confirmed points to the confirmed member (the same key: done once)."""
    words = _words(request, lang)
    checked = _checks(request, words, f"transfer:{to}:{points}:{key}", form_token)
    if isinstance(checked, Response):
        return checked
    found = _recipient(request, to)
    if found is None:
        return _message(words, 400, "transfer_no_member", back=_back(words))
    svc = services(request)
    try:
        with svc.db.connect() as conn:
            wallet_ops.transfer_points(
                conn,
                from_member=checked,
                to=found[0],
                points=points,
                key=f"member-page:{checked}:{key}",
                settings=base_settings(conn, svc.db.settings_cache),
                now=svc.clock.now(),
            )
    except RuleError as exc:
        return _refused(words, exc)
    url = f"/m/me?{urlencode({'lang': words.lang, 'done': 'transfer', 'n': str(points)})}#wallet-title"
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def withdrawal_lines(request: Request, member_id: str, words: Words, timezone: str) -> list[dict[str, str]]:
    """The member's latest withdrawal requests and where each stands."""
    zone = ZoneInfo(timezone)
    with services(request).db.connect() as conn:
        found = wallet_ops.listing(conn, member_id=member_id, limit=10)
    return [
        {
            "at": w.requested_at.astimezone(zone).strftime("%m-%d %H:%M"),
            "amount": format_fen(w.amount_fen),
            "state": words(f"withdrawal_{w.state}"),
            "reason": w.reason,
            "reference": w.reference,
        }
        for w in found
    ]
