"""The counter's records that the rules never read (issue 14): cash drawer openings without a sale and, later, Z
reports. Each is written once, in the transaction that logs its event; a copy sent again changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from shared.wire import DrawerOpened

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
