"""The FastAPI application, composed by `create_app(settings)`; nothing is built at import time.

Everything one process needs is built here, in sight: the database, the signing keys, the scheduled jobs and the
Ingest whose `before` hook is their reset gate, the sync services, the rate limits, and the routers (the API, the
member page, the console). To add a part, build it in `create_app` and include its router there.
Stable names on `app.state`: `db` (Database), `ingest` (Ingest), `settings` (ServerSettings), `keys` (KeyRing),
`clock` (Clock), `jobs` (JobRunner), `services` (everything, for the routes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from . import console, member_page
from .admission import Admission
from .api import auth, errors, health, stores, sync, wallet
from .api.deps import check_protocol
from .bodylimits import BODY_LIMITS, DEFAULT_BODY_LIMIT, BodyLimits
from .clock import Clock, SystemClock
from .config import ServerSettings, load_settings
from .db.database import Database
from .jobs import JobRunner, running
from .jobs.notify import Notifier
from .ratelimit import Limiter, Limits, Rate, TerminalLimits, clock_ns
from .security.keys import KeyRing
from .services.context import Services
from .services.holds import HoldService
from .services.ingest import Ingest
from .services.pull import PullService
from .services.sender import make_sender
from .services.signin import SignInPolicy
from .services.sync import PushService


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        async with running(app.state.jobs):
            yield
    finally:
        app.state.db.dispose()


def create_app(settings: ServerSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The whole server for one process: database, keys, jobs, ingest, services and routes."""
    settings = settings if settings is not None else load_settings()
    clock = clock if clock is not None else SystemClock()
    db = Database(settings.resolved_database_url, schema=settings.database_schema, pool_size=settings.pool_size)
    keys = KeyRing(settings.resolved_key_file)
    jobs = JobRunner(db=db, ingest=Ingest(db, clock=clock), clock=clock)  # its own commands do not pass its gate
    ingest = Ingest(db, clock=clock, before=jobs.gate)  # no event overtakes a reset that fell due (spec §11)
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
        member_limits=Limits(
            page_per_minute=settings.rate_member_page_per_minute, action_per_minute=settings.rate_draw_per_minute
        ),
        signin=SignInPolicy(),
        holds=HoldService(db=db, keys=keys, clock=clock),
        admission=Admission(
            running=settings.push_running,
            waiting=settings.push_waiting,
            wait_s=settings.push_wait_seconds,
            retry_after=settings.push_retry_after_seconds,
        ),
        terminal_limits=TerminalLimits(
            push_per_minute=settings.rate_push_per_minute,
            pull_per_minute=settings.rate_pull_per_minute,
            clock=clock_ns(clock),
        ),
        sender=make_sender(
            settings.sender,
            file=settings.resolved_sender_file,
            url=settings.sender_webhook_url,
            secret=(
                settings.sender_webhook_secret.get_secret_value().encode()
                if settings.sender_webhook_secret is not None
                else None
            ),
        ),
    )
    jobs.after_tick = Notifier(db=db, sender=svc.sender, clock=clock).run
    app = FastAPI(title="Paidui central server", version=health.server_version(), lifespan=_lifespan)
    app.state.settings = settings
    app.state.db = db
    app.state.ingest = ingest
    app.state.keys = keys
    app.state.clock = clock
    app.state.jobs = jobs
    app.state.services = svc
    answers = errors.Answers({"/console": console.refusal_page, "/m/": member_page.refusal_page})
    errors.install(app, answers)
    app.add_middleware(BodyLimits, limits=BODY_LIMITS, default=DEFAULT_BODY_LIMIT, refuse=answers)
    errors.document_error_bodies(app)
    # the API: every route checks the header
    for router in (health.router, auth.router, sync.router, stores.router, wallet.router):
        app.include_router(router, dependencies=[Depends(check_protocol)], responses=errors.PROTOCOL)
    for router in (member_page.router, console.router):
        app.include_router(router)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes: settings from PAIDUI_* and PAIDUI_CONFIG."""
    return create_app(load_settings())
