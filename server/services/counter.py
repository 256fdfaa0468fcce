"""The counter's records that the rules never read (issue 14): cash drawer openings without a sale and, later, Z
reports. Each is written once, in the transaction that logs its event; a copy sent again changes nothing."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from shared.wire import DrawerOpened, OrderRefunded, ShiftClosed

from ..db import tables as t


def _insert_ignore(conn: Connection, table: type[t.Base], values: dict[str, object], key: str) -> None:
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=[key]))


def record_drawer(
    conn: Connection, *, store_id: str, terminal_id: str, body: DrawerOpened, received: dt.datetime
) -> None:
    _insert_ignore(
        conn,
        t.DrawerOpening,
        {
            "drawer_id": str(body.drawer_id),
            "store_id": store_id,
            "terminal_id": terminal_id,
            "employee_id": body.employee_id,
            "opened_at": body.opened_at,
            "received_at": received,
            "reason": body.reason,
        },
        "drawer_id",
    )


def record_z(conn: Connection, *, store_id: str, terminal_id: str, body: ShiftClosed, received: dt.datetime) -> None:
    """A Z report, once: the same `z_id` again (or the same till's shift number) changes nothing."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    values = {
        "z_id": str(body.z_id),
        "store_id": store_id,
        "terminal_id": terminal_id,
        "shift_no": body.shift_no,
        "employee_id": body.employee_id,
        "opened_at": body.opened_at,
        "closed_at": body.closed_at,
        "received_at": received,
        "sales_count": body.sales_count,
        "paid_fen": body.paid_fen,
        "refunds_fen": body.refunds_fen,
        "opening_float_fen": body.opening_float_fen,
        "cash_expected_fen": body.cash_expected_fen,
        "cash_counted_fen": body.cash_counted_fen,
        "drawer_openings": body.drawer_openings,
        "tenders_json": json.dumps([x.model_dump() for x in body.tenders]),
    }
    conn.execute(dialect.insert(t.ZReport).values(**values).on_conflict_do_nothing())


def record_refund_employee(conn: Connection, body: OrderRefunded) -> None:
    """Who gave the refund, when the till says (kept with the event, whether the refund applies now or parked)."""
    if body.employee_id is not None:
        _insert_ignore(
            conn, t.RefundEmployee, {"refund_id": str(body.refund_id), "employee_id": body.employee_id}, "refund_id"
        )
