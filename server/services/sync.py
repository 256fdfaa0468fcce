"""Push of a terminal's outbox events (docs/sync-protocol.md): each exactly once, in one transaction with its effect.

Every event is logged in `event_log` in the same transaction as what it did (through `Ingest.apply_within`),
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

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from shared.engine.commands import PayOrder
from shared.engine.engine import Outcome
from shared.engine.model import Entry, queue_key
from shared.errors import Code, RuleError
from shared.ids import CashierId, MemberId, OrderId
from shared.settings import BaseSettings
from shared.wire import (
    DrawerOpened,
    EntryInfo,
    EventResult,
    OrderCompleted,
    OrderPaid,
    OrderRefunded,
    OutboxEvent,
    PushRequest,
    PushResponse,
    ShiftClosed,
)

from ..clock import Clock
from ..db import tables as t
from ..db.database import Database
from ..db.unit_of_work import UnitOfWork
from ..security.keys import KeyRing
from ..security.member_codes import MEMBER_PAGE_TTL, issue_member_page_token
from . import counter, members, terminals
from .ingest import Ingest, is_retryable
from .parking import Parking, lock_order_id, park_command, server_time
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


EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
_THROUGH = select(T.applied_through).where(T.terminal_id == bindparam("tid"))
_ADVANCE = (
    update(T)
    .where(T.terminal_id == bindparam("tid"), T.applied_through == bindparam("before"))
    .values(applied_through=bindparam("seq"))
)
_LOGGED = select(EL.event_id).where(EL.event_id == bindparam("eid"))
_LOG = {
    "sqlite": sqlite.insert(EL).on_conflict_do_nothing(index_elements=["event_id"]).returning(EL.event_id),
    "postgresql": postgresql.insert(EL).on_conflict_do_nothing(index_elements=["event_id"]).returning(EL.event_id),
}
_PARKED_FOR = select(t.ParkedEvent.id).where(t.ParkedEvent.order_id == bindparam("oid")).limit(1)
_ORDER_STORE = select(t.OrderRow.store_id).where(t.OrderRow.order_id == bindparam("oid"))


def claim(conn: Connection, *, terminal_id: str, event: OutboxEvent) -> None:
    """Take this terminal's next seq for this event (the row stays locked until commit) or say why not."""
    if conn.execute(_ADVANCE, {"tid": terminal_id, "before": event.seq - 1, "seq": event.seq}).rowcount == 1:
        return
    if conn.execute(_LOGGED, {"eid": str(event.event_id)}).first() is not None:
        raise AlreadyLogged()
    raise SeqTaken(int(conn.execute(_THROUGH, {"tid": terminal_id}).scalar_one()))


def log_event(
    conn: Connection, *, terminal_id: str, event: OutboxEvent, digest: str, answer: EventResult, at: dt.datetime
) -> None:
    """The event and its answer, in the transaction that did what it asked (after `claim`)."""
    logged = conn.execute(
        _LOG[conn.dialect.name],
        {
            "event_id": str(event.event_id),
            "terminal_id": terminal_id,
            "terminal_seq": event.seq,
            "kind": event.body.type,
            "body_hash": digest,
            "status": answer.status,
            "response_json": answer.model_dump_json(),
            "received_at": at,
        },
    ).first()
    if logged is None:  # another terminal sent the same event_id a moment ago
        raise AlreadyLogged()


def entry_info(conn: Connection, base: BaseSettings, entry: Entry) -> EntryInfo:
    placed = Placed(entry.seq, entry.cashier_id, entry.order_completed, entry.eligible)
    return EntryInfo(
        seq=entry.seq,
        queue=queue_key(entry.cashier_id, base.all_cashiers_queue),
        position=positions(conn, base, [placed])[entry.seq],
        entitlement_fen=entry.entitlement_fen,
        paid_fen=entry.paid_fen,
        status=entry.status.value,
        lottery_state=entry.lottery_state.value,
    )


@dataclass
class BatchView:
    """What one read at the start of a batch knows; kept up to date as the batch is applied."""

    through: int
    logged: dict[str, Any]  # event_id -> event_log row
    member_ids: dict[str, MemberId | None]  # a till's member id -> the server's (None: unknown)
    order_stores: dict[str, str]  # order id -> store, for the orders that completions and refunds name


def read_batch_view(conn: Connection, terminal_id: str, events: list[OutboxEvent]) -> BatchView:
    through = int(conn.execute(_THROUGH, {"tid": terminal_id}).scalar_one())
    ids = [str(e.event_id) for e in events]
    logged = {r.event_id: r for r in conn.execute(select(EL).where(EL.event_id.in_(ids)))} if ids else {}
    wanted = [e.body.member_id for e in events if isinstance(e.body, OrderPaid) and e.body.member_id]
    member_ids = members.resolve_many(conn, wanted, terminal_id=terminal_id)
    orders = sorted({str(e.body.order_id) for e in events if isinstance(e.body, OrderCompleted | OrderRefunded)})
    order_stores: dict[str, str] = {}
    if orders:
        order_stores = dict(
            conn.execute(select(t.OrderRow.order_id, t.OrderRow.store_id).where(t.OrderRow.order_id.in_(orders))).all()
        )
    return BatchView(through, logged, member_ids, order_stores)


class PushService:
    def __init__(
        self,
        *,
        db: Database,
        ingest: Ingest,
        keys: KeyRing,
        clock: Clock,
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
        events = list(request.events)
        with self.db.connect() as conn:
            view = read_batch_view(conn, terminal.terminal_id, events)
        if events and events[0].seq > view.through + 1:
            results = [EventResult(event_id=e.event_id, seq=e.seq, status="not_applied") for e in events]
            return PushResponse(results=results, applied_through=view.through, resend_from=view.through + 1)
        results = [self._one(terminal, event, view) for event in events]
        with self.db.connect() as conn:
            terminals.touch(conn, terminal_id=terminal.terminal_id, now=self.clock.now(), backlog=request.backlog)
            through = int(conn.execute(_THROUGH, {"tid": terminal.terminal_id}).scalar_one())
        return PushResponse(results=results, applied_through=through)

    def _one(self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, view: BatchView) -> EventResult:
        digest = body_hash(event)
        logged = view.logged.get(str(event.event_id))
        if logged is not None:
            return self._repeat(terminal, event, digest, logged, view)
        if event.seq <= view.through:
            with self.db.connect() as conn:  # logged since the batch began, by a concurrent push of this terminal?
                fresh = read_batch_view(conn, terminal.terminal_id, [event])
            view.through = fresh.through
            logged = fresh.logged.get(str(event.event_id))
            if logged is not None:
                return self._repeat(terminal, event, digest, logged, view)
            return self._refusal(event, Code.CONFLICTING_DUPLICATE, f"seq {event.seq} was used by another event")
        if event.seq > view.through + 1:
            return EventResult(event_id=event.event_id, seq=event.seq, status="not_applied")
        try:
            result = self._apply(terminal, event, digest, view)
        except AlreadyLogged:  # a concurrent request of this terminal logged it first
            with self.db.connect() as conn:
                fresh = read_batch_view(conn, terminal.terminal_id, [event])
            view.through = fresh.through
            return self._repeat(terminal, event, digest, fresh.logged.get(str(event.event_id)), view)
        except SeqTaken as exc:
            view.through = exc.through
            if event.seq <= exc.through:
                return self._refusal(event, Code.CONFLICTING_DUPLICATE, f"seq {event.seq} was used by another event")
            return EventResult(event_id=event.event_id, seq=event.seq, status="not_applied")
        view.through = event.seq
        return result

    # ------------------------------------------------------------------ answers

    def _refusal(self, event: OutboxEvent, code: str, detail: str = "") -> EventResult:
        order_id = getattr(event.body, "order_id", None)
        return EventResult(
            event_id=event.event_id, seq=event.seq, status="refused", code=str(code), detail=detail, order_id=order_id
        )

    def _repeat(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, row: Any, view: BatchView
    ) -> EventResult:
        if row is None:
            return EventResult(event_id=event.event_id, seq=event.seq, status="not_applied")
        if row.terminal_id != terminal.terminal_id or row.body_hash != digest:
            if event.seq == view.through + 1 and self._skip(terminal, event):
                view.through = event.seq  # the terminal gave this seq to a changed copy: move past it
            return self._refusal(event, Code.CONFLICTING_DUPLICATE, "this event_id was sent before with another body")
        # This terminal's event is logged at that seq, so the terminal has got at least that far (the batch's
        # first read of applied_through may predate a concurrent push that logged it: PostgreSQL reads each
        # statement at its own snapshot).
        view.through = max(view.through, row.terminal_seq or event.seq)
        stored = EventResult.model_validate_json(row.response_json)
        status = "duplicate" if stored.status in ("accepted", "duplicate") else stored.status
        return stored.model_copy(update={"status": status, "seq": event.seq})

    def _skip(self, terminal: terminals.TerminalPrincipal, event: OutboxEvent) -> bool:
        with self.db.connect() as conn:
            return bool(
                conn.execute(
                    _ADVANCE, {"tid": terminal.terminal_id, "before": event.seq - 1, "seq": event.seq}
                ).rowcount
            )

    def _answer(self, uow: UnitOfWork, event: OutboxEvent, outcome: Outcome, member_id: str | None) -> EventResult:
        base = uow.repo.base_settings()
        entry = entry_info(uow.conn, base, outcome.entry) if outcome.entry is not None else None
        token = None
        if isinstance(event.body, OrderPaid) and member_id:
            token = issue_member_page_token(self.keys, member_id, self.clock.now(), ttl=self.member_page_ttl)
        return EventResult(
            event_id=event.event_id,
            seq=event.seq,
            status=outcome.status,
            order_id=getattr(event.body, "order_id", None),
            member_id=member_id,
            entry=entry,
            member_page_token=token,
        )

    # ------------------------------------------------------------------ applying

    def _apply(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, view: BatchView
    ) -> EventResult:
        body = event.body
        received = self.clock.now()
        odd = [name for name, value in body if isinstance(value, dt.datetime) and not EARLIEST <= value <= LATEST]
        if odd:  # a till whose clock says year 1 or 9999: the event cannot be placed in time
            return self._refuse(terminal, event, digest, Code.INVALID_EVENT, f"{odd[0]} is not a plausible time")
        if body.type == "member_registered":
            return self._register(terminal, event, digest, received, view)
        if isinstance(body, DrawerOpened | ShiftClosed):
            return self._record(terminal, event, digest, received)
        member_id: MemberId | None = None
        if isinstance(body, OrderPaid):
            if body.member_id:
                member_id = view.member_ids.get(body.member_id)
                if member_id is None:
                    return self._refuse(terminal, event, digest, Code.UNKNOWN_MEMBER, f"no member {body.member_id}")
            command: Any = PayOrder(
                order_id=OrderId(str(body.order_id)),
                store_id=terminal.store_id,
                cashier_id=CashierId(body.cashier_id),
                member_id=member_id,
                paid_fen=body.paid_fen,
                paid_at=body.paid_at,
                received_at=received,
                terminal_id=terminal.terminal_id,
                total_fen=body.total_fen,
                discount_fen=body.discount_fen,
                deduction_points_fen=body.deduction_points_fen,
                deduction_love_fen=body.deduction_love_fen,
                completed=body.completed,
                tender=body.tender,
                lines_json=json.dumps([x.model_dump() for x in body.lines], ensure_ascii=False) if body.lines else None,
                employee_id=body.employee_id,
                tenders_json=(
                    json.dumps([x.model_dump(exclude_none=True) for x in body.tenders]) if body.tenders else None
                ),
            )
        else:
            store = view.order_stores.get(str(body.order_id))
            if store is not None and store != terminal.store_id:
                return self._refuse(terminal, event, digest, Code.UNKNOWN_ORDER, f"no order {body.order_id} here")
            command = park_command(body, received)

        def within(uow: UnitOfWork, outcome: Outcome) -> tuple[EventResult, bool]:
            """Claim the seq, check the order's store, log the answer; True when events wait parked for the order."""
            conn = uow.conn
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            parked_waiting = False
            if isinstance(body, OrderPaid):
                order_id = str(body.order_id)
                if outcome.status == "duplicate" and (
                    conn.execute(_ORDER_STORE, {"oid": order_id}).scalar_one() != terminal.store_id
                ):  # the same order id was sold in another store
                    raise RuleError(Code.CONFLICTING_DUPLICATE, f"order {body.order_id} exists in another store")
                lock_order_id(conn, order_id)
                parked_waiting = conn.execute(_PARKED_FOR, {"oid": order_id}).first() is not None
            if isinstance(body, OrderRefunded):
                counter.record_refund_employee(conn, body)
            result = self._answer(uow, event, outcome, member_id)
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=received)
            return result, parked_waiting

        try:
            _, (answer, parked_waiting) = self.ingest.apply_within(command, within)
        except RuleError as exc:
            if (
                exc.code == Code.UNKNOWN_ORDER
                and isinstance(body, OrderCompleted | OrderRefunded)
                and str(body.order_id) not in view.order_stores
            ):
                return self._park(terminal, event, digest, received)
            return self._refuse(terminal, event, digest, exc.code, exc.detail)
        if isinstance(body, OrderPaid):
            view.order_stores[str(body.order_id)] = terminal.store_id
            if parked_waiting:
                self.parking.drain(str(body.order_id))
        return answer

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
        self,
        terminal: terminals.TerminalPrincipal,
        event: OutboxEvent,
        digest: str,
        code: str,
        detail: str,
        also: Callable[[Connection], None] | None = None,
    ) -> EventResult:
        """A refused event is logged in its own transaction: it will never apply, and a resend says so again.
        `also` writes with it (an audit row)."""
        result = self._refusal(event, code, detail)

        def work(conn: Connection) -> EventResult:
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            log_event(
                conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=self.clock.now()
            )
            if also is not None:
                also(conn)
            return result

        return self._transaction(work)

    def _register(
        self,
        terminal: terminals.TerminalPrincipal,
        event: OutboxEvent,
        digest: str,
        received: dt.datetime,
        view: BatchView,
    ) -> EventResult:
        body = event.body
        assert body.type == "member_registered"

        def work(conn: Connection) -> EventResult:
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            registered = members.register(
                conn,
                member_id=body.member_id,
                phone=body.phone,
                store_id=terminal.store_id,
                terminal_id=terminal.terminal_id,
                at=server_time(body.registered_at, received),
            )
            result = EventResult(
                event_id=event.event_id, seq=event.seq, status="accepted", member_id=registered.member_id
            )
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=received)
            return result

        try:
            result = self._transaction(work)
        except RuleError as exc:
            return self._refuse(
                terminal, event, digest, exc.code, exc.detail, also=members.audit_refusal(terminal, body, exc, received)
            )
        # sales later in this batch may name it
        view.member_ids[body.member_id] = MemberId(result.member_id) if result.member_id else None
        return result

    def _record(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, received: dt.datetime
    ) -> EventResult:
        """A counter record (services/counter.py): stored once with its event's log row."""
        body = event.body
        assert isinstance(body, DrawerOpened | ShiftClosed)
        result = EventResult(event_id=event.event_id, seq=event.seq, status="accepted")
        store_id, terminal_id = terminal.store_id, terminal.terminal_id

        def work(conn: Connection) -> EventResult:
            claim(conn, terminal_id=terminal_id, event=event)
            if isinstance(body, DrawerOpened):
                counter.record_drawer(conn, store_id=store_id, terminal_id=terminal_id, body=body, received=received)
            else:
                counter.record_z(conn, store_id=store_id, terminal_id=terminal_id, body=body, received=received)
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=received)
            return result

        return self._transaction(work)

    def _park(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, received: dt.datetime
    ) -> EventResult:
        body = event.body
        assert isinstance(body, OrderCompleted | OrderRefunded)
        result = EventResult(event_id=event.event_id, seq=event.seq, status="parked", order_id=body.order_id)

        def work(conn: Connection) -> EventResult:
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            self.parking.park(conn, terminal_id=terminal.terminal_id, event=event, received=received)
            if isinstance(body, OrderRefunded):
                counter.record_refund_employee(conn, body)
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=received)
            return result

        answer = self._transaction(work)
        # The order may have been committed between the engine's refusal and the parking: apply at once then.
        self.parking.drain(str(body.order_id))
        return answer
