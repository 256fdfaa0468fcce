"""cashier_stats.eligible_count: entries that can still receive money, kept with the other running totals

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cashier_stats") as batch:
        batch.add_column(sa.Column("eligible_count", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE cashier_stats SET eligible_count = (SELECT count(*) FROM entries WHERE entries.cashier_id = "
        "cashier_stats.cashier_id AND entries.status = 'waiting' AND entries.entitlement_fen > entries.paid_fen)"
    )


def downgrade() -> None:
    with op.batch_alter_table("cashier_stats") as batch:
        batch.drop_column("eligible_count")
