"""Scheduled jobs of the server: the reset schedule (spec §11) and automatic completion of orders.

`create_app` builds the `JobRunner` (with an Ingest of its own) and gives its `gate` to the app's Ingest as the hook
run before every command; `running(runner)` is entered by the app's lifespan: it runs the start-up catch-up before
the app serves any request (uvicorn accepts connections only after the lifespan started), then the scheduler thread
until the app stops. A database that cannot be reached at start-up (PostgreSQL still recovering after a crash) is
waited for: a worker that gave up would make uvicorn's supervisor stop the whole server, for good.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from sqlalchemy.exc import DBAPIError

from ..db.database import is_unreachable
from .runner import JobRunner, TickReport

__all__ = ["JobRunner", "TickReport", "running"]

log = logging.getLogger("paidui.jobs")
START_RETRY_MAX_S = 5.0


async def _catch_up_when_reachable(runner: JobRunner) -> None:
    delay = 0.1
    while True:
        try:
            await anyio.to_thread.run_sync(runner.catch_up)
            return
        except DBAPIError as exc:
            if not is_unreachable(exc):
                raise
            log.warning("start-up: the database cannot be reached (%s); trying again in %.1f s", exc.orig, delay)
            await anyio.sleep(delay)
            delay = min(START_RETRY_MAX_S, delay * 2)


@asynccontextmanager
async def running(runner: JobRunner) -> AsyncIterator[JobRunner]:
    """The catch-up (once the database can be reached), then the scheduler thread, for as long as the block runs."""
    try:
        await _catch_up_when_reachable(runner)
        runner.start()
        yield runner
    finally:
        runner.stop()
