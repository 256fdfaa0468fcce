"""Parked events (spec §15): a completion or refund that names an order the server has not seen yet.

It is kept in `parked_events` and applied through Ingest right after its order arrives; its place in ingestion
is the moment it is applied. Its `event_log` row then carries the answer of that application, so a resend of the
event is answered with what finally happened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from shared.engine.commands import CompleteOrder, RefundOrder
from shared.engine.engine import CLOCK_SKEW_TOLERANCE, Outcome
from shared.errors import Code, RuleError
from shared.ids import OrderId
from shared.wire import EventResult, OrderCompleted, OrderRefunded, OutboxEvent

from ..db import tables as t
from ..db.database import Database
from ..db.unit_of_work import UnitOfWork
from .ingest import Ingest

P = t.ParkedEvent
EL = t.EventLog

Answer = Callable[[UnitOfWork, OutboxEvent, Outcome, str | None], EventResult]


ORDER_LOCK_NAMESPACE = 7_271_002  # pg_advisory_xact_lock(namespace, hash of an order id)
_ORDER_LOCK = select(func.pg_advisory_xact_lock(bindparam("ns"), bindparam("key")))


def lock_order_id(conn: Connection, order_id: str) -> None:
    """Serialise a sale with the parking of events for the same order (PostgreSQL; SQLite has one writer).

    Without it a refund could be parked just after the sale's transaction looked for parked events and just
    before the parking transaction looked for the sale: neither would apply it.
    """
    if conn.dialect.name == "sqlite":
        return
    conn.execute(_ORDER_LOCK, {"ns": ORDER_LOCK_NAMESPACE, "key": _order_key(order_id)})


_ORDER_LOCKS = text("SELECT pg_advisory_xact_lock(:ns, k) FROM unnest(CAST(:keys AS integer[])) AS k")


def _order_key(order_id: str) -> int:
    return int.from_bytes(hashlib.sha256(order_id.encode()).digest()[:4], "big", signed=True)


def lock_order_ids(conn: Connection, order_ids: Iterable[str]) -> None:
    """`lock_order_id` of several orders in one statement, in one order (so that two groups never wait in a circle)."""
    if conn.dialect.name == "sqlite":
        return
    keys = sorted({_order_key(o) for o in order_ids})
    if keys:
        conn.execute(_ORDER_LOCKS, {"ns": ORDER_LOCK_NAMESPACE, "keys": keys})


def parked_for(conn: Connection, order_ids: Iterable[str]) -> set[str]:
    """Which of these orders have events parked (after `lock_order_ids`)."""
    wanted = sorted(set(order_ids))
    if not wanted:
        return set()
    return set(conn.execute(select(P.order_id).where(P.order_id.in_(wanted)).distinct()).scalars())


class AlreadyDrained(Exception):
    """Another request applied this parked event first."""


def server_time(at: dt.datetime, received: dt.datetime) -> dt.datetime:
    """A terminal time more than 5 minutes ahead of the server clock is replaced by the server clock (§15)."""
    return received if at > received + CLOCK_SKEW_TOLERANCE else at


def park_command(body: Any, received: dt.datetime) -> CompleteOrder | RefundOrder:
    """The engine command of a completion or refund; a terminal time > 5 min ahead is replaced by the server's."""
    if isinstance(body, OrderCompleted):
        return CompleteOrder(order_id=OrderId(str(body.order_id)), at=server_time(body.completed_at, received))
    if isinstance(body, OrderRefunded):
        return RefundOrder(
            order_id=OrderId(str(body.order_id)),
            refund_id=str(body.refund_id),
            amount_fen=body.amount_fen,
            at=server_time(body.refunded_at, received),
        )
    raise RuleError(Code.INVALID_EVENT, f"{body.type} is not parked")


class Parking:
    def __init__(self, *, db: Database, ingest: Ingest, answer: Answer) -> None:
        self.db = db
        self.ingest = ingest
        self.answer = answer

    def park(self, conn: Connection, *, terminal_id: str, event: OutboxEvent, received: dt.datetime) -> None:
        body = event.body
        assert isinstance(body, OrderCompleted | OrderRefunded)
        lock_order_id(conn, str(body.order_id))
        conn.execute(
            insert(P).values(
                event_id=str(event.event_id),
                terminal_id=terminal_id,
                order_id=str(body.order_id),
                body_json=event.model_dump_json(),
                parked_at=received,
            )
        )

    def drain(self, order_id: str) -> int:
        """Apply every event parked for `order_id`, oldest first; returns how many this call applied."""
        with self.db.connect() as conn:
            order_store = conn.execute(select(t.OrderRow.store_id).where(t.OrderRow.order_id == order_id)).scalar()
            if order_store is None:
                return 0
            rows = conn.execute(
                select(P.id, P.event_id, P.body_json, P.parked_at, t.Terminal.store_id)
                .join(t.Terminal, t.Terminal.terminal_id == P.terminal_id, isouter=True)
                .where(P.order_id == order_id)
                .order_by(P.id)
            ).all()
        applied = 0
        for row in rows:
            event = OutboxEvent.model_validate_json(row.body_json)
            if row.store_id != order_store:
                self._finish_refused(row.id, event, Code.UNKNOWN_ORDER, f"no order {order_id} in this store")
                continue

            def within(uow: UnitOfWork, outcome: Outcome, row: Any = row, event: OutboxEvent = event) -> None:
                if uow.conn.execute(delete(P).where(P.id == row.id)).rowcount != 1:
                    raise AlreadyDrained()
                result = self.answer(uow, event, outcome, None)
                uow.conn.execute(
                    update(EL)
                    .where(EL.event_id == row.event_id)
                    .values(status=result.status, response_json=result.model_dump_json())
                )

            try:
                self.ingest.apply_within(park_command(event.body, row.parked_at), within)
                applied += 1
            except AlreadyDrained:
                continue
            except RuleError as exc:
                self._finish_refused(row.id, event, exc.code, exc.detail)
        return applied

    def _finish_refused(self, parked_id: int, event: OutboxEvent, code: str, detail: str) -> None:
        result = EventResult(
            event_id=event.event_id,
            seq=event.seq,
            status="refused",
            code=str(code),
            detail=detail,
            order_id=getattr(event.body, "order_id", None),
        )
        with self.db.connect() as conn:
            if conn.execute(delete(P).where(P.id == parked_id)).rowcount == 1:
                conn.execute(
                    update(EL)
                    .where(EL.event_id == str(event.event_id))
                    .values(status="refused", response_json=result.model_dump_json())
                )

    @staticmethod
    def waiting(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(P)).scalar_one())
