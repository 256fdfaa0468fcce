"""The till names the checkout point (收银台) it sells for, as the server binds it (issue 12 item 12): in the status
bar, on the receipt, and in the sale's `cashier_id`; the binding comes with a pull that asks for it."""

from __future__ import annotations

import uuid
from pathlib import Path

from pytestqt.qtbot import QtBot

from cashier_app.core.db import UnitOfWork, reading
from cashier_app.core.snapshot import apply_pull
from cashier_app.core.terminal import cashier_id, cashier_name
from cashier_app.ui.main_window import MainWindow
from shared.wire import CheckoutPoint, PullResponse

from .conftest import Till, app_context, settle
from .test_ui_checkout import sales, type_enter


def _bind(till: Till, cashier: str, name: str) -> None:
    pull = till.client.pull(None)
    bound = PullResponse.model_validate({**pull.model_dump(), "checkout": CheckoutPoint(cashier_id=cashier, name=name)})
    with UnitOfWork(till.engine) as uow:
        apply_pull(uow.conn, bound, now=till.clock())
        uow.commit()


def test_a_pull_binds_the_till_and_the_status_bar_and_receipt_name_it(qtbot: QtBot, till: Till, tmp_path: Path) -> None:
    with reading(till.engine) as conn:
        assert cashier_name(conn) == cashier_id(conn)  # before the server names it: the store's first, by id
    _bind(till, "C2", "二号收银台")
    with reading(till.engine) as conn:
        assert (cashier_id(conn), cashier_name(conn)) == ("C2", "二号收银台")
    ctx = app_context(till, tmp_path)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot)
    assert window.status.checkout.text() == "Checkout point: 二号收银台"
    type_enter(qtbot, window.checkout.scan, "")
    type_enter(qtbot, window.checkout.amount, "12")
    [sale] = sales(till)
    assert sale.cashier_id == "C2"
    facts = ctx.services.receipt_facts(order_id=uuid.UUID(sale.order_id))
    assert facts.cashier_name == "二号收银台"
