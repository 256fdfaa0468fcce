"""Overload on purpose (issue 16): pushes beyond what a process applies and queues are answered at once `503 busy`
with Retry-After, nothing of them applied; the till's client hears when to come back."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from cashier_app.core.sync_client import ServerUnavailable, SyncClient
from server.admission import Admission, Busy
from server.db import tables as t
from shared.wire import PushRequest

from .support import T0, Till, enrolment_code, paid, seed


def test_a_full_queue_is_refused_at_once_and_a_turn_comes_back() -> None:
    gate = Admission(running=1, waiting=1, wait_s=0.2, retry_after=3)
    with gate.turn():
        started = time.monotonic()
        with pytest.raises(Busy) as busy, gate.turn():  # waits its turn for wait_s, then gives up
            pass
        assert busy.value.retry_after == 3 and time.monotonic() - started < 2
        gate.waiting = gate.max_waiting  # the queue is full: refused without waiting
        started = time.monotonic()
        with pytest.raises(Busy), gate.turn():
            pass
        assert time.monotonic() - started < 0.1
        gate.waiting = 0
    with gate.turn():  # the turn was given back
        pass


def test_the_settings_make_the_gate(app: FastAPI) -> None:
    settings, gate = app.state.settings, app.state.services.admission
    assert (gate.max_waiting, gate.wait_s, gate.retry_after) == (
        settings.push_waiting,
        settings.push_wait_seconds,
        settings.push_retry_after_seconds,
    )


def test_a_push_while_the_server_is_busy_is_answered_503_busy(app: FastAPI, http: httpx.Client) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    a, b = Till(http), Till(http)
    for till in (a, b):
        assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
    app.state.services.admission = Admission(running=1, waiting=0, wait_s=0, retry_after=3)
    push, holding, release = app.state.services.push.push, threading.Event(), threading.Event()

    def slow_push(**kwargs: Any) -> Any:
        holding.set()
        release.wait(20)
        return push(**kwargs)

    app.state.services.push.push = slow_push
    first = a.event(paid("C1", 1_000))
    answers: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: answers.append(a.push([first])))
    sender.start()
    assert holding.wait(20), [(r.status_code, r.text) for r in answers]
    sale = b.event(paid("C1", 2_000))
    refused = b.push([sale])
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "3"
    assert refused.json()["code"] == "busy"
    client = SyncClient(http, credential=b.credential)  # the till's own client: try again after Retry-After
    with pytest.raises(ServerUnavailable) as unavailable:
        client.push(PushRequest.model_validate({"events": [sale]}))
    assert unavailable.value.retry_after == 3
    release.set()
    sender.join(30)
    assert answers[0].status_code == 200
    with app.state.db.connect() as conn:  # only the first sale was applied
        assert conn.execute(select(func.count()).select_from(t.OrderRow)).scalar_one() == 1
    assert b.push([sale]).json()["results"][0]["status"] == "accepted"  # the resend is a first delivery
