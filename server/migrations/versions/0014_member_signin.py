"""member sign-in: one-time codes sent to a phone (kept as HMACs) and the members' browser sessions

Revision ID: 0014_member_signin
Revises: 0013_wallet
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0014_member_signin"
down_revision = "0013_wallet"  # re-chained after merging wallet-core (the brief gave 0009)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_sign_in_codes",
        sa.Column("challenge_id", sa.String(length=32), nullable=False),
        sa.Column("phone_digest", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("challenge_id", name=op.f("pk_member_sign_in_codes")),
    )
    op.create_index(
        op.f("ix_member_sign_in_codes_phone_digest"), "member_sign_in_codes", ["phone_digest"], unique=False
    )
    op.create_index(op.f("ix_member_sign_in_codes_expires_at"), "member_sign_in_codes", ["expires_at"], unique=False)
    op.create_table(
        "member_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_member_sessions")),
    )
    op.create_index(op.f("ix_member_sessions_member_id"), "member_sessions", ["member_id"], unique=False)
    op.create_index(op.f("ix_member_sessions_expires_at"), "member_sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_member_sessions_expires_at"), table_name="member_sessions")
    op.drop_index(op.f("ix_member_sessions_member_id"), table_name="member_sessions")
    op.drop_table("member_sessions")
    op.drop_index(op.f("ix_member_sign_in_codes_expires_at"), table_name="member_sign_in_codes")
    op.drop_index(op.f("ix_member_sign_in_codes_phone_digest"), table_name="member_sign_in_codes")
    op.drop_table("member_sign_in_codes")
