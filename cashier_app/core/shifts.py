"""Shifts: every sale and refund belongs to the open shift; the Z report closes it and opens the next."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, select, update

from .clock import iso
from .db import shifts


def open_shift(conn: Connection, *, now: dt.datetime) -> int:
    """The open shift's id, opening one when there is none (inside the caller's write transaction)."""
    row = conn.execute(
        select(shifts.c.shift_id).where(shifts.c.closed_at.is_(None)).order_by(shifts.c.shift_id.desc())
    ).first()
    if row is not None:
        return int(row[0])
    return int(conn.execute(insert(shifts).values(opened_at=iso(now)).returning(shifts.c.shift_id)).scalar_one())


def close_shift(conn: Connection, shift_id: int, *, now: dt.datetime) -> None:
    conn.execute(update(shifts).where(shifts.c.shift_id == shift_id).values(closed_at=iso(now)))
