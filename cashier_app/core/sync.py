"""One round of synchronisation, without Qt: push the outbox in batches, then pull. Run by the sync worker.

Every network call happens outside any database transaction; each answer is stored in one short write
transaction, so the till's own writes never wait on the network.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.engine import Row

from shared.wire import MAX_BATCH, MAX_PUSH_BYTES, EntryInfo, EventResult, PushRequest

from .catalogue import pull_catalogue
from .clock import Clock, iso
from .db import UnitOfWork, kv_get, kv_set, members, orders, outbox, reading
from .outbox import load_event, pending_count
from .snapshot import apply_pull
from .sync_client import ServerUnavailable, SyncClient

_FINAL = {"accepted": "done", "duplicate": "done", "parked": "parked", "refused": "refused"}
# Prebuilt, one executemany per kind for a whole batch of answers (a statement built per row cost ~0.3 ms of
# SQLAlchemy construction each: a third of a 10,000-sale catch-up, benchmarks/catch_up.py).
_ANSWERED = (
    update(outbox)
    .where(outbox.c.seq == bindparam("b_seq"))
    .values(state=bindparam("state"), code=bindparam("code"), detail=bindparam("detail"), answered_at=bindparam("at"))
)
_SYNCED = (
    update(orders)
    .where(orders.c.order_id == bindparam("b_order_id"))
    .values(synced=True, entry_json=bindparam("entry_json"))
)
_NOT_LOCAL = update(members).where(members.c.member_id == bindparam("b_member_id")).values(local=False)


@dataclass(frozen=True)
class OrderAck:
    order_id: uuid.UUID
    entry: EntryInfo | None


@dataclass
class SyncOutcome:
    sent: int = 0
    answered: int = 0
    refused: int = 0
    acks: list[OrderAck] = field(default_factory=list)
    pulled: bool = False
    catalogue_changed: bool = False


class Backoff:
    """Exponential backoff with jitter: half the delay fixed, half random, so terminals do not retry in step."""

    def __init__(self, *, base: float = 1.0, cap: float = 60.0, rng: random.Random) -> None:
        self.base, self.cap, self._rng = base, cap, rng
        self.attempt = 0

    def next_delay(self) -> float:
        # 2**64 times any base is past the cap; a larger power overflows a float (attempt 1024 on, server down long)
        ceiling: float = min(self.cap, self.base * 2 ** min(self.attempt, 64))
        self.attempt += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0


R = TypeVar("R", bound=Row[*tuple[Any, ...]])
ENVELOPE_BYTES = 200  # an event's event_id, seq and created_at around its body, and the batch's own fields


def within_bytes(rows: Sequence[R], budget: int = MAX_PUSH_BYTES - 4096) -> list[R]:
    """The first rows whose push fits the server's body limit (docs/sync-protocol.md "Limits"); at least one (an
    event is at most ~160 KB, far under the limit)."""
    kept: list[R] = []
    size = 0
    for row in rows:
        size += len(row.body.encode()) + ENVELOPE_BYTES
        if kept and size > budget:
            break
        kept.append(row)
    return kept


class SyncEngine:
    def __init__(self, *, engine: Engine, client: SyncClient, clock: Clock, batch_size: int = MAX_BATCH) -> None:
        self._engine = engine
        self._client = client
        self._clock = clock
        self._batch = min(batch_size, MAX_BATCH)

    def run_once(self) -> SyncOutcome:
        """Push everything pending, then pull; raises ServerUnavailable or RequestRefused (nothing is lost)."""
        outcome = SyncOutcome()
        self.push_all(outcome)
        self.ask_parked(outcome)
        self.pull_all()
        outcome.pulled = True
        outcome.catalogue_changed = pull_catalogue(self._engine, self._client)
        return outcome

    def push_all(self, outcome: SyncOutcome) -> None:
        stalls = 0
        while True:
            with reading(self._engine) as conn:
                rows = conn.execute(
                    select(outbox.c.seq, outbox.c.event_id, outbox.c.created_at, outbox.c.body)
                    .where(outbox.c.state == "pending")
                    .order_by(outbox.c.seq)
                    .limit(self._batch)
                ).all()
                rows = within_bytes(rows)
                backlog = pending_count(conn) - len(rows)
            if not rows:
                return
            request = PushRequest(events=[load_event(r) for r in rows], backlog=backlog)
            response = self._client.push(request)
            outcome.sent += len(rows)
            if response.resend_from is not None:
                # The server lacks events before this batch (e.g. restored from a backup): send them again.
                with UnitOfWork(self._engine) as uow:
                    uow.conn.execute(update(outbox).where(outbox.c.seq >= response.resend_from).values(state="pending"))
                    uow.commit()
                stalls += 1
                if stalls > 3 or response.resend_from >= rows[0].seq:
                    raise ServerUnavailable(f"server keeps asking to resend from {response.resend_from}")
                continue
            progressed = self._store_results(rows, response.results, outcome)
            if not progressed:
                raise ServerUnavailable("the server applied none of the batch")
            stalls = 0

    def ask_parked(self, outcome: SyncOutcome, *, limit: int = 100) -> None:
        """Send parked events again: the server answers a repeat with what finally became of it (applied once its
        order came, refused, or still parked), so a refund of another till's sale leaves the F7 list ("to be
        confirmed") when the server has decided. At most `limit` a round, oldest first."""
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(outbox.c.seq, outbox.c.event_id, outbox.c.created_at, outbox.c.body)
                .where(outbox.c.state == "parked")
                .order_by(outbox.c.seq)
                .limit(min(limit, self._batch))
            ).all()
        rows = within_bytes(rows)
        if not rows:
            return
        response = self._client.push(PushRequest(events=[load_event(r) for r in rows], backlog=0))
        if response.resend_from is None:
            answered = [r for r in response.results if r.status != "parked"]
            self._store_results(rows, answered, outcome)

    def _store_results(
        self, rows: Sequence[Row[*tuple[Any, ...]]], results: list[EventResult], outcome: SyncOutcome
    ) -> bool:
        by_id = {str(r.event_id): r for r in results}
        now = iso(self._clock())
        progressed = False
        answered: list[dict[str, Any]] = []
        synced: list[dict[str, Any]] = []
        not_local: list[dict[str, Any]] = []
        for row in rows:
            result = by_id.get(row.event_id)
            if result is None or result.status not in _FINAL:
                continue  # not_applied or missing: stays pending, sent again next round
            progressed = True
            outcome.answered += 1
            state = _FINAL[result.status]
            outcome.refused += state == "refused"
            answered.append({"b_seq": row.seq, "state": state, "code": result.code, "detail": result.detail, "at": now})
            body = load_event(row).body
            if body.type == "order_paid" and state == "done":
                entry_json = result.entry.model_dump_json() if result.entry else None
                synced.append({"b_order_id": str(body.order_id), "entry_json": entry_json})
                outcome.acks.append(OrderAck(body.order_id, result.entry))
            elif body.type == "member_registered" and state == "done":
                not_local.append({"b_member_id": body.member_id})
        with UnitOfWork(self._engine) as uow:
            conn = uow.conn
            for statement, params in ((_ANSWERED, answered), (_SYNCED, synced), (_NOT_LOCAL, not_local)):
                if params:
                    conn.execute(statement, params)
            kv_set(conn, "last_push_at", now)
            uow.commit()
        return progressed

    def pull_all(self, *, max_pages: int = 50) -> None:
        for _ in range(max_pages):
            with reading(self._engine) as conn:
                cursor = kv_get(conn, "cursor")
            pull = self._client.pull(cursor)
            with UnitOfWork(self._engine) as uow:
                apply_pull(uow.conn, pull, now=self._clock())
                uow.commit()
            if pull.members_complete:
                return
