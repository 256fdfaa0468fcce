"""The member page in headless Chromium against a real `paidui-server serve` (SQLite and PostgreSQL).

The server runs on the wall clock in its own process, so the sales are made "an hour ago" and links expire
relative to now; the figures the page must show are computed here from the sales, independently of the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import func, select

from server.db import tables as t
from server.security.keys import KeyRing
from server.services.ingest import Ingest
from shared.engine.commands import ChangeSettings
from shared.money import format_fen, pct
from tests.e2e.conftest import ServerProcess
from tests.server.member_support import Shop, open_shop_on, queue_of_four

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOTTERY = {"lottery": {"mode": "fixed", "options": [{"ratio_bp": 5000}, {"ratio_bp": 20000}]}}


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
    # HTTP refusals are asserted by the tests themselves; anything else (a script error, a resource the
    # Content-Security-Policy refused) fails the test
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


def shop_on(served: ServerProcess, **kw: object) -> Shop:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    keys = KeyRing(served.settings.resolved_key_file)
    return open_shop_on(served.db, Ingest(served.db), keys, t0=now - dt.timedelta(hours=1), **kw)  # type: ignore[arg-type]


def yuan(fen: int) -> str:
    return f"¥{format_fen(fen)}"


def field(page: Page, name: str, order: str | None = None) -> str:
    scope = f'[data-order="{order}"] ' if order else ""
    return " ".join(page.locator(f'{scope}[data-field="{name}"]').first.inner_text().split())


def test_the_page_shows_the_right_figures(served: ServerProcess, page: Page, tmp_path: Path) -> None:
    shop = shop_on(served)
    queue_of_four(shop)
    sales = {"a": 10_000, "b": 5_000, "c": 20_000, "d": 3_000}
    contributions = sum(pct(v, 1000) for v in sales.values())
    paid_a = min(sales["a"], contributions)  # every 10% goes to the head, m1's first entry
    ahead_c = sales["a"] - paid_a + sales["b"]
    estimate_c = -(-ahead_c * len(sales) // contributions)
    a, c = shop.orders["a"], shop.orders["c"]

    response = page.goto(f"{served.url}/m/{shop.member_link('m1')}")
    assert response is not None and response.status == 200
    assert field(page, "cumulative") == yuan(paid_a)
    assert field(page, "pending") == yuan(sales["a"] - paid_a + sales["c"])
    assert field(page, "position", a) == "当前排第 1 位"
    assert field(page, "progress", a) == f"已获 {yuan(paid_a)} / 权益 {yuan(sales['a'])}"
    assert field(page, "remaining", a) == f"待奖励 {yuan(sales['a'] - paid_a)}"
    assert field(page, "position", c) == "当前排第 3 位"
    assert field(page, "ahead", c) == f"前面还有 2 条，待奖励共 {yuan(ahead_c)}"
    assert field(page, "estimate", c).startswith(f"估算：约再有 {estimate_c} 笔订单后开始获得奖励")
    assert page.locator('[data-field="member-code"] svg').count() == 1
    body = page.content()
    assert shop.orders["b"] not in body and shop.orders["d"] not in body and "全返" not in body
    page.screenshot(path=str(tmp_path / "member-page.png"), full_page=True)

    # the member code refreshes in place (a new code, the script runs under the CSP)
    before = page.locator('[data-field="member-code"]').inner_html()
    page.click("#member-code-refresh")
    page.wait_for_function(
        "old => document.querySelector('[data-field=\"member-code\"]').innerHTML !== old", arg=before
    )
    assert "/m/" in page.url  # stayed on the page

    # an order's link (its receipt, the customer screen): that sale's entry only, no member code (issue 12 item 5)
    response = page.goto(f"{served.url}/m/{shop.order_link(c)}")
    assert response is not None and response.status == 200
    assert field(page, "this-order", c) == "本单" and field(page, "position", c) == "当前排第 3 位"
    assert page.locator("article.entry").count() == 1 and a not in page.content()
    assert page.locator('[data-field="member-code"]').count() == 0


def test_the_draw_works_once(served: ServerProcess, browser: Browser, page: Page) -> None:
    shop = shop_on(served, store=LOTTERY)
    order = shop.sell("a", "m1", 10_000)
    link = f"{served.url}/m/{shop.member_link('m1')}"
    second_tab = page.context.new_page()
    page.goto(link)
    second_tab.goto(link)  # the same page open twice: both show the button

    page.click(f'[data-order="{order}"] [data-field="draw"]')
    page.wait_for_selector('[data-field="notice"]')
    with served.db.connect() as conn:
        results = conn.execute(select(t.LotteryDraw.result_bp)).scalars().all()
    assert len(results) == 1 and results[0] in (5000, 20_000)
    assert field(page, "notice") == (
        f"抽奖结果：奖励比例 {results[0] // 100}%，本条奖励权益 {yuan(pct(10_000, results[0]))}。"
    )
    assert page.locator('[data-field="draw"]').count() == 0

    with second_tab.expect_navigation() as nav:
        second_tab.click(f'[data-order="{order}"] [data-field="draw"]')
    assert nav.value is not None and nav.value.status == 409
    assert "已抽过奖" in second_tab.inner_text("body")
    with served.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.LotteryDraw)).scalar() == 1
    second_tab.close()


def test_tampered_and_expired_links_are_refused(served: ServerProcess, page: Page) -> None:
    shop = shop_on(served)
    shop.sell("a", "m1", 10_000)
    good = shop.member_link("m1")
    head, body, sig = good.split(".")
    tampered = f"{head}.{body[:-1]}{'A' if body[-1] != 'A' else 'B'}.{sig}"
    r = page.goto(f"{served.url}/m/{tampered}")
    assert r is not None and r.status == 403
    assert "此链接无效" in page.inner_text("body")
    expired = shop.member_link("m1", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    r = page.goto(f"{served.url}/m/{expired}")
    assert r is not None and r.status == 410
    assert "已过期" in page.inner_text("body")
    order_expired = shop.order_link(shop.orders["a"], expires=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    r = page.goto(f"{served.url}/m/{order_expired}")
    assert r is not None and r.status == 410


def test_english(served: ServerProcess, browser: Browser, page: Page) -> None:
    shop = shop_on(served)
    order = shop.sell("a", "m1", 10_000)
    page.goto(f"{served.url}/m/{shop.member_link('m1')}?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert field(page, "position", order) == "Position 1 in the queue"
    assert field(page, "progress", order) == f"Received {yuan(1000)} of {yuan(10_000)}"
    page.click('[data-field="switch-lang"]')  # and back to Chinese
    assert field(page, "position", order) == "当前排第 1 位"
    english_phone = browser.new_context(locale="en-US")
    try:
        other = english_phone.new_page()
        other.goto(f"{served.url}/m/{shop.member_link('m1')}")
        assert "Rewards received" in other.inner_text("body")
    finally:
        english_phone.close()


def test_display_switches_hide_fields(served: ServerProcess, page: Page) -> None:
    shop = shop_on(served)
    order = shop.sell("a", "m1", 10_000)
    link = f"{served.url}/m/{shop.member_link('m1')}"
    page.goto(link)
    for name in ("queue-id", "position", "progress", "remaining", "cumulative", "pending"):
        assert page.locator(f'[data-field="{name}"]').count() == 1, name
    off = {"queue_id": False, "progress": False, "cumulative": False, "pending": False, "pending_amount": False}
    shop.ingest.apply(ChangeSettings(at=dt.datetime.now(dt.UTC), base={"display": off}, actor="hq"))
    page.goto(link)
    for name in ("queue-id", "position", "progress", "remaining", "cumulative", "pending"):
        assert page.locator(f'[data-field="{name}"]').count() == 0, name
    assert page.locator(f'[data-order="{order}"] [data-field="status"]').inner_text() == "排队中"
