"""One registry of stable codes (shared.errors.Code), every one of them in words on the till, in both languages."""

from __future__ import annotations

import unicodedata

from PySide6.QtWidgets import QApplication

from cashier_app.ui.i18n import install_translators
from cashier_app.ui.words import code_text, code_words
from shared.errors import Code


def _chinese(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH") for ch in text)


def test_every_code_has_till_words_in_english_and_in_chinese(qapp: QApplication) -> None:
    english = code_words()
    assert set(english) == set(Code), "ui/words.py::code_words must name every shared.errors.Code"
    for code, text in english.items():
        assert text.strip() and code.value not in text and text.isascii(), (code, text)
    translators = install_translators(qapp, "zh_CN")
    try:
        chinese = code_words()
    finally:
        for t in translators:
            qapp.removeTranslator(t)
        install_translators(qapp, "en")
    for code in Code:
        assert _chinese(chinese[code]) and chinese[code] != english[code], (code, chinese[code])


def test_codes_the_till_does_not_know_are_named_not_shown_bare() -> None:
    assert code_text("unknown_member") == "The server does not know this member."  # F7 showed it raw
    assert code_text(Code.UNKNOWN_STORE) == "The server does not know this till's store."
    assert code_text("terminal_revoked") == "This till has been revoked by headquarters."
    assert code_text("a_newer_servers_code") == "Refused by the server (a_newer_servers_code)."
