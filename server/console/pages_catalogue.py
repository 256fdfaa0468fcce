"""The product catalogue: headquarters imports a CSV (UTF-8 or GBK) or XLSX file, row by row validated, and switches
the catalogue on or off per store; a store manager reads what is on sale (server/services/catalogue.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select
from starlette.datastructures import UploadFile

from shared.catalogue import CatalogueError, RowError

from ..api.state import services
from ..db import tables as t
from ..services import catalogue
from .i18n import translate
from .session import ConsoleUser
from .web import ConsoleRoute, Form, HqPosted, User, field, language, page

router = APIRouter(route_class=ConsoleRoute)


def _page(
    request: Request,
    user: ConsoleUser,
    *,
    errors: list[RowError] | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        active = conn.execute(select(func.count()).select_from(t.Product).where(t.Product.active)).scalar_one()
        outside = conn.execute(
            select(func.count()).select_from(t.Product).where(t.Product.active, t.Product.participates.is_(False))
        ).scalar_one()
        stores = conn.execute(select(t.Store.store_id, t.Store.name, t.Store.catalogue).order_by(t.Store.store_id))
        shown = [s for s in stores if user.is_hq or s.store_id == user.store_id]
    lang = language(request)
    return page(
        request,
        "catalogue.html",
        user=user,
        active=active,
        outside=outside,
        stores=shown,
        errors=[error_words(lang, e) for e in errors or []],
        done=done,
        status=status,
    )


def error_words(lang: str, error: RowError) -> str:
    """A refused row in the console's language: where, then what (the CLI prints the English `message`)."""
    where = translate(lang, "catalogue.where", row=error.row, column=error.column) if error.row else ""
    what = translate(lang, f"catalogue.error.{error.kind}", default=error.message, value=error.value)
    return f"{where}{what}"


@router.get("/catalogue")
def view(request: Request, user: User) -> Response:
    return _page(request, user, done=request.query_params.get("done", "")[:200])


@router.post("/catalogue")
async def upload(request: Request, form: Form, user: HqPosted) -> Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return _page(request, user, errors=[RowError(0, "-", "no file", "no_file")], status=422)
    try:
        data = await upload.read(catalogue.MAX_FILE_BYTES + 1)
    finally:
        await upload.close()
    svc = services(request)
    try:
        with svc.db.connect() as conn:
            result = catalogue.import_file(
                conn, data, upload.filename or "", now=svc.clock.now(), replace=field(form, "replace") == "on"
            )
    except CatalogueError as exc:
        return _page(request, user, errors=exc.errors, status=422)
    done = translate(
        language(request),
        "catalogue.imported",
        version=result.version,
        added=result.added,
        changed=result.changed,
        unchanged=result.unchanged,
        removed=result.removed,
    )
    return RedirectResponse(f"/console/catalogue?done={done}", status_code=303)


@router.post("/catalogue/stores/{store_id}")
def switch(request: Request, store_id: str, form: Form, user: HqPosted) -> Response:
    svc = services(request)
    with svc.db.connect() as conn:
        catalogue.set_store_catalogue(conn, store_id, enabled=field(form, "state") == "on")
    return RedirectResponse("/console/catalogue", status_code=303)
