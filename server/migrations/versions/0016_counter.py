"""the counter: split tenders and the employee on orders, drawer openings, Z reports, employees

Revision ID: 0016_counter
Revises: 0009_wire_phone_keys

A till sale may carry its tenders (cash received and change, card, WeChat Pay, Alipay) and the employee who rang it
up; both are recorded with the order, the rules read neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0016_counter"
down_revision = "0015_member_notifications"  # re-chained at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenders_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("employee_id", sa.String(length=64), nullable=True))
    op.create_table(
        "drawer_openings",
        sa.Column("drawer_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("employee_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("drawer_id", name=op.f("pk_drawer_openings")),
    )
    op.create_index(op.f("ix_drawer_openings_store_id"), "drawer_openings", ["store_id"], unique=False)
    op.create_table(
        "z_reports",
        sa.Column("z_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("shift_no", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sales_count", sa.Integer(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunds_fen", sa.BigInteger(), nullable=False),
        sa.Column("opening_float_fen", sa.BigInteger(), nullable=False),
        sa.Column("cash_expected_fen", sa.BigInteger(), nullable=False),
        sa.Column("cash_counted_fen", sa.BigInteger(), nullable=False),
        sa.Column("drawer_openings", sa.Integer(), nullable=False),
        sa.Column("tenders_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("z_id", name=op.f("pk_z_reports")),
        sa.UniqueConstraint("terminal_id", "shift_no", name=op.f("uq_z_reports_terminal_id")),
    )
    op.create_index(op.f("ix_z_reports_store_id"), "z_reports", ["store_id"], unique=False)
    op.create_table(
        "employees",
        sa.Column("employee_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_employees")),
    )
    op.create_index(op.f("ix_employees_store_id"), "employees", ["store_id"], unique=False)
    op.create_table(
        "refund_employees",
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("employee_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("refund_id", name=op.f("pk_refund_employees")),
    )


def downgrade() -> None:
    op.drop_table("refund_employees")
    op.drop_index(op.f("ix_employees_store_id"), table_name="employees")
    op.drop_table("employees")
    op.drop_index(op.f("ix_z_reports_store_id"), table_name="z_reports")
    op.drop_table("z_reports")
    op.drop_index(op.f("ix_drawer_openings_store_id"), table_name="drawer_openings")
    op.drop_table("drawer_openings")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("employee_id")
        batch_op.drop_column("tenders_json")
