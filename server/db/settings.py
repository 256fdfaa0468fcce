"""The chain's configuration, read one way: base settings, the stores (time zone, cashiers, store settings, name) and
the member level catalog.

`settings.version` grows with every change of the base settings, a store's settings, the stores or their cashiers,
or the level catalog, in the transaction that makes the change. A read asks for the version (one row by primary
key) and parses the rest only when the version moved since this process last read it: the rules read the
configuration on every event, the console and the member page on every page, so the cache is what keeps them flat.

A transaction that changed the configuration reads it back without the cache: what it sees may still roll back, and
a rolled-back version number comes round again with other contents.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, bindparam, insert, select, update

from shared.engine.model import StoreInfo
from shared.ids import CashierId, StoreId
from shared.settings import BaseSettings, StoreSettings, parse_base, parse_store

from . import tables as t

_VERSION = select(t.SettingsRow.version).where(t.SettingsRow.id == 1)
_BASE = select(t.SettingsRow.base_json).where(t.SettingsRow.id == 1)
_STORES = select(t.Store.store_id, t.Store.name, t.Store.timezone, t.Store.settings_json)
_CASHIERS = select(t.Cashier.cashier_id, t.Cashier.store_id)
_LC = t.LevelCatalog
_LEVELS = select(_LC.level_id, _LC.name_zh, _LC.name_en, _LC.rank).order_by(_LC.rank.desc(), _LC.level_id)
_SET_VERSION = update(t.SettingsRow).where(t.SettingsRow.id == 1).values(version=bindparam("b_version"))


@dataclass(frozen=True, slots=True)
class Level:
    """A member level of the chain's catalog (migration 0006): what settings and members may name, and its names."""

    level_id: str
    name_zh: str
    name_en: str
    rank: int  # higher is better; lists show the highest first

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True, slots=True)
class Configuration:
    """Everything the rules are configured with, at one settings version."""

    version: int
    base: BaseSettings
    stores: Mapping[StoreId, StoreInfo]
    names: Mapping[StoreId, str]  # store id -> the store's name
    levels: tuple[Level, ...] = ()  # the level catalog, highest rank first, then by id

    def store(self, store_id: str) -> StoreInfo | None:
        return self.stores.get(StoreId(store_id))

    def store_ids(self) -> list[StoreId]:
        return sorted(self.stores)

    def store_of_cashier(self, cashier_id: str) -> StoreId | None:
        return next((s.store_id for s in self.stores.values() if cashier_id in s.cashier_ids), None)


class SettingsCache:
    """The configuration this process read last, under its version; shared by the threads of one `Database`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: Configuration | None = None

    def get(self, version: int) -> Configuration | None:
        held = self._held
        return held if held is not None and held.version == version else None

    def put(self, config: Configuration) -> None:
        with self._lock:
            self._held = config

    def forget(self) -> None:
        """After the database was replaced underneath us (restore, test wipe): versions may repeat."""
        with self._lock:
            self._held = None


def version(conn: Connection) -> int:
    """The settings version in force (0 before the settings row exists)."""
    return int(conn.execute(_VERSION).scalar() or 0)


def read_configuration(conn: Connection, cache: SettingsCache | None) -> Configuration:
    """The configuration in force; `cache` None reads past the cache (a transaction that changed it)."""
    current = version(conn)
    if cache is not None:
        held = cache.get(current)
        if held is not None:
            return held
    raw = conn.execute(_BASE).scalar()
    cashiers: dict[StoreId, list[CashierId]] = defaultdict(list)
    for cashier_id, store_id in conn.execute(_CASHIERS):
        cashiers[StoreId(store_id)].append(CashierId(cashier_id))
    stores: dict[StoreId, StoreInfo] = {}
    names: dict[StoreId, str] = {}
    for row in conn.execute(_STORES):
        store_id = StoreId(row.store_id)
        settings = parse_store(json.loads(row.settings_json or "{}"))
        stores[store_id] = StoreInfo(store_id, row.timezone, tuple(sorted(cashiers[store_id])), settings)
        names[store_id] = row.name
    base = parse_base(json.loads(raw)) if raw else BaseSettings()
    config = Configuration(current, base, stores, names, catalog(conn))
    if cache is not None:
        cache.put(config)
    return config


def base_settings(conn: Connection, cache: SettingsCache | None) -> BaseSettings:
    """The base settings in force."""
    return read_configuration(conn, cache).base


def catalog(conn: Connection) -> tuple[Level, ...]:
    """The level catalog as this transaction sees it, past the cache (readers use `read_configuration(...).levels`)."""
    return tuple(Level(*row) for row in conn.execute(_LEVELS))


# ---------------------------------------------------------------------------------------------- changes


def bump(conn: Connection) -> int:
    """A new settings version, in this transaction: every change of the configuration takes one."""
    new = version(conn) + 1
    conn.execute(_SET_VERSION, {"b_version": new})
    return new


def save_base(conn: Connection, settings: BaseSettings, *, actor: str, at: dt.datetime) -> int:
    """Put `settings` in force and record the change in the history; returns the new version."""
    before = conn.execute(_BASE).scalar()
    after = settings.model_dump_json()
    new = bump(conn)
    conn.execute(update(t.SettingsRow).where(t.SettingsRow.id == 1).values(base_json=after))
    _record(conn, scope="base", before=before, after=after, version=new, actor=actor, at=at)
    return new


def save_store(conn: Connection, store_id: str, settings: StoreSettings, *, actor: str, at: dt.datetime) -> int:
    """Put a store's `settings` in force and record the change in the history; returns the new version."""
    before = conn.execute(select(t.Store.settings_json).where(t.Store.store_id == store_id)).scalar()
    after = settings.model_dump_json()
    new = bump(conn)
    conn.execute(update(t.Store).where(t.Store.store_id == store_id).values(settings_json=after))
    _record(conn, scope=f"store:{store_id}", before=before, after=after, version=new, actor=actor, at=at)
    return new


def save_levels(conn: Connection, before: tuple[Level, ...], *, actor: str, at: dt.datetime) -> int | None:
    """After an edit of the level catalog in this transaction (`before`: the catalog it started from): a new version
    and a line in the history, or None when nothing changed. Tills re-read the catalog when the version moves."""
    after = catalog(conn)
    if after == before:
        return None
    new = bump(conn)
    _record(
        conn, scope="levels", before=_levels_json(before), after=_levels_json(after), version=new, actor=actor, at=at
    )
    return new


def _levels_json(levels: tuple[Level, ...]) -> str:
    return json.dumps({lv.level_id: asdict(lv) for lv in levels}, ensure_ascii=False, sort_keys=True)


def _record(
    conn: Connection, *, scope: str, before: str | None, after: str, version: int, actor: str, at: dt.datetime
) -> None:
    conn.execute(
        insert(t.SettingsHistory).values(
            at=at, actor=actor, scope=scope, before_json=before, after_json=after, version=version
        )
    )
