"""The outbox: events appended in the transaction of their cause, numbered per terminal without gaps."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Connection, Row, func, insert, or_, select

from shared.wire import EventBody, OutboxEvent

from .clock import iso
from .db import orders, outbox

_body_adapter: TypeAdapter[EventBody] = TypeAdapter(EventBody)


@dataclass(frozen=True)
class Appended:
    seq: int
    event_id: uuid.UUID


def append_event(conn: Connection, body: EventBody, *, now: dt.datetime) -> Appended:
    """Give the event the next seq; the caller's transaction (BEGIN IMMEDIATE) keeps seq gapless and unique."""
    seq = conn.execute(select(func.coalesce(func.max(outbox.c.seq), 0) + 1)).scalar_one()
    event_id = uuid.uuid4()
    conn.execute(
        insert(outbox).values(
            seq=seq,
            event_id=str(event_id),
            created_at=iso(now),
            kind=body.type,
            body=body.model_dump_json(),
            state="pending",
        )
    )
    return Appended(seq, event_id)


def load_event(row: Row[*tuple[Any, ...]]) -> OutboxEvent:
    """An outbox row (seq, event_id, created_at, body) as the wire event."""
    return OutboxEvent(
        event_id=uuid.UUID(row.event_id),
        seq=row.seq,
        created_at=dt.datetime.fromisoformat(row.created_at),
        body=_body_adapter.validate_json(row.body),
    )


def pending_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.state == "pending")).scalar_one()


def to_confirm() -> ColumnElement[bool]:
    """A refund of a sale this till did not make, that the server has not confirmed yet: sent or not, or parked
    (the server does not know the order: a mistyped order id stays parked for ever). Listed until it is answered."""
    return (
        (outbox.c.kind == "order_refunded")
        & outbox.c.state.in_(("pending", "parked"))
        & func.json_extract(outbox.c.body, "$.order_id").not_in(select(orders.c.order_id).scalar_subquery())
    )


def attention_filter() -> ColumnElement[bool]:
    """Events the server refused, and refunds it has still to confirm (`to_confirm`): the F7 list."""
    return or_(outbox.c.state == "refused", to_confirm())


def attention_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(outbox).where(attention_filter())).scalar_one()
