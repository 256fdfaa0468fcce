"""Migration 0002 upgrades a database made by 0001 that already holds data, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, text

from server.db.database import Database
from server.db.schema import head_revision, is_current


def test_upgrade_from_0001_keeps_the_data(db: Database) -> None:
    # `db` is migrated to head by the fixture: go back to 0001 the way an old installation would be
    from alembic import command
    from alembic.config import Config

    from server.db.database import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not is_current(db)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with db.connect() as conn:
        conn.execute(
            text("INSERT INTO signing_keys (kid, public_key, created_at) VALUES ('k1', 'pub', :at)"),
            {"at": at.replace(tzinfo=None) if db.is_sqlite else at},
        )
    db.migrate()
    assert is_current(db) and head_revision() is not None
    with db.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        assert {"server_values", "api_tokens"} <= names
        row = conn.execute(text("SELECT kid, public_key, activates_at FROM signing_keys")).one()
        assert tuple(row) == ("k1", "pub", None)
        indexes = {ix["name"] for ix in inspect(conn).get_indexes("entries")}
        assert "ix_entries_waiting_store" in indexes
