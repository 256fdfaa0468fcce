"""The console's plumbing: its route class (HTML errors, sign-in redirects, security headers), Jinja2 rendering,
the language of a request, form reading with the CSRF check, and the chain's settings as pages need them."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from markupsafe import Markup
from sqlalchemy import Connection, select
from starlette.datastructures import FormData

from shared.engine.model import ALL
from shared.errors import Code, RuleError
from shared.money import format_bp, format_fen
from shared.settings import BaseSettings

from ..api.errors import http_status
from ..api.state import services
from ..db import settings
from ..db import tables as t
from ..db.database import Database
from ..errors import Refused
from .i18n import LANGS, refusal, translate
from .session import ConsoleUser, Denied, NeedLogin, current_user, same

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "paidui_lang"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and line breaks are text; the rest is not
SECURITY_HEADERS = {
    # everything is served from here: no CDN, no inline script, no inline style attributes
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "zh")
    return lang if lang in LANGS else "zh"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fen"] = format_fen
    env.filters["bp"] = lambda v: "—" if v is None else format_bp(int(v))
    env.filters["tojson_text"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    return env


def page(
    request: Request, template: str, *, user: ConsoleUser | None, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request)
    zone = ZoneInfo(context.pop("zone", None) or "Asia/Shanghai")

    def when(value: dt.datetime | None) -> str:
        return "—" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    html = (
        _environment()
        .get_template(template)
        .render(
            request=request,
            user=user,
            lang=lang,
            t=functools.partial(translate, lang),
            when=when,
            zone_name=zone.key,
            path=request.url.path,
            query=quote(str(request.url.path) + ("?" + request.url.query if request.url.query else ""), safe=""),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def error_page(request: Request, status: int, reason: str, user: ConsoleUser | None = None) -> HTMLResponse:
    return page(request, "error.html", user=user, status=status, status_code=status, reason=reason)


def refusal_page(request: Request, status: int, code: Code, headers: dict[str, str] | None) -> Response:
    """A refusal that reached the application's handlers (a value the database cannot store, a body too large, a
    wrong method, a crash) as the console's error page in the reader's language, never as JSON."""
    response = error_page(request, status, code.value)
    response.headers.update({**SECURITY_HEADERS, **(headers or {})})
    return response


class ConsoleRoute(APIRoute):
    """Console routes answer HTML: refusals become pages, a missing session a redirect to the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                if any(CONTROL.search(value) for _, value in request.query_params.multi_items()):
                    raise Denied(400, Code.INVALID_REQUEST.value)  # as in a form (`form_data`)
                response = await handler(request)
            except NeedLogin as exc:
                target = f"/console/login?next={quote(request.url.path, safe='')}"
                if exc.reason:
                    target += f"&why={exc.reason}"
                response = RedirectResponse(target, status_code=303)
            except Denied as exc:
                response = error_page(request, exc.status, exc.reason)
            except (Refused, RuleError) as exc:
                response = error_page(request, http_status(exc.code), refusal(language(request), exc.code, exc.detail))
            except RequestValidationError:
                response = error_page(request, 400, Code.INVALID_REQUEST.value)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return route


# ------------------------------------------------------------------------------------------------ dependencies


async def form_data(request: Request) -> FormData:
    """The posted form; one with a control character (a NUL, say) is refused whole, on every database alike
    (PostgreSQL cannot store a NUL; SQLite would keep it and show it later)."""
    form = await request.form()
    if any(isinstance(value, str) and CONTROL.search(value) for _, value in form.multi_items()):
        raise Denied(400, Code.INVALID_REQUEST.value)
    return form


def signed_in(request: Request) -> ConsoleUser:
    return current_user(request)


Form = Annotated[FormData, Depends(form_data)]
User = Annotated[ConsoleUser, Depends(signed_in)]


def posted(form: Form, user: User) -> ConsoleUser:
    """A signed-in user's form, with the session's CSRF token in it (403 otherwise, nothing done)."""
    token = form.get("csrf")
    if not same(token if isinstance(token, str) else None, user.csrf):
        raise Denied(403, "csrf")
    return user


def hq(user: ConsoleUser) -> ConsoleUser:
    if not user.is_hq:
        raise Denied(403, "hq_only")
    return user


Posted = Annotated[ConsoleUser, Depends(posted)]


def hq_user(user: User) -> ConsoleUser:
    return hq(user)


def hq_posted(user: Posted) -> ConsoleUser:
    return hq(user)


HqUser = Annotated[ConsoleUser, Depends(hq_user)]
HqPosted = Annotated[ConsoleUser, Depends(hq_posted)]


def visible_store(user: ConsoleUser, store_id: str) -> str:
    """A store id from a URL, checked against the session: another store's is answered as if it did not exist."""
    if not user.may_see(store_id):
        raise Denied(404, "not_found")
    return store_id


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# ------------------------------------------------------------------------------------------------ reads


def base_settings(conn: Connection, db: Database) -> BaseSettings:
    """The base settings in force, through the process's cache keyed by the settings version."""
    return settings.base_settings(conn, db.settings_cache)


def store_names(conn: Connection, scope: list[str] | None) -> dict[str, str]:
    stmt = select(t.Store.store_id, t.Store.name).order_by(t.Store.store_id)
    if scope is not None:
        stmt = stmt.where(t.Store.store_id.in_(scope))
    return {sid: name for sid, name in conn.execute(stmt)}


def cashier_names(conn: Connection) -> dict[str, tuple[str, str]]:
    """cashier id -> (its store's name, its own name): what a queue is called on the pages."""
    c, s = t.Cashier, t.Store
    return {cid: (store, name) for cid, store, name in conn.execute(select(c.cashier_id, s.name, c.name).join(s))}


def queue_label(key: str, names: dict[str, tuple[str, str]], tr: Callable[..., str]) -> str:
    """`cashier:C1` -> "<store name> · <checkout point name>"; `cashier:ALL` -> "all checkout points"."""
    _, _, cashier = key.partition(":")
    if cashier == ALL:
        return tr("queue.all")
    store, name = names.get(cashier, ("", cashier))
    return f"{store} · {name}" if store else name


def today(request: Request, base: BaseSettings) -> dt.date:
    return services(request).clock.now().astimezone(ZoneInfo(base.timezone)).date()


def parse_day(text: str | None, default: dt.date) -> dt.date:
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Denied(400, "bad_date") from None


def day_bounds(first: dt.date, last: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, last+1 00:00) in the chain's zone, as instants."""
    tz = ZoneInfo(zone)
    since = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return since, until


def safe_next(target: str | None) -> str:
    """Only a console path is followed after sign-in: no open redirect."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


def mark(svg: str) -> Markup:
    return Markup(svg)  # built from numbers and escaped text in charts.py
