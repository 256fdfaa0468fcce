"""Scheduled jobs of the server: the reset schedule (spec §11) and automatic completion of orders.

`create_app` builds the `JobRunner` (with an Ingest of its own) and gives its `gate` to the app's Ingest as the hook
run before every command; `running(runner)` is entered by the app's lifespan: it runs the start-up catch-up before
the app serves any request (uvicorn accepts connections only after the lifespan started), then the scheduler thread
until the app stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread

from .runner import JobRunner, TickReport

__all__ = ["JobRunner", "TickReport", "running"]


@asynccontextmanager
async def running(runner: JobRunner) -> AsyncIterator[JobRunner]:
    """The catch-up, then the scheduler thread, for as long as the block runs."""
    try:
        await anyio.to_thread.run_sync(runner.catch_up)
        runner.start()
        yield runner
    finally:
        runner.stop()
