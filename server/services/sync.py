"""Push of a terminal's outbox events (docs/sync-protocol.md): each exactly once, in one transaction with its effect.

Every event is logged in `event_log` in the same transaction as what it did (through `Ingest.apply(within=...)`),
together with the answer given, so a resend gets the original answer and a crash between the two cannot happen.
The terminal row is locked in that transaction and `applied_through` advances by exactly one, so two concurrent
pushes of one terminal cannot apply its events out of order or twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import DBAPIError

from shared.engine.commands import PayOrder
from shared.engine.engine import Outcome
from shared.engine.model import Entry, queue_key
from shared.errors import Code, RuleError
from shared.settings import BaseSettings
from shared.wire import (
    EntryInfo,
    EventResult,
    OrderCompleted,
    OrderPaid,
    OrderRefunded,
    OutboxEvent,
    PushRequest,
    PushResponse,
)

from ..clock import Clock
from ..db import tables as t
from ..db.database import Database, UnitOfWork
from ..security.keys import KeyRing
from ..security.member_codes import MEMBER_PAGE_TTL, issue_member_page_token
from . import members, terminals
from .ingest import Ingest, is_retryable
from .parking import Parking, park_command, server_time
from .positions import Placed, positions

EL = t.EventLog
T = t.Terminal
R = TypeVar("R")


class AlreadyLogged(Exception):
    """The event was logged by a concurrent request: answer from the log."""


class SeqTaken(Exception):
    """The terminal's next seq moved under us (a concurrent push of the same terminal)."""

    def __init__(self, through: int) -> None:
        super().__init__(through)
        self.through = through


def body_hash(event: OutboxEvent) -> str:
    canonical = json.dumps(event.body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(conn: Connection, *, terminal_id: str, event: OutboxEvent) -> None:
    """Lock the terminal row and check that this event is new and next in its sequence."""
    stmt = select(T.applied_through).where(T.terminal_id == terminal_id)
    if conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    through = int(conn.execute(stmt).scalar_one())
    if conn.execute(select(EL.event_id).where(EL.event_id == str(event.event_id))).first() is not None:
        raise AlreadyLogged()
    if event.seq != through + 1:
        raise SeqTaken(through)


def log_event(
    conn: Connection, *, terminal_id: str, event: OutboxEvent, digest: str, answer: EventResult, at: dt.datetime
) -> None:
    conn.execute(
        insert(EL).values(
            event_id=str(event.event_id), terminal_id=terminal_id, terminal_seq=event.seq, kind=event.body.type,
            body_hash=digest, status=answer.status, response_json=answer.model_dump_json(), received_at=at,
        )
    )
    conn.execute(update(T).where(T.terminal_id == terminal_id).values(applied_through=event.seq))


def entry_info(conn: Connection, base: BaseSettings, entry: Entry) -> EntryInfo:
    placed = Placed(entry.seq, entry.cashier_id, entry.order_completed, entry.eligible)
    return EntryInfo(
        seq=entry.seq, queue=queue_key(entry.cashier_id, base.all_cashiers_queue),
        position=positions(conn, base, [placed])[entry.seq], entitlement_fen=entry.entitlement_fen,
        paid_fen=entry.paid_fen, status=entry.status.value, lottery_state=entry.lottery_state.value,
    )


@dataclass(frozen=True, slots=True)
class Known:
    """What one short read found before applying an event."""

    logged: Any | None  # the event_log row
    through: int
    member_id: str | None  # order_paid: the member id resolved through aliases
    member_known: bool
    order_store: str | None  # the store of the order the event names, when the server has it


class PushService:
    def __init__(
        self, *, db: Database, ingest: Ingest, keys: KeyRing, clock: Clock,
        member_page_ttl: dt.timedelta = MEMBER_PAGE_TTL,
    ) -> None:
        self.db = db
        self.ingest = ingest
        self.keys = keys
        self.clock = clock
        self.member_page_ttl = member_page_ttl
        self.parking = Parking(db=db, ingest=ingest, answer=self._answer)

    # ------------------------------------------------------------------ the batch

    def push(self, *, terminal: terminals.TerminalPrincipal, request: PushRequest) -> PushResponse:
        results: list[EventResult] = []
        with self.db.connect() as conn:
            through = int(conn.execute(select(T.applied_through).where(T.terminal_id == terminal.terminal_id))
                          .scalar_one())
        events = request.events
        if events and events[0].seq > through + 1:
            results = [EventResult(event_id=e.event_id, seq=e.seq, status="not_applied") for e in events]
            return PushResponse(results=results, applied_through=through, resend_from=through + 1)
        for event in events:
            result = self._one(terminal, event)
            results.append(result)
        with self.db.connect() as conn:
            terminals.touch(conn, terminal_id=terminal.terminal_id, now=self.clock.now(), backlog=request.backlog)
            through = int(conn.execute(select(T.applied_through).where(T.terminal_id == terminal.terminal_id))
                          .scalar_one())
        return PushResponse(results=results, applied_through=through)

    def _one(self, terminal: terminals.TerminalPrincipal, event: OutboxEvent) -> EventResult:
        digest = body_hash(event)
        known = self._look(terminal, event)
        if known.logged is not None:
            return self._repeat(terminal, event, digest, known)
        if event.seq <= known.through:  # this seq was used by another event
            return self._refusal(event, Code.CONFLICTING_DUPLICATE, f"seq {event.seq} was used by another event")
        if event.seq > known.through + 1:
            return EventResult(event_id=event.event_id, seq=event.seq, status="not_applied")
        try:
            return self._apply(terminal, event, digest, known)
        except AlreadyLogged:
            return self._repeat(terminal, event, digest, self._look(terminal, event))
        except SeqTaken as exc:
            if event.seq <= exc.through:
                return self._refusal(event, Code.CONFLICTING_DUPLICATE, f"seq {event.seq} was used by another event")
            return EventResult(event_id=event.event_id, seq=event.seq, status="not_applied")

    def _look(self, terminal: terminals.TerminalPrincipal, event: OutboxEvent) -> Known:
        body = event.body
        with self.db.connect() as conn:
            logged = conn.execute(select(EL).where(EL.event_id == str(event.event_id))).first()
            through = int(conn.execute(select(T.applied_through).where(T.terminal_id == terminal.terminal_id))
                          .scalar_one())
            member_id, member_known, order_store = None, True, None
            if logged is None and isinstance(body, OrderPaid) and body.member_id:
                member_id = members.resolve(conn, body.member_id)
                member_known = member_id is not None
            if logged is None and not isinstance(body, OrderPaid) and hasattr(body, "order_id"):
                order_store = conn.execute(
                    select(t.OrderRow.store_id).where(t.OrderRow.order_id == str(body.order_id))
                ).scalar()
        return Known(logged, through, member_id, member_known, order_store)

    # ------------------------------------------------------------------ answers

    def _refusal(self, event: OutboxEvent, code: str, detail: str = "") -> EventResult:
        order_id = getattr(event.body, "order_id", None)
        return EventResult(event_id=event.event_id, seq=event.seq, status="refused", code=str(code), detail=detail,
                           order_id=order_id)

    def _repeat(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, known: Known
    ) -> EventResult:
        row = known.logged
        if row is None:
            return EventResult(event_id=event.event_id, seq=event.seq, status="not_applied")
        if row.terminal_id != terminal.terminal_id or row.body_hash != digest:
            if row.terminal_id == terminal.terminal_id and event.seq == known.through + 1:
                self._skip(terminal, event)  # the terminal gave this seq to a changed copy: move past it
            return self._refusal(event, Code.CONFLICTING_DUPLICATE, "this event_id was sent before with another body")
        stored = EventResult.model_validate_json(row.response_json)
        status = "duplicate" if stored.status in ("accepted", "duplicate") else stored.status
        return stored.model_copy(update={"status": status, "seq": event.seq})

    def _skip(self, terminal: terminals.TerminalPrincipal, event: OutboxEvent) -> None:
        with self.db.connect() as conn:
            conn.execute(update(T).where(T.terminal_id == terminal.terminal_id, T.applied_through == event.seq - 1)
                         .values(applied_through=event.seq))

    def _answer(self, uow: UnitOfWork, event: OutboxEvent, outcome: Outcome, member_id: str | None) -> EventResult:
        base = uow.repo.base_settings()
        entry = entry_info(uow.conn, base, outcome.entry) if outcome.entry is not None else None
        token = None
        if isinstance(event.body, OrderPaid) and member_id:
            token = issue_member_page_token(self.keys, member_id, self.clock.now(), ttl=self.member_page_ttl)
        return EventResult(
            event_id=event.event_id, seq=event.seq, status=outcome.status, order_id=event.body.order_id,
            member_id=member_id, entry=entry, member_page_token=token,
        )

    # ------------------------------------------------------------------ applying

    def _apply(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, known: Known
    ) -> EventResult:
        body = event.body
        received = self.clock.now()
        if body.type == "member_registered":
            return self._register(terminal, event, digest, received)
        if isinstance(body, OrderPaid):
            if not known.member_known:
                return self._refuse(terminal, event, digest, Code.UNKNOWN_MEMBER, f"no member {body.member_id}")
            command: Any = PayOrder(
                order_id=str(body.order_id), store_id=terminal.store_id, cashier_id=body.cashier_id,
                member_id=known.member_id, paid_fen=body.paid_fen, paid_at=body.paid_at, received_at=received,
                terminal_id=terminal.terminal_id, total_fen=body.total_fen, discount_fen=body.discount_fen,
                deduction_points_fen=body.deduction_points_fen, deduction_love_fen=body.deduction_love_fen,
                completed=body.completed,
            )
        else:
            if known.order_store is not None and known.order_store != terminal.store_id:
                return self._refuse(terminal, event, digest, Code.UNKNOWN_ORDER, f"no order {body.order_id} here")
            command = park_command(body, received)
        answer: list[EventResult] = []

        def within(uow: UnitOfWork, outcome: Outcome) -> None:
            claim(uow.conn, terminal_id=terminal.terminal_id, event=event)
            if isinstance(body, OrderPaid):
                store = uow.conn.execute(
                    select(t.OrderRow.store_id).where(t.OrderRow.order_id == str(body.order_id))
                ).scalar_one()
                if store != terminal.store_id:  # the same order id was sold in another store
                    raise RuleError(Code.CONFLICTING_DUPLICATE, f"order {body.order_id} exists in another store")
                if outcome.status == "accepted":
                    uow.conn.execute(
                        update(t.OrderRow).where(t.OrderRow.order_id == str(body.order_id)).values(
                            tender=body.tender,
                            lines_json=json.dumps([x.model_dump() for x in body.lines], ensure_ascii=False)
                            if body.lines else None,
                        )
                    )
            result = self._answer(uow, event, outcome, known.member_id)
            log_event(uow.conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result,
                      at=received)
            answer.append(result)

        try:
            self.ingest.apply(command, within=within)
        except RuleError as exc:
            if (
                exc.code == Code.UNKNOWN_ORDER
                and isinstance(body, OrderCompleted | OrderRefunded)
                and known.order_store is None
            ):
                return self._park(terminal, event, digest, received)
            return self._refuse(terminal, event, digest, exc.code, exc.detail)
        if isinstance(body, OrderPaid):
            self.parking.drain(str(body.order_id))
        return answer[0]

    def _transaction(self, work: Callable[[Connection], R]) -> R:
        """One short transaction, retried like Ingest when it loses a race."""
        for attempt in range(self.ingest.attempts):
            try:
                with self.db.connect() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if attempt + 1 >= self.ingest.attempts or not is_retryable(exc):
                    raise
                time.sleep(0.002 * 2**attempt)
        raise AssertionError("unreachable")

    def _refuse(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, code: str, detail: str
    ) -> EventResult:
        """A refused event is logged in its own transaction: it will never apply, and a resend says so again."""
        result = self._refusal(event, code, detail)

        def work(conn: Connection) -> EventResult:
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result,
                      at=self.clock.now())
            return result

        return self._transaction(work)

    def _register(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, received: dt.datetime
    ) -> EventResult:
        body = event.body
        assert body.type == "member_registered"

        def work(conn: Connection) -> EventResult:
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            registered = members.register(
                conn, member_id=body.member_id, phone=body.phone, store_id=terminal.store_id,
                at=server_time(body.registered_at, received),
            )
            result = EventResult(event_id=event.event_id, seq=event.seq, status="accepted",
                                 member_id=registered.member_id)
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=received)
            return result

        try:
            return self._transaction(work)
        except RuleError as exc:
            return self._refuse(terminal, event, digest, exc.code, exc.detail)

    def _park(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, received: dt.datetime
    ) -> EventResult:
        body = event.body
        assert isinstance(body, OrderCompleted | OrderRefunded)
        result = EventResult(event_id=event.event_id, seq=event.seq, status="parked", order_id=body.order_id)

        def work(conn: Connection) -> EventResult:
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            self.parking.park(conn, terminal_id=terminal.terminal_id, event=event, received=received)
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=received)
            return result

        answer = self._transaction(work)
        # The order may have been committed between the engine's refusal and the parking: apply at once then.
        self.parking.drain(str(body.order_id))
        return answer
