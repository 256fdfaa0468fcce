"""The widgets' services: refusals and database failures come back as TillError with a Code; nothing written
after a commit is ever reported as not saved."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select

from cashier_app.core.db import orders, reading
from cashier_app.core.errors import TillError
from cashier_app.core.services import TillServices
from shared.errors import Code

from .conftest import Till


def order_count(till: Till) -> int:
    with reading(till.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())


def sell(services: TillServices, till: Till, total_fen: int = 1000) -> object:
    return services.sell(member=None, total_fen=total_fen, deduction_points_fen=0, tender="cash", signer=till.signer)


def test_a_pool_timeout_is_sale_not_saved_and_writes_nothing(till: Till) -> None:
    starved = create_engine(till.engine.url, pool_size=1, max_overflow=0, pool_timeout=0.05)
    held = starved.connect()
    try:
        with pytest.raises(TillError) as caught:
            sell(TillServices(engine=starved, clock=till.clock), till)
    finally:
        held.close()
        starved.dispose()
    assert (caught.value.code, caught.value.detail) == (Code.SALE_NOT_SAVED, "TimeoutError")
    assert order_count(till) == 0


def test_a_count_that_fails_after_the_commit_does_not_unsay_the_sale(
    till: Till, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = TillServices(engine=till.engine, clock=till.clock)

    def broken() -> int:
        raise TillError(Code.LOCAL_DATABASE, "OperationalError")

    monkeypatch.setattr(services, "pending_count", broken)
    recorded = sell(services, till)
    assert recorded.pending is None and recorded.sale.receipt_no == 1 and order_count(till) == 1  # type: ignore


def test_refusals_carry_their_code(till: Till) -> None:
    services = TillServices(engine=till.engine, clock=till.clock)
    with pytest.raises(TillError) as caught:
        services.find_sale(text="no such sale")
    assert caught.value.code == Code.ORDER_NOT_FOUND
    found = services.find_sale(text=str(uuid.UUID(int=7)))  # another till's sale: by its order id
    assert not found.local and found.order_id == str(uuid.UUID(int=7))
    with pytest.raises(TillError) as caught:
        services.register_member(phone="12345")
    assert caught.value.code == Code.INVALID_PHONE
    with pytest.raises(TillError) as caught:
        services.close_shift(manager_pin="0000", counted_cash_fen=0)
    assert caught.value.code == Code.PIN_WRONG
