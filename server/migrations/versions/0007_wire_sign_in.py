"""sign-in throttle: failed sign-ins per user name and the origins each user signed in from lately

Revision ID: 0007_wire_sign_in
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0007_wire_sign_in"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_allowed_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_sign_in_throttle")),
    )
    op.create_index(op.f("ix_sign_in_throttle_last_failure_at"), "sign_in_throttle", ["last_failure_at"], unique=False)
    op.create_table(
        "sign_in_known",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("origin", sa.String(length=100), nullable=False),
        sa.Column("last_success_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("username", "origin", name=op.f("pk_sign_in_known")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_known")
    op.drop_index(op.f("ix_sign_in_throttle_last_failure_at"), table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")
