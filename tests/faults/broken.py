"""Deliberately broken variants of the server, for the negative controls of the fault suite. Test-only."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, select

from server.db import repository
from server.services import terminals
from server.services.sync import PushService
from shared.engine.commands import PayOrder
from shared.wire import EventResult, OrderPaid, OutboxEvent


class AppliesResendsAgain(PushService):
    """BROKEN: a resent sale is applied once more, as a new order, instead of being answered from the log."""

    def _repeat(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, row: Any, view: Any
    ) -> EventResult:
        body = event.body
        if isinstance(body, OrderPaid) and row is not None:
            self.ingest.apply(
                PayOrder(
                    order_id=str(uuid.uuid4()),
                    store_id=terminal.store_id,
                    cashier_id=body.cashier_id,
                    member_id=body.member_id,
                    paid_fen=body.paid_fen,
                    paid_at=body.paid_at,
                    received_at=self.clock.now(),
                    terminal_id=terminal.terminal_id,
                    total_fen=body.total_fen,
                    completed=body.completed,
                )
            )
        return super()._repeat(terminal, event, digest, row, view)


@contextmanager
def without_queue_lock() -> Iterator[None]:
    """BROKEN: the repository reads the queue row without locking it, so allocations to one queue race.

    The repository takes the lock with `_LOCK_QUEUE` (an UPDATE ... RETURNING, which locks the row like
    SELECT ... FOR UPDATE); this swaps in a plain SELECT of the same columns. If the repository changes how it
    locks, this fails loudly rather than testing nothing."""
    if not hasattr(repository, "_LOCK_QUEUE"):
        raise AssertionError("server.db.repository no longer has _LOCK_QUEUE: update this negative control")
    original = repository._LOCK_QUEUE
    queues = repository.Q
    repository._LOCK_QUEUE = select(queues.c.head_seq, queues.c.carry_fen).where(queues.c.key == bindparam("b_key"))
    try:
        yield
    finally:
        repository._LOCK_QUEUE = original


@contextmanager
def no_clock_clamp() -> Iterator[None]:
    """BROKEN: the server believes any till clock (no 5-minute tolerance, no clock_skew flag)."""
    from shared.engine import engine

    original = engine.CLOCK_SKEW_TOLERANCE
    engine.CLOCK_SKEW_TOLERANCE = dt.timedelta(days=36_500)
    try:
        yield
    finally:
        engine.CLOCK_SKEW_TOLERANCE = original


@contextmanager
def queue_by_till_clock() -> Iterator[None]:
    """BROKEN: entries are numbered by the till's sale time instead of by arrival, so a till whose clock is set
    back puts its customers ahead of those already waiting."""
    from shared.engine.engine import Engine

    original = Engine._new_entry

    def by_clock(self: Engine, order: Any, *args: Any, **kwargs: Any) -> Any:
        entry = original(self, order, *args, **kwargs)
        if entry is not None:
            entry.seq = int(order.paid_at.timestamp() * 1_000_000)
        return entry

    Engine._new_entry = by_clock  # type: ignore[method-assign]
    try:
        yield
    finally:
        Engine._new_entry = original  # type: ignore[method-assign]
