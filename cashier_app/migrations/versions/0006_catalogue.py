"""Catalogue: headquarters' products pulled from the server, the lines of a sale, parked sales (issue 14 item 6)

Revision ID: 0006
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0007"  # re-chained at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("barcode", sa.String(32)),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(40), nullable=False, server_default=""),
        sa.Column("participates", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_products_barcode", "products", ["barcode"])
    op.create_table(
        "parked_sales",
        sa.Column("park_id", sa.Integer(), primary_key=True),
        sa.Column("parked_at", sa.String(40), nullable=False),
        sa.Column("member_id", sa.String(64)),
        sa.Column("member_display", sa.String(80)),
        sa.Column("lines_json", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("lines_json", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("lines_json")
    op.drop_table("parked_sales")
    op.drop_index("ix_products_barcode", table_name="products")
    op.drop_table("products")
