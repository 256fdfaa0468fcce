"""The member level catalog: headquarters names each level (zh, en) and ranks them; a store manager reads it.

Settings and members may name only a level of the catalog (`server.services.levels`); a level still in use cannot
be taken out. Every change is recorded in the settings history (scope "levels").
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from shared.errors import RuleError

from ..api.state import services
from ..services import levels
from .i18n import refusal, translate
from .session import ConsoleUser
from .web import ConsoleRoute, Form, HqPosted, User, field, language, page

router = APIRouter(route_class=ConsoleRoute)


def _page(
    request: Request,
    user: ConsoleUser,
    *,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        found = levels.catalog(conn, svc.db.settings_cache)
        used = levels.named_by_settings(conn, svc.db.settings_cache)
    return page(
        request,
        "levels.html",
        user=user,
        levels=found,
        used=used,
        error=error,
        status=status,
        typed=typed or {},
        saved=request.query_params.get("saved", ""),
    )


@router.get("/levels")
def catalog(request: Request, user: User) -> Response:
    return _page(request, user)


@router.post("/levels")
def save(request: Request, form: Form, user: HqPosted) -> Response:
    typed = {k: field(form, k) for k in ("level_id", "name_zh", "name_en", "rank")}
    rank = typed["rank"] or "0"
    if not rank.lstrip("-").isdigit() or len(rank) > 5:
        return _page(request, user, error=translate(language(request), "form.integer"), status=422, typed=typed)
    svc = services(request)
    try:
        with levels.locked(svc.db, at=svc.clock.now()) as conn:
            levels.save(
                conn,
                level_id=typed["level_id"],
                name_zh=typed["name_zh"],
                name_en=typed["name_en"],
                rank=int(rank),
                actor=user.username,
                at=svc.clock.now(),
            )
    except RuleError as exc:
        return _page(request, user, error=refusal(language(request), exc.code, exc.detail), status=422, typed=typed)
    return RedirectResponse(f"/console/levels?saved={typed['level_id']}", status_code=303)


@router.post("/levels/{level_id}/remove")
def remove(request: Request, level_id: str, user: HqPosted) -> Response:
    svc = services(request)
    try:
        with levels.locked(svc.db, at=svc.clock.now()) as conn:
            levels.remove(conn, level_id=level_id, actor=user.username, at=svc.clock.now())
    except RuleError as exc:
        return _page(request, user, error=refusal(language(request), exc.code, exc.detail), status=422)
    return RedirectResponse("/console/levels", status_code=303)
