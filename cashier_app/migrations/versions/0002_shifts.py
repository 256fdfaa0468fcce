"""Shifts, for the X and Z reports; orders made before this revision belong to shift 1.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shifts",
        sa.Column("shift_id", sa.Integer, primary_key=True),
        sa.Column("opened_at", sa.String(40), nullable=False),
        sa.Column("closed_at", sa.String(40)),
    )
    # Sales already recorded keep their shift number 1: open shift 1 for them so the X report sees them.
    op.execute("INSERT INTO shifts(shift_id, opened_at) SELECT 1, MIN(paid_at) FROM orders HAVING COUNT(*) > 0")


def downgrade() -> None:
    op.drop_table("shifts")
