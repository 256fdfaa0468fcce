"""Bring a database back to an older revision, as an older server left it, then up again through the migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from server.db.database import MIGRATIONS, Database


def upgrade_from(db: Database, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    db.migrate()
