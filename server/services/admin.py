"""Administration of reference data: stores, cashiers, members and their levels, base settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.errors import Code, RuleError
from shared.settings import BaseSettings, StoreSettings

from ..db import tables as t
from ..db.settings import SettingsCache, bump, read_configuration, save_base

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def set_base_settings(conn: Connection, base: BaseSettings, *, actor: str, at: dt.datetime) -> None:
    """Put base settings in force outside the rules (set-up: replay, demo, benchmarks); events use ChangeSettings."""
    save_base(conn, base, actor=actor, at=at)


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
    bump(conn)  # stores and cashiers are part of the configuration: its readers must see them


def add_cashier(conn: Connection, *, cashier_id: str, store_id: str, name: str) -> None:
    if conn.execute(select(t.Store.store_id).where(t.Store.store_id == store_id)).first() is None:
        raise RuleError(Code.UNKNOWN_STORE, store_id)
    if conn.execute(select(t.Cashier.cashier_id).where(t.Cashier.cashier_id == cashier_id)).first() is not None:
        raise RuleError(Code.UNKNOWN_CASHIER, f"cashier {cashier_id} exists already")
    conn.execute(insert(t.Cashier).values(cashier_id=cashier_id, store_id=store_id, name=name))
    bump(conn)


def store_settings(conn: Connection, store_id: str, cache: SettingsCache | None = None) -> StoreSettings:
    """A store's settings in force (through the process's cache when given)."""
    store = read_configuration(conn, cache).store(store_id)
    if store is None:
        raise RuleError(Code.UNKNOWN_STORE, store_id)
    return store.settings


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
    phone_key: str | None = None,
    name: str = "",
    store_id: str | None = None,
) -> None:
    """A member with an initial level in force from the beginning of time (scenario `members`); `phone_key` is the
    phone's `shared.phones` key (the caller computes it: it costs ~33 ms, so an import makes them in parallel)."""
    conn.execute(
        insert(t.Member).values(
            member_id=member_id,
            phone=phone,
            phone_key=phone_key,
            name=name,
            level=level,
            created_at=at,
            registered_store_id=store_id,
            change_version=next_member_version(conn),
        )
    )
    conn.execute(insert(t.MemberLevel).values(member_id=member_id, level=level, effective_at=EPOCH))
