"""A store's employees (issue 14): name, role (cashier | manager) and a personal PIN, for signing in at the tills;
and the store's counter report: takings by checkout point, by till and by employee, the tills' Z reports.

Headquarters manages every store's staff; a store manager manages their own store's. The PIN is hashed at once
(argon2id, `server.services.employees`) and never shown again; the tills get the hash in their next pull.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from shared.errors import RuleError

from ..api.state import services
from ..db import tables as t
from ..services import counter, employees
from .i18n import refusal
from .session import ConsoleUser
from .web import ConsoleRoute, Form, Posted, User, field, language, page, visible_store

router = APIRouter(route_class=ConsoleRoute)


def _page(
    request: Request,
    user: ConsoleUser,
    store_id: str,
    *,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        stores = [
            (r.store_id, r.name)
            for r in conn.execute(select(t.Store.store_id, t.Store.name).order_by(t.Store.store_id))
            if user.may_see(r.store_id)
        ]
        staff = employees.for_store(conn, store_id) if store_id else []
    return page(
        request,
        "employees.html",
        user=user,
        stores=stores,
        store_id=store_id,
        staff=staff,
        error=error,
        status=status,
        typed=typed or {},
        saved=request.query_params.get("saved", ""),
    )


@router.get("/employees")
def staff(request: Request, user: User) -> Response:
    store_id = request.query_params.get("store", "") or (user.store_id or "")
    if store_id:
        visible_store(user, store_id)
    return _page(request, user, store_id)


@router.post("/employees")
def save(request: Request, form: Form, user: Posted) -> Response:
    typed = {k: field(form, k) for k in ("store_id", "employee_id", "name", "role", "pin", "active")}
    store_id = visible_store(user, typed["store_id"])
    svc = services(request)
    try:
        with svc.db.connect() as conn:
            saved = employees.save(
                conn,
                store_id=store_id,
                employee_id=typed["employee_id"] or None,
                name=typed["name"],
                role=typed["role"],
                pin=typed["pin"],
                active=typed["active"] != "no",
                at=svc.clock.now(),
            )
    except RuleError as exc:
        typed.pop("pin")  # never echoed back
        err = refusal(language(request), exc.code, exc.detail)
        return _page(request, user, store_id, error=err, status=422, typed=typed)
    return RedirectResponse(f"/console/employees?store={store_id}&saved={saved}", status_code=303)


def _day(text: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text and len(text) == 10 else default
    except ValueError:
        return default


@router.get("/stores/{store_id}/counter")
def counter_page(request: Request, store_id: str, user: User) -> Response:
    """`from` and `to` are days of the store's calendar (both included); the last 7 days by default."""
    store_id = visible_store(user, store_id)
    svc = services(request)
    with svc.db.connect() as conn:
        store = conn.execute(select(t.Store.name, t.Store.timezone).where(t.Store.store_id == store_id)).first()
        if store is None:
            return _page(request, user, "")
        zone = ZoneInfo(store.timezone)
        today = svc.clock.now().astimezone(zone).date()
        first = _day(request.query_params.get("from"), today - dt.timedelta(days=6))
        last = max(first, _day(request.query_params.get("to"), today))
        start = dt.datetime.combine(first, dt.time(), zone)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
        report = counter.counter_report(conn, store_id=store_id, start=start, end=end)
    return page(
        request,
        "counter.html",
        user=user,
        store_id=store_id,
        name=store.name,
        first=first,
        last=last,
        report=report,
        zone=store.timezone,
    )
