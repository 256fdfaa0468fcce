from __future__ import annotations

import random
import uuid

import pytest
from sqlalchemy import select, update

from cashier_app.core.checkout import MemberRef
from cashier_app.core.db import UnitOfWork, orders, outbox, reading
from cashier_app.core.outbox import attention_count, pending_count
from cashier_app.core.sync import Backoff
from cashier_app.core.sync_client import RequestRefused, ServerUnavailable

from .conftest import Till
from .test_core_checkout import sell


def states(till: Till) -> list[tuple[int, str, str | None]]:
    with reading(till.engine) as conn:
        return [(r.seq, r.state, r.code) for r in conn.execute(select(outbox).order_by(outbox.c.seq))]


def test_member_sale_is_applied_and_its_entry_comes_back(till: Till) -> None:
    sale = sell(till, 5000, member=MemberRef("M1", "张*"))
    walk_in = sell(till, 700)
    outcome = till.sync.run_once()
    assert [a.order_id for a in outcome.acks] == [sale.order_id, walk_in.order_id]
    assert outcome.acks[0].entry is not None and outcome.acks[0].entry.position == 1
    assert till.toy.applied_orders == [str(sale.order_id), str(walk_in.order_id)]
    with reading(till.engine) as conn:
        assert pending_count(conn) == 0
        assert conn.execute(select(orders.c.synced)).scalars().all() == [True, True]


def test_refused_event_goes_to_attention_and_does_not_block_the_rest(till: Till) -> None:
    bad = sell(till, 100)
    till.toy.refuse[str(bad.order_id)] = "unknown_cashier"
    good = sell(till, 200)
    till.sync.run_once()
    assert states(till) == [(1, "refused", "unknown_cashier"), (2, "done", None)]
    assert till.toy.applied_orders == [str(good.order_id)]
    with reading(till.engine) as conn:
        assert attention_count(conn) == 1


def test_resending_is_harmless_and_applies_once(till: Till) -> None:
    sale = sell(till, 100)
    till.sync.run_once()
    with UnitOfWork(till.engine) as uow:  # as if the answer had been lost (crash after the POST)
        uow.conn.execute(update(outbox).values(state="pending"))
        uow.commit()
    till.sync.run_once()
    assert till.toy.applied_orders == [str(sale.order_id)]
    assert states(till) == [(1, "done", None)]


def test_server_that_lost_events_gets_them_again_from_resend_from(till: Till) -> None:
    first = sell(till, 100)
    till.sync.run_once()
    till.toy.applied_through[till.info.terminal_id] = 0  # the server was restored from an old backup
    till.toy.seen.clear()
    till.toy.applied_orders.clear()
    second = sell(till, 200)
    till.sync.run_once()
    assert till.toy.applied_orders == [str(first.order_id), str(second.order_id)]


def test_refund_before_the_sale_reaches_the_server_is_parked(till: Till) -> None:
    from cashier_app.core.checkout import record_refund

    with UnitOfWork(till.engine) as uow:
        record_refund(uow=uow, order_id=uuid.uuid4(), amount_fen=50, manager_pin="1234", clock=till.clock)
    till.sync.run_once()
    assert states(till) == [(1, "parked", None)]


def test_server_down_keeps_everything_pending(till: Till) -> None:
    sell(till, 100)
    till.toy.down = True
    with pytest.raises(ServerUnavailable):
        till.sync.run_once()
    assert states(till) == [(1, "pending", None)]
    till.toy.down = False
    till.sync.run_once()
    assert states(till) == [(1, "done", None)]


def test_batches_are_at_most_the_batch_size(till: Till) -> None:
    from cashier_app.core.sync import SyncEngine

    for i in range(7):
        sell(till, 100 + i)
    engine = SyncEngine(engine=till.engine, client=till.client, clock=till.clock, batch_size=3)
    before = till.toy.requests
    outcome = engine.run_once()
    assert outcome.sent == 7 and till.toy.requests - before == 3 + 1 + 1  # three pushes, one pull, one catalogue page
    assert len(till.toy.applied_orders) == 7


def test_bad_credential_is_refused_not_retried_silently(till: Till) -> None:
    sell(till, 100)
    till.client.credential = "wrong"
    with pytest.raises(RequestRefused) as exc:
        till.sync.run_once()
    assert exc.value.code == "unauthorized"


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(base=1.0, cap=8.0, rng=random.Random(7))
    delays = [b.next_delay() for _ in range(6)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and 2.0 <= delays[2] <= 4.0
    assert all(4.0 <= d <= 8.0 for d in delays[3:])
    assert len(set(delays)) == 6
    b.reset()
    assert b.next_delay() <= 1.0


def test_backoff_stays_at_its_cap_however_long_the_server_is_down() -> None:
    """2**attempt times a float overflowed after 1024 retries (some 9-17 hours down at a 60 s cap)."""
    b = Backoff(base=1.0, cap=60.0, rng=random.Random(7))
    b.attempt = 5000
    assert all(30.0 <= b.next_delay() <= 60.0 for _ in range(3))


def test_a_backlog_larger_than_a_push_body_goes_in_several_pushes(till: Till) -> None:
    """Thirty sales of 500 long lines (~150 KB each): one batch of them would pass the server's 4 MiB body limit
    (413) and stall the outbox; the till keeps each push under it."""
    import datetime as dt

    from cashier_app.core.outbox import append_event
    from shared.ids import CashierId
    from shared.wire import MAX_PUSH_BYTES, OrderPaid, SaleLine

    line = SaleLine(name="特" * 80, quantity=1, unit_price_fen=100, amount_fen=100)
    with UnitOfWork(till.engine) as uow:
        for _ in range(30):
            body = OrderPaid(
                order_id=uuid.uuid4(),
                cashier_id=CashierId("C1"),
                total_fen=50_000,
                paid_fen=50_000,
                paid_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC),
                lines=[line] * 500,
            )
            append_event(uow.conn, body, now=till.clock())
        uow.commit()
    outcome = till.sync.run_once()
    assert outcome.answered == 30 and len(till.toy.applied_orders) == 30
    assert len(till.toy.push_sizes) >= 2 and max(till.toy.push_sizes) <= MAX_PUSH_BYTES
