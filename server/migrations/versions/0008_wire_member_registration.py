"""member registration: aliases scoped to the terminal that made them, and an audit log

Revision ID: 0008_wire_member_registration
Revises: 0007_wire_sign_in
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0008_wire_member_registration"
down_revision = "0007_wire_sign_in"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing aliases keep NULL (any terminal): the tills that made them may still sell under them. They can no
    # longer redirect an existing member's sales: a member id always names that member first (members.resolve).
    with op.batch_alter_table("member_aliases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terminal_id", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("member_aliases", schema=None) as batch_op:
        batch_op.drop_column("terminal_id")
