"""member notifications: the outbox of what the server tells members (rebates, completions, vouchers, resets)

Revision ID: 0015_member_notifications
Revises: 0014_member_signin
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0015_member_notifications"
down_revision = "0014_member_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("due_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("sent_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_notifications")),
        sa.UniqueConstraint("event_key", name=op.f("uq_member_notifications_event_key")),
    )
    op.create_index(op.f("ix_member_notifications_member_id"), "member_notifications", ["member_id"], unique=False)
    op.create_index(op.f("ix_member_notifications_state"), "member_notifications", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_member_notifications_state"), table_name="member_notifications")
    op.drop_index(op.f("ix_member_notifications_member_id"), table_name="member_notifications")
    op.drop_table("member_notifications")
