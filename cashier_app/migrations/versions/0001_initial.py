"""Initial local schema: orders, refunds, outbox, members, kv.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("receipt_no", sa.Integer, nullable=False, unique=True),
        sa.Column("shift_id", sa.Integer, nullable=False, index=True),
        sa.Column("cashier_id", sa.String(64), nullable=False),
        sa.Column("member_id", sa.String(64)),
        sa.Column("member_display", sa.String(80)),
        sa.Column("total_fen", sa.Integer, nullable=False),
        sa.Column("deduction_points_fen", sa.Integer, nullable=False),
        sa.Column("paid_fen", sa.Integer, nullable=False),
        sa.Column("tender", sa.String(16), nullable=False),
        sa.Column("paid_at", sa.String(40), nullable=False),
        sa.Column("refunded_fen", sa.Integer, nullable=False),
        sa.Column("order_link", sa.Text, nullable=False),
        sa.Column("synced", sa.Boolean, nullable=False),
        sa.Column("entry_json", sa.Text),
    )
    op.create_table(
        "refunds",
        sa.Column("refund_id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), nullable=False, index=True),
        sa.Column("shift_id", sa.Integer, nullable=False, index=True),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("tender", sa.String(16)),
        sa.Column("refunded_at", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("code", sa.String(64)),
        sa.Column("detail", sa.Text),
        sa.Column("answered_at", sa.String(40)),
    )
    op.create_table(
        "members",
        sa.Column("member_id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("phone_hash", sa.String(64), index=True),
        sa.Column("phone_tail", sa.String(4)),
        sa.Column("level", sa.String(64)),
        sa.Column("local", sa.Boolean, nullable=False),
    )
    op.create_table(
        "kv",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("kv", "members", "outbox", "refunds", "orders"):
        op.drop_table(name)
