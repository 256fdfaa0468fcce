"""The counter's records that the rules never read (issue 14): cash drawer openings without a sale, Z reports, who gave
a refund — each written once, in the transaction that logs its event; a copy sent again changes nothing — and the
counter report: a store's takings by checkout point, by till and by employee."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select
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


def record(
    conn: Connection, *, store_id: str, terminal_id: str, body: DrawerOpened | ShiftClosed, received: dt.datetime
) -> None:
    """A counter record that the rules do not rule on, stored once with its event's log row (both push paths)."""
    if isinstance(body, DrawerOpened):
        record_drawer(conn, store_id=store_id, terminal_id=terminal_id, body=body, received=received)
    else:
        record_z(conn, store_id=store_id, terminal_id=terminal_id, body=body, received=received)


def record_refund_employee(conn: Connection, body: OrderRefunded) -> None:
    """Who gave the refund, when the till says (kept with the event, whether the refund applies now or parked)."""
    if body.employee_id is not None:
        _insert_ignore(
            conn, t.RefundEmployee, {"refund_id": str(body.refund_id), "employee_id": body.employee_id}, "refund_id"
        )


# ------------------------------------------------------------------------------------------ the counter report


@dataclass(frozen=True)
class CounterLine:
    key: str  # checkout point (cashier id), terminal id or employee id; "" when the sale did not say
    name: str
    sales_count: int
    paid_fen: int
    refunded_fen: int  # of those sales, given back since (any refund, whoever gave it)
    refunds_given_fen: int = 0  # by employee: refunds this manager allowed in the period


@dataclass(frozen=True)
class ZLine:
    terminal: str
    shift_no: int
    closed_at: dt.datetime
    employee: str
    paid_fen: int
    cash_expected_fen: int
    cash_counted_fen: int

    @property
    def over_short_fen(self) -> int:
        return self.cash_counted_fen - self.cash_expected_fen


@dataclass(frozen=True)
class CounterReport:
    by_point: list[CounterLine]
    by_till: list[CounterLine]
    by_employee: list[CounterLine]
    z_reports: list[ZLine]
    drawer_openings: int


def counter_report(conn: Connection, *, store_id: str, start: dt.datetime, end: dt.datetime) -> CounterReport:
    """A store's takings in [start, end) by checkout point, by till and by employee, as the server recorded them
    (the order's cashier_id, terminal_id and employee_id), with the tills' Z reports and drawer openings."""
    o = t.OrderRow
    in_range = (o.store_id == store_id, o.paid_at >= start, o.paid_at < end)

    def named(key: Any, name: Any, where: Any) -> dict[str, str]:
        return {str(k): str(v) for k, v in conn.execute(select(key, name).where(where))}

    points = named(t.Cashier.cashier_id, t.Cashier.name, t.Cashier.store_id == store_id)
    tills = named(t.Terminal.terminal_id, t.Terminal.name, t.Terminal.store_id == store_id)
    people = named(t.Employee.employee_id, t.Employee.name, t.Employee.store_id == store_id)

    def grouped(column: Any, names: dict[str, str]) -> list[CounterLine]:
        rows = conn.execute(
            select(column, func.count(), func.sum(o.paid_fen), func.sum(o.refunded_fen))
            .where(*in_range)
            .group_by(column)
            .order_by(column)
        ).all()
        return [
            CounterLine(key or "", names.get(key or "", key or ""), int(n), int(paid or 0), int(back or 0))
            for key, n, paid, back in rows
        ]

    by_employee = grouped(o.employee_id, people)
    given = {
        str(k): int(v or 0)
        for k, v in conn.execute(
            select(t.RefundEmployee.employee_id, func.sum(t.Refund.amount_fen))
            .join(t.Refund, t.Refund.refund_id == t.RefundEmployee.refund_id)
            .join(o, o.order_id == t.Refund.order_id)
            .where(o.store_id == store_id, t.Refund.at >= start, t.Refund.at < end)
            .group_by(t.RefundEmployee.employee_id)
        )
    }
    lines = {line.key: line for line in by_employee}
    for employee_id, fen in given.items():
        line = lines.get(employee_id) or CounterLine(employee_id, people.get(employee_id, employee_id), 0, 0, 0)
        lines[employee_id] = CounterLine(
            line.key, line.name, line.sales_count, line.paid_fen, line.refunded_fen, int(fen or 0)
        )
    z = t.ZReport
    zs = conn.execute(
        select(z).where(z.store_id == store_id, z.closed_at >= start, z.closed_at < end).order_by(z.closed_at)
    ).all()
    openings = conn.execute(
        select(func.count())
        .select_from(t.DrawerOpening)
        .where(
            t.DrawerOpening.store_id == store_id, t.DrawerOpening.opened_at >= start, t.DrawerOpening.opened_at < end
        )
    ).scalar_one()
    return CounterReport(
        by_point=grouped(o.cashier_id, points),
        by_till=grouped(o.terminal_id, tills),
        by_employee=sorted(lines.values(), key=lambda line: line.key),
        z_reports=[
            ZLine(
                tills.get(r.terminal_id, r.terminal_id),
                r.shift_no,
                r.closed_at,
                people.get(r.employee_id or "", r.employee_id or ""),
                r.paid_fen,
                r.cash_expected_fen,
                r.cash_counted_fen,
            )
            for r in zs
        ],
        drawer_openings=int(openings),
    )
