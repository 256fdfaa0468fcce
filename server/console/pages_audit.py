"""The audit log (headquarters only): tills' member registrations that were refused or pointed at an existing member."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..api.state import services
from ..services import audit
from .web import ConsoleRoute, HqUser, base_settings, page

router = APIRouter(route_class=ConsoleRoute)


@router.get("/audit")
def audit_log(request: Request, user: HqUser) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        rows = audit.recent(conn, scope=None)
        zone = base_settings(conn, svc.db).timezone
    return page(request, "audit.html", user=user, rows=rows, zone=zone)
