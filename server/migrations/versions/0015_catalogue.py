"""catalogue: headquarters' product catalogue, pulled by tills in (version, sku) pages; stores.catalogue switches it
on per store (issue 14 item 6)

Revision ID: 0015_catalogue
Revises: 0009_wire_phone_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0015_catalogue"
down_revision = "0010_terminal_checkout_point"  # re-chained at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("barcode", sa.String(32), nullable=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(40), nullable=False, server_default=""),
        sa.Column("participates", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", name="pk_products"),
        sa.UniqueConstraint("barcode", name="uq_products_barcode"),
    )
    op.create_index("ix_products_version_sku", "products", ["version", "sku"])
    # Plain ALTER TABLE, not batch mode: on SQLite batch mode may copy `stores`, which foreign keys reference.
    op.add_column("stores", sa.Column("catalogue", sa.Boolean(), nullable=False, server_default=sa.text("false")))


def downgrade() -> None:
    # Not batch mode: on SQLite that would copy `stores`, which other tables' foreign keys reference (SQLite 3.35+
    # drops a column in place).
    op.drop_column("stores", "catalogue")
    op.drop_index("ix_products_version_sku", table_name="products")
    op.drop_table("products")
