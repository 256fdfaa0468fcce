"""What-if: the orders of a period under today's settings and under proposed ones (headquarters only)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from shared.errors import RuleError

from ..api.state import services
from ..services import simulate
from .i18n import refusal
from .session import ConsoleUser
from .web import (
    ConsoleRoute,
    Form,
    HqPosted,
    HqUser,
    base_settings,
    day_bounds,
    field,
    language,
    page,
    parse_day,
    today,
)

router = APIRouter(route_class=ConsoleRoute)
MAX_DAYS = 366


def _form(
    request: Request,
    user: ConsoleUser,
    *,
    typed: dict[str, str],
    error: str | None = None,
    result: simulate.Comparison | None = None,
    status: int = 200,
) -> Response:
    return page(request, "simulate.html", user=user, typed=typed, error=error, result=result, status=status)


@router.get("/simulate")
def simulate_form(request: Request, user: HqUser) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        now = today(request, base_settings(conn, svc.db))
    typed = {"from": now.replace(day=1).isoformat(), "to": now.isoformat(), "base": "", "stores": ""}
    return _form(request, user, typed=typed)


def _object(text: str, what: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what}: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what}: a JSON object")
    return value


@router.post("/simulate")
def run_simulation(request: Request, form: Form, user: HqPosted) -> Response:
    typed = {k: field(form, k) for k in ("from", "to", "base", "stores")}
    svc = services(request)
    try:
        base_patch = _object(typed["base"], "base")
        store_patches = _object(typed["stores"], "stores")
        if any(not isinstance(v, dict) for v in store_patches.values()):
            raise ValueError("stores: an object of store id to settings")
    except ValueError as exc:
        return _form(request, user, typed=typed, error=str(exc), status=422)
    with svc.db.connect() as conn:
        base = base_settings(conn, svc.db)
        first = parse_day(typed["from"], today(request, base))
        last = parse_day(typed["to"], today(request, base))
        if last < first or (last - first).days >= MAX_DAYS:
            return _form(request, user, typed=typed, error="simulate.bad_period", status=422)
        since, until = day_bounds(first, last, base.timezone)
        try:
            result = simulate.compare(
                conn, since=since, until=until, base=base, base_patch=base_patch, store_patches=store_patches
            )
        except RuleError as exc:
            return _form(request, user, typed=typed, error=refusal(language(request), exc.code, exc.detail), status=422)
    return _form(request, user, typed=typed, result=result)
