"""F8, the receipt's print preview, opened and closed 20 times (issue 12 item 8: it crashed the till 3 times of 3 when
the printer it paints on was freed while the preview still used it)."""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintPreviewWidget
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cashier_app.ui.main_window import MainWindow
from cashier_app.ui.receipt import ReceiptPreview

from .conftest import Till, app_context
from .test_ui_checkout import type_enter


def test_the_print_preview_opens_and_closes_20_times(qtbot: QtBot, till: Till, tmp_path: Path) -> None:
    window = MainWindow(app_context(till, tmp_path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    type_enter(qtbot, window.checkout.amount, "42")
    for i in range(20):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F8)  # where the keys are: back at the sale
        assert "print" in window.dialogs, f"F8 opened no preview (time {i + 1})"
        preview = window.dialogs.pop("print")
        assert isinstance(preview, ReceiptPreview)
        qtbot.waitExposed(preview)
        gc.collect()  # what freed the printer under the preview before
        pages = preview.findChild(QPrintPreviewWidget)
        assert pages is not None
        pages.updatePreview()  # paints the receipt on the printer again
        QApplication.processEvents()
        assert preview.isVisible() and pages.pageCount() == 1
        preview.close()
        preview.deleteLater()
        qtbot.waitUntil(lambda p=preview: not p.isVisible())
        gc.collect()
        QApplication.processEvents()
        assert QApplication.focusWidget() is window.checkout.scan  # closed: the keys are back at the sale
    assert window.isVisible()
