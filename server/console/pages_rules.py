"""Rules: the base settings (§3.1) and each store's (§3.2), the resolved ratio chains, and the change history.

The forms are typed inputs (percent, yuan, rows of level ratios, tiers, lottery options and windows: `rules_form`).
Every change goes through `Ingest.apply(ChangeSettings(...))`, checked against the level catalog in the same
transaction: the engine validates it, applies pause and toggles at that instant and records who, when, before and
after in settings_history. Headquarters edits; a store manager reads its own store's rules.
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
from shared.settings import BaseSettings

from ..api.state import services
from ..db import tables as t
from ..db.settings import SettingsCache
from ..inputs import parse_int
from ..services import levels
from ..services.admin import store_settings
from . import chains_view, rules_form
from . import history as hist
from .forms import GENERAL, FormState
from .i18n import refusal, translate
from .session import ConsoleUser, Denied
from .web import (
    ConsoleRoute,
    Form,
    HqPosted,
    User,
    base_settings,
    language,
    page,
    store_names,
    visible_store,
)

router = APIRouter(route_class=ConsoleRoute)


def _member_levels(conn: Connection) -> list[str]:
    m = t.Member
    found = conn.execute(select(m.level).where(m.level.is_not(None)).distinct().limit(50)).scalars()
    return [lv for lv in found if lv is not None]


def _previews(
    conn: Connection, base: BaseSettings, store_ids: list[str], names: dict[str, str], cache: SettingsCache
) -> list[chains_view.StorePreview]:
    stores_named = store_names(conn, store_ids)
    stores = {sid: store_settings(conn, sid, cache) for sid in store_ids}
    levels_shown = chains_view.levels_of(base, list(stores.values()), _member_levels(conn))
    return [
        chains_view.preview(base, sid, stores_named.get(sid, ""), stores[sid], levels_shown, names) for sid in store_ids
    ]


def _catalog(conn: Connection, lang: str, cache: SettingsCache) -> list[tuple[str, str]]:
    return [(lv.level_id, lv.name(lang)) for lv in levels.catalog(conn, cache)]


GROUPS = (rules_form.LEVELS, rules_form.TIERS, rules_form.OPTIONS, rules_form.WINDOWS, rules_form.RESET_AT)


def _extra(values: dict[str, str]) -> dict[str, int]:
    """Blank rows each group offers: one, or more after "add a row" (kept across posts in `extra-<group>`)."""
    out = {}
    for group in GROUPS:
        raw = values.get(f"extra-{group}", "1")
        out[group] = min(int(raw), 20) if raw.isdigit() else 1
    if values.get("add") in GROUPS:
        out[values["add"]] += 1
    return out


def _rules_page(request: Request, user: ConsoleUser, *, state: FormState | None = None, status: int = 200) -> Response:
    svc = services(request)
    lang = language(request)
    with svc.db.connect() as conn:
        base = base_settings(conn, svc.db)
        names = store_names(conn, user.scope)
        catalog = _catalog(conn, lang, svc.db.settings_cache)
        previews = _previews(conn, base, list(names), dict(catalog), svc.db.settings_cache)
        enabled = {sid: store_settings(conn, sid, svc.db.settings_cache).enabled for sid in names}
    return page(
        request,
        "rules.html",
        user=user,
        status=status,
        f=state or FormState(rules_form.base_values(base.model_dump(mode="json"))),
        catalog=catalog,
        weekdays=[(str(d), translate(lang, f"weekday.{d}")) for d in range(1, 8)],
        names=names,
        enabled=enabled,
        previews=previews,
        saved=request.query_params.get("saved", ""),
        zone=base.timezone,
    )


@router.get("/rules")
def rules(request: Request, user: User) -> Response:
    return _rules_page(request, user)


def _apply(request: Request, user: ConsoleUser, command: ChangeSettings) -> str | None:
    """Apply through the engine; the refusal's words when it refuses (nothing is saved then)."""
    try:
        levels.apply_checked(services(request).ingest, command)
    except RuleError as exc:
        return refusal(language(request), exc.code, exc.detail)
    return None


def _text(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


@router.post("/rules/base")
def save_base(request: Request, form: Form, user: HqPosted) -> Response:
    svc = services(request)
    values = _text(form)
    state = FormState(values, extra=_extra(values))
    if "add" in values:  # "add a row": the same form again, one blank row more, nothing saved
        return _rules_page(request, user, state=state)
    message = functools.partial(translate, language(request))
    with svc.db.connect() as conn:
        current = base_settings(conn, svc.db).model_dump(mode="json")
        catalog = dict(_catalog(conn, language(request), svc.db.settings_cache))
    read = rules_form.read_base(values, current, catalog, message)
    if read.doc is None:
        state.errors = read.errors
        return _rules_page(request, user, state=state, status=422)
    patch = rules_form.patch_of(read.doc, current)
    if not patch:
        return RedirectResponse("/console/rules?saved=none", status_code=303)
    refused = _apply(request, user, ChangeSettings(at=svc.clock.now(), base=patch, actor=user.username))
    if refused is not None:
        state.errors = {GENERAL: refused}
        return _rules_page(request, user, state=state, status=422)
    return RedirectResponse("/console/rules?saved=base", status_code=303)


def _store_page(
    request: Request, user: ConsoleUser, store_id: str, *, state: FormState | None = None, status: int = 200
) -> Response:
    svc = services(request)
    lang = language(request)
    with svc.db.connect() as conn:
        names = store_names(conn, [store_id])
        if store_id not in names:
            raise Denied(404, "not_found")
        base = base_settings(conn, svc.db)
        settings = store_settings(conn, store_id, svc.db.settings_cache)
        catalog = _catalog(conn, lang, svc.db.settings_cache)
        preview = _previews(conn, base, [store_id], dict(catalog), svc.db.settings_cache)[0]
    return page(
        request,
        "rules_store.html",
        user=user,
        status=status,
        store_id=store_id,
        name=names[store_id],
        f=state or FormState(rules_form.store_values(settings.model_dump(mode="json"))),
        catalog=catalog,
        preview=preview,
        saved=request.query_params.get("saved", ""),
        zone=base.timezone,
    )


@router.get("/rules/store/{store_id}")
def store_rules(request: Request, store_id: str, user: User) -> Response:
    return _store_page(request, user, visible_store(user, store_id))


@router.post("/rules/store/{store_id}")
def save_store(request: Request, store_id: str, form: Form, user: HqPosted) -> Response:
    svc = services(request)
    values = _text(form)
    state = FormState(values, extra=_extra(values))
    with svc.db.connect() as conn:
        if not store_names(conn, [store_id]):
            raise Denied(404, "not_found")
        current = store_settings(conn, store_id, svc.db.settings_cache).model_dump(mode="json")
        catalog = dict(_catalog(conn, language(request), svc.db.settings_cache))
    if "add" in values:
        return _store_page(request, user, store_id, state=state)
    message = functools.partial(translate, language(request))
    read = rules_form.read_store(values, current, catalog, message)
    if read.doc is None:
        state.errors = read.errors
        return _store_page(request, user, store_id, state=state, status=422)
    patch = rules_form.patch_of(read.doc, current)
    if not patch:
        return RedirectResponse(f"/console/rules/store/{store_id}?saved=none", status_code=303)
    command = ChangeSettings(at=svc.clock.now(), stores={StoreId(store_id): patch}, actor=user.username)
    refused = _apply(request, user, command)
    if refused is not None:
        state.errors = {GENERAL: refused}
        return _store_page(request, user, store_id, state=state, status=422)
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
