"""Migration 0003 adds cashier_stats.eligible_count and fills it from the entries an older database holds."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from server.db.database import MIGRATIONS, Database
from server.replay import ServerBackend
from shared.scenario import run
from tests.server.totals import running_totals_differences

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "EX9.json"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_upgrade_from_0002_counts_the_line(db: Database) -> None:
    backend = ServerBackend(db)
    try:
        run(json.loads(EXAMPLE.read_text()), backend)  # a line with waiting entries, one of them paid in part
    finally:
        backend.close()
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    db.migrate()
    with db.connect() as conn:
        counts = {r[0]: r[1] for r in conn.execute(text("SELECT cashier_id, eligible_count FROM cashier_stats"))}
        direct = conn.execute(
            text("SELECT count(*) FROM entries WHERE status = 'waiting' AND entitlement_fen > paid_fen")
        ).scalar_one()
        assert counts == {"K1": direct} and direct == 2
        assert running_totals_differences(conn) == []
