"""The member level catalog: the levels headquarters defines, their display names (zh, en) and rank.

Level ratios (base and store settings) and members may name only a level of the catalog: a typo such as "glod"
is refused with `unknown_level`, not saved. The engine itself takes any level id (the scenario format and replays
name levels freely); the checks here guard the paths people use: the console, the CLI, member imports.
The catalog is part of the configuration (`server/db/settings.py`): read through the process's cache keyed by the
settings version, and a catalog change bumps the version and is recorded in settings_history (scope "levels").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from shared.engine.commands import Command
from shared.engine.engine import Outcome
from shared.errors import Code, RuleError

from ..db import settings
from ..db import tables as t
from ..db.database import Database
from ..db.settings import Configuration, Level, SettingsCache
from ..db.unit_of_work import UnitOfWork
from .ingest import Ingest

__all__ = ["Level", "apply_checked", "catalog", "locked", "named_by_settings", "remove", "require_known", "save"]

LEVEL_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
C = t.LevelCatalog


def catalog(conn: Connection, cache: SettingsCache | None) -> tuple[Level, ...]:
    """Highest rank first, then by id; `cache` None reads past the process's cache (a transaction that changed it)."""
    return settings.read_configuration(conn, cache).levels


def require_known(conn: Connection, level_ids: Iterable[str | None], cache: SettingsCache | None = None) -> None:
    """RuleError `unknown_level` naming the ids the catalog does not hold."""
    _require(settings.read_configuration(conn, cache), level_ids)


def _require(config: Configuration, level_ids: Iterable[str | None]) -> None:
    unknown = sorted({lv for lv in level_ids if lv is not None} - {lv.level_id for lv in config.levels})
    if unknown:
        raise RuleError(Code.UNKNOWN_LEVEL, ", ".join(unknown))


def named_by_settings(conn: Connection, cache: SettingsCache | None) -> dict[str, list[str]]:
    """level id -> the settings that name it ("base", "store:S1", ...)."""
    return _named(settings.read_configuration(conn, cache))


def _named(config: Configuration) -> dict[str, list[str]]:
    owners = [("base", config.base.level_entitlement_bp)]
    owners += [(f"store:{sid}", config.stores[sid].settings.level_entitlement_bp) for sid in config.store_ids()]
    out: dict[str, list[str]] = {}
    for owner, ratios in owners:
        for level in ratios:
            out.setdefault(level, []).append(owner)
    return out


def check_settings(conn: Connection) -> None:
    """Every level the settings in force name is in the catalog (read past the process's cache)."""
    config = settings.read_configuration(conn, None)
    _require(config, _named(config))


def apply_checked(ingest: Ingest, command: Command, levels: Iterable[str | None] = ()) -> Outcome:
    """Apply a settings change or a member's level change, refused with `unknown_level` (nothing saved) when the
    result names a level outside the catalog. The check runs in the command's transaction, after the engine."""

    def check(uow: UnitOfWork, _outcome: Outcome) -> None:
        # the unit of work's own read: past the cache once the command changed the configuration
        config = uow.repo.configuration()
        _require(config, levels)
        _require(config, _named(config))

    return ingest.apply_within(command, check).outcome


# ------------------------------------------------------------------------------------------------ editing


@contextmanager
def locked(db: Database, *, at: dt.datetime) -> Iterator[Connection]:
    """A transaction that holds the settings lock exclusively, as a settings change does: a catalog edit and a
    change that names a level are serialised, so neither can slip past the other's check."""
    with UnitOfWork(db, at=at, exclusive_settings=True) as uow:
        yield uow.conn
        uow.commit()


def _clean_name(value: str, what: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 40 or any(ord(ch) < 32 for ch in value):
        raise RuleError(Code.INVALID_SETTINGS, f"{what}: 1 to 40 characters")
    return value


def save(
    conn: Connection,
    *,
    level_id: str,
    name_zh: str,
    name_en: str = "",
    rank: int = 0,
    actor: str,
    at: dt.datetime,
) -> Level:
    """Add a level, or rename or re-rank one; an empty English name takes the Chinese one."""
    if not LEVEL_ID.match(level_id):
        raise RuleError(Code.INVALID_SETTINGS, "a level id is 1-40 letters, digits or _.-")
    if not -1000 <= rank <= 1000:
        raise RuleError(Code.INVALID_SETTINGS, "rank: -1000 to 1000")
    level = Level(level_id, _clean_name(name_zh, "name_zh"), _clean_name(name_en or name_zh, "name_en"), rank)
    before = settings.catalog(conn)
    values: dict[str, Any] = {"name_zh": level.name_zh, "name_en": level.name_en, "rank": level.rank}
    if conn.execute(update(C).where(C.level_id == level_id).values(**values)).rowcount == 0:
        conn.execute(insert(C).values(level_id=level_id, **values))
    settings.save_levels(conn, before, actor=actor, at=at)
    return level


def remove(conn: Connection, *, level_id: str, actor: str, at: dt.datetime) -> None:
    """Take a level out of the catalog; refused (`level_in_use`) while a setting names it or a member holds it."""
    owners = named_by_settings(conn, None).get(level_id, [])
    if owners:
        raise RuleError(Code.LEVEL_IN_USE, f"{level_id}: named by {', '.join(owners)}")
    if conn.execute(select(t.Member.member_id).where(t.Member.level == level_id).limit(1)).first() is not None:
        raise RuleError(Code.LEVEL_IN_USE, f"{level_id}: members hold it")
    before = settings.catalog(conn)
    conn.execute(delete(C).where(C.level_id == level_id))
    settings.save_levels(conn, before, actor=actor, at=at)
