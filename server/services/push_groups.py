"""A terminal's new events applied as one group (spec §15: "atomic per group, in ingestion order").

The events of a push that follow on from the terminal's `applied_through` are applied in one transaction: the
terminal's row is locked once (and the queues its sales name, in key order, so that two groups never wait on each
other in a circle), each event runs in a savepoint through the same preparation and checks as one applied alone
(`PushService.prepare`, `check_applied`), so a refused event is logged as refused and the others stand. The event
log rows (one multi-row insert), the answers (positions counted together, after the running totals of the group are
written once) and `applied_through` are written with them: all of the group or none of it is committed.

Whatever the group cannot settle by itself — the terminal's seq moved under it (a concurrent push of the same
terminal), an event id logged meanwhile, a duplicate key — rolls the group back and its events go one by one
through the path that knows every such case (`PushService._one`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from shared.engine.commands import RefundOrder
from shared.engine.engine import Engine, Outcome
from shared.engine.model import queue_key
from shared.errors import RuleError
from shared.ids import MemberId, StoreId
from shared.wire import DrawerOpened, EventResult, OrderPaid, OutboxEvent, ShiftClosed

from ..db import tables as t
from ..db.unit_of_work import UnitOfWork
from . import counter, members, terminals
from .parking import lock_order_ids, parked_for, server_time
from .push_view import BatchView, GroupHost, Prepared
from .wallet_refunds import give_back

GROUP_SIZE = 100  # events per transaction: a catch-up of 500 is 5 groups, a queue lock is held ~0.1 s at most

EL = t.EventLog
T = t.Terminal
_LOCK_TERMINAL = (
    update(T)
    .where(T.terminal_id == bindparam("tid"))
    .values(applied_through=T.applied_through)
    .returning(T.applied_through)
)
_ADVANCE = (
    update(T)
    .where(T.terminal_id == bindparam("tid"), T.applied_through == bindparam("before"))
    .values(applied_through=bindparam("seq"))
)
_LOG = insert(EL)


class Fallback(Exception):
    """The group cannot be applied as one: its events go one by one."""


@dataclass
class Applied:
    """An event the engine applied; its answer is made once the group's running totals are written."""

    event: OutboxEvent
    outcome: Outcome
    member_id: str | None
    parked_waiting: bool


@dataclass
class Answered:
    result: EventResult
    parked: bool = False
    registered: tuple[str, MemberId | None] | None = None


class _Step:
    def __init__(
        self,
        svc: GroupHost,
        terminal: terminals.TerminalPrincipal,
        event: OutboxEvent,
        view: BatchView,
        received: dt.datetime,
        parked: set[str],
    ) -> None:
        self.svc, self.terminal, self.event, self.view = svc, terminal, event, view
        self.received, self.parked = received, parked
        # a sale without wallet tenders: all it writes is kept by the repository until the group's end
        body = event.body
        self.buffered = isinstance(body, OrderPaid) and not body.wallet_tenders

    def prepared(self) -> Prepared:
        return self.svc.prepare(self.terminal, self.event, self.view, self.received)

    def apply(self, uow: UnitOfWork, engine: Engine) -> Applied | Answered:
        # prepared here, not before the group: a sale may name a member registered earlier in the group
        prepared, event = self.prepared(), self.event
        if prepared.refusal is not None:
            raise RuleError(*prepared.refusal)
        if prepared.register:
            return self._register(uow)
        if prepared.record:
            return self._record(uow)
        if prepared.acknowledge:  # a till's order_completed: the server completes its sales itself
            order_id = getattr(event.body, "order_id", None)
            return Answered(EventResult(event_id=event.event_id, seq=event.seq, status="accepted", order_id=order_id))
        outcome = engine.apply(prepared.command)
        if isinstance(prepared.command, RefundOrder) and outcome.status == "accepted":
            # the wallet tenders get their part back with the clawback (docs/rules.md §6a), as Ingest does for one
            uow.flush()  # the order's refunded amount, as give_back reads it
            give_back(uow.conn, order_id=prepared.command.order_id, now=prepared.command.at)
        waiting = self.svc.check_applied(
            uow.conn, self.terminal, event, outcome, prepared.member_id, self.received, self.parked
        )
        return Applied(event, outcome, prepared.member_id, waiting)

    def _register(self, uow: UnitOfWork) -> Answered:
        body = self.event.body
        assert body.type == "member_registered"
        registered = members.register(
            uow.conn,
            member_id=body.member_id,
            phone=body.phone,
            store_id=self.terminal.store_id,
            terminal_id=self.terminal.terminal_id,
            at=server_time(body.registered_at, self.received),
        )
        member_id = MemberId(registered.member_id) if registered.member_id else None
        self.view.member_ids[body.member_id] = member_id  # sales later in this group may name it
        result = EventResult(
            event_id=self.event.event_id, seq=self.event.seq, status="accepted", member_id=registered.member_id
        )
        return Answered(result, registered=(body.member_id, member_id))

    def _record(self, uow: UnitOfWork) -> Answered:
        body = self.event.body
        assert isinstance(body, DrawerOpened | ShiftClosed)
        tid = self.terminal.terminal_id
        counter.record(uow.conn, store_id=self.terminal.store_id, terminal_id=tid, body=body, received=self.received)
        return Answered(EventResult(event_id=self.event.event_id, seq=self.event.seq, status="accepted"))

    def refused(self, uow: UnitOfWork, error: RuleError) -> Applied | Answered:
        event, svc = self.event, self.svc
        body = event.body
        if body.type == "member_registered":
            members.audit_refusal(self.terminal, body, error, self.received)(uow.conn)
        elif svc.parks(event, error, self.view):
            svc.parking.park(uow.conn, terminal_id=self.terminal.terminal_id, event=event, received=self.received)
            self.parked.add(str(getattr(body, "order_id", "")))
            result = EventResult(
                event_id=event.event_id, seq=event.seq, status="parked", order_id=getattr(body, "order_id", None)
            )
            return Answered(result, parked=True)
        return Answered(svc._refusal(event, error.code, error.detail))


def apply_group(
    svc: GroupHost,
    terminal: terminals.TerminalPrincipal,
    events: list[OutboxEvent],
    digests: list[str],
    view: BatchView,
) -> list[EventResult]:
    """Apply `events` (seqs view.through + 1, + 2, ... with ids not logged) as one group; raises Fallback."""
    tid = terminal.terminal_id
    before = view.through
    received = [svc.clock.now() for _ in events]
    parked: set[str] = set()  # orders with events parked: read in `first`, added to as the group parks
    steps = [_Step(svc, terminal, e, view, r, parked) for e, r in zip(events, received, strict=True)]

    def first(uow: UnitOfWork) -> None:
        conn = uow.conn
        if conn.execute(_LOCK_TERMINAL, {"tid": tid}).scalar() != before:
            raise Fallback("the terminal's seq moved")
        ids = [str(e.event_id) for e in events]
        if conn.execute(EL.__table__.select().with_only_columns(EL.event_id).where(EL.event_id.in_(ids))).first():
            raise Fallback("an event of the group was logged meanwhile")
        store = uow.repo.store(StoreId(terminal.store_id))
        if store is None:
            return
        sales = [e.body for e in events if isinstance(e.body, OrderPaid)]
        order_ids = [str(s.order_id) for s in sales]
        lock_order_ids(conn, order_ids)  # then no event can be parked for them until the group commits
        parked.update(parked_for(conn, order_ids))
        named = (view.member_ids.get(s.member_id) for s in sales if s.member_id)
        uow.repo.prefetch(orders=order_ids, members=[m for m in named if m is not None])
        # the queues last: what other tills of the queue wait for is the group's own work, not these reads
        all_cashiers = uow.repo.base_settings().all_cashiers_queue
        cashiers = {terminal.cashier_id or s.cashier_id for s in sales} & set(store.cashier_ids)  # as prepare()
        for key in sorted({queue_key(c, all_cashiers) for c in cashiers}):
            uow.repo.lock_queue(key)

    def last(uow: UnitOfWork, answers: list[Applied | Answered]) -> list[EventResult]:
        applied = [a for a in answers if isinstance(a, Applied)]
        made = iter(svc.answers(uow, [(a.event, a.outcome, a.member_id) for a in applied]))
        results = [next(made) if isinstance(a, Applied) else a.result for a in answers]
        rows: list[dict[str, Any]] = [
            {
                "event_id": str(e.event_id),
                "terminal_id": tid,
                "terminal_seq": e.seq,
                "kind": e.body.type,
                "body_hash": d,
                "status": r.status,
                "response_json": r.model_dump_json(),
                "received_at": at,
            }
            for e, d, r, at in zip(events, digests, results, received, strict=True)
        ]
        uow.conn.execute(_LOG, rows)
        if uow.conn.execute(_ADVANCE, {"tid": tid, "before": before, "seq": events[-1].seq}).rowcount != 1:
            raise Fallback("the terminal's seq moved")
        # the terminal was seen: written here, with its row locked, rather than in a transaction of its own after
        terminals.touch(uow.conn, terminal_id=tid, now=svc.clock.now(), backlog=view.backlog)
        return results

    try:
        answers, results = svc.ingest.apply_group(steps, first=first, last=last, gate=_gate(steps))
    except IntegrityError as exc:  # an event id logged by another terminal at the same moment
        raise Fallback(str(exc)) from exc
    assert results is not None
    view.through, view.touched = events[-1].seq, True
    for step, answer in zip(steps, answers, strict=True):
        body = step.event.body
        if isinstance(answer, Applied) and isinstance(body, OrderPaid):
            view.order_stores[str(body.order_id)] = terminal.store_id
            if answer.parked_waiting:
                svc.parking.drain(str(body.order_id))
        elif isinstance(answer, Answered) and answer.parked:
            # the order may have been committed between the engine's refusal and the parking: apply at once then
            svc.parking.drain(str(getattr(body, "order_id", "")))
    return results


def _gate(steps: list[_Step]) -> Any:
    """A command of the group for the scheduler's gate (a reset that fell due runs before the group)."""
    return next((c for c in (s.prepared().command for s in steps) if c is not None), None)
