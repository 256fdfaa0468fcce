"""Queue positions and member figures, computed on read (spec §14, INV-18): never stored, never drifting.

A position is 1 + the number of entries that the next settlement would pay before this one, under the ordering
rule in force. Counting uses the partial indexes of waiting entries and starts at the queue's head hint, so it
costs what lies between the head and the entry, not the completed history behind the head.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select

from shared.engine.model import ALL, queue_cashier, queue_key
from shared.settings import BaseSettings

from ..db import tables as t

E = t.EntryRow.__table__


@dataclass(frozen=True, slots=True)
class Placed:
    seq: int
    cashier_id: str
    order_completed: bool
    eligible: bool


def _eligible_conditions(all_cashiers: bool) -> list[Any]:
    conditions = [E.c.status == "waiting", E.c.entitlement_fen > E.c.paid_fen]
    if not all_cashiers:
        conditions.append(E.c.cashier_id == bindparam("cashier"))
    return conditions


def _count_statement(all_cashiers: bool, tier: bool | None) -> Any:
    conditions = [*_eligible_conditions(all_cashiers), E.c.seq >= bindparam("lo"), E.c.seq < bindparam("hi")]
    if tier is not None:
        conditions.append(E.c.order_completed == tier)
    return select(func.count()).select_from(E).where(and_(*conditions))


BATCH = 32  # ranges counted by one statement: a snapshot of 220 entries is 7 round trips, not 220


def _batch_statement(all_cashiers: bool, tier: bool | None) -> Any:
    """BATCH counts in one SELECT, each a scalar subquery bounded by its own range (unused slots get an empty one)."""
    columns = []
    for i in range(BATCH):
        bounds = [E.c.seq >= bindparam(f"lo{i}"), E.c.seq < bindparam(f"hi{i}")]
        conditions = [*_eligible_conditions(all_cashiers), *bounds]
        if tier is not None:
            conditions.append(E.c.order_completed == tier)
        columns.append(select(func.count()).select_from(E).where(and_(*conditions)).scalar_subquery().label(f"c{i}"))
    return select(*columns)


# Prebuilt: a push answer and every snapshot ask for positions; statements are compiled once.
_COUNT = {(a, tier): _count_statement(a, tier) for a in (False, True) for tier in (None, True, False)}
_COUNTS = {(a, tier): _batch_statement(a, tier) for a in (False, True) for tier in (None, True, False)}
_HEAD = select(t.Queue.head_seq).where(t.Queue.key == bindparam("key"))
_MAX_SEQ = select(func.max(E.c.seq))
_LINE_ALL = select(func.coalesce(func.sum(t.CashierStats.eligible_count), 0))
_LINE_ONE = _LINE_ALL.where(t.CashierStats.cashier_id == bindparam("cashier"))
TOP = 2**62


def _head(conn: Connection, key: str) -> int:
    return int(conn.execute(_HEAD, {"key": key}).scalar() or 0)


def _count(conn: Connection, key: str, lo: int, hi: int, tier: bool | None) -> int:
    """Eligible entries of `key` with lo <= seq < hi (and of the tier, when given)."""
    if hi <= lo:
        return 0
    cashier = queue_cashier(key)
    params = {"lo": lo, "hi": hi, "cashier": cashier}
    return int(conn.execute(_COUNT[(cashier == ALL, tier)], params).scalar_one())


def _counts(conn: Connection, key: str, ranges: Sequence[tuple[int, int]], tier: bool | None) -> list[int]:
    """`_count` of each (lo, hi) range, BATCH ranges to a statement."""
    cashier = queue_cashier(key)
    if len(ranges) == 1:
        return [_count(conn, key, *ranges[0], tier)]
    out: list[int] = []
    for start in range(0, len(ranges), BATCH):
        chunk = list(ranges[start : start + BATCH])
        params: dict[str, Any] = {"cashier": cashier}
        for i in range(BATCH):
            lo, hi = chunk[i] if i < len(chunk) else (0, 0)
            params[f"lo{i}"], params[f"hi{i}"] = lo, max(lo, hi)
        row = conn.execute(_COUNTS[(cashier == ALL, tier)], params).one()
        out += [int(row[i]) for i in range(len(chunk))]
    return out


def _line_length(conn: Connection, key: str) -> int:
    """How many entries of `key` can still receive money, from the running totals (no count)."""
    cashier = queue_cashier(key)
    if cashier == ALL:
        return int(conn.execute(_LINE_ALL).scalar_one())
    return int(conn.execute(_LINE_ONE, {"cashier": cashier}).scalar_one())


def positions(conn: Connection, base: BaseSettings, entries: Iterable[Placed]) -> dict[int, int | None]:
    """Position of each entry (None when it cannot receive money), in one pass per queue and tier.

    Under queue order an entry nearer the tail is placed by counting the entries *behind* it and subtracting from
    the line's length (a running total), so the tail's position costs nothing and the middle of a 10^6 line costs
    half of it at most.
    """
    result: dict[int, int | None] = {}
    groups: dict[tuple[str, bool | None], list[Placed]] = {}
    for e in entries:
        if not e.eligible:
            result[e.seq] = None
            continue
        key = queue_key(e.cashier_id, base.all_cashiers_queue)
        tier = e.order_completed if base.ordering_rule == "completed_first" else None
        groups.setdefault((key, tier), []).append(e)
    max_seq: int | None = None
    for (key, tier), members in groups.items():
        ordered = sorted(members, key=lambda x: x.seq)
        behind: list[Placed] = []
        head: int | None = None
        if tier is None:
            if max_seq is None:
                max_seq = int(conn.execute(_MAX_SEQ).scalar() or 0)
            if ordered[-1].seq >= max_seq:  # the newest entry (a push answer): nothing behind it
                behind = [ordered.pop()]
            if ordered:
                head = _head(conn, key)
                cut = next((i for i, e in enumerate(ordered) if max_seq - e.seq < e.seq - head), len(ordered))
                behind, ordered = ordered[cut:] + behind, ordered[:cut]
        if ordered:
            head = _head(conn, key) if head is None else head
            offset = 0
            if tier is False:  # every eligible entry of the completed tier comes first
                offset = _count(conn, key, head, TOP, True)
            cursors = [head, *(e.seq + 1 for e in ordered[:-1])]
            gaps = _counts(conn, key, [(lo, e.seq) for lo, e in zip(cursors, ordered, strict=True)], tier)
            position = 1 + offset
            for e, gap in zip(ordered, gaps, strict=True):
                position += gap
                result[e.seq] = position
                position += 1
        if behind:
            newest_first = behind[::-1]
            cursors = [TOP, *(e.seq for e in newest_first[:-1])]
            # nothing lies behind the newest entry of all: an empty range, not a count
            ranges = [
                (e.seq + 1, hi) if e.seq < (max_seq or 0) else (0, 0)
                for e, hi in zip(newest_first, cursors, strict=True)
            ]
            line, after = _line_length(conn, key), 0
            for e, gap in zip(newest_first, _counts(conn, key, ranges, None), strict=True):
                after += gap
                result[e.seq] = line - after
                after += 1
    return result


def placed(row: Any) -> Placed:
    m = row._mapping
    eligible = m["status"] == "waiting" and m["entitlement_fen"] > m["paid_fen"]
    return Placed(m["seq"], m["cashier_id"], bool(m["order_completed"]), eligible)


def queue_head(conn: Connection, base: BaseSettings, key: str, limit: int) -> Sequence[Any]:
    """The first `limit` entries the next settlement of `key` would pay, in that order."""
    head = _head(conn, key)
    cashier = queue_cashier(key)
    base_conditions = [*_eligible_conditions(cashier == ALL), E.c.seq >= head]
    tiers: tuple[bool | None, ...] = (None,) if base.ordering_rule == "queue_order" else (True, False)
    rows: list[Any] = []
    for tier in tiers:
        if len(rows) >= limit:
            break
        conditions = list(base_conditions)
        if tier is not None:
            conditions.append(E.c.order_completed == tier)
        stmt = select(E).where(and_(*conditions)).order_by(E.c.seq).limit(limit - len(rows))
        rows += conn.execute(stmt, {"cashier": cashier}).all()
    return rows
