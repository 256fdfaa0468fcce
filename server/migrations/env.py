"""Alembic environment: run with a connection handed in by server.db.database.Database.migrate()."""

from __future__ import annotations

from alembic import context

from server.db.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `paidui-server init` (Database.migrate), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
