"""What the push service and its grouped path (push_groups.py) share: an event made ready for the engine, what one
read at the start of a batch knows, and what a group needs of the service (`GroupHost`). Kept apart so that
`push_groups` does not import `sync`, which calls it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection

from shared.engine.engine import Outcome
from shared.errors import Code, RuleError
from shared.ids import MemberId
from shared.settings import StoreSettings
from shared.wire import EventResult, OutboxEvent

from ..clock import Clock
from ..db.unit_of_work import UnitOfWork
from . import terminals
from .ingest import Ingest
from .parking import Parking


@dataclass(frozen=True, slots=True)
class Prepared:
    """An event made ready for the engine: its command, the member it names; or a refusal; or a registration."""

    command: Any = None
    member_id: MemberId | None = None
    refusal: tuple[Code, str] | None = None
    register: bool = False
    record: bool = False  # a counter record (drawer opened): stored, not ruled on
    acknowledge: bool = False  # logged and answered with no effect (a till's order_completed)


@dataclass
class BatchView:
    """What one read at the start of a batch knows; kept up to date as the batch is applied."""

    through: int
    logged: dict[str, Any]  # event_id -> event_log row
    member_ids: dict[str, MemberId | None]  # a till's member id -> the server's (None: unknown)
    order_stores: dict[str, str]  # order id -> store, for the orders that completions and refunds name
    store: StoreSettings | None = None  # the terminal's store's settings (its sale limits), read once per batch
    backlog: int | None = None  # what the terminal says it has left to send (stored with its last_seen_at)
    touched: bool = False  # the last group stored last_seen_at and backlog, and nothing was applied after it


class GroupHost(Protocol):
    """What a group of events needs of the push service (server/services/sync.py `PushService`)."""

    clock: Clock
    ingest: Ingest
    parking: Parking

    def prepare(
        self, terminal: terminals.TerminalPrincipal, event: OutboxEvent, view: BatchView, received: dt.datetime
    ) -> Prepared: ...

    def check_applied(
        self,
        conn: Connection,
        terminal: terminals.TerminalPrincipal,
        event: OutboxEvent,
        outcome: Outcome,
        member_id: str | None,
        received: dt.datetime,
        parked: set[str] | None = None,
    ) -> bool: ...

    def parks(self, event: OutboxEvent, error: RuleError, view: BatchView) -> bool: ...

    def _refusal(self, event: OutboxEvent, code: str, detail: str = "") -> EventResult: ...

    def answers(self, uow: UnitOfWork, applied: list[tuple[OutboxEvent, Outcome, str | None]]) -> list[EventResult]: ...
