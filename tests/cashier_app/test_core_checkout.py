from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from cashier_app.core.checkout import CheckoutError, MemberRef, record_checkout, record_refund, register_member
from cashier_app.core.db import UnitOfWork, orders, outbox, reading, refunds
from cashier_app.core.outbox import pending_count
from cashier_app.core.pin import PinError
from cashier_app.core.terminal import cashier_id
from shared.tokens import Purpose, public_key_from_text, verify

from .conftest import Till


def sell(till: Till, total: int, *, member: MemberRef | None = None, deduction: int = 0, tender: str = "cash"):
    with UnitOfWork(till.engine) as uow:
        return record_checkout(
            uow=uow,
            cashier_id="C1",
            member=member,
            total_fen=total,
            deduction_points_fen=deduction,
            tender=tender,
            signer=till.signer,
            clock=till.clock,
        )


def test_checkout_writes_order_and_outbox_event_together(till: Till) -> None:
    sale = sell(till, 12_345, member=MemberRef("M1", "张*"), deduction=345, tender="wechat")
    with reading(till.engine) as conn:
        order = conn.execute(select(orders)).one()
        event = conn.execute(select(outbox)).one()
    assert (order.paid_fen, order.total_fen, order.tender, order.synced) == (12_000, 12_345, "wechat", False)
    body = json.loads(event.body)
    assert body["order_id"] == str(sale.order_id) and body["paid_fen"] == 12_000
    assert body["deduction_points_fen"] == 345 and body["member_id"] == "M1"
    assert (event.seq, event.state, sale.receipt_no) == (1, "pending", 1)


def test_seq_is_gapless_across_kinds(till: Till) -> None:
    a = sell(till, 100)
    with UnitOfWork(till.engine) as uow:
        m = register_member(uow=uow, phone="13912345678", clock=till.clock)
    with UnitOfWork(till.engine) as uow:
        r = record_refund(uow=uow, order_id=a.order_id, amount_fen=50, manager_pin="1234", clock=till.clock)
    b = sell(till, 200, member=m)
    with reading(till.engine) as conn:
        seqs = [row.seq for row in conn.execute(select(outbox.c.seq).order_by(outbox.c.seq))]
    assert seqs == [1, 2, 3, 4] and (a.seq, r.seq, b.seq) == (1, 3, 4)


def test_order_link_is_signed_by_the_terminal_key(till: Till) -> None:
    sale = sell(till, 100)
    base, _, token = sale.order_link.rpartition("/m/")
    assert base == "http://toy.test"
    keys = {f"t:{till.info.terminal_id}": public_key_from_text(till.toy.public_keys[till.info.terminal_id])}
    parsed = verify(token, keys=keys, purpose=Purpose.ORDER_PAGE, now=till.clock().timestamp())
    assert parsed.claims == {"o": str(sale.order_id)}


@pytest.mark.parametrize(
    ("total", "deduction", "member", "code"),
    [
        (0, 0, None, "invalid_amount"),
        (100, 101, MemberRef("M1", "x"), "deduction_exceeds_total"),
        (100, 10, None, "deduction_needs_member"),
    ],
)
def test_bad_sales_are_refused_and_nothing_written(till: Till, total, deduction, member, code) -> None:
    with pytest.raises(CheckoutError) as exc:
        sell(till, total, member=member, deduction=deduction)
    assert exc.value.code == code
    with reading(till.engine) as conn:
        assert pending_count(conn) == 0


def test_refund_needs_pin_and_stays_within_paid(till: Till) -> None:
    sale = sell(till, 1000)
    with UnitOfWork(till.engine) as uow, pytest.raises(PinError):
        record_refund(uow=uow, order_id=sale.order_id, amount_fen=100, manager_pin="9999", clock=till.clock)
    with UnitOfWork(till.engine) as uow:
        record_refund(uow=uow, order_id=sale.order_id, amount_fen=600, manager_pin="1234", clock=till.clock)
    with UnitOfWork(till.engine) as uow, pytest.raises(CheckoutError) as exc:
        record_refund(uow=uow, order_id=sale.order_id, amount_fen=401, manager_pin="1234", clock=till.clock)
    assert exc.value.code == "refund_exceeds_paid"
    with reading(till.engine) as conn:
        assert conn.execute(select(orders.c.refunded_fen)).scalar_one() == 600
        assert conn.execute(select(refunds.c.amount_fen)).scalars().all() == [600]


def test_refund_of_another_terminals_sale_by_order_id(till: Till) -> None:
    other = uuid.uuid4()
    with UnitOfWork(till.engine) as uow:
        refund = record_refund(uow=uow, order_id=other, amount_fen=500, manager_pin="1234", clock=till.clock)
    assert refund.local_order is False
    with reading(till.engine) as conn:
        assert conn.execute(select(refunds.c.tender)).scalar_one() is None


def test_cashier_comes_from_the_pulled_store(till: Till) -> None:
    with reading(till.engine) as conn:
        assert cashier_id(conn) == "C1"
