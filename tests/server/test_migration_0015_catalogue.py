"""Migration 0015 adds the product catalogue; the stores of an older database sell without one (plain amounts)."""

from __future__ import annotations

from sqlalchemy import select

from server.db import tables as t
from server.db.database import Database
from server.services import catalogue

from .migration_support import upgrade_from
from .support import T0, seed


def test_upgrade_from_0009_keeps_stores_on_plain_amounts(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]})
    with db.connect() as conn:
        catalogue.set_store_catalogue(conn, "S1", enabled=True)
        catalogue.import_file(conn, b"sku,name,price\nA1,x,1\n", "a.csv", now=T0, replace=False)
    upgrade_from(db, "0009_wire_phone_keys")  # down (the table and the column go) and up again
    with db.connect() as conn:
        assert conn.execute(select(t.Store.catalogue)).scalars().all() == [False]
        assert conn.execute(select(t.Product)).all() == []
        assert not catalogue.store_uses_catalogue(conn, "S1")
