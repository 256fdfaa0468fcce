"""A real `paidui-server serve` in a subprocess on a loopback port, on SQLite or PostgreSQL, per test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server.config import ServerSettings, load_settings
from server.db.database import Database
from server.health_wait import ServerNotReady, wait_healthy
from tests.server.support import (
    ADMIN_PASSWORD,
    PG_URL,
    database_location,
    free_port,
    init_server,
    open_db,
    pg_available,
)

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServerProcess:
    url: str
    config: Path
    settings: ServerSettings
    db: Database  # the same database, for seeding and for checking what the server did
    process: subprocess.Popen[bytes]
    log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `paidui-server --config <this server's config> ARGS...` as an operator would."""
        return subprocess.run(
            [sys.executable, "-m", "server.cli", "--config", str(self.config), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(),
        )

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)  # type: ignore[arg-type]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIDUI_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def start_server(tmp_path: Path, url: str, schema: str | None, *, workers: int = 1) -> Iterator[ServerProcess]:
    port = free_port()
    config = tmp_path / "paidui.toml"
    lines = [
        f'data_dir = "{tmp_path / "var"}"',
        f'database_url = "{url}"',
        f"port = {port}",
        'log_level = "warning"',
        "pool_size = 4",
    ]
    if schema:
        lines.append(f'database_schema = "{schema}"')
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(config)
    init_server(settings)
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "--config", str(config), "serve", "--workers", str(workers)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(),
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, base, log, timeout=60)
    except ServerNotReady:
        proc.kill()
        raise
    db = open_db(settings)
    try:
        yield ServerProcess(base, config, settings, db, proc, log)
    finally:
        db.dispose()
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group: uvicorn and its workers
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """`paidui-server serve` (one process) on SQLite or PostgreSQL."""
    if request.param == "postgresql" and not pg_available():
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}")
    with database_location(request.param, tmp_path) as (url, schema):
        yield from start_server(tmp_path, url, schema)


@pytest.fixture
def served_pg_workers(tmp_path: Path) -> Iterator[ServerProcess]:
    """`paidui-server serve --workers 4` on PostgreSQL."""
    if not pg_available():
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}")
    with database_location("postgresql", tmp_path) as (url, schema):
        yield from start_server(tmp_path, url, schema, workers=4)


__all__ = ["ADMIN_PASSWORD", "ServerProcess"]
