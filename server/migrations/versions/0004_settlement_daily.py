"""settlement_daily: the inter-store settlement matrix per chain-local day, kept with the allocations

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("from_store_id", sa.String(64), nullable=False),
        sa.Column("to_store_id", sa.String(64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day", "from_store_id", "to_store_id", name="pk_settlement_daily"),
    )
    conn = op.get_bind()
    raw = conn.execute(sa.text("SELECT base_json FROM settings WHERE id = 1")).scalar()
    zone = ZoneInfo((json.loads(raw) if raw else {}).get("timezone", "Asia/Shanghai"))
    totals: dict[tuple[dt.date, str, str], int] = defaultdict(int)
    rows = conn.execute(sa.text("SELECT at, from_store_id, to_store_id, amount_fen FROM allocations"))
    for at, src, dst, amount in rows:
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        totals[(at.astimezone(zone).date(), src, dst)] += int(amount)
    table = sa.table(
        "settlement_daily",
        sa.column("day"),
        sa.column("from_store_id"),
        sa.column("to_store_id"),
        sa.column("amount_fen"),
    )
    if totals:
        op.bulk_insert(
            table,
            [{"day": d, "from_store_id": s, "to_store_id": r, "amount_fen": v} for (d, s, r), v in totals.items()],
        )


def downgrade() -> None:
    op.drop_table("settlement_daily")
