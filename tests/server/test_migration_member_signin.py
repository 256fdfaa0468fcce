"""Migrations 0014 (member sign-in codes and sessions) and 0015 (the notification outbox): down and up again on a
database that holds members, and the tables they make are the ones the code declares."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from server.db import tables as t
from server.db.database import MIGRATIONS, Database


def test_down_to_0013_and_up_again_keeps_the_members(db: Database) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.connect() as conn:
        conn.execute(
            text(
                "INSERT INTO members (member_id, phone, name, created_at, change_version) VALUES ('m1', "
                "'13800138000', '', '2026-03-02 02:00:00', 0)"
            )
        )
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013_wallet")
        tables = set(inspect(conn).get_table_names())
    assert not {"member_sign_in_codes", "member_sessions", "member_notifications"} & tables
    db.migrate()
    with db.connect() as conn:
        inspector = inspect(conn)
        for table in (t.MemberSignInCode, t.MemberSession, t.MemberNotification):
            have = {c["name"] for c in inspector.get_columns(table.__tablename__)}
            assert have == set(table.__table__.columns.keys()), table.__tablename__
        assert conn.execute(text("SELECT phone FROM members WHERE member_id = 'm1'")).scalar() == "13800138000"
        unique = inspector.get_unique_constraints("member_notifications")
    assert any(u["column_names"] == ["event_key"] for u in unique)
