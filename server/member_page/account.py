"""Member sign-in without a receipt (`/m/signin`: phone, then a one-time code) and the signed-in page (`/m/me`).

Signed in, the page shows what a link shows and more: every entry in every store, the member's own code (the code
the till scans), and the sign-out button. The code is never on an order link's page; here the member proved the
phone. Posts are refused from other sites (`routes._same_site`) and, signed in, carry a token bound to the session.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Connection

from shared.errors import Code
from shared.ids import MemberId, StoreId
from shared.money import format_fen
from shared.settings import BaseSettings

from ..api.state import services
from ..db.settings import SettingsCache, read_configuration
from ..errors import Refused
from ..jobs import notify
from ..ratelimit import client_address
from ..security.member_codes import issue_member_page_token
from ..services import consent, member_signin, wallet, wallet_ops
from . import forms, session, view, wallet_routes
from .i18n import MESSAGES, Lang, Words, negotiate
from .routes import HEADERS, PAGE_ERRORS, _html, _limited, _member_code, _message, _same_site

router = APIRouter(prefix="/m", tags=["member page"])
LEDGER_SHOWN = 30
LANG_Q = Annotated[str | None, Query(max_length=5)]
LANG_FORM = Annotated[str | None, Form(max_length=5)]
SIGNIN_ERRORS = {
    **PAGE_ERRORS,
    303: {"description": "done: on to the next step"},
    400: {"description": "not a mobile number (HTML)"},
    401: {"description": "a wrong, used or expired code (HTML)"},
    503: {"description": "the code could not be sent (HTML)"},
}


def _words(request: Request, lang: str | None) -> Words:
    return Words(negotiate(lang, request.headers.get("accept-language")))


def _url(path: str, lang: Lang, **extra: str) -> str:
    return f"{path}?{urlencode({'lang': lang, **extra})}"


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def _code_minutes(request: Request) -> int:
    return services(request).settings.sign_in_code_minutes


def _signin_form(words: Words, *, status: int = 200, error: str | None = None, phone: str = "") -> HTMLResponse:
    return _html(
        "signin.html",
        words,
        status,
        error=error,
        phone=phone,
        other_lang_url=_url("/m/signin", "en" if words.lang == "zh" else "zh"),
    )


def _code_form(
    words: Words, challenge: str, minutes: int, *, status: int = 200, error: str | None = None
) -> HTMLResponse:
    return _html(
        "signin_code.html",
        words,
        status,
        challenge=challenge,
        minutes=minutes,
        error=error,
        again_url=_url("/m/signin", words.lang),
        other_lang_url=_url("/m/signin/code", "en" if words.lang == "zh" else "zh", c=challenge),
    )


@router.get("/signin", response_class=HTMLResponse, responses=PAGE_ERRORS)
def signin_form(request: Request, lang: LANG_Q = None) -> Response:
    """The phone number form (or the signed-in page, when this browser is signed in)."""
    words = _words(request, lang)
    if session.current(request) is not None:
        return _redirect(_url("/m/me", words.lang))
    return _signin_form(words)


@router.post("/signin", response_class=HTMLResponse, responses=SIGNIN_ERRORS)
def send_code(request: Request, phone: Annotated[str, Form(max_length=40)], lang: LANG_FORM = None) -> Response:
    """Send a one-time code to the phone when it is a member's (the answer is the same when it is not)."""
    words = _words(request, lang)
    svc = services(request)
    address = client_address(request)
    decision = svc.member_limits.action_by_address.hit(address)
    if not decision.allowed:
        return _limited(words, decision)
    if not _same_site(request):
        return _message(words, 403, "form_invalid")
    typed = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    try:
        challenge = member_signin.request_code(
            svc.db,
            ring=svc.keys,
            sender=svc.sender,
            phone=typed,
            address=address,
            now=svc.clock.now(),
            ttl=dt.timedelta(minutes=_code_minutes(request)),
            lang=words.lang,
        )
    except Refused as exc:
        if exc.code == Code.INVALID_PHONE:
            return _signin_form(words, status=400, error=words.code(Code.INVALID_PHONE), phone=phone)
        if exc.code == Code.RATE_LIMITED:
            seconds = exc.retry_after or 1
            return _message(
                words, 429, "rate_limited", headers={"Retry-After": str(seconds)}, back="/m/signin", seconds=seconds
            )
        return _message(words, 503, "signin_not_sent", back=_url("/m/signin", words.lang))
    return _redirect(_url("/m/signin/code", words.lang, c=challenge.challenge_id))


@router.get("/signin/code", response_class=HTMLResponse, responses=PAGE_ERRORS)
def code_form(request: Request, c: Annotated[str, Query(min_length=1, max_length=32)], lang: LANG_Q = None) -> Response:
    """The form for the code just sent."""
    return _code_form(_words(request, lang), c, _code_minutes(request))


@router.post("/signin/code", response_class=HTMLResponse, responses=SIGNIN_ERRORS)
def check_code(
    request: Request,
    challenge: Annotated[str, Form(min_length=1, max_length=32)],
    code: Annotated[str, Form(max_length=20)],
    lang: LANG_FORM = None,
) -> Response:
    """Sign in with the code: a session cookie, and on to the signed-in page."""
    words = _words(request, lang)
    svc = services(request)
    address = client_address(request)
    decision = svc.member_limits.action_by_address.hit(address)
    if not decision.allowed:
        return _limited(words, decision)
    if not _same_site(request):
        return _message(words, 403, "form_invalid")
    try:
        member_id = member_signin.check_code(
            svc.db, ring=svc.keys, challenge_id=challenge, code=code, address=address, now=svc.clock.now()
        )
    except Refused as exc:
        if exc.code == Code.RATE_LIMITED:
            seconds = exc.retry_after or 1
            return _message(words, 429, "rate_limited", headers={"Retry-After": str(seconds)}, seconds=seconds)
        return _code_form(words, challenge, _code_minutes(request), status=401, error=words("signin_wrong"))
    response = _redirect(_url("/m/me", words.lang))
    session.start(request, response, member_id)
    return response


@router.post("/signout", response_class=HTMLResponse, responses=SIGNIN_ERRORS)
def sign_out(request: Request, form_token: Annotated[str, Form(max_length=100)], lang: LANG_FORM = None) -> Response:
    """End this browser's session."""
    words = _words(request, lang)
    signed = session.current(request)
    response = _redirect(_url("/m/signin", words.lang))
    if signed is not None:
        if not _same_site(request) or not session.form_valid(signed[1], "signout", form_token):
            return _message(words, 403, "form_invalid")
        session.end(request, response, signed[1])
    return response


def _notifications(conn: Connection, member_id: str, words: Words, timezone: str) -> list[dict[str, str]]:
    """The member's latest notifications in the page's words, newest first."""
    zone = ZoneInfo(timezone)
    out = []
    for row in notify.listed(conn, member_id):
        when = row.due_at.astimezone(zone).strftime("%m-%d %H:%M") if row.due_at is not None else ""
        amount = format_fen(row.amount_fen) if row.amount_fen is not None else ""
        out.append(
            {
                "at": row.created_at.astimezone(zone).strftime("%m-%d %H:%M"),
                "text": words(f"notify_{row.kind}", amount=amount, ref=row.ref, when=when),
            }
        )
    return out


def _sign(amount: int) -> str:
    return "+" if amount > 0 else "−" if amount < 0 else ""


def _wallet(conn: Connection, member_id: str, words: Words, cache: SettingsCache) -> dict[str, Any]:
    """The wallet as the page shows it: balances as recorded, points at the spending rate, vouchers, history."""
    config = read_configuration(conn, cache)
    zone = ZoneInfo(config.base.timezone)
    rate = config.base.wallet.points_per_yuan
    w = wallet.wallet_of(conn, member_id)
    vouchers = [
        {
            "amount": format_fen(v.value_fen),
            "until": (
                words("voucher_until", date=v.expires_at.astimezone(zone).strftime("%Y-%m-%d"))
                if v.expires_at is not None
                else words("voucher_no_expiry")
            ),
            "scope": (
                words("voucher_all_stores")
                if v.store_id is None
                else words("voucher_store", name=config.names.get(StoreId(v.store_id), v.store_id))
            ),
            "held": v.held,
        }
        for v in w.vouchers
    ]
    ledger = []
    for line in wallet.ledger_of(conn, member_id, limit=LEDGER_SHOWN):
        key = f"ledger_{line.reason}"
        amount = (
            words("points_unit", points=_sign(line.amount) + str(abs(line.amount)))
            if line.kind == "points"
            else f"{_sign(line.amount)}¥{format_fen(abs(line.amount))}"
        )
        ledger.append(
            {
                "at": line.at.astimezone(zone).strftime("%m-%d %H:%M"),
                "what": words(key) if key in MESSAGES[words.lang] else line.reason,
                "amount": amount,
                "credit": line.amount > 0,
            }
        )
    return {
        "view": w,
        "rebate": format_fen(w.rebate_fen) if w.rebate_fen >= 0 else "−" + format_fen(-w.rebate_fen),
        "rebate_held": format_fen(w.rebate_held_fen) if w.rebate_held_fen else None,
        "points_value": format_fen(w.points * 100 // rate),
        "rate": rate,
        "vouchers": vouchers,
        "ledger": ledger,
    }


def _withdraw_form(words: Words, token: str, base: BaseSettings) -> dict[str, str] | None:
    ws = base.wallet
    if not ws.withdrawal_enabled:
        return None
    minimum = format_fen(ws.withdrawal_min_fen)
    note = (
        words("withdraw_note", minimum=minimum, cap=format_fen(ws.withdrawal_daily_cap_fen))
        if ws.withdrawal_daily_cap_fen
        else words("withdraw_note_nocap", minimum=minimum)
    )
    return {"key": wallet_routes.new_key(), "token": session.form_token(token, "withdraw"), "note": note}


def _done(request: Request, words: Words, member_id: str, done: str | None, ref: str | None) -> str | None:
    """The outcome of the wallet form just posted, read back from the records (the URL only says where to look)."""
    if done == "transfer":
        return words("done_transfer")
    if done == "withdrawal" and ref:
        with services(request).db.connect() as conn:
            found = [w for w in wallet_ops.listing(conn, member_id=member_id, limit=50) if w.reference == ref]
        if found:
            return words("done_withdrawal", reference=ref, amount=format_fen(found[0].amount_fen))
    return None


def _payment_code(request: Request, member_id: str) -> dict[str, str | int]:
    """The member's payment code now (wallet consent, `server.services.consent`): 8 digits, a new one every 30 s."""
    now = services(request).clock.now()
    code = consent.payment_code(consent.consent_key(services(request).keys, now), MemberId(member_id), now)
    return {"code": code, "display": f"{code[:4]} {code[4:]}", "seconds_left": consent.seconds_left(now)}


@router.get(
    "/me/payment-code",
    responses={401: {"description": "not signed in"}, 429: {"description": "too many requests"}},
)
def payment_code(request: Request) -> Response:
    """The signed-in member's current payment code, for the page's script (JSON, never cached)."""
    headers = {"Cache-Control": "no-store"}
    by_address = services(request).member_limits.page_by_address.hit(client_address(request))
    if not by_address.allowed:
        return JSONResponse(
            {"code": Code.RATE_LIMITED, "detail": "too many requests"},
            status_code=429,
            headers={**headers, "Retry-After": str(by_address.retry_after_seconds)},
        )
    signed = session.current(request)
    if signed is None:
        return JSONResponse({"code": Code.UNAUTHORIZED, "detail": "sign in first"}, status_code=401, headers=headers)
    decision = services(request).member_limits.page_by_member.hit(signed[0])
    if not decision.allowed:
        return JSONResponse(
            {"code": Code.RATE_LIMITED, "detail": "too many requests"},
            status_code=429,
            headers={**headers, "Retry-After": str(decision.retry_after_seconds)},
        )
    return JSONResponse(_payment_code(request, signed[0]), headers=headers)


@router.get("/me", response_class=HTMLResponse, responses=PAGE_ERRORS)
def me(
    request: Request,
    lang: LANG_Q = None,
    p: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str | None, Query(max_length=20)] = None,
    ref: Annotated[str | None, Query(max_length=40)] = None,
    c: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The signed-in member's page: every entry in every store, the member code, the figures."""
    words = _words(request, lang)
    signed = session.current(request)
    if signed is None:
        return _redirect(_url("/m/signin", words.lang))
    member_id, token = signed
    svc = services(request)
    limits = svc.member_limits
    for limiter, key in ((limits.page_by_address, client_address(request)), (limits.page_by_member, member_id)):
        decision = limiter.hit(key)
        if not decision.allowed:
            return _limited(words, decision)
    now = svc.clock.now()
    with svc.db.connect() as conn:
        member = view.load(
            conn, svc.db.settings_cache, member_id=member_id, highlight=None, now=now, page=p, closed_page=c
        )
        phone = view.masked_phone(conn, member_id)
        notices = _notifications(conn, member_id, words, member.base.timezone)
        purse = _wallet(conn, member_id, words, svc.db.settings_cache)
    link = issue_member_page_token(svc.keys, member_id, now, ttl=dt.timedelta(days=svc.settings.member_page_days))
    code_svg, code_valid = _member_code(request, member_id, words, member.base.timezone)
    draw_forms = {
        e.order_id: forms.issue(svc.keys, action="draw", member_id=member_id, order_id=e.order_id, now=now)
        for e in member.waiting
        if e.lottery_available
    }
    extra = {"p": str(p)} if p > 1 else {}
    return _html(
        "me.html",
        words,
        member=member,
        display=member.base.display,
        token=link,
        phone=phone,
        show_store=True,
        notice=_done(request, words, member_id, done, ref),
        withdraw=_withdraw_form(words, token, member.base),
        withdrawals=wallet_routes.withdrawal_lines(request, member_id, words, member.base.timezone),
        transfer=(
            {
                "key": wallet_routes.new_key(),
                "token": session.form_token(token, "transfer"),
                "cap": member.base.wallet.transfer_daily_cap_points,
            }
            if member.base.wallet.transfer_daily_cap_points > 0
            else None
        ),
        code_svg=code_svg,
        code_valid=code_valid,
        draw_forms=draw_forms,
        code_refresh_ms=max(30, svc.settings.member_code_seconds - 60) * 1000,
        code_url=f"/m/{link}/code?lang={words.lang}",
        signout_token=session.form_token(token, "signout"),
        payment=_payment_code(request, member_id),
        notifications=notices,
        wallet=purse,
        self_url=_url("/m/me", words.lang, **extra),
        other_lang_url=_url("/m/me", "en" if words.lang == "zh" else "zh", **extra),
        next_url=_url("/m/me", words.lang, p=str(p + 1)) if member.more_waiting else None,
        previous_url=(_url("/m/me", words.lang, **({"p": str(p - 1)} if p > 2 else {})) if p > 1 else None),
        closed_page=c,
        older_closed_url=_url("/m/me", words.lang, c=str(c + 1)) + "#closed" if member.more_closed else None,
        newer_closed_url=(
            (_url("/m/me", words.lang, **({"c": str(c - 1)} if c > 2 else {})) + "#closed") if c > 1 else None
        ),
    )
