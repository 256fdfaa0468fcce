"""The member page: `/m/<token>` and its buttons. Server-rendered HTML, no external resource, no inline script.

Every response carries a strict Content-Security-Policy (nothing but this origin, no framing, forms post only
here), `Referrer-Policy: same-origin` (the link is a capability: it never leaves as a referrer; same-origin keeps
the `Origin` header on our own form posts) and `Cache-Control: no-store` (personal data).
Draws and exchanges are POSTs with a form token, refused from another site, and rate-limited per client address
and per member; every change goes through `Ingest.apply` like any other event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select

from shared.engine.commands import DrawLottery, Exchange
from shared.engine.engine import Outcome
from shared.errors import Code, RuleError
from shared.ids import OrderId
from shared.money import format_bp, format_fen

from ..api.state import services
from ..db import settings
from ..db import tables as t
from ..db.unit_of_work import UnitOfWork
from ..ratelimit import Decision, Limits, client_address
from ..security.member_codes import issue_member_code
from . import forms, links, qr, view
from .i18n import Lang, Words, negotiate

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"member.css": "text/css", "member.js": "text/javascript"}
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
TOKEN = Annotated[str, Form(max_length=200)]
ORDER = Annotated[str, Form(min_length=1, max_length=64)]
LANG_FORM = Annotated[str | None, Form(max_length=5)]
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "an altered or unknown link, or a form from elsewhere (HTML)"},
    410: {"description": "an expired link (HTML)"},
    429: {"description": "too many requests; see Retry-After (HTML)"},
}
ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    **PAGE_ERRORS,
    303: {"description": "done: back to the page"},
    409: {"description": "refused by the rules (HTML)"},
}

router = APIRouter(prefix="/m", tags=["member page"])
_env = Environment(loader=PackageLoader("server.member_page", "templates"), autoescape=select_autoescape(["html"]))
_env.filters["yuan"] = format_fen
_env.filters["percent"] = format_bp


class ExchangeChanged(Exception):
    """The amount an exchange gives moved between the confirmation and the click: nothing is done."""


# ---------------------------------------------------------------------------------------------- plumbing


def _limits(request: Request) -> Limits:
    return services(request).member_limits


def _html(
    template: str, words: Words, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    body = _env.get_template(template).render(t=words, lang=words.lang, **context)
    return HTMLResponse(body, status_code=status, headers={**HEADERS, **(headers or {})})


def _message(
    words: Words,
    status: int,
    key: str,
    *,
    headers: dict[str, str] | None = None,
    back: str | None = None,
    refresh: bool = False,
    **values: Any,
) -> HTMLResponse:
    return _html(
        "message.html",
        words,
        status,
        headers,
        title=words("error_title") if status >= 400 else "",
        message=words(key, **values),
        back=back,
        refresh=refresh,
    )


def refusal_page(request: Request, status: int, code: Code, headers: dict[str, str] | None) -> Response:
    """A refusal that reached the application's handlers (a form field missing or malformed, a body too large) as
    a page in the member's language, never as JSON."""
    words = Words(negotiate(request.query_params.get("lang"), request.headers.get("accept-language")))
    return _message(words, status, code.value, headers=headers)


def _limited(words: Words, decision: Decision) -> HTMLResponse:
    seconds = decision.retry_after_seconds
    return _message(words, 429, "rate_limited", headers={"Retry-After": str(seconds)}, seconds=seconds)


def _refused_link(words: Words, exc: links.LinkRefused) -> HTMLResponse:
    return _message(words, exc.status, exc.code.value)


def _page_url(token: str, lang: Lang, **extra: str) -> str:
    return f"/m/{token}?{urlencode({'lang': lang, **extra})}"


def _same_site(request: Request) -> bool:
    """A form post from this page, not from another site (the browser says so; old browsers send neither)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":  # withheld (privacy settings): the form token still binds the post
        return True
    return urlparse(origin).netloc == request.headers.get("host", "")


def _resolve(request: Request, token: str) -> links.Link:
    state = request.app.state
    with state.db.connect() as conn:
        return links.resolve(
            conn,
            ring=state.keys,
            token=token,
            now=state.clock.now(),
            page_ttl=dt.timedelta(days=state.settings.member_page_days),
        )


def _subject(link: links.Link) -> str:
    return link.member_id if link.member_id is not None else f"order:{link.order_id}"


def _member_code(request: Request, member_id: str, words: Words, timezone: str) -> tuple[str, str]:
    state = request.app.state
    now = state.clock.now()
    ttl = dt.timedelta(seconds=state.settings.member_code_seconds)
    code = issue_member_code(state.keys, member_id, now, ttl=ttl)
    until = (now + ttl).astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S")
    return qr.svg(code, label=words("member_code")), words("member_code_valid", time=until)


# ---------------------------------------------------------------------------------------------- routes


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return Response(status_code=404)
    return FileResponse(
        STATIC / name,
        media_type=STATIC_FILES[name],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/{token}", response_class=HTMLResponse, responses=PAGE_ERRORS)
def page(
    request: Request,
    token: str,
    lang: Annotated[str | None, Query(max_length=5)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
    o: Annotated[str | None, Query(max_length=64)] = None,
    p: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The member's own queue entries and rewards, a page of waiting entries at a time; the link is the capability."""
    words = Words(negotiate(lang, request.headers.get("accept-language")))
    link = _page_checks(request, token, words)
    if isinstance(link, Response):
        return link
    if link.member_id is None:
        key = "order_pending" if not link.order_known else "order_no_member"
        return _message(words, 200, key, refresh=not link.order_known)
    state = request.app.state
    with state.db.connect() as conn:
        member = view.load(
            conn,
            state.db.settings_cache,
            member_id=link.member_id,
            highlight=link.order_id,
            now=state.clock.now(),
            page=p,
            include=o,
        )
        notice = _notice(conn, member, words, done, o)
    acts = _acts_for(link)
    if not acts:
        member = dataclasses.replace(
            member,
            waiting=[e for e in member.waiting if e.order_id == link.order_id],
            closed=[e for e in member.closed if e.order_id == link.order_id],
            more_waiting=False,
        )
    code_svg, code_valid = _member_code(request, link.member_id, words, member.base.timezone) if acts else ("", "")
    draw_forms = {
        e.order_id: forms.issue(
            state.keys, action="draw", member_id=link.member_id, order_id=e.order_id, now=state.clock.now()
        )
        for e in member.waiting
        if e.lottery_available and acts
    }
    return _html(
        "page.html",
        words,
        member=member,
        display=member.base.display,
        token=token,
        notice=notice,
        code_svg=code_svg,
        code_valid=code_valid,
        draw_forms=draw_forms,
        acts=acts,
        code_refresh_ms=max(30, state.settings.member_code_seconds - 60) * 1000,
        code_url=f"/m/{token}/code?lang={words.lang}",
        self_url=_page_url(token, words.lang, **({"p": str(p)} if p > 1 else {})),
        other_lang_url=_page_url(token, "en" if words.lang == "zh" else "zh", **({"p": str(p)} if p > 1 else {})),
        next_url=_page_url(token, words.lang, p=str(p + 1)) if member.more_waiting else None,
        previous_url=_page_url(token, words.lang, **({"p": str(p - 1)} if p > 2 else {})) if p > 1 else None,
    )


def _acts_for(link: links.Link) -> bool:
    """Only a member link (the server's, sent to the member) acts as the member: shows the live member code (which
    sells as them at a till), draws, exchanges. An order link, printed on a receipt and shown on the customer screen,
    is found by whoever comes next: it shows that sale's entry, nothing more (the wallet adds the member's sign-in)."""
    return link.kind == "member"


def _notice(conn: Any, member: view.MemberView, words: Words, done: str | None, order_id: str | None) -> str | None:
    """The outcome of the button just pressed, read back from the records (the URL only says where to look)."""
    entry = next((e for e in [*member.waiting, *member.closed] if e.order_id == order_id), None)
    if entry is None or done not in ("draw", "exchange"):
        return None
    if done == "draw":
        ld = t.LotteryDraw
        if not conn.execute(select(func.count()).select_from(ld).where(ld.entry_seq == entry.seq)).scalar():
            return None
        return words("done_draw", ratio=format_bp(entry.ratio_bp), entitlement=format_fen(entry.entitlement_fen))
    points = conn.execute(
        select(func.sum(t.PointsLedger.points)).where(t.PointsLedger.ref == order_id, t.PointsLedger.kind == "exchange")
    ).scalar()
    if points:
        return words("done_exchange_points", points=points)
    voucher = conn.execute(select(func.sum(t.Voucher.value_fen)).where(t.Voucher.source_seq == entry.seq)).scalar()
    if voucher:
        return words("done_exchange_voucher", amount=format_fen(int(voucher)))
    return None


@router.get(
    "/{token}/code",
    responses={
        403: {"description": "invalid link"},
        410: {"description": "expired link"},
        429: {"description": "too many requests"},
    },
)
def member_code(request: Request, token: str, lang: Annotated[str | None, Query(max_length=5)] = None) -> Response:
    """A fresh member code (QR as SVG) for the page's refresh button."""
    words = Words(negotiate(lang, request.headers.get("accept-language")))
    limits = _limits(request)
    decision = limits.page_by_address.hit(client_address(request))
    headers = {"Cache-Control": "no-store"}
    if not decision.allowed:
        return JSONResponse(
            {"code": Code.RATE_LIMITED, "detail": words("rate_limited", seconds=decision.retry_after_seconds)},
            status_code=429,
            headers={**headers, "Retry-After": str(decision.retry_after_seconds)},
        )
    try:
        link = _resolve(request, token)
    except links.LinkRefused as exc:
        return JSONResponse(
            {"code": exc.code, "detail": words.code(exc.code)},
            status_code=exc.status,
            headers=headers,
        )
    if link.member_id is None:
        detail = words("order_no_member")
        return JSONResponse({"code": Code.NOT_FOUND, "detail": detail}, status_code=404, headers=headers)
    if not _acts_for(link):
        detail = words("order_link_note")
        return JSONResponse({"code": Code.LINK_INVALID, "detail": detail}, status_code=403, headers=headers)
    with request.app.state.db.connect() as conn:
        timezone = settings.base_settings(conn, request.app.state.db.settings_cache).timezone
    svg, valid = _member_code(request, link.member_id, words, timezone)
    return JSONResponse({"svg": svg, "valid": valid}, headers=headers)


def _page_checks(request: Request, token: str, words: Words) -> links.Link | Response:
    """What every page view checks first: the address's rate, the link, then the rate of the link's member (or
    order, before it has one); the refusal as a page, or the link."""
    limits = _limits(request)
    decision = limits.page_by_address.hit(client_address(request))
    if not decision.allowed:
        return _limited(words, decision)
    try:
        link = _resolve(request, token)
    except links.LinkRefused as exc:
        return _refused_link(words, exc)
    decision = limits.page_by_member.hit(_subject(link))
    if not decision.allowed:
        return _limited(words, decision)
    return link


def _action_checks(request: Request, token: str, words: Words) -> links.Link | Response:
    limits = _limits(request)
    decision = limits.action_by_address.hit(client_address(request))
    if not decision.allowed:
        return _limited(words, decision)
    if not _same_site(request):
        return _message(words, 403, "form_invalid")
    try:
        link = _resolve(request, token)
    except links.LinkRefused as exc:
        return _refused_link(words, exc)
    if link.member_id is None:
        return _message(words, 403, Code.LINK_INVALID.value)
    if not _acts_for(link):
        return _message(words, 403, "order_link_note")
    decision = limits.action_by_member.hit(link.member_id)
    if not decision.allowed:
        return _limited(words, decision)
    return link


def _refusal(words: Words, exc: RuleError, back: str) -> HTMLResponse:
    return _message(words, 409, "refused", back=back, reason=words.code(exc.code))


@router.post("/{token}/draw", response_class=HTMLResponse, responses=ACTION_ERRORS)
def draw(request: Request, token: str, order_id: ORDER, form_token: TOKEN, lang: LANG_FORM = None) -> Response:
    """Draw the lottery of one of the member's waiting entries (the server's CSPRNG draws; once per entry)."""
    words = Words(negotiate(lang, request.headers.get("accept-language")))
    checked = _action_checks(request, token, words)
    if isinstance(checked, Response):
        return checked
    state = request.app.state
    now = state.clock.now()
    assert checked.member_id is not None
    back = _page_url(token, words.lang)
    if not forms.valid(state.keys, form_token, action="draw", member_id=checked.member_id, order_id=order_id, now=now):
        return _message(words, 403, "form_invalid", back=back)
    try:
        state.ingest.apply(DrawLottery(order_id=OrderId(order_id), at=now, member_id=checked.member_id))
    except RuleError as exc:
        return _refusal(words, exc, back)
    return RedirectResponse(
        _page_url(token, words.lang, done="draw", o=order_id) + "#result", status_code=303, headers=HEADERS
    )


@router.get("/{token}/exchange", response_class=HTMLResponse, responses=PAGE_ERRORS)
def exchange_form(
    request: Request,
    token: str,
    o: Annotated[str, Query(min_length=1, max_length=64)],
    lang: Annotated[str | None, Query(max_length=5)] = None,
    changed: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """What an exchange of this entry would give now, and the buttons to confirm it."""
    words = Words(negotiate(lang, request.headers.get("accept-language")))
    link = _page_checks(request, token, words)
    if isinstance(link, Response):
        return link
    back = _page_url(token, words.lang)
    if link.member_id is None:
        return _message(words, 403, Code.LINK_INVALID.value)
    if not _acts_for(link):
        return _message(words, 403, "order_link_note", back=back)
    state = request.app.state
    now = state.clock.now()
    with state.db.connect() as conn:
        member = view.load(conn, state.db.settings_cache, member_id=link.member_id, highlight=None, now=now, include=o)
    entry = next((e for e in member.waiting if e.order_id == o), None)
    name = member.base.exchange_button_name
    if entry is None or not entry.exchangeable:
        return _message(words, 409, "exchange_nothing", back=back, name=name)
    options = []
    for into, amount in (("points", entry.exchange_points), ("voucher", entry.exchange_voucher_fen)):
        if amount:
            options.append(
                {
                    "into": into,
                    "amount": amount,
                    "form_token": forms.issue(
                        state.keys, action=f"exchange:{into}", member_id=link.member_id, order_id=o, now=now
                    ),
                }
            )
    return _html(
        "exchange.html", words, entry=entry, options=options, name=name, back=back, token=token, changed=bool(changed)
    )


@router.post("/{token}/exchange", response_class=HTMLResponse, responses=ACTION_ERRORS)
def exchange(
    request: Request,
    token: str,
    order_id: ORDER,
    into: Annotated[str, Form(pattern="^(points|voucher)$")],
    amount: Annotated[int, Form(ge=1, le=10**15)],
    form_token: TOKEN,
    lang: LANG_FORM = None,
) -> Response:
    """Exchange a waiting entry into points or a voucher, for exactly the amount the member confirmed."""
    words = Words(negotiate(lang, request.headers.get("accept-language")))
    checked = _action_checks(request, token, words)
    if isinstance(checked, Response):
        return checked
    state = request.app.state
    now = state.clock.now()
    assert checked.member_id is not None
    back = _page_url(token, words.lang)
    if not forms.valid(
        state.keys, form_token, action=f"exchange:{into}", member_id=checked.member_id, order_id=order_id, now=now
    ):
        return _message(words, 403, "form_invalid", back=back)

    def same_amount(_: UnitOfWork, outcome: Outcome) -> None:
        if outcome.amount != amount:
            raise ExchangeChanged()

    try:
        state.ingest.apply_within(
            Exchange(order_id=OrderId(order_id), into=into, at=now, member_id=checked.member_id), same_amount
        )
    except ExchangeChanged:
        confirm = f"/m/{token}/exchange?{urlencode({'o': order_id, 'lang': words.lang, 'changed': 1})}"
        return RedirectResponse(confirm, status_code=303, headers=HEADERS)
    except RuleError as exc:
        return _refusal(words, exc, back)
    return RedirectResponse(
        _page_url(token, words.lang, done="exchange", o=order_id) + "#result", status_code=303, headers=HEADERS
    )
