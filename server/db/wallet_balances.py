"""The wallet's running balances (`wallets`) and its ledger rows, written in the caller's transaction.

Every change of a member's rebate balance, points or vouchers is one append-only ledger row (`rebate_ledger`,
`points_ledger`, `voucher_ledger`) with a kind and a reference, and the same transaction adds it to the member's
`wallets` row, so nothing sums history on the hot path. The queue's engine writes through `WalletDeltas` (gathered
in memory, flushed in member order at commit: two settlements lock wallet rows in the same order); the wallet's
own services (holds, refunds, withdrawals, transfers) write through `adjust` at once, under the row's lock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.dialects import postgresql, sqlite

from . import tables as t

COLUMNS = ("rebate_fen", "rebate_held_fen", "points", "points_held", "voucher_fen", "withdrawn_fen")


def _upsert(dialect: Any) -> Any:
    w = t.Wallet.__table__
    stmt = dialect.insert(w)
    return stmt.on_conflict_do_update(
        index_elements=["member_id"], set_={c: w.c[c] + stmt.excluded[c] for c in (*COLUMNS, "version")}
    )


_UPSERTS = {"sqlite": _upsert(sqlite), "postgresql": _upsert(postgresql)}
_INSERT_REBATE = insert(t.RebateLedger)
_INSERT_POINTS = insert(t.PointsLedger)
_INSERT_VOUCHER = insert(t.VoucherLedger)


def adjust(conn: Connection, member_id: str, **deltas: int) -> None:
    """Add `deltas` (column name -> signed amount) to the member's wallet row, creating it at zero if needed."""
    values = {c: deltas.pop(c, 0) for c in COLUMNS}
    if deltas:
        raise TypeError(f"not a wallet column: {sorted(deltas)}")
    conn.execute(_UPSERTS[conn.dialect.name], {"member_id": member_id, **values, "version": 1})


def rebate_row(conn: Connection, member_id: str, amount_fen: int, kind: str, ref: str, at: dt.datetime) -> None:
    conn.execute(_INSERT_REBATE, {"member_id": member_id, "amount_fen": amount_fen, "kind": kind, "ref": ref, "at": at})


def points_row(conn: Connection, member_id: str, points: int, kind: str, ref: str, at: dt.datetime) -> None:
    conn.execute(_INSERT_POINTS, {"member_id": member_id, "points": points, "kind": kind, "ref": ref, "at": at})


def voucher_row(
    conn: Connection, voucher_id: int, member_id: str, amount_fen: int, kind: str, ref: str, at: dt.datetime
) -> None:
    conn.execute(
        _INSERT_VOUCHER,
        {
            "voucher_id": voucher_id,
            "member_id": member_id,
            "amount_fen": amount_fen,
            "kind": kind,
            "ref": ref,
            "at": at,
        },
    )


class WalletDeltas:
    """What one unit of work of the engine changed in members' wallets, written at flush in member order."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._delta: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))

    def add(self, member_id: str, column: str, amount: int) -> None:
        self._delta[member_id][column] += amount

    def mark(self) -> dict[str, dict[str, int]]:
        """A copy of the deltas, for `restore` after a rollback to a savepoint (a group's refused event)."""
        return {member_id: dict(values) for member_id, values in self._delta.items()}

    def restore(self, mark: dict[str, dict[str, int]]) -> None:
        self._delta.clear()
        self._delta.update({member_id: dict(values) for member_id, values in mark.items()})

    def flush(self) -> None:
        for member_id, values in sorted(self._delta.items()):
            if any(values.values()):
                adjust(self.conn, member_id, **values)
        self._delta.clear()
