"""Points deduction (积分抵扣) at the till, through the real widgets (issue 12 item 4): never more than the server last
said the member's points are worth, less what this till deducted since; never for a walk-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from cashier_app.core.db import UnitOfWork, members, orders, reading
from cashier_app.ui.main_window import MainWindow

from .conftest import Till, app_context, settle
from .test_ui_checkout import type_enter


@pytest.fixture
def window(qtbot: QtBot, till: Till, tmp_path: Path) -> MainWindow:
    w = MainWindow(app_context(till, tmp_path))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def sell(qtbot: QtBot, window: MainWindow, member: str | None, amount: str, deduction: str) -> None:
    panel = window.checkout
    if member:
        type_enter(qtbot, panel.scan, member)
    panel.amount.setText(amount)
    panel.deduction.setFocus()
    panel.deduction.setText(deduction)
    qtbot.keyClick(panel.deduction, Qt.Key.Key_Return)
    settle(qtbot)


def sales(till: Till) -> list[tuple[str | None, int, int]]:
    with reading(till.engine) as conn:
        rows = conn.execute(select(orders.c.member_id, orders.c.total_fen, orders.c.deduction_points_fen)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


TOO_MUCH = "The points deduction is more than the member's points are worth (last sync)."


def test_a_deduction_above_the_members_points_is_refused(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    panel = window.checkout
    type_enter(qtbot, panel.scan, "13800001234")
    assert "Points deduction: up to ¥50.00 (last sync)" in panel.card.details.text()  # 50 points, 1 point a yuan
    sell(qtbot, window, None, "100", "60")
    assert panel.message.text() == TOO_MUCH and sales(till) == []
    assert panel.member is not None and panel.deduction.text() == "60"  # the sale is kept as typed
    panel.deduction.setText("50")
    qtbot.keyClick(panel.deduction, Qt.Key.Key_Return)
    settle(qtbot)
    assert sales(till) == [("M1", 10_000, 5_000)]
    sell(qtbot, window, "13800001234", "10", "1")  # what this till deducted since the pull is spent
    assert panel.message.text() == TOO_MUCH and len(sales(till)) == 1
    till.toy.set_points("M1", 80)  # the server says so at the next pull
    till.sync.pull_all()
    sell(qtbot, window, "13800001234", "10", "1")
    assert len(sales(till)) == 2


def test_a_deduction_for_a_walk_in_is_refused(qtbot: QtBot, window: MainWindow, till: Till) -> None:
    sell(qtbot, window, None, "100", "5")
    assert window.checkout.message.text() == "A points deduction needs a member." and sales(till) == []


def test_no_deduction_while_the_server_never_said_what_the_member_holds(
    qtbot: QtBot, window: MainWindow, till: Till
) -> None:
    """A server of before sends no balance (nor a member new today): nothing can be deducted."""
    with UnitOfWork(till.engine) as uow:
        uow.conn.execute(members.update().values(points=None, points_at=None))
        uow.commit()
    sell(qtbot, window, "13800001234", "100", "1")
    assert window.checkout.message.text() == TOO_MUCH and sales(till) == []
