"""Rules: the base settings (§3.1) and each store's (§3.2), the resolved ratio chains, and the change history.

Every change goes through `Ingest.apply(ChangeSettings(...))`: the engine validates it, applies pause and toggles
at that instant and records who, when, before and after in settings_history. Headquarters edits; a store manager
reads its own store's rules.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection, select
from starlette.datastructures import FormData

from shared.engine.commands import ChangeSettings
from shared.errors import Code, RuleError
from shared.ids import StoreId
from shared.settings import BaseSettings, StoreSettings

from ..api.state import services
from ..db import tables as t
from ..db.settings import SettingsCache
from ..inputs import parse_int
from ..services.admin import store_settings
from . import chains_view, forms
from . import history as hist
from .i18n import refusal, translate
from .session import ConsoleUser, Denied
from .web import ConsoleRoute, Form, HqPosted, User, base_settings, language, page, store_names, visible_store

router = APIRouter(route_class=ConsoleRoute)


def _member_levels(conn: Connection) -> list[str]:
    m = t.Member
    return [lv for lv in conn.execute(select(m.level).where(m.level.is_not(None)).distinct().limit(50)).scalars() if lv]


def _previews(
    conn: Connection, base: BaseSettings, store_ids: list[str], cache: SettingsCache
) -> list[chains_view.StorePreview]:
    names = store_names(conn, store_ids)
    stores = {sid: store_settings(conn, sid, cache) for sid in store_ids}
    levels = chains_view.levels_of(base, list(stores.values()), _member_levels(conn))
    return [chains_view.preview(base, sid, names.get(sid, ""), stores[sid], levels) for sid in store_ids]


def _rules_page(
    request: Request, user: ConsoleUser, *, parsed: forms.Parsed | None = None, status: int = 200
) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        base = base_settings(conn, svc.db)
        names = store_names(conn, user.scope)
        previews = _previews(conn, base, list(names), svc.db.settings_cache)
        enabled = {sid: store_settings(conn, sid, svc.db.settings_cache).enabled for sid in names}
    fields = forms.views(
        forms.BASE_FIELDS,
        base.model_dump(mode="json"),
        parsed.errors if parsed else None,
        parsed.raw if parsed else None,
    )
    return page(
        request,
        "rules.html",
        user=user,
        status=status,
        fields=fields,
        names=names,
        enabled=enabled,
        previews=previews,
        general=parsed.errors.get(forms.GENERAL) if parsed else None,
        saved=request.query_params.get("saved", ""),
        zone=base.timezone,
    )


@router.get("/rules")
def rules(request: Request, user: User) -> Response:
    return _rules_page(request, user)


def _apply(request: Request, user: ConsoleUser, command: ChangeSettings) -> str | None:
    """Apply through the engine; the refusal's words when it refuses (nothing is saved then)."""
    try:
        services(request).ingest.apply(command)
    except RuleError as exc:
        return refusal(language(request), exc.code, exc.detail)
    return None


@router.post("/rules/base")
def save_base(request: Request, form: Form, user: HqPosted) -> Response:
    svc = services(request)
    message = functools.partial(translate, language(request))
    with svc.db.connect() as conn:
        current = base_settings(conn, svc.db)
    parsed = forms.parse(forms.BASE_FIELDS, _text(form), current, BaseSettings, message)
    if parsed.errors:
        return _rules_page(request, user, parsed=parsed, status=422)
    if not parsed.patch:
        return RedirectResponse("/console/rules?saved=none", status_code=303)
    refused = _apply(request, user, ChangeSettings(at=svc.clock.now(), base=parsed.patch, actor=user.username))
    if refused is not None:
        parsed.errors[forms.GENERAL] = refused
        return _rules_page(request, user, parsed=parsed, status=422)
    return RedirectResponse("/console/rules?saved=base", status_code=303)


def _text(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


def _store_page(
    request: Request, user: ConsoleUser, store_id: str, *, parsed: forms.Parsed | None = None, status: int = 200
) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        names = store_names(conn, [store_id])
        if store_id not in names:
            raise Denied(404, "not_found")
        base = base_settings(conn, svc.db)
        settings = store_settings(conn, store_id, svc.db.settings_cache)
        preview = _previews(conn, base, [store_id], svc.db.settings_cache)[0]
    fields = forms.views(
        forms.STORE_FIELDS,
        settings.model_dump(mode="json"),
        parsed.errors if parsed else None,
        parsed.raw if parsed else None,
    )
    return page(
        request,
        "rules_store.html",
        user=user,
        status=status,
        store_id=store_id,
        name=names[store_id],
        fields=fields,
        preview=preview,
        general=parsed.errors.get(forms.GENERAL) if parsed else None,
        saved=request.query_params.get("saved", ""),
        zone=base.timezone,
    )


@router.get("/rules/store/{store_id}")
def store_rules(request: Request, store_id: str, user: User) -> Response:
    return _store_page(request, user, visible_store(user, store_id))


@router.post("/rules/store/{store_id}")
def save_store(request: Request, store_id: str, form: Form, user: HqPosted) -> Response:
    svc = services(request)
    message = functools.partial(translate, language(request))
    with svc.db.connect() as conn:
        if not store_names(conn, [store_id]):
            raise Denied(404, "not_found")
        current = store_settings(conn, store_id, svc.db.settings_cache)
    parsed = forms.parse(forms.STORE_FIELDS, _text(form), current, StoreSettings, message)
    if parsed.errors:
        return _store_page(request, user, store_id, parsed=parsed, status=422)
    if not parsed.patch:
        return RedirectResponse(f"/console/rules/store/{store_id}?saved=none", status_code=303)
    command = ChangeSettings(at=svc.clock.now(), stores={StoreId(store_id): parsed.patch}, actor=user.username)
    refused = _apply(request, user, command)
    if refused is not None:
        parsed.errors[forms.GENERAL] = refused
        return _store_page(request, user, store_id, parsed=parsed, status=422)
    return RedirectResponse(f"/console/rules/store/{store_id}?saved=store", status_code=303)


@router.get("/history")
def history(request: Request, user: User) -> Response:
    raw = request.query_params.get("before", "")
    before = parse_int(raw) if raw else None
    if raw and before is None:
        raise Denied(400, Code.INVALID_REQUEST.value)
    svc = services(request)
    with svc.db.connect() as conn:
        base = base_settings(conn, svc.db)
        found = hist.rows(conn, user, limit=50, before_id=before)
    records: list[dict[str, Any]] = [
        {
            "id": r.id,
            "at": r.at,
            "actor": r.actor,
            "scope": r.scope,
            "version": r.version,
            "changes": [(k, hist.readable(k, a), hist.readable(k, b)) for k, a, b in hist.changes(r)],
            "first": r.before_json is None,
        }
        for r in found
    ]
    older = found[-1].id if len(found) == 50 else None
    return page(request, "history.html", user=user, records=records, older=older, zone=base.timezone)
