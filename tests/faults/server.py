"""`paidui-server serve` in its own process group on a loopback port, that the fault scenarios can kill -9 and
start again on the same database (SQLite file or PostgreSQL schema)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from server.config import load_settings
from server.db.database import Database
from server.health_wait import ServerNotReady, wait_healthy
from server.services.sync import PushService
from tests.server.support import (
    PG_URL,
    database_location,
    free_port,
    init_server,
    live_server,
    make_settings,
    open_db,
)

ROOT = Path(__file__).resolve().parents[2]


class ServeProcess:
    def __init__(self, tmp: Path, url: str, schema: str | None, *, workers: int = 1) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.config = tmp / "paidui.toml"
        lines = [
            f'data_dir = "{tmp / "var"}"',
            f'database_url = "{url}"',
            f"port = {self.port}",
            'log_level = "warning"',
            "pool_size = 4",
        ]
        if schema:
            lines.append(f'database_schema = "{schema}"')
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.settings = load_settings(self.config)
        init_server(self.settings)
        self.db: Database = open_db(self.settings)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tmp / "server.log"
        self.kills = 0

    def start(self, *, timeout: float = 60) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAIDUI_")} | {"PYTHONPATH": str(ROOT)}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server.cli",
                    "--config",
                    str(self.config),
                    "serve",
                    "--workers",
                    str(self.workers),
                ],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        try:
            wait_healthy(self.proc, self.url, self.log, timeout=timeout)
        except ServerNotReady:
            self.kill()
            raise

    def kill(self) -> None:
        """SIGKILL to the server's process group: uvicorn's supervisor and every worker, mid-request."""
        if self.proc is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:  # it stopped by itself (the test will say why): nothing left to stop
            self.proc.wait(timeout=30)
            self.proc = None
            return
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.db.dispose()


@contextmanager
def serving(tmp: Path, backend: str, *, workers: int = 1, url: str | None = None) -> Iterator[ServeProcess]:
    """A seeded chain (tests/faults/tills.py::seed_chain) served by `paidui-server serve`; `url` overrides the
    PostgreSQL server (a private instance)."""
    from .tills import seed_chain

    tmp.mkdir(parents=True, exist_ok=True)
    with _location(backend, tmp, url) as (db_url, schema):
        server = ServeProcess(tmp, db_url, schema, workers=workers)
        try:
            seed_chain(server.db, now=dt.datetime.now(dt.UTC))
            server.start()
            yield server
        finally:
            server.close()


@contextmanager
def _location(backend: str, tmp: Path, url: str | None) -> Iterator[tuple[str, str | None]]:
    if backend == "sqlite":
        with database_location(backend, tmp) as found:
            yield found
        return
    if url is not None:
        yield url, None  # a private cluster made for this run: the whole database is ours
        return
    # A schema of the shared cluster, made and dropped with engines of their own: the cluster may have been
    # restarted in between (test_shared_postgres_cluster_restarted_under_load), which kills pooled connections.
    schema = f"paidui_faults_{secrets.token_hex(6)}"
    with _admin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield PG_URL, schema
    finally:
        with _admin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@contextmanager
def _admin() -> Iterator[Connection]:
    engine = create_engine(PG_URL, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def in_process(tmp: Path, backend: str, *, push: type[PushService] | None = None) -> Iterator[tuple[str, Database]]:
    """The server app in this process (uvicorn in a thread, real HTTP on loopback), so a test can break it."""
    from server.app import create_app

    from .tills import seed_chain

    tmp.mkdir(parents=True, exist_ok=True)
    with database_location(backend, tmp) as (db_url, schema):
        settings = make_settings(tmp, db_url, schema, pool_size=8)
        init_server(settings)
        app = create_app(settings)
        svc = app.state.services
        if push is not None:
            svc.push = push(db=svc.db, ingest=svc.ingest, keys=svc.keys, clock=svc.clock)
        db = open_db(settings)
        try:
            seed_chain(db, now=dt.datetime.now(dt.UTC))
            with live_server(app) as url:
                yield url, db
        finally:
            db.dispose()
            svc.db.dispose()
