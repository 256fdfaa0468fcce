"""What a replay (and the console's what-if simulation) reads back after the events: entries, payout lines, money
kept, balances and carries, in the shape of `shared.scenario.ReadModel`. Reads only; nothing is kept between calls."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, func, select

from shared.engine.model import Entry, EntryStatus, LotteryState, UnallocatedReason
from shared.engine.views import AllocationLine, MemberBalance, UnallocatedLine
from shared.settings import BaseSettings

from . import settings
from . import tables as t
from .settings import SettingsCache

E = t.EntryRow.__table__
_ENTRY_FIELDS = [f.name for f in fields(Entry) if f.name not in ("status", "lottery_state")]


def entry_from_row(row: Any) -> Entry:
    """An `Entry` from a row of `entries` (the dataclass and the table have the same columns)."""
    m = row._mapping
    return Entry(
        **{c: m[c] for c in _ENTRY_FIELDS},
        status=EntryStatus(m["status"]),
        lottery_state=LotteryState(m["lottery_state"]),
    )


class SqlReadModel:
    def __init__(self, conn: Connection, cache: SettingsCache | None) -> None:
        self.conn = conn
        self.cache = cache

    def base_settings(self) -> BaseSettings:
        return settings.base_settings(self.conn, self.cache)

    def entries(self) -> list[Entry]:
        return [entry_from_row(r) for r in self.conn.execute(select(E).order_by(E.c.seq))]

    def allocation_lines(self) -> list[AllocationLine]:
        a = t.Allocation
        rows = self.conn.execute(
            select(a.from_order, a.to_order, a.entry_seq, a.member_id, a.amount_fen, a.at).order_by(a.id)
        )
        return [AllocationLine(*row) for row in rows]

    def unallocated_lines(self) -> list[UnallocatedLine]:
        u = t.Unallocated
        rows = self.conn.execute(select(u.order_id, u.amount_fen, u.reason, u.queue_key, u.at).order_by(u.id))
        return [UnallocatedLine(o, amount, UnallocatedReason(r), key, at) for o, amount, r, key, at in rows]

    def balances(self) -> dict[str, MemberBalance]:
        out: dict[str, MemberBalance] = defaultdict(MemberBalance)
        r, p, v = t.RebateLedger, t.PointsLedger, t.Voucher
        for member, total in self.conn.execute(select(r.member_id, func.sum(r.amount_fen)).group_by(r.member_id)):
            out[member].rebate_fen = int(total)
        for member, total in self.conn.execute(select(p.member_id, func.sum(p.points)).group_by(p.member_id)):
            out[member].points = int(total)
        for member, total in self.conn.execute(
            select(v.member_id, func.sum(v.value_fen)).where(v.state == "issued").group_by(v.member_id)
        ):
            out[member].voucher_fen = int(total)
        w = t.Wallet
        for member, total in self.conn.execute(select(w.member_id, w.withdrawn_fen).where(w.withdrawn_fen != 0)):
            out[member].withdrawn_fen = int(total)
        return dict(out)

    def carries(self) -> dict[str, int]:
        q = t.Queue
        return {k: int(c) for k, c in self.conn.execute(select(q.key, q.carry_fen).where(q.carry_fen != 0))}
