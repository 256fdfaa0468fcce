"""`paidui-server serve --workers 4` on PostgreSQL started after two missed resets: every worker runs the start-up
catch-up at once, and the reset runs exactly once, at the latest missed instant, before any push is answered."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.config import load_settings
from server.db import tables as t
from server.jobs import runs
from server.services import admin
from server.services.ingest import Ingest
from shared.engine.commands import PayOrder
from tests.e2e.conftest import start_server
from tests.server.support import PG_URL, database_location, free_port, init_server, open_db, pg_available, seed

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
SH = ZoneInfo("Asia/Shanghai")


def test_four_workers_catch_up_once(tmp_path: Path) -> None:
    if not pg_available():
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}")
    now = dt.datetime.now(dt.UTC)
    long_ago = now - dt.timedelta(days=2, hours=1)
    last_midnight = dt.datetime.combine(now.astimezone(SH).date(), dt.time(0), tzinfo=SH)
    with database_location("postgresql", tmp_path) as (url, schema):
        # the database as the server left it two days ago: a daily reset in force, one waiting entry
        config = tmp_path / "seed.toml"
        config.write_text(
            f'data_dir = "{tmp_path / "var"}"\ndatabase_url = "{url}"\ndatabase_schema = "{schema}"\n'
            f"port = {free_port()}\n",
            encoding="utf-8",
        )
        settings = load_settings(config)
        init_server(settings, now=long_ago)
        db = open_db(settings)
        try:
            seed(db, stores={"S1": ["C1"]}, base={"reset": {"kind": "daily", "time": "00:00"}}, at=long_ago)
            with db.connect() as conn:
                admin.add_member(conn, member_id="m1", at=long_ago)
            Ingest(db).apply(
                PayOrder(
                    order_id="o-1", store_id="S1", cashier_id="C1", member_id="m1", paid_fen=10_000, paid_at=long_ago
                )
            )
        finally:
            db.dispose()

        server = start_server(tmp_path, url, schema, workers=4)
        served = next(server)  # answers /health: every worker finished its catch-up before serving
        try:
            with served.db.connect() as conn:
                ran = runs.runs(conn, "reset")
                entry = conn.execute(select(t.EntryRow.status, t.EntryRow.closed_at)).one()
            assert [instant for instant, _ in ran] == [last_midnight]  # once, at the latest missed instant
            assert (entry.status, entry.closed_at) == ("expired", last_midnight)
        finally:
            server.close()
