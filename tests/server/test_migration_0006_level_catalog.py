"""Migration 0006 makes the level catalog from the levels an older database uses: members' levels (now and in
their history) and the levels the base and store settings name, ranked by their base ratio."""

from __future__ import annotations

from server.db.database import Database
from server.services import admin, levels
from server.services.ingest import Ingest
from shared.engine.commands import ChangeSettings, SetMemberLevel

from .migration_support import upgrade_from
from .support import T0, seed


def test_upgrade_from_0005_seeds_the_catalog_from_the_levels_in_use(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]}, base={"level_entitlement_bp": {"gold": 15_000, "silver": 12_000}})
    ingest = Ingest(db)
    ingest.apply(ChangeSettings(at=T0, stores={"S1": {"level_entitlement_bp": {"vip": 20_000}}}, actor="t"))
    with db.connect() as conn:
        admin.add_member(conn, member_id="m1", at=T0, level="bronze")
    ingest.apply(SetMemberLevel(member_id="m1", level="silver", at=T0))  # bronze stays in the history
    upgrade_from(db, "0005")
    with db.connect() as conn:
        found = levels.catalog(conn, None)
        levels.check_settings(conn)  # what the settings name is in the catalog now
    assert [lv.level_id for lv in found] == ["gold", "silver", "bronze", "vip"]
    assert all(lv.name_zh == lv.name_en == lv.level_id for lv in found)
