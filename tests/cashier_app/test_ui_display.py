"""What the customer pays is the biggest thing on the till; the customer window greets with the store's name
(issue 12 item 10). Real widgets, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import delete

from cashier_app.core.db import UnitOfWork, kv
from cashier_app.options import AMOUNT_FONT_PT
from cashier_app.ui.context import AppContext
from cashier_app.ui.customer_window import CustomerWindow
from cashier_app.ui.main_window import MainWindow

from .conftest import Till, app_context, settle


@pytest.fixture
def ctx(till: Till, tmp_path: Path) -> AppContext:
    return app_context(till, tmp_path)


def open_till(qtbot: QtBot, ctx: AppContext) -> tuple[MainWindow, CustomerWindow]:
    customer = CustomerWindow()
    qtbot.addWidget(customer)
    window = MainWindow(ctx, customer=customer)
    qtbot.addWidget(window)
    window.show()
    customer.show()
    qtbot.waitExposed(window)
    return window, customer


def test_the_amount_to_pay_is_the_biggest_text_on_the_till(qtbot: QtBot, ctx: AppContext) -> None:
    window, _ = open_till(qtbot, ctx)
    to_pay = window.checkout.to_pay
    to_pay.ensurePolished()
    assert to_pay.font().pointSize() == ctx.options.get(AMOUNT_FONT_PT) == 36  # not the style sheet's 15 pt
    tallest_other = max(
        w.fontMetrics().height() for w in window.findChildren(QWidget) if w.isVisible() and w is not to_pay
    )
    assert to_pay.fontMetrics().height() > tallest_other


def test_the_amount_font_setting_sizes_the_amount(qtbot: QtBot, ctx: AppContext) -> None:
    ctx.options.set(AMOUNT_FONT_PT, 48)
    window, _ = open_till(qtbot, ctx)
    window.checkout.to_pay.ensurePolished()
    assert window.checkout.to_pay.font().pointSize() == 48


def test_the_customer_window_greets_with_the_stores_name(qtbot: QtBot, ctx: AppContext) -> None:
    _, customer = open_till(qtbot, ctx)
    assert "till 1" not in customer.welcome.text()  # the till's own name is no greeting for a customer
    settle(qtbot)
    assert customer.welcome.text() == "Welcome to Store One"


def test_before_the_first_pull_the_customer_window_just_says_welcome(qtbot: QtBot, ctx: AppContext, till: Till) -> None:
    with UnitOfWork(till.engine) as uow:
        uow.conn.execute(delete(kv).where(kv.c.key == "store"))
        uow.commit()
    window, customer = open_till(qtbot, ctx)
    settle(qtbot)
    assert customer.welcome.text() == "Welcome"
    till.sync.pull_all()
    window.on_pulled()
    settle(qtbot)
    assert customer.welcome.text() == "Welcome to Store One"


PROBE = """
import sys
from cashier_app import main
from cashier_app.ui import customer_window

seen = []

class Recorded(customer_window.CustomerWindow):
    def show(self):
        super().show()
        seen.append(self.welcome.text())  # what the first screen says when it appears

customer_window.CustomerWindow = Recorded
code = main.main(["--self-test", "--lang", "en", "--data-dir", sys.argv[1]])
print("WELCOME:" + "|".join(seen))
sys.exit(code)
"""


def test_the_tills_first_customer_screen_is_not_greeting_with_the_tills_name(tmp_path: Path) -> None:
    """As started by `paidui-cashier` (main.py): the first screen said "欢迎光临 Till 1", the till's own name."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=root,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stdout.splitlines() if x.startswith("WELCOME:")]
    assert line == "WELCOME:Welcome"  # the self-test till ("self-test") has never pulled its store's name
