"""Member sign-in and the signed-in page (wallet, payment code, notifications) in headless Chromium at phone size,
against a real `paidui-server serve` with the file sender; axe-core finds no serious or critical violation.

`PAIDUI_SHOTS=docs/screenshots` writes the phone-size screenshots of the documentation there.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import insert, select

from server.db import tables as t
from server.security.keys import KeyRing
from server.services import admin
from server.services.ingest import Ingest
from server.services.sender import FileSender
from shared.engine.commands import Exchange
from tests.e2e.conftest import ServerProcess
from tests.server.member_support import Shop, open_shop_on

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync"]
PHONE = "13800138000"
SEVERE = ("serious", "critical")
ALWAYS = ("color-contrast", "label", "svg-img-alt", "aria-allowed-attr")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # a phone
    pg = context.new_page()
    errors: list[str] = []
    pg.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource: the server responded")
            else None
        ),
    )
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors  # no script errors, nothing blocked by the Content-Security-Policy


def axe(page: Page, where: str) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [
        f"{where}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:5]}"
        for v in found
        if v["impact"] in SEVERE or v["id"] in ALWAYS
    ]


def shot(page: Page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    target = os.environ.get("PAIDUI_SHOTS")
    if target:
        page.screenshot(path=str(Path(target) / name), full_page=True)


def member_with_a_wallet(served: ServerProcess) -> Shop:
    """m1 (phone 13800138000): two sales an hour ago, the second exchanged for a voucher; a notification."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    keys = KeyRing(served.settings.resolved_key_file)
    base = {"voucher_exchange_enabled": True, "wallet": {"voucher_valid_days": 30, "withdrawal_enabled": True}}
    shop = open_shop_on(served.db, Ingest(served.db), keys, t0=now - dt.timedelta(hours=1), members=(), base=base)
    with served.db.connect() as conn:
        admin.add_member(conn, member_id="m1", at=shop.t0, phone=PHONE)
        admin.add_member(conn, member_id="m2", at=shop.t0)
    shop.sell("a", "m1", 10_000)
    second = shop.sell("b", "m1", 20_000, minutes=1)
    shop.ingest.apply(Exchange(order_id=second, into="voucher", at=now, member_id="m1"))
    with served.db.connect() as conn:
        conn.execute(
            insert(t.MemberNotification).values(
                event_key="rebate:test",
                member_id="m1",
                kind="rebate_received",
                amount_fen=2000,
                ref="",
                due_at=None,
                created_at=now,
                state="sent",
                message_id=None,
                sent_at=now,
            )
        )
    return shop


def last_code(served: ServerProcess) -> str:
    sent = FileSender(served.settings.resolved_sender_file).read()
    code: str = sent[-1]["data"]["code"]
    return code


def sign_in(served: ServerProcess, page: Page, tmp_path: Path | None = None) -> None:
    page.goto(f"{served.url}/m/signin")
    if tmp_path is not None:
        assert axe(page, "/m/signin") == []
        shot(page, tmp_path, "member-signin.png")
    page.fill("#phone", PHONE)
    page.click('[data-field="send-code"]')
    page.wait_for_url(re.compile(r"/m/signin/code\?"))
    assert PHONE not in page.url
    if tmp_path is not None:
        assert axe(page, "/m/signin/code") == []
    page.fill("#code", last_code(served))
    page.click('[data-field="sign-in"]')
    page.wait_for_url(re.compile(r"/m/me\?"))


def test_a_member_signs_in_at_phone_size_and_sees_the_wallet(served: ServerProcess, page: Page, tmp_path: Path) -> None:
    member_with_a_wallet(served)
    sign_in(served, page, tmp_path)
    assert page.locator('[data-field="signed-in-as"]').inner_text() == "已登录：138****8000"
    assert page.locator('[data-field="wallet-rebate"]').inner_text() == "¥30.00"  # 10% of 100.00 and of 200.00
    assert page.locator('[data-field="voucher"]').count() == 1
    assert "¥200.00 购物券" in page.locator('[data-field="voucher"]').inner_text()  # b received nothing: a is the head
    assert re.fullmatch(r"\d{4} \d{4}", page.locator('[data-field="payment-code"]').inner_text())
    assert page.locator('[data-field="member-code"] svg').count() == 1
    assert "排队返利到账 ¥20.00" in page.locator('[data-field="notifications"]').inner_text()
    assert "全返" not in page.content()
    page.click("#ledger-title")
    expect(page.locator('[data-field="ledger-line"]').first).to_be_visible()
    assert axe(page, "/m/me") == []
    shot(page, tmp_path, "member-wallet.png")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"

    # a withdrawal request: reserved at once, reviewed by headquarters
    page.fill("#withdraw-amount", "12.50")
    page.click('[data-field="withdraw"]')
    page.wait_for_selector('[data-field="notice"]')
    assert "¥12.50 已从余额中预留" in page.locator('[data-field="notice"]').inner_text()
    assert page.locator('[data-field="wallet-rebate"]').inner_text() == "¥17.50"
    assert "审核中" in page.locator('[data-field="withdrawal"]').inner_text()

    # a points transfer asks for a confirmation first; without points it is refused in words
    page.fill("#transfer-to", "m2")
    page.fill("#transfer-points", "5")
    page.click('[data-field="transfer"]')
    page.wait_for_selector('[data-field="confirm-text"]')
    assert page.locator('[data-field="confirm-text"]').inner_text() == "把 5 积分转给 会员？转出后不能撤回。"
    assert axe(page, "/m/me/transfer/confirm") == []
    with page.expect_navigation() as nav:
        page.click('[data-field="confirm-transfer"]')
    assert nav.value is not None and nav.value.status == 409
    page.goto(f"{served.url}/m/me")

    # the payment code counts down under the page's Content-Security-Policy
    left = page.locator('[data-field="payment-code-left"]')
    before = left.inner_text()
    page.wait_for_function("old => document.getElementById('payment-code-left').textContent !== old", arg=before)

    page.click('[data-field="sign-out"]')
    page.wait_for_url(re.compile(r"/m/signin"))
    page.goto(f"{served.url}/m/me")
    assert "/m/signin" in page.url  # signed out: the wallet is not shown any more


def test_a_wrong_code_is_said_in_words_and_english_works(served: ServerProcess, page: Page) -> None:
    member_with_a_wallet(served)
    page.goto(f"{served.url}/m/signin?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.fill("#phone", PHONE)
    page.click('[data-field="send-code"]')
    page.wait_for_url(re.compile(r"/m/signin/code\?"))
    right = last_code(served)
    page.fill("#code", f"{(int(right) + 1) % 1_000_000:06d}")
    with page.expect_navigation() as nav:
        page.click('[data-field="sign-in"]')
    assert nav.value is not None and nav.value.status == 401
    assert "wrong, used already or expired" in page.locator('[data-field="error"]').inner_text()
    assert page.locator("#code").get_attribute("aria-invalid") == "true"
    page.fill("#code", right)
    page.click('[data-field="sign-in"]')
    page.wait_for_url(re.compile(r"/m/me\?"))
    assert page.locator('[data-field="wallet-rebate"]').inner_text() == "¥30.00"
    assert "Rebate balance" in page.inner_text("body")
    with served.db.connect() as conn:
        assert conn.execute(select(t.MemberSession.member_id)).scalars().all() == ["m1"]
