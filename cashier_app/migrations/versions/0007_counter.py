"""The counter: tenders and change on a sale, cash drawer openings, shift floats and counted cash, employees

Revision ID: 0007
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"  # re-chained at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("tenders_json", sa.Text))
        batch.add_column(sa.Column("change_fen", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("employee_id", sa.String(64)))
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("employee_id", sa.String(64)))
    with op.batch_alter_table("shifts") as batch:
        batch.add_column(sa.Column("opening_float_fen", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("opened_by", sa.String(64)))
        batch.add_column(sa.Column("closed_by", sa.String(64)))
        batch.add_column(sa.Column("counted_cash_fen", sa.Integer))
        batch.add_column(sa.Column("expected_cash_fen", sa.Integer))
        batch.add_column(sa.Column("z_id", sa.String(36)))
    op.create_table(
        "employees",
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("pin_hash", sa.String(200), nullable=False),
    )
    op.create_table(
        "drawer_openings",
        sa.Column("drawer_id", sa.String(36), primary_key=True),
        sa.Column("shift_id", sa.Integer, nullable=False, index=True),
        sa.Column("opened_at", sa.String(40), nullable=False),
        sa.Column("employee_id", sa.String(64)),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("drawer_openings")
    op.drop_table("employees")
    with op.batch_alter_table("shifts") as batch:
        for name in ("z_id", "expected_cash_fen", "counted_cash_fen", "closed_by", "opened_by", "opening_float_fen"):
            batch.drop_column(name)
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("employee_id")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("employee_id")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("change_fen")
        batch.drop_column("tenders_json")
