"""`paidui-server serve` killed with SIGKILL in the middle of batches, and PostgreSQL crashed and restarted under
load: afterwards every sale is on the server once and the §19 money invariants, the running totals and FIFO hold.

The PostgreSQL crashes use a private instance (initdb/pg_ctl in a temporary directory, its own port), so the
machine's shared cluster, which other tests use, is not touched; `PAIDUI_FAULTS_SHARED_PG=1` adds a run that
crashes and restarts the shared cluster itself (pg_ctlcluster), leaving it running whatever happens.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from . import scenarios
from .conftest import scale
from .pgcluster import ClusterUnavailable, PrivateCluster, SharedCluster
from .server import serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _report(report: Callable[..., None], result: scenarios.RunResult, chaos: scenarios.Chaos, what: str) -> None:
    report(
        f"{what}: {result.events} sales in {result.elapsed_s:.0f} s, {chaos.server_kills} server SIGKILLs "
        f"({chaos.kills_mid_push} mid-push), {chaos.pg_crashes} PostgreSQL crashes ({chaos.crashes_mid_push} "
        f"mid-push), {result.failed_rounds} failed sync rounds; problems: {len(result.found)}",
        events=result.events,
        server_kills=chaos.server_kills,
        pg_crashes=chaos.pg_crashes,
        problems=result.found,
    )


def test_server_killed_in_the_middle_of_batches_sqlite(tmp_path: Path, report: Callable[..., None]) -> None:
    with serving(tmp_path / "server", "sqlite") as server:
        result, chaos = scenarios.crashes(
            tmp=tmp_path, server=server, events=scale(450, 4000), tills=3, seed=11, server_kills=scale(3, 15)
        )
    _report(report, result, chaos, "SQLite, 1 process")
    assert result.recorded == result.events
    assert chaos.server_kills == scale(3, 15) and chaos.kills_mid_push >= 1
    assert result.found == []


@pytest.mark.postgres
def test_server_killed_and_postgres_crashed_under_load_four_processes(
    tmp_path: Path, report: Callable[..., None]
) -> None:
    try:
        cluster = PrivateCluster().init()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    try:
        cluster.start()
        with serving(tmp_path / "server", "postgresql", workers=4, url=cluster.url) as server:
            result, chaos = scenarios.crashes(
                tmp=tmp_path,
                server=server,
                events=scale(500, 5000),
                tills=4,
                seed=13,
                server_kills=scale(1, 10),
                pg_crashes=scale(2, 10),
                cluster=cluster,
            )
    finally:
        cluster.destroy()
    _report(report, result, chaos, "PostgreSQL (private instance), 4 processes")
    assert chaos.pg_crashes == scale(2, 10) and chaos.server_kills == scale(1, 10)
    assert result.found == []


@pytest.mark.postgres
@pytest.mark.parametrize("restart", ["a worker", "the server"])
def test_server_started_while_postgres_recovers_waits_for_it(tmp_path: Path, restart: str) -> None:
    """A worker (re)started while PostgreSQL cannot take connections yet (down, or recovering after a crash)
    waits for it: it used to fail its start-up, and uvicorn's supervisor then stopped the whole server for good.
    `serve` itself, started while the database is down, waits for it too (`--wait-for-database`)."""
    try:
        cluster = PrivateCluster().init()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    try:
        cluster.start()
        with serving(tmp_path / "server", "postgresql", workers=2, url=cluster.url) as server:
            cluster.crash()
            back = threading.Timer(3.0, cluster.start)
            back.start()
            try:
                if restart == "the server":
                    server.kill()
                    server.start(timeout=120)  # raises ServerNotReady if the server gives up
                else:
                    assert server.proc is not None
                    workers = subprocess.run(
                        ["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True, check=True
                    ).stdout.split()
                    os.kill(int(workers[0]), signal.SIGKILL)  # the supervisor starts another one, now
            finally:
                back.join()
            deadline = time.monotonic() + 60
            with httpx.Client(base_url=server.url, timeout=5) as http:
                while True:
                    assert server.proc is not None and server.proc.poll() is None, "the server stopped"
                    try:
                        if http.get("/api/v1/health").status_code == 200 and _all_workers_up(server.proc.pid):
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, "the server did not come back"
                    time.sleep(0.2)
            time.sleep(2)  # a worker that failed its start-up would have stopped the supervisor by now
            assert server.proc.poll() is None, "the server stopped"
    finally:
        cluster.destroy()


def _all_workers_up(supervisor: int) -> bool:
    found = subprocess.run(["pgrep", "-P", str(supervisor)], capture_output=True, text=True).stdout.split()
    return len(found) >= 2


@pytest.mark.postgres
@pytest.mark.skipif(
    os.environ.get("PAIDUI_FAULTS_SHARED_PG") != "1",
    reason="restarts the machine's shared PostgreSQL cluster: only with PAIDUI_FAULTS_SHARED_PG=1",
)
def test_shared_postgres_cluster_restarted_under_load(tmp_path: Path, report: Callable[..., None]) -> None:
    try:
        cluster = SharedCluster()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    try:
        with serving(tmp_path / "server", "postgresql", workers=4) as server:
            result, chaos = scenarios.crashes(
                tmp=tmp_path,
                server=server,
                events=scale(400, 2000),
                tills=4,
                seed=17,
                server_kills=0,
                pg_crashes=scale(1, 3),
                cluster=cluster,
            )
    finally:
        cluster.ensure_running()  # whatever happened: others need it
    _report(report, result, chaos, "PostgreSQL (the machine's cluster, pg_ctlcluster), 4 processes")
    assert result.found == []
