"""Independent recomputation of the running totals from the ledger tables (for tests and fault checkers)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text


def running_totals_differences(conn: Connection) -> list[str]:
    """cashier_stats, daily_stats and cashier_daily against sums straight from the ledger tables."""
    diffs: list[str] = []
    direct = {
        row[0]: (int(row[1]), int(row[2]), int(row[3]))
        for row in conn.execute(
            text(
                "SELECT cashier_id, count(*), coalesce(sum(entitlement_fen - paid_fen), 0), "
                "sum(CASE WHEN entitlement_fen > paid_fen THEN 1 ELSE 0 END) FROM entries "
                "WHERE status = 'waiting' GROUP BY cashier_id"
            )
        )
    }
    kept = {
        row[0]: (int(row[1]), int(row[2]), int(row[3]))
        for row in conn.execute(
            text("SELECT cashier_id, waiting_count, outstanding_fen, eligible_count FROM cashier_stats")
        )
    }
    for cashier in set(direct) | set(kept):
        if direct.get(cashier, (0, 0, 0)) != kept.get(cashier, (0, 0, 0)):
            diffs.append(f"cashier_stats {cashier}: kept {kept.get(cashier)} vs entries {direct.get(cashier)}")

    zones = {r[0]: ZoneInfo(r[1]) for r in conn.execute(text("SELECT store_id, timezone FROM stores"))}

    def day(store: str, at: dt.datetime | str) -> dt.date:
        if isinstance(at, str):  # SQLite hands back text for a raw query
            at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return at.astimezone(zones[store]).date()

    payouts: dict[tuple[str, dt.date], int] = defaultdict(int)
    for store, amount, at in conn.execute(
        text("SELECT e.store_id, a.amount_fen, a.at FROM allocations a JOIN entries e ON e.seq = a.entry_seq")
    ):
        payouts[(store, day(store, at))] += int(amount)
    kept_money: dict[tuple[str, dt.date], int] = defaultdict(int)
    for store, amount, at in conn.execute(
        text("SELECT o.store_id, u.amount_fen, u.at FROM unallocated u JOIN orders o ON o.order_id = u.order_id")
    ):
        kept_money[(store, day(store, at))] += int(amount)
    stats = {
        (r[0], r[1] if isinstance(r[1], dt.date) else dt.date.fromisoformat(r[1])): (int(r[2]), int(r[3]))
        for r in conn.execute(text("SELECT store_id, day, payouts_fen, kept_fen FROM daily_stats"))
    }
    for key in set(payouts) | set(kept_money) | set(stats):
        want = (payouts.get(key, 0), kept_money.get(key, 0))
        if stats.get(key, (0, 0)) != want:
            diffs.append(f"daily_stats {key}: kept (payouts, kept) {stats.get(key)} vs ledgers {want}")
    diffs += _cashier_daily_differences(conn, day)
    raw = conn.execute(text("SELECT base_json FROM settings WHERE id = 1")).scalar()
    chain = ZoneInfo(json.loads(raw or "{}").get("timezone", "Asia/Shanghai"))
    pairs: dict[tuple[dt.date, str, str], int] = defaultdict(int)
    lines = conn.execute(text("SELECT from_store_id, to_store_id, amount_fen, at FROM allocations"))
    for src, dst, amount, at in lines:
        stamp = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
        stamp = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
        pairs[(stamp.astimezone(chain).date(), src, dst)] += int(amount)
    kept_pairs = {
        (r[0] if isinstance(r[0], dt.date) else dt.date.fromisoformat(r[0]), r[1], r[2]): int(r[3])
        for r in conn.execute(text("SELECT day, from_store_id, to_store_id, amount_fen FROM settlement_daily"))
    }
    if {k: v for k, v in pairs.items() if v} != {k: v for k, v in kept_pairs.items() if v}:
        diffs.append(f"settlement_daily {kept_pairs} vs allocations {dict(pairs)}")
    total_contrib = int(conn.execute(text("SELECT coalesce(sum(contribution_fen), 0) FROM orders")).scalar_one())
    stats_contrib = int(conn.execute(text("SELECT coalesce(sum(contributions_fen), 0) FROM daily_stats")).scalar_one())
    if total_contrib != stats_contrib:
        diffs.append(f"contributions: daily_stats {stats_contrib} vs orders {total_contrib}")
    return diffs


def _cashier_daily_differences(conn: Connection, day: Callable[[str, Any], dt.date]) -> list[str]:
    """cashier_daily per cashier and store-local day: payouts by the paid entry's cashier, money kept by the source
    order's cashier, entries made by their cashier; contributions per cashier in all (counted on the day an order
    settles, and reversed on the day of a refund, so their days are not the order's)."""
    want: dict[tuple[str, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    sources = (
        (
            0,
            "SELECT e.cashier_id, e.store_id, a.at, a.amount_fen FROM allocations a "
            "JOIN entries e ON e.seq = a.entry_seq",
        ),
        (
            1,
            "SELECT o.cashier_id, o.store_id, u.at, u.amount_fen FROM unallocated u "
            "JOIN orders o ON o.order_id = u.order_id",
        ),
        (2, "SELECT cashier_id, store_id, created_at, 1 FROM entries"),
    )
    for i, sql in sources:
        for cashier, store, at, amount in conn.execute(text(sql)):
            want[(cashier, day(store, at))][i] += int(amount)
    kept = {
        (r[0], r[1] if isinstance(r[1], dt.date) else dt.date.fromisoformat(r[1])): [int(x) for x in r[2:]]
        for r in conn.execute(text("SELECT cashier_id, day, payouts_fen, kept_fen, entries_created FROM cashier_daily"))
    }
    diffs = [
        f"cashier_daily {key}: kept (payouts, kept, created) {kept.get(key)} vs ledgers {want.get(key)}"
        for key in set(want) | set(kept)
        if kept.get(key, [0, 0, 0]) != want.get(key, [0, 0, 0])
    ]
    contributions = {
        c: int(v)
        for c, v in conn.execute(text("SELECT cashier_id, sum(contribution_fen) FROM orders GROUP BY cashier_id"))
    }
    counted = {
        c: int(v)
        for c, v in conn.execute(
            text("SELECT cashier_id, sum(contributions_fen) FROM cashier_daily GROUP BY cashier_id")
        )
    }
    for cashier in set(contributions) | set(counted):
        if contributions.get(cashier, 0) != counted.get(cashier, 0):
            diffs.append(
                f"cashier_daily {cashier}: contributions {counted.get(cashier)} vs orders {contributions.get(cashier)}"
            )
    return diffs
