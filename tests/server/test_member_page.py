"""The member page over HTTP (in process): figures, display switches, links refused, draw once, exchange, limits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.app import create_app
from server.clock import FixedClock
from server.config import ServerSettings
from server.db import tables as t
from server.member_page import forms, qr
from server.member_page.i18n import MESSAGES
from server.security.member_codes import issue_member_code, verify_member_code
from server.services import levels, terminals
from shared.engine.commands import SetMemberLevel
from shared.money import format_fen, pct

from .member_support import enrol, open_shop, queue_of_four
from .support import T0, live_server

LOTTERY = {"lottery": {"mode": "fixed", "options": [{"ratio_bp": 5000}, {"ratio_bp": 20000}]}}


class Fields(HTMLParser):
    """Text of every element with a data-field attribute, keyed by (data-order of the enclosing entry, field)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: dict[tuple[str | None, str], str] = {}
        self._order: list[str | None] = [None]
        self._open: list[tuple[str, str | None, int]] = []  # (field, order, depth)
        self._depth = 0
        self._text: dict[int, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "meta", "link", "br", "img"):
            return
        self._depth += 1
        self._order.append(a.get("data-order", self._order[-1]))
        if a.get("data-field"):
            self._open.append((str(a["data-field"]), self._order[-1], self._depth))
            self._text[self._depth] = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("input", "meta", "link", "br", "img"):
            return
        if self._open and self._open[-1][2] == self._depth:
            field, order, depth = self._open.pop()
            self.found[(order, field)] = " ".join("".join(self._text.pop(depth)).split())
        self._order.pop()
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        for depth in self._text:
            self._text[depth].append(data)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + dt.timedelta(hours=1))


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    """Real HTTP on a loopback port (starlette's TestClient is deprecated with httpx)."""
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def yuan(fen: int) -> str:
    return f"¥{format_fen(fen)}"


# ---------------------------------------------------------------------------------------------- figures


def test_the_page_shows_the_members_own_figures(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app)
    queue_of_four(shop)
    # computed here, independently of the server: every 10% goes to the head (a) until it is full
    sales = {"a": 10_000, "b": 5_000, "c": 20_000, "d": 3_000}
    contributions = {k: pct(v, 1000) for k, v in sales.items()}
    paid_a = min(sales["a"], sum(contributions.values()))
    ahead_c = (sales["a"] - paid_a) + sales["b"]  # a and b are ahead of c, nothing paid to b yet
    estimate_c = -(-ahead_c * len(sales) // sum(contributions.values()))

    r = client.get(f"/m/{shop.member_link('m1')}")
    assert r.status_code == 200
    f = Fields(r.text).found
    a, c = shop.orders["a"], shop.orders["c"]
    assert f[(None, "cumulative")] == yuan(paid_a)
    assert f[(None, "pending")] == yuan(sales["a"] - paid_a + sales["c"])
    assert f[(a, "position")] == "当前排第 1 位"
    assert f[(a, "progress")] == f"已获 {yuan(paid_a)} / 权益 {yuan(sales['a'])}"
    assert f[(a, "remaining")] == f"待奖励 {yuan(sales['a'] - paid_a)}"
    assert f[(a, "queue-id")] == "C1 · 第 1 号"
    assert (a, "at-head") in f
    assert f[(c, "position")] == "当前排第 3 位"
    assert f[(c, "ahead")] == f"前面还有 2 条，待奖励共 {yuan(ahead_c)}"
    assert f[(c, "estimate")].startswith(f"估算：约再有 {estimate_c} 笔订单后开始获得奖励")
    assert "不作保证" in f[(c, "estimate")] and "¥9.50" in f[(c, "estimate")]
    # nobody else's entry, name or order is on the page
    assert shop.orders["b"] not in r.text and shop.orders["d"] not in r.text
    assert not re.search(r"(?<![A-Za-z0-9_-])m2(?![A-Za-z0-9_-])", r.text)  # "m2" may occur inside a token
    assert "全返" not in r.text


def test_an_order_link_shows_that_sale_only_and_cannot_act_as_the_member(app: FastAPI, client: httpx.Client) -> None:
    """Issue 12 item 5: a receipt's or a customer screen's QR code is found by others. It shows that sale's entry;
    never the member's live member code (which sells as them), their other entries or totals, nor a button."""
    shop = open_shop(app, store=LOTTERY, base={"points_exchange_enabled": True})
    queue_of_four(shop)
    c = shop.orders["c"]
    link = shop.order_link(c)
    r = client.get(f"/m/{link}")
    assert r.status_code == 200
    f = Fields(r.text).found
    assert (c, "this-order") in f and (c, "status") in f
    assert shop.orders["a"] not in r.text  # the member's other entry
    names = {name for _, name in f}
    assert not names & {"member-code", "member-code-valid", "cumulative", "pending", "draw", "exchange"}
    assert "member-code" not in r.text and f[(None, "order-link-note")] == MESSAGES["zh"]["order_link_note"]
    code = client.get(f"/m/{link}/code")
    assert code.status_code == 403 and "svg" not in code.json()
    # a draw or an exchange through the order link is refused, even with a form token the member's page issued
    own = client.get(f"/m/{shop.member_link('m1')}").text
    assert 'data-field="member-code"' in own and 'data-field="draw"' in own  # the member's own link: all of it
    form = _form(own, c)
    assert client.post(f"/m/{link}/draw", data=form).status_code == 403
    assert client.get(f"/m/{link}/exchange", params={"o": c}).status_code == 403
    assert client.post(f"/m/{link}/exchange", data={**form, "into": "points", "amount": "1"}).status_code == 403
    with app.state.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.LotteryDraw)).scalar() == 0


def test_the_page_names_the_members_level_as_the_catalog_does(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app)
    with app.state.db.connect() as conn:
        levels.save(conn, level_id="gold", name_zh="金卡会员", name_en="Gold member", rank=1, actor="t", at=T0)
    app.state.ingest.apply(SetMemberLevel(member_id="m1", level="gold", at=T0))
    queue_of_four(shop)
    assert Fields(client.get(f"/m/{shop.member_link('m1')}").text).found[(None, "level")] == "会员等级：金卡会员"
    english = client.get(f"/m/{shop.member_link('m1')}", params={"lang": "en"}).text
    assert Fields(english).found[(None, "level")] == "Member level: Gold member"
    assert (None, "level") not in Fields(client.get(f"/m/{shop.member_link('m2')}").text).found  # no level


def test_display_switches_hide_each_field(app: FastAPI, client: httpx.Client) -> None:
    off = {"queue_id": False, "progress": False, "cumulative": False, "pending": False, "pending_amount": False}
    shop = open_shop(app, base={"display": off})
    queue_of_four(shop)
    f = Fields(client.get(f"/m/{shop.member_link('m1')}").text).found
    names = {name for _, name in f}
    assert not names & {
        "queue-id",
        "position",
        "progress",
        "ahead",
        "estimate",
        "at-head",
        "cumulative",
        "pending",
        "remaining",
    }
    assert "status" in names and "member-code" in names  # the rest of the page is still there


def test_english_by_query_or_accept_language(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app)
    queue_of_four(shop)
    link = shop.member_link("m1")
    f = Fields(client.get(f"/m/{link}?lang=en").text).found
    assert f[(shop.orders["a"], "position")] == "Position 1 in the queue"
    r = client.get(f"/m/{link}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="en"' in r.text and "Rewards received" in r.text
    r = client.get(f"/m/{link}", headers={"Accept-Language": "fr-FR, zh-CN;q=0.8"})
    assert 'lang="zh-CN"' in r.text


def test_security_headers(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app)
    r = client.get(f"/m/{shop.member_link('m1')}")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "same-origin" and r.headers["cache-control"] == "no-store"
    assert client.get("/m/static/member.css").status_code == 200
    sneaky = client.get("/m/static/%2e%2e%2fapp.py")
    assert sneaky.status_code in (403, 404) and "import" not in sneaky.text
    assert client.get("/m/static/secret.txt").status_code == 404


def test_the_member_code_is_a_valid_short_lived_code(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    shop = open_shop(app)
    r = client.get(f"/m/{shop.member_link('m1')}/code?lang=en")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["svg"].startswith("<svg") and body["valid"].startswith("Valid until ")
    code = issue_member_code(app.state.keys, "m1", clock.now())
    assert verify_member_code(app.state.keys, code, clock.now()) == "m1"


# ---------------------------------------------------------------------------------------------- links refused


def test_refused_links(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    shop = open_shop(app)
    queue_of_four(shop)
    good = shop.member_link("m1")
    head, body, sig = good.split(".")
    tampered = f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{sig}"
    assert client.get(f"/m/{tampered}").status_code == 403
    assert client.get("/m/not-a-token").status_code == 403
    assert client.get(f"/m/{good}x").status_code == 403
    member_code = issue_member_code(app.state.keys, "m1", clock.now())
    assert client.get(f"/m/{member_code}").status_code == 403  # a member code is not a page link
    expired = shop.member_link("m1", now=clock.now() - dt.timedelta(days=31))
    r = client.get(f"/m/{expired}")
    assert r.status_code == 410 and "已过期" in r.text
    order_expired = shop.order_link(shop.orders["a"], expires=clock.now() - dt.timedelta(seconds=1))
    assert client.get(f"/m/{order_expired}").status_code == 410


def test_order_links_are_honoured_only_for_the_signing_tills_own_orders(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app)
    other_id, other_key = enrol(app, "other till")
    mine = shop.sell("a", "m1", 10_000)
    theirs = shop.sell("b", "m2", 10_000, terminal=other_id)
    assert client.get(f"/m/{shop.order_link(mine)}").status_code == 200
    assert client.get(f"/m/{shop.order_link(theirs)}").status_code == 403  # my key vouches for my sales only
    forged = shop.order_link(mine, key=other_key)  # signed by another till's key under my kid
    assert client.get(f"/m/{forged}").status_code == 403
    unknown_till = shop.order_link(mine, terminal_id="t-nobody")
    assert client.get(f"/m/{unknown_till}").status_code == 403


def test_a_revoked_tills_links_stop_working(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    shop = open_shop(app)
    link = shop.order_link(shop.sell("a", "m1", 10_000))
    assert client.get(f"/m/{link}").status_code == 200
    with app.state.db.connect() as conn:
        terminals.revoke(conn, terminal_id=shop.terminal_id, now=clock.now())
    r = client.get(f"/m/{link}")
    assert r.status_code == 403 and "停用" in r.text


def test_an_order_not_synced_yet_and_an_anonymous_order(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app)
    r = client.get(f"/m/{shop.order_link('5f0c6f4e-0000-4000-8000-000000000001')}")
    assert r.status_code == 200 and "同步" in r.text and 'http-equiv="refresh"' in r.text
    anonymous = shop.sell("x", None, 10_000)
    r = client.get(f"/m/{shop.order_link(anonymous)}")
    assert r.status_code == 200 and "没有关联会员" in r.text


# ---------------------------------------------------------------------------------------------- draw


def _form(html: str, order_id: str) -> dict[str, str]:
    block = html[html.index(f'data-order="{order_id}"') :]
    block = block[: block.index("</form>")]
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', block))


def test_the_draw_works_once(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app, store=LOTTERY)
    order = shop.sell("a", "m1", 10_000)
    link = shop.member_link("m1")
    form = _form(client.get(f"/m/{link}").text, order)
    r = client.post(f"/m/{link}/draw", data=form)
    assert r.status_code == 303
    with app.state.db.connect() as conn:
        draws = conn.execute(select(t.LotteryDraw.result_bp)).scalars().all()
        entry = conn.execute(select(t.EntryRow).where(t.EntryRow.order_id == order)).one()
    assert len(draws) == 1 and draws[0] in (5000, 20_000) and entry.lottery_state == "drawn"
    page = client.get(r.headers["location"])
    notice = Fields(page.text).found[(None, "notice")]
    assert notice == f"抽奖结果：奖励比例 {draws[0] // 100}%，本条奖励权益 {yuan(pct(10_000, draws[0]))}。"
    assert 'data-field="draw"' not in page.text
    again = client.post(f"/m/{link}/draw", data=form)
    assert again.status_code == 409 and "已抽过奖" in again.text
    with app.state.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.LotteryDraw)).scalar() == 1


def test_draw_forms_are_checked(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app, store=LOTTERY)
    mine = shop.sell("a", "m1", 10_000)
    theirs = shop.sell("b", "m2", 10_000)
    link = shop.member_link("m1")
    form = _form(client.get(f"/m/{link}").text, mine)
    assert (
        client.post(f"/m/{link}/draw", data={**form, "form_token": form["form_token"][:-3] + "abc"}).status_code == 403
    )
    assert client.post(f"/m/{link}/draw", data={**form, "order_id": theirs}).status_code == 403  # token is per order
    cross_site = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert client.post(f"/m/{link}/draw", data=form, headers=cross_site).status_code == 403
    assert client.post(f"/m/{link}x/draw", data=form).status_code == 403
    with app.state.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.LotteryDraw)).scalar() == 0
    # another member's entry is refused by the rules even with a well-formed token for it
    token = forms.issue(app.state.keys, action="draw", member_id="m1", order_id=theirs, now=T0 + dt.timedelta(hours=1))
    r = client.post(f"/m/{link}/draw", data={"order_id": theirs, "form_token": token})
    assert r.status_code == 409 and "不是您的" in r.text


def test_form_tokens(tmp_path: Path) -> None:
    from server.security.keys import KeyRing, new_key

    ring = KeyRing(tmp_path / "keys.json", keys=[new_key(T0)])
    token = forms.issue(ring, action="draw", member_id="m1", order_id="o1", now=T0)
    assert forms.valid(ring, token, action="draw", member_id="m1", order_id="o1", now=T0)
    assert not forms.valid(ring, token, action="draw", member_id="m2", order_id="o1", now=T0)
    assert not forms.valid(ring, token, action="exchange:points", member_id="m1", order_id="o1", now=T0)
    assert not forms.valid(ring, token, action="draw", member_id="m1", order_id="o1", now=T0 + forms.FORM_TTL)
    other = KeyRing(tmp_path / "other.json", keys=[new_key(T0)])
    assert not forms.valid(other, token, action="draw", member_id="m1", order_id="o1", now=T0)
    for junk in ("", "1.2", "x.y.z", f"{int(T0.timestamp()) + 60}..!!"):
        assert not forms.valid(ring, junk, action="draw", member_id="m1", order_id="o1", now=T0)


# ---------------------------------------------------------------------------------------------- exchange


def test_exchange_shows_the_amount_and_asks_first(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(
        app,
        base={
            "points_exchange_enabled": True,
            "voucher_exchange_enabled": True,
            "voucher_ratio_bp": 8000,
            "exchange_button_name": "换积分",
        },
    )
    a = shop.sell("a", "m1", 10_000)
    shop.sell("b", "m2", 10_000)
    b = shop.orders["b"]
    link = shop.member_link("m2")
    page = client.get(f"/m/{link}")
    assert Fields(page.text).found[(b, "exchange")] == "换积分"
    remaining = 10_000  # b's own 10% went to a, the head, which is far from full: b has received nothing
    confirm = client.get(f"/m/{link}/exchange?o={b}")
    assert confirm.status_code == 200
    f = Fields(confirm.text).found
    assert f[(None, "explain")].startswith(f"本条尚有 {yuan(remaining)} 待奖励")
    assert f[(None, "confirm-points")] == f"换积分为 {remaining // 100} 积分"
    assert f[(None, "confirm-voucher")] == f"换积分为 {yuan(pct(remaining, 8000))} 购物券"
    with app.state.db.connect() as conn:  # nothing happened yet
        assert conn.execute(select(t.EntryRow.status).where(t.EntryRow.order_id == b)).scalar() == "waiting"
    forms_html = confirm.text.split("<form")[1:]
    points_form = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', forms_html[0]))
    r = client.post(f"/m/{link}/exchange", data=points_form)
    assert r.status_code == 303
    notice = Fields(client.get(r.headers["location"]).text).found[(None, "notice")]
    assert notice == f"已兑换为 {remaining // 100} 积分。"
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.EntryRow.status).where(t.EntryRow.order_id == b)).scalar() == "exchanged"
        assert (
            conn.execute(select(func.sum(t.PointsLedger.points)).where(t.PointsLedger.member_id == "m2")).scalar()
            == remaining // 100
        )
    assert client.post(f"/m/{link}/exchange", data=points_form).status_code == 409  # not twice
    assert a  # m1's entry was never touched by m2's link
    assert client.get(f"/m/{link}/exchange?o={a}").status_code == 409


def test_an_exchange_whose_amount_moved_is_not_done(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app, base={"points_exchange_enabled": True})
    shop.sell("a", "m1", 10_000)
    link = shop.member_link("m1")
    a = shop.orders["a"]
    confirm = client.get(f"/m/{link}/exchange?o={a}").text
    form = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', confirm.split("<form")[1]))
    shop.sell("b", "m2", 50_000)  # pays 50.00 more to a: its remaining shrank after the member saw the amount
    r = client.post(f"/m/{link}/exchange", data=form)
    assert r.status_code == 303 and "changed=1" in r.headers["location"]
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.EntryRow.status).where(t.EntryRow.order_id == a)).scalar() == "waiting"
    again = client.get(r.headers["location"])
    assert (None, "changed") in Fields(again.text).found


def test_no_exchange_button_when_exchange_is_off(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app)
    shop.sell("a", "m1", 10_000)
    assert 'data-field="exchange"' not in client.get(f"/m/{shop.member_link('m1')}").text


# ---------------------------------------------------------------------------------------------- rate limits


@pytest.fixture
def strict_app(server_settings: ServerSettings, clock: FixedClock) -> Iterator[FastAPI]:
    settings = server_settings.model_copy(update={"rate_member_page_per_minute": 3, "rate_draw_per_minute": 2})
    application = create_app(settings, clock=clock)
    yield application
    application.state.db.dispose()


def test_page_and_draw_are_rate_limited(strict_app: FastAPI) -> None:
    shop = open_shop(strict_app, store=LOTTERY)
    order = shop.sell("a", "m1", 10_000)
    link = shop.member_link("m1")
    with live_server(strict_app) as url, httpx.Client(base_url=url, timeout=30) as client:
        pages = [client.get(f"/m/{link}") for _ in range(4)]
        assert [p.status_code for p in pages] == [200, 200, 200, 429]
        assert pages[-1].headers["retry-after"] == "20" and "20 秒后再试" in pages[-1].text
        r = client.get(f"/m/{link}/code")
        assert r.status_code == 429 and r.json()["code"] == "rate_limited" and r.headers["retry-after"]
        form = _form(pages[0].text, order)
        posts = [client.post(f"/m/{link}/draw", data=form) for _ in range(3)]
        assert [p.status_code for p in posts] == [303, 409, 429]
        assert int(posts[-1].headers["retry-after"]) >= 1


# ---------------------------------------------------------------------------------------------- words and codes


def test_every_string_exists_in_every_language_with_the_same_placeholders() -> None:
    zh, en = MESSAGES["zh"], MESSAGES["en"]
    assert zh.keys() == en.keys()
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key
        assert "全返" not in zh[key]


def test_the_qr_path_draws_exactly_the_code_matrix() -> None:
    import qrcode

    data = "PD1.eyJwIjoibWMifQ.c2lnbmF0dXJl"
    svg = qr.svg(data, label='a "label" <x>')
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=qr.BORDER, mask_pattern=qr.MASK)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    drawn = set()
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        drawn |= {(int(x) + i, int(y)) for i in range(int(w))}
    assert drawn == {(x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}
    assert 'aria-label="a &quot;label&quot; &lt;x&gt;"' in svg


def test_positions_and_amounts_ahead_under_completed_first(app: FastAPI, client: httpx.Client) -> None:
    shop = open_shop(app, base={"ordering_rule": "completed_first", "settlement_event": "on_complete"})
    from shared.engine.commands import CompleteOrder, PayOrder

    ingest = app.state.ingest
    for i, member in enumerate(["m1", "m2", "m1"]):
        ingest.apply(
            PayOrder(
                order_id=f"o{i}",
                store_id="S1",
                cashier_id="C1",
                member_id=member,
                paid_fen=10_000,
                paid_at=T0,
                terminal_id=shop.terminal_id,
            )
        )
    ingest.apply(CompleteOrder(order_id="o2", at=T0 + dt.timedelta(minutes=5)))  # o2 moves to the completed tier
    f = Fields(client.get(f"/m/{shop.member_link('m1')}").text).found
    assert f[("o2", "position")] == "当前排第 1 位"
    assert f[("o0", "position")] == "当前排第 2 位"
    # o0 has o2 (completed tier, 100.00 - its own 10.00) ahead of it
    assert f[("o0", "ahead")] == f"前面还有 1 条，待奖励共 {yuan(10_000 - 1_000)}"
