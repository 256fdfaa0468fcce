"""Queue positions and member figures, computed on read (spec §14, INV-18): never stored, never drifting.

A position is 1 + the number of entries that the next settlement would pay before this one, under the ordering
rule in force. Counting uses the partial indexes of waiting entries and starts at the queue's head hint, so it
costs what lies between the head and the entry, not the completed history behind the head.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from shared.engine.model import ALL, queue_key
from shared.settings import BaseSettings

from ..db import tables as t

E = t.EntryRow.__table__


@dataclass(frozen=True, slots=True)
class Placed:
    seq: int
    cashier_id: str
    order_completed: bool
    eligible: bool


def _eligible_conditions(key: str) -> list[Any]:
    conditions = [E.c.status == "waiting", E.c.entitlement_fen > E.c.paid_fen]
    cashier = key.split(":", 1)[1]
    if cashier != ALL:
        conditions.append(E.c.cashier_id == cashier)
    return conditions


def _head(conn: Connection, key: str) -> int:
    return int(conn.execute(select(t.Queue.head_seq).where(t.Queue.key == key)).scalar() or 0)


def _count(conn: Connection, key: str, lo: int, hi: int, tier: bool | None) -> int:
    """Eligible entries of `key` with lo <= seq < hi (and of the tier, when given)."""
    if hi <= lo:
        return 0
    conditions = [*_eligible_conditions(key), E.c.seq >= lo, E.c.seq < hi]
    if tier is not None:
        conditions.append(E.c.order_completed == tier)
    return int(conn.execute(select(func.count()).select_from(E).where(and_(*conditions))).scalar_one())


def positions(conn: Connection, base: BaseSettings, entries: Iterable[Placed]) -> dict[int, int | None]:
    """Position of each entry (None when it cannot receive money), in one pass per queue and tier."""
    result: dict[int, int | None] = {}
    groups: dict[tuple[str, bool | None], list[Placed]] = {}
    for e in entries:
        if not e.eligible:
            result[e.seq] = None
            continue
        key = queue_key(e.cashier_id, base.all_cashiers_queue)
        tier = e.order_completed if base.ordering_rule == "completed_first" else None
        groups.setdefault((key, tier), []).append(e)
    for (key, tier), members in groups.items():
        head = _head(conn, key)
        offset = 0
        if tier is False:  # every eligible entry of the completed tier comes first
            offset = _count(conn, key, head, 2**62, True)
        position, cursor = 1 + offset, head
        for e in sorted(members, key=lambda x: x.seq):
            position += _count(conn, key, cursor, e.seq, tier)
            result[e.seq] = position
            position += 1
            cursor = e.seq + 1
    return result


def placed(row: Any) -> Placed:
    m = row._mapping
    eligible = m["status"] == "waiting" and m["entitlement_fen"] > m["paid_fen"]
    return Placed(m["seq"], m["cashier_id"], bool(m["order_completed"]), eligible)


def queue_head(conn: Connection, base: BaseSettings, key: str, limit: int) -> Sequence[Any]:
    """The first `limit` entries the next settlement of `key` would pay, in that order."""
    head = _head(conn, key)
    base_conditions = [*_eligible_conditions(key), E.c.seq >= head]
    tiers: tuple[bool | None, ...] = (None,) if base.ordering_rule == "queue_order" else (True, False)
    rows: list[Any] = []
    for tier in tiers:
        if len(rows) >= limit:
            break
        conditions = list(base_conditions)
        if tier is not None:
            conditions.append(E.c.order_completed == tier)
        rows += conn.execute(select(E).where(and_(*conditions)).order_by(E.c.seq).limit(limit - len(rows))).all()
    return rows
