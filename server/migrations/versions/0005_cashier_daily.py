"""cashier_daily: the daily running totals per cashier (console issue 15, item 13: a queue's own figures)

Filled from the ledgers the way the repository keeps it: orders by their received day (count) and settled day
(contributions), allocations by the day they were made and the cashier of the entry they paid, money kept by the
day it was kept and the cashier of the order it came from, entries by the day they were made and completed; days
are store-local, as in daily_stats.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("orders_count", "contributions_fen", "payouts_fen", "kept_fen", "entries_created", "entries_completed")


def _instant(at: Any) -> dt.datetime:
    instant = dt.datetime.fromisoformat(at) if isinstance(at, str) else at  # SQLite answers text here
    assert isinstance(instant, dt.datetime)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def upgrade() -> None:
    op.create_table(
        "cashier_daily",
        sa.Column("cashier_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(c, sa.BigInteger(), nullable=False, server_default="0") for c in COLUMNS),
        sa.PrimaryKeyConstraint("cashier_id", "day", name="pk_cashier_daily"),
    )
    conn = op.get_bind()
    zones = {s: ZoneInfo(z) for s, z in conn.execute(sa.text("SELECT store_id, timezone FROM stores"))}
    totals: dict[tuple[str, dt.date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))

    def add(cashier: str, store: str, at: Any, column: str, amount: int) -> None:
        day = _instant(at).astimezone(zones.get(store, ZoneInfo("Asia/Shanghai"))).date()
        totals[(cashier, day)][column] += amount

    orders = "SELECT cashier_id, store_id, received_at, completed_at, contribution_fen, imported FROM orders"
    for cashier, store, received, completed, contribution, imported in conn.execute(sa.text(orders)):
        if imported is None:
            add(cashier, store, received, "orders_count", 1)
        if contribution:
            add(cashier, store, completed or received, "contributions_fen", int(contribution))
    allocations = (
        "SELECT e.cashier_id, e.store_id, a.at, a.amount_fen FROM allocations a JOIN entries e ON e.seq = a.entry_seq"
    )
    for cashier, store, at, amount in conn.execute(sa.text(allocations)):
        add(cashier, store, at, "payouts_fen", int(amount))
    kept = "SELECT o.cashier_id, o.store_id, u.at, u.amount_fen FROM unallocated u JOIN orders o ON o.order_id = u.order_id"
    for cashier, store, at, amount in conn.execute(sa.text(kept)):
        add(cashier, store, at, "kept_fen", int(amount))
    entries = "SELECT cashier_id, store_id, created_at, closed_at, status FROM entries"
    for cashier, store, created, closed, status in conn.execute(sa.text(entries)):
        add(cashier, store, created, "entries_created", 1)
        if status == "completed":
            add(cashier, store, closed or created, "entries_completed", 1)
    table = sa.table("cashier_daily", sa.column("cashier_id"), sa.column("day"), *(sa.column(c) for c in COLUMNS))
    rows = [{"cashier_id": c, "day": d, **values} for (c, d), values in sorted(totals.items()) if any(values.values())]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("cashier_daily")
