"""Migrations 0005 (sign-in throttle) and 0006 (scoped aliases, audit log) upgrade a database that holds data."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from server.db.database import MIGRATIONS, Database


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_upgrade_from_0004_keeps_aliases_for_any_terminal(db: Database) -> None:
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
        conn.execute(text("INSERT INTO member_aliases (alias_id, member_id) VALUES ('till-made', 'm1')"))
    db.migrate()
    with db.connect() as conn:
        rows = conn.execute(text("SELECT alias_id, member_id, terminal_id FROM member_aliases")).all()
        tables = set(inspect(conn).get_table_names())
    assert [tuple(r) for r in rows] == [("till-made", "m1", None)]
    assert {"audit_log", "sign_in_throttle", "sign_in_known"} <= tables
