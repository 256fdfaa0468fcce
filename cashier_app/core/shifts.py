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


def close_shift(conn: Connection, shift_id: int, *, now: dt.datetime, **facts: object) -> None:
    """Close the shift; `facts`: counted_cash_fen, expected_cash_fen, closed_by, z_id."""
    conn.execute(update(shifts).where(shifts.c.shift_id == shift_id).values(closed_at=iso(now), **facts))


def set_opening_float(conn: Connection, *, float_fen: int, now: dt.datetime, employee_id: str | None = None) -> int:
    """The cash put in the drawer at the start: opens the shift when none is open; the open shift's id."""
    shift_id = open_shift(conn, now=now)
    conn.execute(
        update(shifts).where(shifts.c.shift_id == shift_id).values(opening_float_fen=float_fen, opened_by=employee_id)
    )
    return shift_id
