"""Member sign-in by phone and one-time code (issue 13 item 7): the senders, codes that expire and work once,
throttles per phone and per address kept in the database, and the signed-in page with every entry in every store."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from server.app import create_app
from server.clock import FixedClock
from server.config import ServerSettings
from server.db import tables as t
from server.errors import Refused
from server.security.member_codes import issue_member_page_token
from server.services import admin, consent, member_signin
from server.services.member_signin import MAX_ATTEMPTS
from server.services.sender import (
    SIGNATURE_HEADER,
    FileSender,
    Message,
    SendFailed,
    WebhookSender,
    signature_valid,
)
from shared.engine.commands import PayOrder
from shared.ids import MemberId

from .support import T0, live_server, seed

PHONE = "13800138000"
SECRET = b"shared-webhook-secret"


# ---------------------------------------------------------------------------------------------- a loopback receiver


class Receiver:
    """An HTTP server on a loopback port that records what it is sent and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def message(text: str = "您的会员登录验证码是 123456") -> Message:
    return Message(
        message_id=str(uuid.uuid4()), kind="sign_in_code", phone=PHONE, text=text, lang="zh", sent_at=T0, member_id="m1"
    )


def test_the_webhook_sender_posts_json_signed_with_hmac_sha256_over_the_body() -> None:
    with Receiver() as receiver, httpx.Client(timeout=10) as client:
        sent = message()
        WebhookSender(receiver.url, SECRET, client=client).send(sent)
    [(headers, body)] = receiver.received
    assert headers["content-type"].startswith("application/json")
    assert signature_valid(SECRET, body, headers[SIGNATURE_HEADER.lower()])
    assert not signature_valid(b"another secret", body, headers[SIGNATURE_HEADER.lower()])
    assert not signature_valid(SECRET, body.replace(b"123456", b"654321"), headers[SIGNATURE_HEADER.lower()])
    doc = json.loads(body)
    assert doc["phone"] == PHONE and doc["text"] == sent.text and doc["kind"] == "sign_in_code"
    assert doc["message_id"] == sent.message_id == headers["x-paidui-message-id"]
    assert doc["sent_at"] == "2026-03-02T02:00:00Z"


def test_the_webhook_sender_fails_on_a_refusal_and_on_no_receiver() -> None:
    with Receiver(status=500) as receiver, httpx.Client(timeout=10) as client, pytest.raises(SendFailed, match="500"):
        WebhookSender(receiver.url, SECRET, client=client).send(message())
    # the receiver is shut down: nothing listens on its port any more
    with httpx.Client(timeout=2) as client, pytest.raises(SendFailed):
        WebhookSender(receiver.url, SECRET, client=client).send(message())


def test_the_webhook_needs_its_url_and_secret() -> None:
    with pytest.raises(ValueError, match="sender_webhook_url"):
        ServerSettings(sender="webhook", sender_webhook_url="https://sms.example/hook")


# ---------------------------------------------------------------------------------------------- over HTTP


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + dt.timedelta(hours=1))


def shop(app: FastAPI) -> None:
    """Two stores, a member with a phone and a sale in each store, and a member without a phone."""
    db = app.state.db
    seed(db, stores={"S1": ["C1"], "S2": ["C2"]}, base={"extraction_bp": 1000})
    with db.connect() as conn:
        admin.add_member(conn, member_id="m1", at=T0, phone=PHONE)
        admin.add_member(conn, member_id="m2", at=T0)
    for store, cashier, fen in (("S1", "C1", 10_000), ("S2", "C2", 5_000)):
        app.state.ingest.apply(
            PayOrder(
                order_id=f"order-{store}",
                store_id=store,
                cashier_id=cashier,
                member_id="m1",
                paid_fen=fen,
                paid_at=T0,
                received_at=T0,
                terminal_id=None,
                completed=True,
            )
        )


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    shop(app)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def outbox(app: FastAPI) -> list[dict[str, Any]]:
    sender = app.state.services.sender
    assert isinstance(sender, FileSender)
    return sender.read()


def ask(client: httpx.Client, phone: str = PHONE) -> httpx.Response:
    return client.post("/m/signin", data={"phone": phone, "lang": "zh"})


def challenge_of(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/m/signin/code?")
    return httpx.URL(location).params["c"]


def test_a_member_signs_in_with_the_code_sent_to_the_phone(app: FastAPI, client: httpx.Client) -> None:
    assert client.get("/m/me").headers["location"].startswith("/m/signin")
    challenge = challenge_of(ask(client))
    [sent] = outbox(app)
    assert sent["phone"] == PHONE and sent["member_id"] == "m1"
    code = sent["data"]["code"]
    assert len(code) == 6 and code in sent["text"] and "5 分钟" in sent["text"]
    assert PHONE not in client.get(f"/m/signin/code?c={challenge}").text  # the phone stays out of the page and URL
    with app.state.db.connect() as conn:  # only an HMAC of the code is stored
        row = conn.execute(select(t.MemberSignInCode).where(t.MemberSignInCode.challenge_id == challenge)).one()
    assert code not in row.code_hash and row.member_id == "m1"

    signed = client.post("/m/signin/code", data={"challenge": challenge, "code": code, "lang": "zh"})
    assert signed.status_code == 303 and signed.headers["location"].startswith("/m/me")
    cookie = signed.headers["set-cookie"]
    assert "paidui_member=pdm_" in cookie and "HttpOnly" in cookie and "Path=/m" in cookie
    assert "samesite=lax" in cookie.lower()
    page = client.get("/m/me")
    assert page.status_code == 200
    assert "order-S1" in page.text and "order-S2" in page.text  # every entry in every store
    assert "门店：Store S1" in page.text and "门店：Store S2" in page.text
    assert 'data-field="member-code"' in page.text and "138****8000" in page.text
    assert "全返" not in page.text


def test_a_code_works_once(app: FastAPI, client: httpx.Client) -> None:
    challenge = challenge_of(ask(client))
    code = outbox(app)[0]["data"]["code"]
    first = client.post("/m/signin/code", data={"challenge": challenge, "code": code})
    assert first.status_code == 303
    client.cookies.clear()
    again = client.post("/m/signin/code", data={"challenge": challenge, "code": code})
    assert again.status_code == 401 and "已使用" in again.text
    assert "set-cookie" not in again.headers


def test_a_code_expires(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    challenge = challenge_of(ask(client))
    code = outbox(app)[0]["data"]["code"]
    clock.advance(dt.timedelta(minutes=5))
    late = client.post("/m/signin/code", data={"challenge": challenge, "code": code})
    assert late.status_code == 401 and "set-cookie" not in late.headers


def test_a_code_dies_after_wrong_tries(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    challenge = challenge_of(ask(client))
    code = outbox(app)[0]["data"]["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(MAX_ATTEMPTS):
        assert client.post("/m/signin/code", data={"challenge": challenge, "code": wrong}).status_code == 401
    clock.advance(dt.timedelta(minutes=1))  # past the phone's wait after five failures
    right = client.post("/m/signin/code", data={"challenge": challenge, "code": code})
    assert right.status_code == 401  # the code is dead: guessing gets MAX_ATTEMPTS tries per code sent


def test_wrong_codes_make_the_phone_wait(app: FastAPI, client: httpx.Client) -> None:
    challenge = challenge_of(ask(client))
    for _ in range(5):  # five free failures ...
        assert client.post("/m/signin/code", data={"challenge": challenge, "code": "000000x"}).status_code == 401
    held = client.post("/m/signin/code", data={"challenge": challenge, "code": "000000x"})
    assert held.status_code == 401
    blocked = client.post("/m/signin/code", data={"challenge": challenge, "code": "000000x"})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1  # ... then the wait grows


def test_sends_are_throttled_per_phone_in_the_database(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    challenge_of(ask(client))
    again = ask(client)
    assert again.status_code == 429 and again.headers["retry-after"] == "60"
    assert len(outbox(app)) == 1
    with app.state.db.connect() as conn:  # the count is a row every server process reads
        assert conn.execute(select(t.SignInThrottle.failures).where(t.SignInThrottle.username.like("otp-send:%"))).one()
    clock.advance(dt.timedelta(seconds=60))
    challenge_of(ask(client))
    held = ask(client)
    assert held.status_code == 429 and held.headers["retry-after"] == "120"  # the wait doubles
    assert len(outbox(app)) == 2


def test_sends_are_throttled_per_address(app: FastAPI, client: httpx.Client) -> None:
    phones = [f"139{n:08d}" for n in range(6)]
    for phone in phones[:5]:  # five numbers at once from one address ...
        challenge_of(ask(client, phone))
    refused = ask(client, phones[5])  # ... then the address waits
    assert refused.status_code == 429 and refused.headers["retry-after"] == "10"


def test_a_number_that_is_no_members_gets_the_same_answer_and_no_message(app: FastAPI, client: httpx.Client) -> None:
    challenge = challenge_of(ask(client, "13900000000"))
    assert outbox(app) == []
    form = client.get(f"/m/signin/code?c={challenge}")
    assert form.status_code == 200
    assert client.post("/m/signin/code", data={"challenge": challenge, "code": "123456"}).status_code == 401


def test_a_malformed_phone_is_refused_with_words(client: httpx.Client) -> None:
    answer = ask(client, "12345")
    assert answer.status_code == 400 and "11" in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_signing_out_ends_the_session(app: FastAPI, client: httpx.Client) -> None:
    challenge = challenge_of(ask(client))
    client.post("/m/signin/code", data={"challenge": challenge, "code": outbox(app)[0]["data"]["code"]})
    cookie = client.cookies["paidui_member"]
    page = client.get("/m/me")
    token = page.text.split('name="form_token" value="')[-1].split('"')[0]
    assert client.post("/m/signout", data={"form_token": "forged"}).status_code == 403
    out = client.post("/m/signout", data={"form_token": token})
    assert out.status_code == 303
    client.cookies.set("paidui_member", cookie, path="/m")  # a copied cookie dies with the session
    assert client.get("/m/me").status_code == 303


def test_a_cross_site_post_is_refused(client: httpx.Client) -> None:
    answer = client.post("/m/signin", data={"phone": PHONE}, headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403


@pytest.fixture
def webhook_app(server_settings: ServerSettings, clock: FixedClock) -> Iterator[tuple[FastAPI, Receiver]]:
    with Receiver(status=502) as receiver:
        settings = server_settings.model_copy(
            update={
                "sender": "webhook",
                "sender_webhook_url": receiver.url,
                "sender_webhook_secret": SecretStr(SECRET.decode()),
            }
        )
        application = create_app(settings, clock=clock)
        yield application, receiver
        application.state.db.dispose()


def test_a_code_the_gateway_refused_is_not_usable(webhook_app: tuple[FastAPI, Receiver], tmp_path: Path) -> None:
    app, receiver = webhook_app
    shop(app)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        answer = ask(c)
        assert answer.status_code == 503 and "无法发送" in answer.text
    [(headers, body)] = receiver.received
    assert signature_valid(SECRET, body, headers[SIGNATURE_HEADER.lower()])
    code = json.loads(body)["data"]["code"]
    with app.state.db.connect() as conn:
        row = conn.execute(select(t.MemberSignInCode)).one()
    assert row.used_at is not None and code  # marked used: a code that did not go out signs nobody in


# ---------------------------------------------------------------------------------------------- the payment code


def sign_in(app: FastAPI, client: httpx.Client) -> None:
    challenge = challenge_of(ask(client))
    code = outbox(app)[-1]["data"]["code"]
    assert client.post("/m/signin/code", data={"challenge": challenge, "code": code}).status_code == 303


def test_the_signed_in_page_shows_the_payment_code_which_moves_every_30_seconds(
    app: FastAPI, client: httpx.Client, clock: FixedClock
) -> None:
    assert client.get("/m/me/payment-code").status_code == 401
    sign_in(app, client)
    now = clock.now()
    expected = consent.payment_code(consent.consent_key(app.state.keys, now), MemberId("m1"), now)
    page = client.get("/m/me").text
    assert f"{expected[:4]} {expected[4:]}" in page
    first = client.get("/m/me/payment-code").json()
    assert first["code"] == expected and first["seconds_left"] == consent.seconds_left(now)
    clock.advance(dt.timedelta(seconds=30))
    second = client.get("/m/me/payment-code").json()
    assert second["code"] != first["code"]
    key = consent.consent_key(app.state.keys, clock.now())
    assert consent.verify_payment_code(key, MemberId("m1"), second["code"], clock.now())


def test_a_link_page_shows_no_payment_code(app: FastAPI, client: httpx.Client) -> None:
    link = issue_member_page_token(app.state.keys, "m1", T0, ttl=dt.timedelta(days=30))
    page = client.get(f"/m/{link}")
    assert page.status_code == 200 and 'data-field="payment-code"' not in page.text
    assert 'href="/m/signin?lang=zh" data-field="signin-link"' in page.text  # the way to the wallet


def test_the_signed_in_page_lists_the_notifications(app: FastAPI, client: httpx.Client, clock: FixedClock) -> None:
    sign_in(app, client)
    assert 'data-field="no-notifications"' in client.get("/m/me").text
    app.state.jobs.after_tick(clock.now())  # the cursor starts at the present (the server's start-up did it too)
    app.state.ingest.apply(
        PayOrder(
            order_id="order-big",
            store_id="S1",
            cashier_id="C1",
            member_id="m2",
            paid_fen=200_000,
            paid_at=clock.now(),
            received_at=clock.now(),
            terminal_id=None,
            completed=True,
        )
    )
    app.state.jobs.after_tick(clock.now())
    page = client.get("/m/me").text
    assert "排队返利到账 ¥" in page and "已全部到账" in page
    english = client.get("/m/me?lang=en").text
    assert "Queue rebate received: ¥" in english


def test_the_signed_in_page_shows_the_wallet_and_its_history(app: FastAPI, client: httpx.Client) -> None:
    sign_in(app, client)
    page = client.get("/m/me")
    html = page.text
    # the member's own sales: 10% of 100.00 and of 50.00 went to the member's first entry (the head)
    assert 'data-field="wallet-rebate">¥15.00<' in html
    assert 'data-field="wallet-points">0<' in html and "按 100 积分抵 ¥1 计" in html
    assert 'data-field="no-vouchers"' in html
    assert html.count('data-field="ledger-line"') == 2 and "排队返利" in html and "+¥10.00" in html
    assert "+¥5.00" in html and "全返" not in html
    english = client.get("/m/me?lang=en").text
    assert "Rebate balance" in english and "Queue rebate" in english


def test_two_parallel_tries_with_the_right_code_sign_in_once(app: FastAPI, client: httpx.Client) -> None:
    challenge = challenge_of(ask(client))
    code = outbox(app)[-1]["data"]["code"]
    svc = app.state.services
    results: list[str] = []
    start = threading.Barrier(4)

    def attempt(n: int) -> None:
        start.wait()
        try:
            results.append(
                member_signin.check_code(
                    svc.db, ring=svc.keys, challenge_id=challenge, code=code, address=f"10.0.0.{n}", now=svc.clock.now()
                )
            )
        except Refused as exc:
            results.append(exc.code.value)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["m1", "unauthorized", "unauthorized", "unauthorized"]
