"""the counter: split tenders and the employee on orders

Revision ID: 0016_counter
Revises: 0009_wire_phone_keys

A till sale may carry its tenders (cash received and change, card, WeChat Pay, Alipay) and the employee who rang it
up; both are recorded with the order, the rules read neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_counter"
down_revision = "0009_wire_phone_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenders_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("employee_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("employee_id")
        batch_op.drop_column("tenders_json")
