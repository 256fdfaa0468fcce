"""The headquarters web console at /console/: server-rendered pages (Jinja2), Simplified Chinese first.

`router` is what `server.app.create_app` includes. Pages: sign-in, liability, inter-store settlement, rules and
their history, stores/cashiers/terminals, members, the what-if simulator, and CSV/XLSX exports.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from . import (
    pages_admin,
    pages_audit,
    pages_auth,
    pages_catalogue,
    pages_figures,
    pages_levels,
    pages_rules,
    pages_simulate,
    pages_staff,
    pages_wallet,
)
from .web import ConsoleRoute, error_page, refusal_page

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
for part in (
    pages_auth,
    pages_figures,
    pages_rules,
    pages_levels,
    pages_catalogue,
    pages_admin,
    pages_simulate,
    pages_audit,
    pages_staff,
    pages_wallet,
):
    router.include_router(part.router)


@router.get("/{rest:path}")
def unknown(request: Request, rest: str) -> Response:
    return error_page(request, 404, "not_found")


__all__ = ["refusal_page", "router"]
