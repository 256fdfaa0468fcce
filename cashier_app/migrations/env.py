"""Alembic environment for the cashier's local database; run programmatically by cashier_app.core.migrate."""

from __future__ import annotations

from alembic import context

from cashier_app.core.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
