"""the member's wallet: payment-code uses (consent for a wallet spend)

Revision ID: 0013_wallet
Revises: 0009_wire_phone_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision = "0013_wallet"
down_revision = "0009_wire_phone_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_consents",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "step", name=op.f("pk_wallet_consents")),
    )
    op.create_index(op.f("ix_wallet_consents_used_at"), "wallet_consents", ["used_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_wallet_consents_used_at"), table_name="wallet_consents")
    op.drop_table("wallet_consents")
