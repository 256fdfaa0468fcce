"""benchmarks/chain_scale.py at its smallest (1 store × 2 tills, 2 workers): a steady spell and a storm go through a
real `paidui-server serve` on PostgreSQL, every sale is acknowledged and the fault suite's checkers hold."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.server.support import pg_available

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.skipif(not pg_available(), reason="needs the PostgreSQL server at 127.0.0.1:5432"),
]


def test_chain_scale_generator_runs_small(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import chain_scale

    with chain_scale.chain(tmp_path, stores=1, tills_per_store=2, workers=2, all_cashiers_queue=False, seed_no=1) as (
        server,
        tills,
        _,
    ):
        assert server.proc is not None
        steady = chain_scale.drive(server.url, tills, seconds=2, interval=0.5, drain_s=20, pgid=server.proc.pid)
        assert steady["offered_events"] >= 6 and steady["unacknowledged"] == 0, steady
        assert steady["errors"] == 0 and steady["timeouts"] == 0, steady
        assert chain_scale.check(server.db, tills, all_cashiers_queue=False)["checks_ok"]
        for till in tills:
            for _ in range(3):
                till.sell(0.0, chain_scale.dt.datetime.now(chain_scale.dt.UTC))
        storm = chain_scale.drive(server.url, tills, seconds=0, interval=0.5, drain_s=20, pgid=server.proc.pid)
        assert storm["offered_events"] == 6 and storm["applied_events"] == 6, storm
        found = chain_scale.check(server.db, tills, all_cashiers_queue=False)
        assert found["checks_ok"], found["checks"]
