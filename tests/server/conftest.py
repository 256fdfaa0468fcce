"""Database fixtures: every test gets its own fresh, migrated database (SQLite file or PostgreSQL schema)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from server.app import create_app
from server.clock import FixedClock
from server.config import ServerSettings
from server.db.database import Database
from server.replay import throwaway_database

from .support import T0, database_location, init_server, live_server, make_settings

PG_URL = os.environ.get("PAIDUI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_available() -> bool:
    try:
        engine = create_engine(PG_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except OperationalError:
        return False


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'paidui.db'}")
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def pg_db() -> Iterator[Database]:
    if not pg_available():
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL} (start it: see README)")
    with throwaway_database(PG_URL, prefix="paidui_test", pool_size=2) as db:
        yield db


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


# ------------------------------------------------------------------------------------------ a whole server (sync API)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a whole-server test runs on."""
    if request.param == "postgresql" and not pg_available():
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL} (start it: see README)")
    return str(request.param)


@pytest.fixture
def server_settings(backend: str, tmp_path: Path) -> Iterator[ServerSettings]:
    """Settings of an initialised server (migrated database, signing key, admin user) on its own database."""
    with database_location(backend, tmp_path) as (url, schema):
        settings = make_settings(tmp_path, url, schema)
        init_server(settings)
        yield settings


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def app(server_settings: ServerSettings, clock: FixedClock) -> Iterator[FastAPI]:
    application = create_app(server_settings, clock=clock)
    yield application
    application.state.db.dispose()


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx.Client]:
    """An HTTP client of the app served on a loopback port."""
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client
