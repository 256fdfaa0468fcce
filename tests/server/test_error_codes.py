"""One registry of stable codes (shared/errors.py `Code`): every code has words in both languages on the console and
on the member page, and the API gives each refusal its HTTP status in one place (server/api/errors.py)."""

from __future__ import annotations

import re

import pytest

from server.api.errors import STATUS, http_status
from server.console.i18n import CODES as CONSOLE_CODES
from server.console.i18n import refusal, translate
from server.member_page.i18n import CODES as MEMBER_CODES
from server.member_page.i18n import LANGS, MESSAGES, Words
from shared.errors import Code

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("code", list(Code))
def test_every_code_has_words_on_the_console_in_both_languages(code: Code) -> None:
    assert code in CONSOLE_CODES, f"server/console/i18n.py CODES has no words for {code.value}"
    zh, en = translate("zh", f"error.{code.value}"), translate("en", f"error.{code.value}")
    assert HAN.search(zh) and not HAN.search(en), (zh, en)
    assert code.value not in (zh, en)  # words, not the code shown back
    assert refusal("en", code, "store S9") == f"{en}: store S9"


@pytest.mark.parametrize("code", list(Code))
def test_every_code_has_words_on_the_member_page_in_both_languages(code: Code) -> None:
    for lang in LANGS:
        assert code in MEMBER_CODES[lang], f"server/member_page/i18n.py CODES[{lang!r}] has no words for {code.value}"
    zh, en = Words("zh").code(code), Words("en").code(code)
    assert HAN.search(zh) and not HAN.search(en), (zh, en)
    assert "全返" not in zh
    if code.value not in MESSAGES["en"]:  # a page's message may name a code by its value (`link_expired`)
        assert Words("en")(code.value) == en


def test_only_known_codes_have_a_status_and_a_rule_refusal_is_unprocessable() -> None:
    assert set(STATUS) <= set(Code)
    assert http_status(Code.UNKNOWN_STORE) == 422
    assert (http_status(Code.UNAUTHORIZED), http_status(Code.NOT_FOUND), http_status(Code.RATE_LIMITED)) == (
        401,
        404,
        429,
    )


def test_the_registry_keeps_its_values_stable() -> None:
    """Tills and scripts match on the values: each is its own name in lower case, and none repeats."""
    assert all(code.value == code.name.lower() for code in Code)
    assert len({code.value for code in Code}) == len(Code)
