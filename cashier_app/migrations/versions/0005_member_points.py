"""Members' points (issue 12): members.points and points_at; the next pull starts over to bring every balance

Revision ID: 0005
Revises: 0003

A points deduction is capped at what the member's points were worth at the last pull that brought them (less what
this till deducted since). The cursor goes, so the next pull brings every member again with its balance; until then
a member's balance is unknown and a deduction for them is refused.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("points", sa.Integer()))
        batch.add_column(sa.Column("points_at", sa.String(40)))
    op.execute("DELETE FROM kv WHERE key = 'cursor'")


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("points_at")
        batch.drop_column("points")
