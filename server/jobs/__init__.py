"""Scheduled jobs of the server: the reset schedule (spec §11) and automatic completion of orders.

`lifespan(app)` is entered by `create_app`'s lifespan (server/app.py `JOBS`): it runs the start-up catch-up before
the app serves any request (uvicorn accepts connections only after the lifespan started), hooks the reset gate in
front of every ingested command, and runs the scheduler thread until the app stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from .runner import JobRunner, TickReport

__all__ = ["JobRunner", "TickReport", "lifespan"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[JobRunner]:
    ingest = app.state.ingest
    runner = JobRunner(db=app.state.db, ingest=ingest, clock=app.state.clock)
    app.state.jobs = runner
    ingest.before = runner.gate  # from now on no event can overtake a reset that fell due
    try:
        await anyio.to_thread.run_sync(runner.catch_up)
        runner.start()
        yield runner
    finally:
        runner.stop()
        ingest.before = None
