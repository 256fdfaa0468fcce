"""What the member page shows, read in one transaction: the member's own entries and totals, computed on read.

Nothing here is stored: positions, amounts ahead and totals come from the entries and ledgers as they are now
(spec §14, §20.3). Only the member's own rows are read; the amounts ahead are sums, never anybody's entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, select

from shared.engine.model import ALL, queue_cashier, queue_key
from shared.money import pct, points_for
from shared.settings import BaseSettings

from ..db import tables as t
from ..db.settings import SettingsCache, read_configuration

E = t.EntryRow.__table__
WAITING_SHOWN = 50  # waiting entries on one page of the list (the totals count them all; `page` turns the pages)
CLOSED_SHOWN = 20
ESTIMATE_DAYS = 7


@dataclass(frozen=True, slots=True)
class EntryView:
    seq: int
    order_id: str
    cashier_name: str
    status: str
    paid_at_local: dt.datetime
    base_fen: int
    ratio_bp: int
    entitlement_fen: int
    paid_fen: int
    remaining_fen: int
    position: int | None
    ahead_count: int | None
    ahead_fen: int | None
    estimate_orders: int | None  # ≈ orders until it starts receiving (§20.1); None when not estimated
    average_fen: int | None  # the average contribution per order (floored, for the words next to the estimate)
    lottery_available: bool
    exchange_points: int | None  # what an exchange would give now; None when that target is off
    exchange_voucher_fen: int | None
    highlighted: bool
    store_name: str = ""

    @property
    def exchangeable(self) -> bool:
        return bool(self.exchange_points) or bool(self.exchange_voucher_fen)


@dataclass(frozen=True, slots=True)
class MemberView:
    member_id: str
    base: BaseSettings
    waiting: list[EntryView]
    closed: list[EntryView]
    cumulative_fen: int
    pending_fen: int
    page: int = 1  # of the waiting entries, WAITING_SHOWN a page, oldest first
    more_waiting: bool = False  # a next page exists
    more_closed: bool = False  # older closed entries than these exist (`closed_page` + 1)
    level_id: str | None = None
    level_names: tuple[str, str] | None = None  # (zh, en) from the level catalog

    def level_name(self, lang: str) -> str | None:
        """The member's level as the catalog names it (its id when the catalog no longer has it)."""
        if self.level_id is None:
            return None
        if self.level_names is None:
            return self.level_id
        return self.level_names[0] if lang == "zh" else self.level_names[1]


def exchange_amounts(base: BaseSettings, remaining_fen: int) -> tuple[int | None, int | None]:
    """(points, voucher fen) an exchange would give for `remaining_fen`, as the engine computes them (§9.2)."""
    points = points_for(remaining_fen, base.points_per_yuan_x100) if base.points_exchange_enabled else None
    voucher = pct(remaining_fen, base.voucher_ratio_bp) if base.voucher_exchange_enabled else None
    return points, voucher


@dataclass(frozen=True, slots=True)
class Waiting:
    seq: int
    cashier_id: str
    order_completed: bool
    remaining_fen: int  # > 0: only entries that can receive money have a place in the queue


def _interval(whole_chain: bool, tiered: bool) -> Any:
    """Count and Σ remaining of eligible entries with lo <= seq < hi (of a cashier, of a tier)."""
    conditions: list[Any] = [
        E.c.status == "waiting",
        E.c.entitlement_fen > E.c.paid_fen,
        E.c.seq >= bindparam("lo"),
        E.c.seq < bindparam("hi"),
    ]
    if not whole_chain:
        conditions.append(E.c.cashier_id == bindparam("cashier"))
    if tiered:
        conditions.append(E.c.order_completed == bindparam("tier"))
    return select(func.count(), func.coalesce(func.sum(E.c.entitlement_fen - E.c.paid_fen), 0)).where(*conditions)


# Built once: statement construction costs more than the indexed scan itself (measured: ~5 ms per entry before).
_INTERVAL = {(w, tiered): _interval(w, tiered) for w in (False, True) for tiered in (False, True)}
_HEAD = select(t.Queue.head_seq).where(t.Queue.key == bindparam("key"))
END = 2**62


def _count(conn: Connection, key: str, lo: int, hi: int, tier: bool | None) -> tuple[int, int]:
    if hi <= lo:
        return 0, 0
    cashier = queue_cashier(key)
    stmt = _INTERVAL[(cashier == ALL, tier is not None)]
    count, total = conn.execute(stmt, {"lo": lo, "hi": hi, "tier": tier, "cashier": cashier}).one()
    return int(count), int(total)


_MAX_SEQ = select(func.max(E.c.seq))
_LINE = select(
    func.coalesce(func.sum(t.CashierStats.eligible_count), 0),
    func.coalesce(func.sum(t.CashierStats.outstanding_fen), 0),
)
_LINE_ONE = _LINE.where(t.CashierStats.cashier_id == bindparam("cashier"))


def _line(conn: Connection, key: str) -> tuple[int, int]:
    """(entries that can still receive money, Σ what they still wait for) of a queue, from the running totals."""
    cashier = queue_cashier(key)
    row = conn.execute(_LINE) if cashier == "ALL" else conn.execute(_LINE_ONE, {"cashier": cashier})
    count, fen = row.one()
    return int(count), int(fen)


def ahead(conn: Connection, base: BaseSettings, entries: list[Waiting]) -> dict[int, tuple[int, int]]:
    """For each entry: (count, Σ remaining) of the eligible entries the next settlements pay before it (§8 sort).

    One pass per queue and tier like `services.positions`; the position is 1 + count. Under queue order an entry
    nearer the tail is placed from the line's running totals minus what stands behind it, so the cost is the
    shorter side of the line, not the distance from the head."""
    out: dict[int, tuple[int, int]] = {}
    groups: dict[tuple[str, bool | None], list[Waiting]] = {}
    for e in entries:
        tier = e.order_completed if base.ordering_rule == "completed_first" else None
        groups.setdefault((queue_key(e.cashier_id, base.all_cashiers_queue), tier), []).append(e)
    max_seq: int | None = None
    for (key, tier), members in groups.items():
        head = int(conn.execute(_HEAD, {"key": key}).scalar() or 0)
        ordered = sorted(members, key=lambda x: x.seq)
        behind: list[Waiting] = []
        if tier is None:
            if max_seq is None:
                max_seq = int(conn.execute(_MAX_SEQ).scalar() or 0)
            cut = next((i for i, e in enumerate(ordered) if max_seq - e.seq < e.seq - head), len(ordered))
            ordered, behind = ordered[:cut], ordered[cut:]
        count, total = _count(conn, key, head, END, True) if tier is False else (0, 0)  # completed tier first
        cursor = head
        for e in ordered:
            more, amount = _count(conn, key, cursor, e.seq, tier)
            count, total = count + more, total + amount
            out[e.seq] = (count, total)
            count, total, cursor = count + 1, total + e.remaining_fen, e.seq + 1
        if behind:
            line_count, line_fen = _line(conn, key)
            back_count, back_fen, cursor = 0, 0, END
            for e in reversed(behind):  # what stands at or behind e, counted from the tail
                more, amount = _count(conn, key, e.seq, cursor, None)
                back_count, back_fen, cursor = back_count + more, back_fen + amount, e.seq
                out[e.seq] = (line_count - back_count, line_fen - back_fen)
    return out


def recent_contributions(
    conn: Connection, base: BaseSettings, *, store_id: str, today: dt.date
) -> tuple[int, int] | None:
    """(Σ contributions, Σ orders) over the last 7 store days, of the stores that feed this entry's queue."""
    ds = t.DailyStats
    stmt = select(func.coalesce(func.sum(ds.contributions_fen), 0), func.coalesce(func.sum(ds.orders_count), 0))
    stmt = stmt.where(ds.day > today - dt.timedelta(days=ESTIMATE_DAYS), ds.day <= today)
    if not base.all_cashiers_queue:
        stmt = stmt.where(ds.store_id == store_id)
    contributions, orders = (int(x) for x in conn.execute(stmt).one())
    if orders <= 0 or contributions <= 0:
        return None
    return contributions, orders


def estimate_orders(ahead_fen: int, recent: tuple[int, int]) -> int:
    """⌈Σ remaining ahead ÷ (Σ contributions ÷ Σ orders)⌉, exactly, in integers (§20.1)."""
    contributions, orders = recent
    return -(-ahead_fen * orders // contributions)


def cumulative(conn: Connection, member_id: str) -> int:
    """Σ paid over the member's entries, minus clawbacks (§14). Reversals already lowered `paid`."""
    paid = conn.execute(select(func.coalesce(func.sum(E.c.paid_fen), 0)).where(E.c.member_id == member_id)).scalar()
    r = t.RebateLedger
    clawed = conn.execute(
        select(func.coalesce(func.sum(r.amount_fen), 0)).where(
            r.member_id == member_id, r.kind.in_(("clawback_received", "voucher_used_clawback"))
        )
    ).scalar()
    return int(paid or 0) + int(clawed or 0)


def pending(conn: Connection, member_id: str) -> int:
    total = conn.execute(
        select(func.coalesce(func.sum(E.c.entitlement_fen - E.c.paid_fen), 0)).where(
            E.c.member_id == member_id, E.c.status == "waiting"
        )
    ).scalar()
    return int(total or 0)


def masked_phone(conn: Connection, member_id: str) -> str | None:
    """The member's phone as the signed-in page shows it (138****5678), or None."""
    phone = conn.execute(select(t.Member.phone).where(t.Member.member_id == member_id)).scalar()
    return f"{phone[:3]}****{phone[-4:]}" if phone else None


def load(
    conn: Connection,
    cache: SettingsCache,
    *,
    member_id: str,
    highlight: str | None,
    now: dt.datetime,
    page: int = 1,
    include: str | None = None,
    closed_page: int = 1,
) -> MemberView:
    """One page of the member's waiting entries and the latest closed ones; the `highlight`ed entry (an order
    link's) and the one named by `include` (just drawn or exchanged) are shown whatever page they are on, each in
    its own list, so every waiting entry can be reached, drawn and exchanged."""
    config = read_configuration(conn, cache)
    base = config.base
    zone = ZoneInfo(base.timezone)
    names = dict(conn.execute(select(t.Cashier.cashier_id, t.Cashier.name)).all())
    waiting_rows: list[Any] = list(
        conn.execute(
            select(E)
            .where(E.c.member_id == member_id, E.c.status == "waiting")
            .order_by(E.c.seq)
            .offset((page - 1) * WAITING_SHOWN)
            .limit(WAITING_SHOWN + 1)
        )
    )
    more_waiting = len(waiting_rows) > WAITING_SHOWN
    waiting_rows = waiting_rows[:WAITING_SHOWN]
    closed_rows: list[Any] = list(
        conn.execute(
            select(E)
            .where(E.c.member_id == member_id, E.c.status != "waiting")
            .order_by(E.c.seq.desc())
            .offset((closed_page - 1) * CLOSED_SHOWN)
            .limit(CLOSED_SHOWN + 1)
        )
    )
    more_closed = len(closed_rows) > CLOSED_SHOWN
    closed_rows = closed_rows[:CLOSED_SHOWN]
    for wanted in {highlight, include} - {None}:
        if not any(r.order_id == wanted for r in [*waiting_rows, *closed_rows]):
            for row in conn.execute(select(E).where(E.c.member_id == member_id, E.c.order_id == wanted)):
                (waiting_rows if row.status == "waiting" else closed_rows).append(row)
    shown = [r.order_id for r in [*waiting_rows, *closed_rows]]
    paid_at = (
        dict(conn.execute(select(t.OrderRow.order_id, t.OrderRow.paid_at).where(t.OrderRow.order_id.in_(shown))).all())
        if shown
        else {}
    )
    where = ahead(
        conn,
        base,
        [
            Waiting(r.seq, r.cashier_id, bool(r.order_completed), r.entitlement_fen - r.paid_fen)
            for r in waiting_rows
            if r.entitlement_fen > r.paid_fen
        ],
    )
    recent: dict[str, tuple[int, int] | None] = {}
    today = now.astimezone(zone).date()

    def view(row: Any) -> EntryView:
        waiting = row.status == "waiting"
        remaining = row.entitlement_fen - row.paid_fen if waiting else 0
        place = where.get(row.seq) if waiting else None
        position = count = amount = estimate = average = None
        if place is not None:
            count, amount = place
            position = count + 1
            if row.store_id not in recent:
                recent[row.store_id] = recent_contributions(conn, base, store_id=row.store_id, today=today)
            flow = recent[row.store_id]
            if flow is not None and amount:
                estimate, average = estimate_orders(amount, flow), flow[0] // flow[1]
        points, voucher = exchange_amounts(base, remaining) if waiting and remaining > 0 else (None, None)
        return EntryView(
            seq=row.seq,
            order_id=row.order_id,
            cashier_name=names.get(row.cashier_id, row.cashier_id),
            status=row.status,
            paid_at_local=paid_at.get(row.order_id, row.created_at).astimezone(zone),
            base_fen=row.base_fen,
            ratio_bp=row.ratio_bp,
            entitlement_fen=row.entitlement_fen,
            paid_fen=row.paid_fen,
            remaining_fen=remaining,
            position=position,
            ahead_count=count,
            ahead_fen=amount,
            estimate_orders=estimate,
            average_fen=average,
            lottery_available=waiting and row.lottery_state == "available",
            exchange_points=points,
            exchange_voucher_fen=voucher,
            highlighted=row.order_id == highlight,
            store_name=config.names.get(row.store_id, row.store_id),
        )

    waiting = sorted((view(r) for r in waiting_rows), key=lambda v: (not v.highlighted, v.seq))
    closed = sorted((view(r) for r in closed_rows), key=lambda v: (not v.highlighted, -v.seq))
    level_id = conn.execute(select(t.Member.level).where(t.Member.member_id == member_id)).scalar()
    named = next((lv for lv in config.levels if lv.level_id == level_id), None)
    return MemberView(
        member_id=member_id,
        base=base,
        waiting=waiting,
        closed=closed,
        cumulative_fen=cumulative(conn, member_id),
        pending_fen=pending(conn, member_id),
        page=page,
        more_waiting=more_waiting,
        more_closed=more_closed,
        level_id=level_id,
        level_names=(named.name_zh, named.name_en) if named is not None else None,
    )
