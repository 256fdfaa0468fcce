"""The scheduler inside the app: catch-up before the first request, and the reset gate in front of pushes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from server.app import create_app
from server.clock import FixedClock
from server.config import ServerSettings
from server.db import tables as t
from server.services import admin
from server.services.ingest import Ingest
from shared.engine.commands import PayOrder

from .support import T0, Till, enrolment_code, live_server, open_db, paid, seed

SH = ZoneInfo("Asia/Shanghai")
MIDNIGHT = dt.datetime(2026, 3, 3, 0, 0, tzinfo=SH)
DAILY = {"reset": {"kind": "daily", "time": "00:00"}}


def _statuses(settings: ServerSettings) -> dict[str, tuple[str, dt.datetime | None]]:
    db = open_db(settings)
    try:
        with db.connect() as conn:
            return {r.order_id: (r.status, r.closed_at) for r in conn.execute(select(t.EntryRow))}
    finally:
        db.dispose()


def test_missed_reset_runs_before_the_app_serves(server_settings: ServerSettings) -> None:
    db = open_db(server_settings)
    try:
        seed(db, stores={"S1": ["C1"]}, base=DAILY)
        Ingest(db).apply(
            PayOrder(order_id="o-1", store_id="S1", cashier_id="C1", member_id="m1", paid_fen=10_000, paid_at=T0)
        )
    finally:
        db.dispose()
    clock = FixedClock(MIDNIGHT + dt.timedelta(days=2, hours=8))  # down for two nights
    app = create_app(server_settings, clock=clock)
    with live_server(app) as url:
        # by the time the server answers anything, the catch-up has run, once, at the latest missed instant
        assert app.state.jobs.ready
        assert _statuses(server_settings)["o-1"] == ("expired", MIDNIGHT + dt.timedelta(days=2))
        assert httpx.get(f"{url}/api/v1/health").status_code == 200
    assert app.state.jobs._thread is None  # stopped with the app


def test_a_push_after_the_instant_lands_in_the_new_period(server_settings: ServerSettings) -> None:
    clock = FixedClock(T0)
    app = create_app(server_settings, clock=clock)
    seed(app.state.db, stores={"S1": ["C1"]}, base=DAILY)
    with app.state.db.connect() as conn:
        for member in ("a", "d"):
            admin.add_member(conn, member_id=member, at=T0)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        till = Till(http)
        assert till.enroll(enrolment_code(app.state.db, "S1", now=T0)).status_code == 200
        first = till.push([till.event(paid("C1", 10_000, member="a"))]).json()["results"][0]
        assert first["entry"]["status"] == "waiting"
        clock.set(MIDNIGHT + dt.timedelta(minutes=3))  # the scheduler thread sleeps on; the push comes first
        late = paid("C1", 10_000, member="d", at=MIDNIGHT - dt.timedelta(minutes=2))
        answer = till.push([till.event(late)]).json()["results"][0]
        assert answer["status"] == "accepted"
        assert (answer["entry"]["position"], answer["entry"]["paid_fen"]) == (1, 1000)  # alone in the new period
        statuses = _statuses(server_settings)
        assert statuses[first["order_id"]] == ("expired", MIDNIGHT)
