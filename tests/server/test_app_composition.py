"""create_app composes every part in sight: all routers, the jobs, and the Ingest with the jobs' reset gate."""

from __future__ import annotations

import httpx
from fastapi import FastAPI


def test_create_app_mounts_every_part_and_gives_the_gate_to_ingest(app: FastAPI, http: httpx.Client) -> None:
    assert http.get("/api/v1/version").status_code == 200
    assert http.get("/console/login").status_code == 200
    assert http.get("/m/not-a-token").status_code == 403  # the member page answered: not a 404
    state = app.state
    assert state.ingest.before == state.jobs.gate  # given at construction, not patched on by the lifespan
    assert state.jobs.ingest is not state.ingest and state.jobs.ingest.before is None  # the jobs' own commands
    assert state.services.ingest is state.ingest and state.services.db is state.db
