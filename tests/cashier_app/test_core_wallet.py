"""The till's wallet core (no Qt): the member's wallet, holds and releases over HTTP, and a sale paid partly from it
(docs/wallet.md "Spending at the till")."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from cashier_app.core.checkout import MemberRef, record_checkout
from cashier_app.core.db import UnitOfWork, orders, outbox, reading
from cashier_app.core.errors import TillError
from cashier_app.core.tender import settle
from cashier_app.core.wallet import WalletError, WalletService, default_amount, new_tender_key
from shared.errors import Code

from .conftest import Till
from .toyserver import ToyServer

M1 = MemberRef("M1", "张*")  # type: ignore[arg-type]


@pytest.fixture
def wallet(till: Till, toy: ToyServer) -> Iterator[WalletService]:
    toy.set_wallet("M1", rebate_fen=5_000, points=1_000, vouchers=(2_000,), code="12345678")
    service = WalletService(
        lambda: httpx.Client(transport=httpx.WSGITransport(app=toy.app()), base_url="http://toy.test"),
        credential=till.secrets.credential,
    )
    yield service
    service.close()


def test_the_members_wallet_is_what_they_can_spend(wallet: WalletService) -> None:
    view = wallet.wallet(member_id="M1")
    assert (view.rebate_available_fen, view.points_available, view.points_per_yuan) == (5_000, 1_000, 100)
    assert [(v.voucher_id, v.value_fen) for v in view.vouchers] == [(1, 2_000)]
    assert view.points_worth_fen == 1_000  # 1,000 points at 100 a yuan: ¥10.00
    assert view.available_fen("voucher", 1) == 2_000 and view.available_fen("voucher", 9) == 0


def test_default_amount_is_what_is_due_capped_by_what_is_available() -> None:
    assert default_amount(due_fen=8_000, available_fen=5_000) == 5_000
    assert default_amount(due_fen=3_000, available_fen=5_000) == 3_000


def test_a_hold_reserves_and_its_retry_is_the_same_hold(wallet: WalletService, toy: ToyServer) -> None:
    key = new_tender_key()
    hold = wallet.hold(member_id="M1", kind="rebate", amount_fen=3_000, key=key, payment_code="12345678")
    assert (hold.kind, hold.amount_fen) == ("rebate", 3_000)
    assert wallet.wallet(member_id="M1").rebate_available_fen == 2_000
    again = wallet.hold(member_id="M1", kind="rebate", amount_fen=3_000, key=key, payment_code="12345678")
    assert again.hold_id == hold.hold_id and len(toy.holds) == 1


def test_a_wrong_payment_code_holds_nothing(wallet: WalletService, toy: ToyServer) -> None:
    with pytest.raises(WalletError) as refused:
        wallet.hold(member_id="M1", kind="rebate", amount_fen=3_000, key=new_tender_key(), payment_code="00000000")
    assert refused.value.code == Code.CONSENT_REQUIRED
    with pytest.raises(WalletError) as empty:
        wallet.hold(member_id="M1", kind="rebate", amount_fen=3_000, key=new_tender_key(), payment_code=" ")
    assert empty.value.code == Code.CONSENT_REQUIRED
    assert toy.holds == {}


def test_more_than_the_balance_is_refused(wallet: WalletService) -> None:
    with pytest.raises(WalletError) as refused:
        wallet.hold(member_id="M1", kind="rebate", amount_fen=5_001, key=new_tender_key(), payment_code="12345678")
    assert refused.value.code == Code.INSUFFICIENT_BALANCE


def test_offline_the_wallet_is_refused_as_wallet_offline(wallet: WalletService, toy: ToyServer) -> None:
    toy.down = True
    for call in (
        lambda: wallet.wallet(member_id="M1"),
        lambda: wallet.hold(member_id="M1", kind="rebate", amount_fen=100, key="k", payment_code="12345678"),
    ):
        with pytest.raises(WalletError) as refused:
            call()
        assert refused.value.code == Code.WALLET_OFFLINE
    not_loaded = WalletService(lambda: httpx.Client(base_url="http://127.0.0.1:9"))  # no credential yet
    with pytest.raises(WalletError) as early:
        not_loaded.wallet(member_id="M1")
    assert early.value.code == Code.WALLET_OFFLINE


def test_a_released_hold_gives_the_balance_back(wallet: WalletService, toy: ToyServer) -> None:
    hold = wallet.hold(member_id="M1", kind="rebate", amount_fen=3_000, key=new_tender_key(), payment_code="12345678")
    wallet.release(hold_id=hold.hold_id)
    assert toy.holds[hold.hold_id]["state"] == "released"
    assert wallet.wallet(member_id="M1").rebate_available_fen == 5_000


def _sell(till: Till, total: int, **kw: object):  # type: ignore[no-untyped-def]
    with UnitOfWork(till.engine) as uow:
        return record_checkout(
            uow=uow,
            cashier_id="C1",
            member=M1,
            tender="cash",
            signer=till.signer,
            clock=till.clock,
            total_fen=total,
            **kw,
        )  # type: ignore[arg-type]


def test_a_sale_paid_30_from_the_balance_and_the_rest_in_cash(
    wallet: WalletService, till: Till, toy: ToyServer
) -> None:
    hold = wallet.hold(member_id="M1", kind="rebate", amount_fen=3_000, key=new_tender_key(), payment_code="12345678")
    parts = settle(due_fen=8_000 - 3_000, rest_kind="cash", received_fen=10_000)
    sale = _sell(till, 8_000, tenders=parts, wallet_tenders=[hold.tender()], wallet_left_fen=2_000)
    assert (sale.paid_fen, sale.wallet_paid_fen, sale.change_fen, sale.opens_drawer) == (8_000, 3_000, 5_000, True)
    with reading(till.engine) as conn:
        body = json.loads(conn.execute(select(outbox.c.body)).scalar_one())
        order = conn.execute(select(orders)).one()
    assert body["wallet_tenders"] == [{"hold_id": hold.hold_id, "kind": "rebate", "amount_fen": 3_000}]
    assert body["paid_fen"] == 8_000 and [t["amount_fen"] for t in body["tenders"]] == [5_000]
    assert (order.paid_fen, order.tender) == (8_000, "cash")
    till.sync.run_once()  # the server captures the hold when it ingests the sale
    assert toy.holds[hold.hold_id]["state"] == "captured" and toy.wallets["M1"]["rebate_fen"] == 2_000


def test_vouchers_and_points_are_deductions(wallet: WalletService, till: Till) -> None:
    voucher = wallet.hold(member_id="M1", kind="voucher", voucher_id=1, key=new_tender_key(), payment_code="12345678")
    till.toy.payment_codes["M1"] = "87654321"  # the next code on the member page
    points = wallet.hold(member_id="M1", kind="points", amount_fen=500, key=new_tender_key(), payment_code="87654321")
    assert points.points == 500
    sale = _sell(till, 10_000, tenders=settle(due_fen=7_500), wallet_tenders=[voucher.tender(), points.tender()])
    assert sale.paid_fen == 7_500
    with reading(till.engine) as conn:
        body = json.loads(conn.execute(select(outbox.c.body)).scalar_one())
    assert (body["deduction_voucher_fen"], body["deduction_points_fen"], body["paid_fen"]) == (2_000, 500, 7_500)


def test_a_sale_wholly_from_the_balance_puts_no_cash_in_the_drawer(wallet: WalletService, till: Till) -> None:
    hold = wallet.hold(member_id="M1", kind="rebate", amount_fen=1_500, key=new_tender_key(), payment_code="12345678")
    sale = _sell(till, 1_500, wallet_tenders=[hold.tender()])
    assert (sale.tender, sale.opens_drawer, sale.paid_fen) == ("other", False, 1_500)


def test_wallet_tenders_that_do_not_add_up_are_refused(wallet: WalletService, till: Till) -> None:
    hold = wallet.hold(member_id="M1", kind="rebate", amount_fen=3_000, key=new_tender_key(), payment_code="12345678")
    with pytest.raises(TillError) as refused:
        _sell(till, 8_000, tenders=settle(due_fen=8_000), wallet_tenders=[hold.tender()])
    assert refused.value.code == Code.TENDER_EXCEEDS_DUE
    with reading(till.engine) as conn:
        assert conn.execute(select(orders)).first() is None


def test_a_refund_of_a_wallet_sale_says_what_goes_back_to_the_balance(wallet: WalletService, till: Till) -> None:
    from cashier_app.core.services import TillServices

    services = TillServices(engine=till.engine, clock=till.clock)
    hold = wallet.hold(member_id="M1", kind="rebate", amount_fen=3_000, key=new_tender_key(), payment_code="12345678")
    sale = _sell(till, 8_000, tenders=settle(due_fen=5_000), wallet_tenders=[hold.tender()])
    found = services.find_sale(text=str(sale.receipt_no))
    assert (found.wallet_fen, found.to_balance_fen(8_000), found.to_balance_fen(5_000)) == (3_000, 3_000, 0)
    services.refund(order_id=found.order_id, amount_fen=6_000, manager_pin="1234", reason="")
    again = services.find_sale(text=str(sale.receipt_no))
    assert (again.refundable_fen, again.to_balance_fen(2_000)) == (2_000, 2_000)  # the cash went first
    plain = _sell(till, 1_000, tenders=settle(due_fen=1_000))
    assert services.find_sale(text=str(plain.receipt_no)).wallet_fen == 0
