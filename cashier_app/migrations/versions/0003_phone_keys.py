"""Phone keys (protocol 2): members.phone_key replaces phone_hash and phone_tail; the next pull starts over

Revision ID: 0003
Revises: 0002

The sha256 hashes and last four digits a version 1 pull brought let anyone holding this file recover every member's
phone number in under a second; they are dropped. The cursor and the old salt go too, so the next pull brings every
member again with its scrypt key (docs/sync-protocol.md "Phone keys"). Until then a typed phone number is not
found (the cashier can register it: the server counts it for the existing member).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_index("ix_members_phone_hash")
        batch.drop_column("phone_hash")
        batch.drop_column("phone_tail")
        batch.add_column(sa.Column("phone_key", sa.String(64)))
        batch.create_index("ix_members_phone_key", ["phone_key"])
    op.execute("DELETE FROM kv WHERE key IN ('cursor', 'phone_salt')")


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_index("ix_members_phone_key")
        batch.drop_column("phone_key")
        batch.add_column(sa.Column("phone_hash", sa.String(64)))
        batch.add_column(sa.Column("phone_tail", sa.String(4)))
        batch.create_index("ix_members_phone_hash", ["phone_hash"])
