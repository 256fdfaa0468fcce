"""Guards for the Qt stack: the PySide6 6.12 None-refcount defect, translations complete and loaded."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import i18n as build_i18n  # noqa: E402


def test_pyside6_is_below_6_12() -> None:
    major, minor = (int(x) for x in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12), "PySide6 6.12.0 aborts on Python 3.11 (none_dealloc); stay on 6.11.x"


def test_void_qt_calls_do_not_drain_none_refcount(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for i in range(100_000):
        label.setText("x" if i % 2 else "y")
    after = sys.getrefcount(None)
    assert after >= before - 100, (before, after)  # 6.12.0 loses one per call


def test_every_string_has_a_chinese_translation(tmp_path: Path) -> None:
    committed = build_i18n.TS
    assert build_i18n.untranslated(committed) == []
    fresh = tmp_path / "fresh.ts"
    shutil.copy(committed, fresh)
    build_i18n.lupdate(fresh)  # what the sources say now, merged with the committed translations
    assert build_i18n.untranslated(fresh) == [], "run packaging/i18n.py and translate the new strings"


def test_compiled_translation_is_loaded(qapp) -> None:
    from cashier_app.ui.i18n import install_translators
    from cashier_app.ui.words import code_text

    assert build_i18n.QM.exists() and build_i18n.QM.stat().st_mtime >= build_i18n.TS.stat().st_mtime - 1
    translators = install_translators(qapp, "zh_CN")
    try:
        assert code_text("pin_wrong") == "店长密码错误。"
        assert QCoreApplication.translate("CustomerWindow", "Queue position pending sync") == "排队位置待同步"
    finally:
        for t in translators:
            qapp.removeTranslator(t)
        install_translators(qapp, "en")  # back to the source language and locale for the other tests
    assert code_text("pin_wrong") == "Wrong manager PIN."
    with pytest.raises(ValueError):
        install_translators(qapp, "fr")
