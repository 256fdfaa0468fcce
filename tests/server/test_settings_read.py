"""The configuration is read one way (server/db/settings.py): cached under the settings version, never poisoned by
a transaction that changed it and rolled back; and the unit of work, not the wall clock, gives the instant."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.db import tables as t
from server.db.database import Database
from server.db.settings import base_settings, read_configuration
from server.db.unit_of_work import UnitOfWork
from server.services import admin, levels
from server.services.ingest import Ingest
from shared.engine.commands import ChangeSettings, PayOrder
from shared.settings import BaseSettings

from .support import T0, seed


def test_a_rolled_back_change_leaves_nothing_in_the_cache(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]}, base={"extraction_bp": 1000})
    with UnitOfWork(db, at=T0, exclusive_settings=True) as uow:  # changed, read back, never committed
        uow.repo.save_base_settings(BaseSettings(enabled=True, extraction_bp=500), at=T0, actor="test")
        assert uow.repo.base_settings().extraction_bp == 500
    # the next change (a new store) takes the version number the rolled-back one had, with other contents
    with db.connect() as conn:
        admin.add_store(conn, store_id="S2", name="Second", at=T0)
    with db.connect() as conn:
        config = read_configuration(conn, db.settings_cache)
    assert config.base.extraction_bp == 1000 and config.store_ids() == ["S1", "S2"]
    Ingest(db).apply(ChangeSettings(at=T0, base={"extraction_bp": 700}, actor="test"))
    with db.connect() as conn:
        assert base_settings(conn, db.settings_cache).extraction_bp == 700


def test_every_change_of_the_configuration_is_seen_through_the_cache(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]})
    with db.connect() as conn:
        before = read_configuration(conn, db.settings_cache)
        admin.add_store(conn, store_id="S2", name="Second", timezone="Europe/Berlin", at=T0)
        admin.add_cashier(conn, cashier_id="C2", store_id="S2", name="C2")
    with db.connect() as conn:
        after = read_configuration(conn, db.settings_cache)
    assert after.version > before.version
    assert after.store_ids() == ["S1", "S2"] and before.store_ids() == ["S1"]
    assert after.stores["S2"].cashier_ids == ("C2",) and after.names["S2"] == "Second"
    assert after.store_of_cashier("C2") == "S2"
    with db.connect() as conn:  # unchanged: the same object, not a new parse
        assert read_configuration(conn, db.settings_cache) is after


def test_a_member_first_seen_in_a_command_is_stamped_with_the_unit_of_works_instant(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]}, store_settings={"daily_limit": 2})  # the limit locks the member's row first
    later = T0 + dt.timedelta(days=400)  # far from the wall clock and from the order's own times

    class Fixed:
        def now(self) -> dt.datetime:
            return later

    Ingest(db, clock=Fixed()).apply(
        PayOrder(order_id="o1", store_id="S1", cashier_id="C1", member_id="new", paid_fen=100, paid_at=T0)
    )
    with db.connect() as conn:
        created = conn.execute(select(t.Member.created_at).where(t.Member.member_id == "new")).scalar_one()
    assert created == later


def test_the_level_catalog_is_read_with_the_configuration_and_an_edit_is_seen_through_the_cache(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]})
    with db.connect() as conn:
        before = read_configuration(conn, db.settings_cache)
    assert before.levels == ()
    with levels.locked(db, at=T0) as conn:
        levels.save(conn, level_id="gold", name_zh="金卡", name_en="Gold", rank=2, actor="test", at=T0)
    with pytest.raises(RuntimeError), levels.locked(db, at=T0) as conn:  # an edit rolled back is never seen
        levels.save(conn, level_id="silver", name_zh="银卡", actor="test", at=T0)
        raise RuntimeError("the transaction fails after the edit")
    with db.connect() as conn:
        after = read_configuration(conn, db.settings_cache)
        named = levels.catalog(conn, db.settings_cache)
    assert after.version > before.version and named == after.levels
    assert [(lv.level_id, lv.name("zh"), lv.name("en")) for lv in after.levels] == [("gold", "金卡", "Gold")]
