"""Sign-in throttling (issue 15 item 3): a guesser gets few checks against one user, from however many addresses,
and never holds back the real user's correct password from where that user signed in before."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection

from server.clock import FixedClock
from server.db.database import Database
from server.errors import Refused, unauthorized
from server.services import signin

from .console_support import MANAGER_PASSWORD, add_manager, csrf_of
from .support import ADMIN_PASSWORD, T0, seed

POLICY = signin.SignInPolicy()


def _attempt(db: Database, at: dt.datetime, *, origin: str, right: bool = False, user: str = "admin") -> str:
    def check(_: Connection) -> str:
        if not right:
            raise unauthorized("wrong user name or password")
        return "token"

    try:
        return signin.sign_in(db, username=user, origins=[origin], now=at, policy=POLICY, check=check)
    except Refused as exc:
        return exc.code.value


def test_the_wait_doubles_so_a_guesser_gets_few_checks_an_hour(db: Database) -> None:
    checked, at = 0, T0
    for n in range(3_600):  # one guess a second for an hour, each from a new address
        at = T0 + dt.timedelta(seconds=n)
        checked += _attempt(db, at, origin=f"a:10.0.{n // 250}.{n % 250}") == "unauthorized"
    assert checked <= 20, checked  # 5 free, then waits of 1, 2, 4, ... 512 s, then 15 min each
    assert _attempt(db, at, origin="a:10.9.9.9", right=True) == "rate_limited"  # the wait holds for strangers
    assert POLICY.delay(5) == dt.timedelta(0) and POLICY.delay(6) == dt.timedelta(seconds=1)
    assert POLICY.delay(100) == POLICY.max_delay


def test_a_known_origin_is_never_held_back_but_loses_its_standing_after_many_failures(db: Database) -> None:
    assert _attempt(db, T0, origin="a:office", right=True) == "token"
    for n in range(30):  # a guesser elsewhere
        _attempt(db, T0 + dt.timedelta(seconds=n), origin=f"a:bot{n}")
    later = T0 + dt.timedelta(seconds=31)
    assert _attempt(db, later, origin="a:office", right=True) == "token"
    assert _attempt(db, later, origin="a:office") == "unauthorized"  # a typo from the office is checked, not held
    for _ in range(POLICY.known_failures):
        _attempt(db, later, origin="a:office")
    assert _attempt(db, later, origin="a:office", right=True) == "rate_limited"  # 20 in a row: a stranger now


def test_parallel_guesses_get_one_check_per_slot(db: Database) -> None:
    for n in range(6):  # the free failures used up: the next check waits for its slot
        _attempt(db, T0, origin=f"a:bot{n}")
    at = T0 + dt.timedelta(seconds=2)
    answers: list[str] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        answer = _attempt(db, at, origin=f"a:swarm{n}")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert answers.count("unauthorized") == 1 and answers.count("rate_limited") == 11


# ------------------------------------------------------------------------------------------ over HTTP


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _from(http: httpx.Client, address: str) -> httpx.Client:
    """A client whose requests come from another loopback address (the server sees another client address)."""
    return httpx.Client(base_url=str(http.base_url), transport=httpx.HTTPTransport(local_address=address), timeout=30)


@pytest.fixture
def elsewhere(http: httpx.Client) -> Iterator[list[httpx.Client]]:
    clients = [_from(http, f"127.0.0.{n}") for n in range(2, 6)]
    yield clients
    for client in clients:
        client.close()


def test_api_guessing_from_many_addresses_is_slowed_and_never_locks_out_the_user(
    http: httpx.Client, elsewhere: list[httpx.Client], clock: FixedClock
) -> None:
    def token(client: httpx.Client, password: str) -> int:
        return client.post("/api/v1/auth/token", json={"username": "admin", "password": password}).status_code

    assert token(http, ADMIN_PASSWORD) == 200  # admin works from 127.0.0.1
    answers = []
    for n in range(60):  # a minute of guessing from four addresses (within each address's own limit)
        clock.advance(dt.timedelta(seconds=1))
        answers.append(token(elsewhere[n % 4], f"guess-{n}"))
    assert answers.count(401) <= 12 and answers.count(429) >= 48, answers  # 5 free, then 1, 2, 4, ... s
    assert token(http, ADMIN_PASSWORD) == 200  # from where admin signed in before: at once
    r = elsewhere[0].post("/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert (r.status_code, r.json()["code"]) == (429, "rate_limited") and int(r.headers["retry-after"]) >= 1


def test_the_console_lets_the_manager_in_on_a_known_browser_while_someone_guesses(
    app: FastAPI, http: httpx.Client, elsewhere: list[httpx.Client], clock: FixedClock
) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    add_manager(app.state.db, "boss", "S1")

    def sign_in(client: httpx.Client, password: str) -> httpx.Response:
        form = client.get("/console/login")
        data = {"csrf": csrf_of(form.text), "username": "boss", "password": password}
        return client.post("/console/login", data=data)

    assert sign_in(http, MANAGER_PASSWORD).status_code == 303  # the manager's browser, once
    device = http.cookies.get("paidui_device", path="/console")
    assert device
    for n in range(40):
        clock.advance(dt.timedelta(seconds=2))
        sign_in(elsewhere[n % 4], f"guess-{n}")
    assert sign_in(elsewhere[0], MANAGER_PASSWORD).status_code == 429  # a stranger's browser waits
    # the manager's browser from a new address (the phone moved to another network): the device cookie is known
    with _from(http, "127.0.0.9") as moved:
        moved.cookies.set("paidui_device", device, path="/console")
        r = sign_in(moved, MANAGER_PASSWORD)
    assert r.status_code == 303, r.text[:300]


def test_enrolment_codes_are_limited_per_address(app: FastAPI, http: httpx.Client) -> None:
    """Enrolment has no user: the code (79 bits, 10 minutes) is the secret, and each address has a budget."""
    from server.ratelimit import Limiter, Rate

    app.state.services.auth_limiter = Limiter(Rate(3, 60), clock=lambda: 0)
    body = {"code": "AAAA-BBBB-CCCC-DDDD", "name": "t", "public_key": "A" * 43}
    statuses = [http.post("/api/v1/terminals/enroll", json=body).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
