"""schemathesis over the served OpenAPI document: no server error, and no endpoint that ignores authentication.

Every operation is called with a valid credential of the role that may use it (a terminal for sync, the
headquarters admin for the rest); `ignored_auth` then repeats successful calls without and with a forged
credential and fails unless they are refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, response_schema_conformance

from server.services import members, users
from tests.server.support import ADMIN_PASSWORD, T0, Till, database_location, enrolment_code, paid, seed

from .conftest import start_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
HEADERS: dict[str, dict[str, str]] = {}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api_schema(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    serving = contextlib.contextmanager(start_server)
    with database_location(request.param, tmp_path) as (url, schema), serving(tmp_path, url, schema) as served:
        seed(served.db, stores={"S1": ["C1"], "S2": ["C2"]})
        now = dt.datetime.now(dt.UTC)
        with served.db.connect() as conn:
            members.add(conn, phone="13800000000", member_id="m1", now=now)
            users.add_user(conn, username="boss", password="boss-pass", role="store_manager", store_id="S1", now=now)
        with httpx.Client(base_url=served.url, timeout=30) as http:
            till = Till(http)
            assert till.enroll(enrolment_code(served.db, "S1", now=now)).status_code == 200
            till.push([till.event(paid("C1", 1_000, member="m1", at=T0))])
            token = http.post("/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}).json()
        HEADERS["terminal"] = {"Authorization": f"Bearer {till.credential}"}
        HEADERS["hq"] = {"Authorization": f"Bearer {token['access_token']}"}
        yield schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    HEADERS.clear()


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error, ignored_auth, response_schema_conformance])

    run()


def test_no_server_error_and_no_ignored_authentication(api_schema: Any) -> None:
    tested = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        role = "terminal" if operation.path.startswith(("/api/v1/sync", "/api/v1/terminals/rotate")) else "hq"
        _fuzz(operation, HEADERS[role])
        tested.append(f"{operation.method.upper()} {operation.path}")
    assert {"POST /api/v1/sync/push", "GET /api/v1/sync/pull", "GET /api/v1/stores/{store_id}/report"} <= set(tested)
