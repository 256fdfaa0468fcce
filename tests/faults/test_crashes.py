"""`paidui-server serve` killed with SIGKILL in the middle of batches, and PostgreSQL crashed and restarted under
load: afterwards every sale is on the server once and the §19 money invariants, the running totals and FIFO hold.

The PostgreSQL crashes use a private instance (initdb/pg_ctl in a temporary directory, its own port), so the
machine's shared cluster, which other tests use, is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from . import scenarios
from .conftest import scale
from .pgcluster import ClusterUnavailable, PrivateCluster
from .server import serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _report(report: Callable[..., None], result: scenarios.RunResult, chaos: scenarios.Chaos, what: str) -> None:
    report(f"{what}: {result.events} sales in {result.elapsed_s:.0f} s, {chaos.server_kills} server SIGKILLs "
           f"({chaos.kills_mid_push} mid-push), {chaos.pg_crashes} PostgreSQL crashes ({chaos.crashes_mid_push} "
           f"mid-push), {result.failed_rounds} failed sync rounds; problems: {len(result.found)}",
           events=result.events, server_kills=chaos.server_kills, pg_crashes=chaos.pg_crashes,
           problems=result.found)


def test_server_killed_in_the_middle_of_batches_sqlite(tmp_path: Path, report: Callable[..., None]) -> None:
    with serving(tmp_path / "server", "sqlite") as server:
        result, chaos = scenarios.crashes(tmp=tmp_path, server=server, events=scale(600, 4000), tills=3, seed=11,
                                          server_kills=scale(3, 15))
    _report(report, result, chaos, "SQLite, 1 process")
    assert chaos.server_kills == scale(3, 15) and chaos.kills_mid_push >= 1
    assert result.found == []


@pytest.mark.postgres
def test_server_killed_and_postgres_crashed_under_load_four_processes(tmp_path: Path,
                                                                      report: Callable[..., None]) -> None:
    try:
        cluster = PrivateCluster().init()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    try:
        cluster.start()
        with serving(tmp_path / "server", "postgresql", workers=4, url=cluster.url) as server:
            result, chaos = scenarios.crashes(tmp=tmp_path, server=server, events=scale(800, 5000), tills=4,
                                              seed=13, server_kills=scale(2, 10), pg_crashes=scale(2, 10),
                                              cluster=cluster)
    finally:
        cluster.destroy()
    _report(report, result, chaos, "PostgreSQL (private instance), 4 processes")
    assert chaos.pg_crashes == scale(2, 10) and chaos.server_kills == scale(2, 10)
    assert result.found == []
