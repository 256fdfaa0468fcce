"""Migration 0005 adds cashier_daily and fills it from the ledgers of an older database, as the repository keeps it."""

from __future__ import annotations

from sqlalchemy import text

from server.db.database import Database

from .console_support import history, seed_history
from .migration_support import upgrade_from
from .support import T0
from .totals import running_totals_differences

TOTALS = "SELECT * FROM cashier_daily ORDER BY cashier_id, day"


def test_upgrade_from_0004_fills_the_cashier_days(db: Database) -> None:
    sales = history()
    seed_history(db, sales, shared=False, refunds=[("O3", 4_000, T0)])
    with db.connect() as conn:
        kept = [tuple(r) for r in conn.execute(text(TOTALS))]
    assert len({r[0] for r in kept}) == 2
    upgrade_from(db, "0004")
    with db.connect() as conn:
        assert [tuple(r) for r in conn.execute(text(TOTALS))] == kept
        assert running_totals_differences(conn) == []
