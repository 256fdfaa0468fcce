"""Read-only views of stores, scoped by the caller: a store manager or a terminal sees its own store only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from shared.wire import QueueSnapshot

from ..errors import forbidden
from ..services import reports, terminals
from ..services.snapshots import store_snapshot
from .deps import CallerDep, HqDep, readable_store
from .errors import ERRORS, NOT_FOUND
from .state import services

router = APIRouter(prefix="/api/v1", tags=["stores"])
StoreId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class TerminalView(BaseModel):
    terminal_id: str
    store_id: str
    name: str
    enrolled_at: dt.datetime
    revoked_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    backlog: int
    applied_through: int


@router.get("/stores", response_model=list[reports.StoreSummary], responses=ERRORS)
def list_stores(request: Request, who: CallerDep) -> list[reports.StoreSummary]:
    """The stores the caller may read: all for headquarters, its own for anyone else."""
    db = services(request).db
    with db.connect() as conn:
        return reports.stores(conn, None if who.role == "hq_admin" else [who.store_id or ""], db.settings_cache)


@router.get("/stores/{store_id}/queue", response_model=QueueSnapshot, responses={**ERRORS, **NOT_FOUND})
def store_queue(request: Request, who: CallerDep, store_id: StoreId) -> QueueSnapshot:
    """The store's queue snapshot (as a terminal of the store pulls it)."""
    readable_store(store_id, who)
    svc = services(request)
    return store_snapshot(svc.db, store_id, limit=svc.settings.snapshot_limit)


@router.get("/stores/{store_id}/report", response_model=reports.StoreReport, responses={**ERRORS, **NOT_FOUND})
def store_report(
    request: Request,
    who: CallerDep,
    store_id: StoreId,
    date_from: Annotated[dt.date | None, Query()] = None,
    date_to: Annotated[dt.date | None, Query()] = None,
) -> reports.StoreReport:
    """Daily figures and the waiting totals of one store (store managers and headquarters; not terminals)."""
    if who.terminal is not None:
        raise forbidden("terminals do not read reports")
    readable_store(store_id, who)
    with services(request).db.connect() as conn:
        return reports.store_report(conn, store_id=store_id, date_from=date_from, date_to=date_to)


@router.get("/terminals", response_model=list[TerminalView], responses=ERRORS)
def list_terminals(request: Request, who: HqDep, store_id: Annotated[str | None, Query(max_length=64)] = None) -> Any:
    """Every terminal, with when it was last seen and how far it has synced (headquarters only)."""
    with services(request).db.connect() as conn:
        return terminals.list_terminals(conn, store_id=store_id)
