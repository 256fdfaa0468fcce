"""A store's view of its queue: the head of the queue and the store's waiting entries, with positions and a version.

Figures are computed on read (spec §14) in one consistent read. Entries of other stores (they share the queue when
`all_cashiers_queue` is on) are shown without their order or member id: a till sees where its customers stand, not
who stands ahead of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from shared.engine.model import ALL, queue_key
from shared.settings import BaseSettings
from shared.wire import QueueSnapshot, SnapshotEntry

from ..db import tables as t
from ..db.database import Database
from ..db.settings import read_configuration
from ..errors import not_found
from .members import display_name
from .positions import placed, positions, queue_head

E = t.EntryRow.__table__
HEAD = 20  # entries of the queue's head shown whatever their store


def store_cashiers(conn: Connection, store_id: str) -> list[str]:
    return list(
        conn.execute(
            select(t.Cashier.cashier_id).where(t.Cashier.store_id == store_id).order_by(t.Cashier.cashier_id)
        ).scalars()
    )


def store_queue_keys(base: BaseSettings, cashiers: list[str]) -> list[str]:
    if base.all_cashiers_queue:
        return [f"cashier:{ALL}"]
    return sorted({queue_key(c, False) for c in cashiers})


def store_snapshot(db: Database, store_id: str, *, limit: int) -> QueueSnapshot:
    """The snapshot of a store's queue in one consistent read; refused as not found for an unknown store."""
    with db.consistent_read() as conn:
        config = read_configuration(conn, db.settings_cache)
        if config.store(store_id) is None:
            raise not_found(f"no store {store_id}")
        return queue_snapshot(conn, config.base, store_id, limit=limit)


def queue_snapshot(conn: Connection, base: BaseSettings, store_id: str, *, limit: int) -> QueueSnapshot:
    """The snapshot a till of `store_id` shows; `version` grows with every change to the store's queues."""
    cashiers = store_cashiers(conn, store_id)
    keys = store_queue_keys(base, cashiers)
    version = 0
    if keys:
        version = int(
            conn.execute(select(func.coalesce(func.sum(t.Queue.version), 0)).where(t.Queue.key.in_(keys))).scalar_one()
        )
    rows: dict[int, Any] = {}
    for key in keys:
        for row in queue_head(conn, base, key, min(HEAD, limit)):
            rows[row.seq] = row
    own = conn.execute(
        select(E).where(E.c.store_id == store_id, E.c.status == "waiting").order_by(E.c.seq).limit(limit + 1)
    ).all()
    truncated = len(own) > limit
    for row in own[:limit]:
        rows[row.seq] = row
    placed_rows = {seq: placed(row) for seq, row in rows.items()}
    where = positions(conn, base, placed_rows.values())
    names = _display_names(conn, {row.member_id for row in rows.values() if row.store_id == store_id})
    entries = []
    for seq, row in rows.items():
        mine = row.store_id == store_id
        entries.append(
            SnapshotEntry(
                seq=seq,
                order_id=row.order_id if mine else "",
                member_id=row.member_id if mine else "",
                member_display=names.get(row.member_id, "会员") if mine else "***",
                position=where.get(seq),
                entitlement_fen=row.entitlement_fen,
                paid_fen=row.paid_fen,
                remaining_fen=row.entitlement_fen - row.paid_fen,
                status=row.status,
                lottery_state=row.lottery_state,
                since=row.created_at,
            )
        )
    entries.sort(key=lambda e: (e.position is None, e.position or 0, e.seq))
    cs = t.CashierStats
    stats = select(func.coalesce(func.sum(cs.waiting_count), 0), func.coalesce(func.sum(cs.outstanding_fen), 0))
    if not base.all_cashiers_queue:
        stats = stats.where(cs.cashier_id.in_(cashiers))
    waiting, outstanding = conn.execute(stats).one()
    return QueueSnapshot(
        version=version,
        queue=keys[0] if len(keys) == 1 else (",".join(keys) or f"cashier:{ALL}"),
        waiting_count=int(waiting),
        outstanding_fen=int(outstanding),
        entries=entries,
        truncated=truncated,
    )


def _display_names(conn: Connection, member_ids: set[str]) -> dict[str, str]:
    if not member_ids:
        return {}
    m = t.Member
    rows = conn.execute(select(m.member_id, m.name).where(m.member_id.in_(sorted(member_ids))))
    return {row.member_id: display_name(row.name) for row in rows}
