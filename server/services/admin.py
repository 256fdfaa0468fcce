"""Administration of reference data: stores, cashiers, members and their levels, base settings."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.errors import Code, RuleError
from shared.settings import BaseSettings, StoreSettings, parse_store

from ..db import tables as t

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _bump(conn: Connection) -> int:
    """Stores and cashiers are part of the configuration: caches keyed by the settings version must see them."""
    version = int(conn.execute(select(t.SettingsRow.version).where(t.SettingsRow.id == 1)).scalar_one()) + 1
    conn.execute(update(t.SettingsRow).where(t.SettingsRow.id == 1).values(version=version))
    return version


def set_base_settings(conn: Connection, settings: BaseSettings, *, actor: str, at: dt.datetime) -> None:
    before = conn.execute(select(t.SettingsRow.base_json).where(t.SettingsRow.id == 1)).scalar()
    after = settings.model_dump_json()
    version = _bump(conn)
    conn.execute(update(t.SettingsRow).where(t.SettingsRow.id == 1).values(base_json=after))
    conn.execute(
        insert(t.SettingsHistory).values(
            at=at, actor=actor, scope="base", before_json=before, after_json=after, version=version
        )
    )


def add_store(
    conn: Connection,
    *,
    store_id: str,
    name: str,
    timezone: str = "Asia/Shanghai",
    settings: StoreSettings | None = None,
    at: dt.datetime,
) -> None:
    if conn.execute(select(t.Store.store_id).where(t.Store.store_id == store_id)).first() is not None:
        raise RuleError(Code.INVALID_SETTINGS, f"store {store_id} exists already")
    BaseSettings(timezone=timezone)  # validates the zone name
    settings_json = (settings or StoreSettings()).model_dump_json()
    conn.execute(
        insert(t.Store).values(
            store_id=store_id, name=name, timezone=timezone, settings_json=settings_json, created_at=at
        )
    )
    _bump(conn)


def add_cashier(conn: Connection, *, cashier_id: str, store_id: str, name: str) -> None:
    if conn.execute(select(t.Store.store_id).where(t.Store.store_id == store_id)).first() is None:
        raise RuleError(Code.UNKNOWN_STORE, store_id)
    if conn.execute(select(t.Cashier.cashier_id).where(t.Cashier.cashier_id == cashier_id)).first() is not None:
        raise RuleError(Code.UNKNOWN_CASHIER, f"cashier {cashier_id} exists already")
    conn.execute(insert(t.Cashier).values(cashier_id=cashier_id, store_id=store_id, name=name))
    _bump(conn)


def store_settings(conn: Connection, store_id: str) -> StoreSettings:
    raw = conn.execute(select(t.Store.settings_json).where(t.Store.store_id == store_id)).scalar()
    if raw is None:
        raise RuleError(Code.UNKNOWN_STORE, store_id)
    return parse_store(json.loads(raw))


def next_member_version(conn: Connection) -> int:
    """The next member change version. The UPDATE holds the counter row until commit, so versions become
    visible in the order they were taken and a pull cursor never skips a member committed late."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(
        dialect.insert(t.Counter.__table__)
        .values(name="member_version", value=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return int(
        conn.execute(
            update(t.Counter)
            .where(t.Counter.name == "member_version")
            .values(value=t.Counter.value + 1)
            .returning(t.Counter.value)
        ).scalar_one()
    )


def add_member(
    conn: Connection,
    *,
    member_id: str,
    at: dt.datetime,
    level: str | None = None,
    phone: str | None = None,
    name: str = "",
    store_id: str | None = None,
) -> None:
    """A member with an initial level in force from the beginning of time (scenario `members`)."""
    conn.execute(
        insert(t.Member).values(
            member_id=member_id,
            phone=phone,
            name=name,
            level=level,
            created_at=at,
            registered_store_id=store_id,
            change_version=next_member_version(conn),
        )
    )
    conn.execute(insert(t.MemberLevel).values(member_id=member_id, level=level, effective_at=EPOCH))
