"""Stores, cashiers, terminals (enrol, revoke, last seen, backlog) and members with their levels.

Headquarters changes things; a store manager reads its own store. A member's level changes through
`Ingest.apply(SetMemberLevel(...))`, like every other change the rules read.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection, or_, select

from shared.engine.commands import SetMemberLevel
from shared.errors import Code, RuleError
from shared.ids import MemberId

from ..api.state import services
from ..db import tables as t
from ..db.settings import SettingsCache
from ..errors import Refused
from ..services import admin, exports, levels, members, terminals
from . import history as hist
from .i18n import refusal
from .session import ConsoleUser, Denied
from .web import ConsoleRoute, Form, HqPosted, User, base_settings, field, language, page, visible_store

router = APIRouter(route_class=ConsoleRoute)
ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
PAGE = 50


def _zone(request: Request, conn: Connection) -> str:
    return base_settings(conn, services(request).db).timezone


def _stores(conn: Connection, scope: list[str] | None, cache: SettingsCache) -> list[dict[str, Any]]:
    s, c, cs = t.Store, t.Cashier, t.CashierStats
    cashiers: dict[str, list[Any]] = {}
    stats = {r.cashier_id: r for r in conn.execute(select(cs.cashier_id, cs.waiting_count, cs.outstanding_fen))}
    for cashier in conn.execute(select(c.cashier_id, c.store_id, c.name).order_by(c.cashier_id)):
        cashiers.setdefault(cashier.store_id, []).append(cashier)
    stmt = select(s.store_id, s.name, s.timezone, s.created_at).order_by(s.store_id)
    if scope is not None:
        stmt = stmt.where(s.store_id.in_(scope))
    out = []
    for row in conn.execute(stmt):
        mine = cashiers.get(row.store_id, [])
        out.append(
            {
                "store_id": row.store_id,
                "name": row.name,
                "timezone": row.timezone,
                "created_at": row.created_at,
                "enabled": admin.store_settings(conn, row.store_id, cache).enabled,
                "cashiers": [
                    {
                        "cashier_id": k.cashier_id,
                        "name": k.name,
                        "waiting": int(stats[k.cashier_id].waiting_count) if k.cashier_id in stats else 0,
                        "outstanding_fen": int(stats[k.cashier_id].outstanding_fen) if k.cashier_id in stats else 0,
                    }
                    for k in mine
                ],
            }
        )
    return out


def _stores_page(
    request: Request,
    user: ConsoleUser,
    *,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    with services(request).db.connect() as conn:
        found = _stores(conn, user.scope, services(request).db.settings_cache)
        zone = _zone(request, conn)
    return page(
        request, "stores.html", user=user, stores=found, error=error, status=status, typed=typed or {}, zone=zone
    )


@router.get("/stores")
def stores(request: Request, user: User) -> Response:
    return _stores_page(request, user)


@router.post("/stores")
def add_store(request: Request, form: Form, user: HqPosted) -> Response:
    store_id, name = field(form, "store_id"), field(form, "name")
    zone, cashier = field(form, "timezone") or "Asia/Shanghai", field(form, "cashier_id")
    typed = {"store_id": store_id, "name": name, "timezone": zone, "cashier_id": cashier}
    if not ID.match(store_id) or (cashier and not ID.match(cashier)):
        return _stores_page(request, user, error="admin.bad_id", status=422, typed=typed)
    if not 1 <= len(name) <= 100:
        return _stores_page(request, user, error="admin.bad_name", status=422, typed=typed)
    svc = services(request)
    try:
        with svc.db.connect() as conn:
            admin.add_store(conn, store_id=store_id, name=name, timezone=zone, at=svc.clock.now())
            if cashier:  # the usual single cashier of a store (spec §2), made with it
                admin.add_cashier(conn, cashier_id=cashier, store_id=store_id, name=name)
    except (RuleError, ValueError) as exc:
        detail = refusal(language(request), exc.code, exc.detail) if isinstance(exc, RuleError) else "admin.bad_zone"
        return _stores_page(request, user, error=detail, status=422, typed=typed)
    return RedirectResponse(f"/console/stores/{store_id}", status_code=303)


def _store_page(
    request: Request,
    user: ConsoleUser,
    store_id: str,
    *,
    code: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    with services(request).db.connect() as conn:
        found = _stores(conn, [store_id], services(request).db.settings_cache)
        if not found:
            raise Denied(404, "not_found")
        tills = terminals.list_terminals(conn, store_id=store_id)
        names = dict(
            conn.execute(select(t.Cashier.cashier_id, t.Cashier.name).where(t.Cashier.store_id == store_id)).all()
        )
        zone = _zone(request, conn)
    minutes = services(request).settings.enrolment_code_minutes
    return page(
        request,
        "store.html",
        user=user,
        store=found[0],
        terminals=tills,
        cashier_names=names,
        code=code,
        minutes=minutes,
        error=error,
        status=status,
        zone=zone,
    )


@router.get("/stores/{store_id}")
def store(request: Request, store_id: str, user: User) -> Response:
    return _store_page(request, user, visible_store(user, store_id))


@router.post("/stores/{store_id}/cashiers")
def add_cashier(request: Request, store_id: str, form: Form, user: HqPosted) -> Response:
    cashier, name = field(form, "cashier_id"), field(form, "name")
    if not ID.match(cashier) or not 1 <= len(name) <= 100:
        return _store_page(request, user, store_id, error="admin.bad_id", status=422)
    try:
        with services(request).db.connect() as conn:
            admin.add_cashier(conn, cashier_id=cashier, store_id=store_id, name=name)
    except RuleError as exc:
        return _store_page(request, user, store_id, error=refusal(language(request), exc.code, exc.detail), status=422)
    return RedirectResponse(f"/console/stores/{store_id}", status_code=303)


@router.post("/stores/{store_id}/enrol")
def enrol(request: Request, store_id: str, form: Form, user: HqPosted) -> Response:
    """A one-time enrolment code, shown on this answer only (the server keeps its hash); it binds the till to the
    checkout point chosen (default: the store's first)."""
    svc = services(request)
    cashier = field(form, "cashier_id") or None
    try:
        with svc.db.connect() as conn:
            code = terminals.create_enrolment_code(
                conn,
                store_id=store_id,
                now=svc.clock.now(),
                ttl=dt.timedelta(minutes=svc.settings.enrolment_code_minutes),
                cashier_id=cashier,
            )
    except Refused as exc:
        return _store_page(request, user, store_id, error=refusal(language(request), exc.code, exc.detail), status=422)
    return _store_page(request, user, store_id, code=code)


@router.post("/terminals/{terminal_id}/move")
def move(request: Request, terminal_id: str, form: Form, user: HqPosted) -> Response:
    """Bind a till to another checkout point of its store: its sales ingested from now on are that one's."""
    svc = services(request)
    try:
        with svc.db.connect() as conn:
            store_id = terminals.move(conn, terminal_id=terminal_id, cashier_id=field(form, "cashier_id"))
    except Refused as exc:
        if exc.code == Code.NOT_FOUND:
            raise Denied(404, "not_found") from None
        with svc.db.connect() as conn:
            found = conn.execute(select(t.Terminal.store_id).where(t.Terminal.terminal_id == terminal_id)).scalar()
        return _store_page(
            request, user, str(found), error=refusal(language(request), exc.code, exc.detail), status=422
        )
    return RedirectResponse(f"/console/stores/{store_id}", status_code=303)


@router.post("/terminals/{terminal_id}/revoke")
def revoke(request: Request, terminal_id: str, user: HqPosted) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        store_id = conn.execute(select(t.Terminal.store_id).where(t.Terminal.terminal_id == terminal_id)).scalar()
        if store_id is None:
            raise Denied(404, "not_found")
        terminals.revoke(conn, terminal_id=terminal_id, now=svc.clock.now())
    return RedirectResponse(f"/console/stores/{store_id}", status_code=303)


# ------------------------------------------------------------------------------------------------ members


def _members(conn: Connection, user: ConsoleUser, q: str, after: str) -> list[Any]:
    m = t.Member
    stmt = select(m.member_id, m.name, m.phone, m.level, m.registered_store_id, m.created_at).order_by(m.member_id)
    if not user.is_hq:
        stmt = stmt.where(exports.of_store(user.store_id or ""))
    if q:
        stmt = stmt.where(or_(m.member_id == q, m.phone == q, m.member_id.startswith(q, autoescape=True)))
    if after:
        stmt = stmt.where(m.member_id > after)
    return list(conn.execute(stmt.limit(PAGE)))


def _members_page(
    request: Request,
    user: ConsoleUser,
    *,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    q = request.query_params.get("q", "").strip()[:64]
    after = request.query_params.get("after", "")[:64]
    with services(request).db.connect() as conn:
        found = _members(conn, user, q, after)
        zone = _zone(request, conn)
        catalog = levels.catalog(conn, services(request).db.settings_cache)
    mask = hist.phone_mask(user)
    rows = [
        {
            "member_id": r.member_id,
            "name": r.name,
            "phone": mask(r.phone),
            "level": r.level,
            "store": r.registered_store_id,
            "created_at": r.created_at,
        }
        for r in found
    ]
    return page(
        request,
        "members.html",
        user=user,
        members=rows,
        q=q,
        error=error,
        status=status,
        typed=typed or {},
        next_after=found[-1].member_id if len(found) == PAGE else None,
        zone=zone,
        levels=catalog,
        level_name={lv.level_id: lv.name(language(request)) for lv in catalog},
    )


@router.get("/members")
def members_list(request: Request, user: User) -> Response:
    return _members_page(request, user)


@router.post("/members")
def add_member(request: Request, form: Form, user: HqPosted) -> Response:
    phone, name, level = field(form, "phone"), field(form, "name"), field(form, "level")
    typed = {"phone": phone, "name": name, "level": level}
    svc = services(request)
    try:
        with svc.db.connect() as conn:
            member_id = members.add(
                conn,
                phone=phone or None,
                name=name[:100],
                level=level or None,
                now=svc.clock.now(),
                cache=svc.db.settings_cache,
            )
    except RuleError as exc:
        return _members_page(
            request, user, error=refusal(language(request), exc.code, exc.detail), status=422, typed=typed
        )
    return RedirectResponse(f"/console/members?q={member_id}", status_code=303)


@router.post("/members/{member_id}/level")
def set_level(request: Request, member_id: str, form: Form, user: HqPosted) -> Response:
    level = field(form, "level") or None
    svc = services(request)
    with svc.db.connect() as conn:
        if not members.exists(conn, member_id):
            raise Denied(404, "not_found")
    # the level is in force from now on; orders paid before keep the level they had (spec §2 "with history")
    command = SetMemberLevel(member_id=MemberId(member_id), level=level, at=svc.clock.now())
    try:
        levels.apply_checked(svc.ingest, command, [level])
    except RuleError as exc:
        return _members_page(request, user, error=refusal(language(request), exc.code, exc.detail), status=422)
    return RedirectResponse(f"/console/members?q={member_id}", status_code=303)
