"""The cash drawer opened without a sale: a manager's decision, recorded here and sent to the server."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import insert

from shared.wire import DrawerOpened

from .clock import Clock, iso
from .db import UnitOfWork, drawer_openings
from .outbox import append_event
from .shifts import open_shift
from .staff import authorize_manager


@dataclass(frozen=True)
class DrawerOpening:
    drawer_id: uuid.UUID
    opened_at: dt.datetime
    employee_id: str | None
    seq: int


def record_drawer_opening(*, uow: UnitOfWork, manager_pin: str, reason: str, clock: Clock) -> DrawerOpening:
    """Check the manager's PIN, record the opening and its `drawer_opened` event in one transaction (committed)."""
    conn = uow.conn
    now = clock()
    employee_id = authorize_manager(uow=uow, pin=manager_pin, now=now)
    body = DrawerOpened(drawer_id=uuid.uuid4(), opened_at=now, employee_id=employee_id, reason=reason.strip()[:200])
    conn.execute(
        insert(drawer_openings).values(
            drawer_id=str(body.drawer_id),
            shift_id=open_shift(conn, now=now),
            opened_at=iso(now),
            employee_id=employee_id,
            reason=body.reason,
        )
    )
    appended = append_event(conn, body, now=now)
    uow.commit()
    return DrawerOpening(body.drawer_id, now, employee_id, appended.seq)
