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
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from shared.engine.commands import PayOrder
from shared.engine.engine import Outcome
from shared.engine.model import Entry, queue_key
from shared.errors import Code, RuleError
from shared.ids import CashierId, MemberId, OrderId
from shared.settings import BaseSettings, check_sale
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
from ..db import settings
from ..db import tables as t
from ..db.database import Database
from ..db.unit_of_work import UnitOfWork
from ..security.keys import KeyRing
from ..security.member_codes import MEMBER_PAGE_TTL, issue_member_page_token
from . import counter, holds, members, push_groups, terminals
from .ingest import Ingest, is_retryable
from .parking import Parking, lock_order_id, park_command, server_time
from .positions import Placed, positions
from .push_view import BatchView, Prepared

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


# Sale-line fields added within protocol 2, left out of the digest at their defaults: an event pushed before they
# existed has the same digest when its till sends it again, and is a duplicate, not a conflicting one.
_LINE_DEFAULTS = {"sku": None, "discount_fen": 0, "participates": True}


def body_hash(event: OutboxEvent) -> str:
    body = event.body.model_dump(mode="json")
    for line in body.get("lines", []):
        for name, default in _LINE_DEFAULTS.items():
            if name in line and line[name] == default:
                del line[name]
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
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
_ORDER_FACTS = select(
    t.OrderRow.store_id,
    t.OrderRow.cashier_id,
    t.OrderRow.member_id,
    t.OrderRow.total_fen,
    t.OrderRow.discount_fen,
    t.OrderRow.deduction_points_fen,
    t.OrderRow.deduction_love_fen,
    t.OrderRow.paid_fen,
).where(t.OrderRow.order_id == bindparam("oid"))
# A seq used up by a changed copy of a logged event is logged under an id made from the terminal and the seq (the
# copy's own event_id names the original): every seq up to `applied_through` has its row in the log.
_USED_SEQ = uuid.UUID("6f1d7c52-3c1e-4d55-9a0b-52a1f0e7c4d1")


def used_seq_id(terminal_id: str, seq: int) -> str:
    return str(uuid.uuid5(_USED_SEQ, f"{terminal_id}/{seq}"))


def order_differs(row: Any, body: OrderPaid, member_id: str | None) -> str | None:
    """What an order_paid resent under a new event_id says differently from the order recorded, if anything."""
    said = {
        "cashier_id": body.cashier_id,
        "member_id": member_id,
        "total_fen": body.total_fen,
        "discount_fen": body.discount_fen,
        "deduction_points_fen": body.deduction_points_fen,
        "deduction_love_fen": body.deduction_love_fen,
        "paid_fen": body.paid_fen,
    }
    for name, value in said.items():
        if getattr(row, name) != value:
            return name
    return None


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


def entry_infos(conn: Connection, base: BaseSettings, entries: list[Entry]) -> list[EntryInfo]:
    """The entries as answered to the terminal, their positions counted together (one pass per queue)."""
    placed = positions(conn, base, [Placed(e.seq, e.cashier_id, e.order_completed, e.eligible) for e in entries])
    return [_entry_info(base, e, placed[e.seq]) for e in entries]


def _entry_info(base: BaseSettings, entry: Entry, position: int | None) -> EntryInfo:
    return EntryInfo(
        seq=entry.seq,
        queue=queue_key(entry.cashier_id, base.all_cashiers_queue),
        position=position,
        entitlement_fen=entry.entitlement_fen,
        paid_fen=entry.paid_fen,
        status=entry.status.value,
        lottery_state=entry.lottery_state.value,
    )


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
        grouped: bool = True,
    ) -> None:
        self.db = db
        self.ingest = ingest
        self.keys = keys
        self.clock = clock
        self.member_page_ttl = member_page_ttl
        self.grouped = grouped  # False: one transaction per event (the design before groups; benchmarks compare)
        self.parking = Parking(db=db, ingest=ingest, answer=self._answer)

    # ------------------------------------------------------------------ the batch

    def push(self, *, terminal: terminals.TerminalPrincipal, request: PushRequest) -> PushResponse:
        events = list(request.events)
        with self.db.connect() as conn:
            view = read_batch_view(conn, terminal.terminal_id, events)
            info = settings.read_configuration(conn, self.db.settings_cache).store(terminal.store_id)
            view.store = info.settings if info is not None else None
        view.backlog = request.backlog
        if events and events[0].seq > view.through + 1:
            waiting = [EventResult(event_id=e.event_id, seq=e.seq, status="not_applied") for e in events]
            return PushResponse(results=waiting, applied_through=view.through, resend_from=view.through + 1)
        results: list[EventResult] = []
        run: list[OutboxEvent] = []  # new events that follow on from applied_through: applied as one group
        for event in events:
            fits = event.seq == view.through + 1 + len(run) and str(event.event_id) not in view.logged
            if fits and all(e.event_id != event.event_id for e in run):
                run.append(event)
                if len(run) < push_groups.GROUP_SIZE:
                    continue
            results += self._group(terminal, run, view)
            if run and run[-1] is event:
                run = []
                continue
            run = []
            results.append(self._one(terminal, event, view))
        results += self._group(terminal, run, view)
        if view.touched:  # the last group wrote last_seen_at and applied_through, and nothing came after it
            return PushResponse(results=results, applied_through=view.through)
        with self.db.connect() as conn:
            terminals.touch(conn, terminal_id=terminal.terminal_id, now=self.clock.now(), backlog=view.backlog)
            through = int(conn.execute(_THROUGH, {"tid": terminal.terminal_id}).scalar_one())
        return PushResponse(results=results, applied_through=through)

    def _group(
        self, terminal: terminals.TerminalPrincipal, events: list[OutboxEvent], view: BatchView
    ) -> list[EventResult]:
        if not events:
            return []
        if not self.grouped:
            return [self._one(terminal, event, view) for event in events]
        try:
            return push_groups.apply_group(self, terminal, events, [body_hash(e) for e in events], view)
        except push_groups.Fallback:
            with self.db.connect() as conn:  # what changed under the group: read again, then one by one
                fresh = read_batch_view(conn, terminal.terminal_id, events)
            view.through, view.logged = fresh.through, {**view.logged, **fresh.logged}
            view.member_ids.update(fresh.member_ids)
            view.order_stores.update(fresh.order_stores)
            return [self._one(terminal, event, view) for event in events]

    def _one(self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, view: BatchView) -> EventResult:
        view.touched = False  # applied or answered outside a group: the push ends with its own touch
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
            result = self._refusal(event, Code.CONFLICTING_DUPLICATE, "this event_id was sent before with another body")
            if event.seq == view.through + 1 and self._use_up(terminal, event, digest, result):
                view.through = event.seq  # the terminal gave this seq to a changed copy: move past it
            return result
        # This terminal's event is logged at that seq, so the terminal has got at least that far (the batch's
        # first read of applied_through may predate a concurrent push that logged it: PostgreSQL reads each
        # statement at its own snapshot).
        view.through = max(view.through, row.terminal_seq or event.seq)
        stored = EventResult.model_validate_json(row.response_json)
        status = "duplicate" if stored.status in ("accepted", "duplicate") else stored.status
        return stored.model_copy(update={"status": status, "seq": event.seq})

    def _use_up(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, refusal: EventResult
    ) -> bool:
        """Move past a seq given to a changed copy of a logged event, logging the refusal at that seq."""

        def work(conn: Connection) -> bool:
            tid = terminal.terminal_id
            if not conn.execute(_ADVANCE, {"tid": tid, "before": event.seq - 1, "seq": event.seq}).rowcount:
                return False  # a concurrent push of this terminal used the seq
            copy = event.model_copy(update={"event_id": uuid.UUID(used_seq_id(tid, event.seq))})
            log_event(conn, terminal_id=tid, event=copy, digest=digest, answer=refusal, at=self.clock.now())
            return True

        return self._transaction(work)

    def _answer(self, uow: UnitOfWork, event: OutboxEvent, outcome: Outcome, member_id: str | None) -> EventResult:
        return self.answers(uow, [(event, outcome, member_id)])[0]

    def answers(self, uow: UnitOfWork, applied: list[tuple[OutboxEvent, Outcome, str | None]]) -> list[EventResult]:
        """The answers to applied events, with their entries' positions as the running totals stand now."""
        base = uow.repo.base_settings()
        entries = [outcome.entry for _, outcome, _ in applied if outcome.entry is not None]
        infos = iter(entry_infos(uow.conn, base, entries) if entries else [])
        now = self.clock.now()
        results = []
        for event, outcome, member_id in applied:
            token = None
            if isinstance(event.body, OrderPaid) and member_id:
                token = issue_member_page_token(self.keys, member_id, now, ttl=self.member_page_ttl)
            results.append(
                EventResult(
                    event_id=event.event_id,
                    seq=event.seq,
                    status=outcome.status,
                    order_id=getattr(event.body, "order_id", None),
                    member_id=member_id,
                    entry=next(infos) if outcome.entry is not None else None,
                    member_page_token=token,
                )
            )
        return results

    # ------------------------------------------------------------------ applying

    def prepare(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, view: BatchView, received: dt.datetime
    ) -> Prepared:
        """What the event asks of the engine, or why it is refused before the engine sees it (both paths)."""
        body = event.body
        odd = [name for name, value in body if isinstance(value, dt.datetime) and not EARLIEST <= value <= LATEST]
        if odd:  # a till whose clock says year 1 or 9999: the event cannot be placed in time
            return Prepared(refusal=(Code.INVALID_EVENT, f"{odd[0]} is not a plausible time"))
        if body.type == "member_registered":
            return Prepared(register=True)
        if isinstance(body, DrawerOpened | ShiftClosed):
            return Prepared(record=True)
        member_id: MemberId | None = None
        if isinstance(body, OrderPaid):
            if body.member_id:
                member_id = view.member_ids.get(body.member_id)
                if member_id is None:
                    return Prepared(refusal=(Code.UNKNOWN_MEMBER, f"no member {body.member_id}"))
            if view.store is not None and check_sale(body.total_fen, view.store) == "over":  # the till refuses too
                limit = view.store.sale_max_fen
                return Prepared(refusal=(Code.AMOUNT_OVER_LIMIT, f"{body.total_fen} > {limit} fen"))
            command: Any = PayOrder(
                order_id=OrderId(str(body.order_id)),
                store_id=terminal.store_id,
                cashier_id=terminal.cashier_id or CashierId(body.cashier_id),  # the server decides: the binding
                member_id=member_id,
                paid_fen=body.paid_fen,
                paid_at=body.paid_at,
                received_at=received,
                terminal_id=terminal.terminal_id,
                total_fen=body.total_fen,
                discount_fen=body.discount_fen,
                deduction_points_fen=body.deduction_points_fen,
                deduction_love_fen=body.deduction_love_fen,
                deduction_voucher_fen=body.deduction_voucher_fen,
                completed=None,  # the server is the authority on completion: `cashier_auto_complete_hours`
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
                return Prepared(refusal=(Code.UNKNOWN_ORDER, f"no order {body.order_id} here"))
            if isinstance(body, OrderCompleted):  # a till's word cannot end the return window early (spec §8)
                return Prepared(acknowledge=True)
            command = park_command(body, received)
        return Prepared(command=command, member_id=member_id)

    def check_applied(
        self,
        conn: Connection,
        terminal: terminals.TerminalPrincipal,
        event: OutboxEvent,
        outcome: Outcome,
        member_id: str | None,
        received: dt.datetime,
        parked: set[str] | None = None,
    ) -> bool:
        """After the engine, in its transaction: refuse a sale that conflicts with the recorded order, capture the
        wallet holds that pay a new sale; True when events wait parked for the order (both paths; a group locked its
        orders and read `parked` beforehand)."""
        body = event.body
        if isinstance(body, OrderRefunded):  # who gave it, whether it applies now or waits parked
            counter.record_refund_employee(conn, body)
        if not isinstance(body, OrderPaid):
            return False
        order_id = str(body.order_id)
        if outcome.status == "duplicate":
            recorded = conn.execute(_ORDER_FACTS, {"oid": order_id}).one()
            if recorded.store_id != terminal.store_id:  # the same order id was sold in another store
                raise RuleError(Code.CONFLICTING_DUPLICATE, f"order {body.order_id} exists in another store")
            differs = order_differs(recorded, body, member_id)
            if differs is not None:  # the till's record of the sale is not the server's: it must hear so
                raise RuleError(Code.ORDER_CONFLICT, f"order {body.order_id} was recorded with another {differs}")
        if body.wallet_tenders and outcome.status == "accepted":  # the wallet pays its part now
            holds.capture(
                conn,
                order_id=order_id,
                member_id=member_id,
                store_id=terminal.store_id,
                tenders=list(body.wallet_tenders),
                now=received,
            )
        if parked is not None:
            return order_id in parked
        lock_order_id(conn, order_id)
        return conn.execute(_PARKED_FOR, {"oid": order_id}).first() is not None

    def parks(self, event: OutboxEvent, error: RuleError, view: BatchView) -> bool:
        """A completion or refund of an order the server has not seen is parked, not refused (spec §15)."""
        body = event.body
        return (
            error.code == Code.UNKNOWN_ORDER
            and isinstance(body, OrderCompleted | OrderRefunded)
            and str(body.order_id) not in view.order_stores
        )

    def _apply(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, view: BatchView
    ) -> EventResult:
        body = event.body
        received = self.clock.now()
        prepared = self.prepare(terminal, event, view, received)
        if prepared.refusal is not None:
            return self._refuse(terminal, event, digest, *prepared.refusal)
        if prepared.register:
            return self._register(terminal, event, digest, received, view)
        if prepared.record:
            return self._record(terminal, event, digest, received)
        if prepared.acknowledge:
            return self._acknowledge(terminal, event, digest, received)
        member_id = prepared.member_id

        def within(uow: UnitOfWork, outcome: Outcome) -> tuple[EventResult, bool]:
            """Claim the seq, check the order, log the answer; True when events wait parked for the order."""
            conn = uow.conn
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            parked_waiting = self.check_applied(conn, terminal, event, outcome, member_id, received)
            result = self._answer(uow, event, outcome, member_id)
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=received)
            return result, parked_waiting

        try:
            _, (answer, parked_waiting) = self.ingest.apply_within(prepared.command, within)
        except RuleError as exc:
            if self.parks(event, exc, view):
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

    def _acknowledge(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, digest: str, received: dt.datetime
    ) -> EventResult:
        """Logged and answered, with no effect: the server completes a till's sale itself, at `paid_at +
        cashier_auto_complete_hours` (at once when 0), whatever the till says."""
        result = EventResult(
            event_id=event.event_id, seq=event.seq, status="accepted", order_id=getattr(event.body, "order_id", None)
        )

        def work(conn: Connection) -> EventResult:
            claim(conn, terminal_id=terminal.terminal_id, event=event)
            log_event(conn, terminal_id=terminal.terminal_id, event=event, digest=digest, answer=result, at=received)
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
            counter.record(conn, store_id=store_id, terminal_id=terminal_id, body=body, received=received)
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
