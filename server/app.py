"""The FastAPI application, composed by `create_app(settings)`; nothing is built at import time.

To add a part: put its router in `ROUTERS` (or in `OPTIONAL_ROUTERS` when its module may be absent), and start
background work from the module named in `JOBS` (its `lifespan(app)` is entered for the life of the app).
Stable names on `app.state`: `db` (Database), `ingest` (Ingest), `settings` (ServerSettings), `keys` (KeyRing),
`clock` (Clock), `services` (everything, for the routes).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from .api import auth, errors, health, stores, sync
from .api.state import Services
from .clock import Clock, SystemClock
from .config import ServerSettings, load_settings
from .db.database import Database
from .ratelimit import Limiter, Rate
from .security.keys import KeyRing
from .services.ingest import Ingest
from .services.pull import PullService
from .services.sync import PushService

ROUTERS: list[APIRouter] = [health.router, auth.router, sync.router, stores.router]
# "module:attribute" of routers whose part may be absent: skipped while the module (or its router) does not exist
OPTIONAL_ROUTERS = ["server.member_page:router", "server.console:router"]
JOBS = "server.jobs"  # a module with `lifespan(app)` -> async context manager, entered when the app starts

log = logging.getLogger("paidui")


def _optional(spec: str) -> Any | None:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None  # the part is not there (yet)
        raise
    if attr and not hasattr(module, attr):
        log.warning("%s has no %s yet: not mounted", module_name, attr)
        return None
    return getattr(module, attr) if attr else module


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        jobs = _optional(JOBS)
        if jobs is not None and hasattr(jobs, "lifespan"):
            await stack.enter_async_context(jobs.lifespan(app))
        try:
            yield
        finally:
            app.state.db.dispose()


def create_app(settings: ServerSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The whole server for one process: database, keys, ingest, services and routes."""
    settings = settings if settings is not None else load_settings()
    clock = clock if clock is not None else SystemClock()
    db = Database(settings.resolved_database_url, schema=settings.database_schema, pool_size=settings.pool_size)
    keys = KeyRing(settings.resolved_key_file)
    ingest = Ingest(db)
    svc = Services(
        settings=settings,
        db=db,
        ingest=ingest,
        keys=keys,
        clock=clock,
        push=PushService(
            db=db, ingest=ingest, keys=keys, clock=clock, member_page_ttl=dt.timedelta(days=settings.member_page_days)
        ),
        pull=PullService(
            db=db,
            clock=clock,
            snapshot_limit=settings.snapshot_limit,
            members_page=settings.members_page,
            member_code_ttl=dt.timedelta(seconds=settings.member_code_seconds),
        ),
        auth_limiter=Limiter(Rate.per_minute(settings.rate_auth_per_minute)),
    )
    from .api.health import server_version

    app = FastAPI(title="Paidui central server", version=server_version(), lifespan=_lifespan)
    app.state.settings = settings
    app.state.db = db
    app.state.ingest = ingest
    app.state.keys = keys
    app.state.clock = clock
    app.state.services = svc
    errors.install(app)
    errors.document_error_bodies(app)
    for router in ROUTERS:
        app.include_router(router)
    for spec in OPTIONAL_ROUTERS:
        optional = _optional(spec)
        if optional is not None:
            app.include_router(optional)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes: settings from PAIDUI_* and PAIDUI_CONFIG."""
    return create_app(load_settings())
