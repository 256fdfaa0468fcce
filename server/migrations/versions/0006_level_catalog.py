"""level_catalog: the member levels headquarters defines, with display names (console issue 15, item 12)

Seeded from the levels in use: every level a member holds or held, and every level a level ratio names (base and
store settings). Each starts with its id as both display names, ranked by its base ratio (higher first), so
headquarters only has to name them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "level_catalog",
        sa.Column("level_id", sa.String(40), nullable=False),
        sa.Column("name_zh", sa.String(40), nullable=False),
        sa.Column("name_en", sa.String(40), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("level_id", name="pk_level_catalog"),
    )
    conn = op.get_bind()
    used: set[str] = set()
    for sql in ("SELECT DISTINCT level FROM members", "SELECT DISTINCT level FROM member_levels"):
        used |= {lv for (lv,) in conn.execute(sa.text(sql)) if lv}
    base_raw = conn.execute(sa.text("SELECT base_json FROM settings WHERE id = 1")).scalar()
    base = json.loads(base_raw) if base_raw else {}
    ratios = {k: v for k, v in (base.get("level_entitlement_bp") or {}).items() if isinstance(v, int)}
    used |= set(base.get("level_entitlement_bp") or {})
    for (raw,) in conn.execute(sa.text("SELECT settings_json FROM stores")):
        used |= set((json.loads(raw) if raw else {}).get("level_entitlement_bp") or {})
    ordered = sorted(used, key=lambda lv: (-ratios.get(lv, -1), lv))
    table = sa.table(
        "level_catalog", sa.column("level_id"), sa.column("name_zh"), sa.column("name_en"), sa.column("rank")
    )
    rows = [{"level_id": lv, "name_zh": lv, "name_en": lv, "rank": len(ordered) - i} for i, lv in enumerate(ordered)]
    if rows:
        op.bulk_insert(table, rows)
        # the catalog is part of the configuration (server/db/settings.py): a cached read must see it
        conn.execute(sa.text("UPDATE settings SET version = version + 1 WHERE id = 1"))


def downgrade() -> None:
    op.drop_table("level_catalog")
