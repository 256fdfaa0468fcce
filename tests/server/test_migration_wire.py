"""Migrations 0007 (sign-in throttle), 0008 (scoped aliases, audit log) and 0009 (phone keys) upgrade a database
that holds data."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from server.db.database import MIGRATIONS, Database


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_upgrade_from_0006_keeps_aliases_for_any_terminal(db: Database) -> None:
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
        conn.execute(text("INSERT INTO member_aliases (alias_id, member_id) VALUES ('till-made', 'm1')"))
    db.migrate()
    with db.connect() as conn:
        rows = conn.execute(text("SELECT alias_id, member_id, terminal_id FROM member_aliases")).all()
        tables = set(inspect(conn).get_table_names())
    assert [tuple(r) for r in rows] == [("till-made", "m1", None)]
    assert {"audit_log", "sign_in_throttle", "sign_in_known"} <= tables


def test_upgrade_from_0008_gives_every_phone_its_key(db: Database) -> None:
    from shared.phones import lookup, phone_key

    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_wire_member_registration")
        for n, phone in enumerate(("13800000001", "13900000002", None)):
            conn.execute(
                text(
                    "INSERT INTO members (member_id, phone, name, created_at, change_version) "
                    "VALUES (:m, :p, '', '2026-01-01 00:00:00', 0)"
                ),
                {"m": f"m{n}", "p": phone},
            )
    db.migrate()
    with db.connect() as conn:
        salt = conn.execute(text("SELECT value FROM server_values WHERE name = 'phone_key_salt'")).scalar_one()
        keys = dict(conn.execute(text("SELECT member_id, phone_key FROM members ORDER BY member_id")).all())
    params = lookup(salt)
    assert keys == {"m0": phone_key(params, "13800000001"), "m1": phone_key(params, "13900000002"), "m2": None}
