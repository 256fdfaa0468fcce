"""The member level catalog: the levels headquarters defines, their display names (zh, en) and rank.

Level ratios (base and store settings) and members may name only a level of the catalog: a typo such as "glod"
is refused with `unknown_level`, not saved. The engine itself takes any level id (the scenario format and replays
name levels freely); the checks here guard the paths people use: the console, the CLI, member imports.
A catalog change bumps the settings version and is recorded in settings_history (scope "levels").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from shared.engine.commands import Command
from shared.engine.engine import Outcome
from shared.errors import Code, RuleError
from shared.settings import parse_base, parse_store

from ..db import tables as t
from ..db.database import Database, UnitOfWork
from .ingest import Ingest

LEVEL_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
C = t.LevelCatalog


@dataclass(frozen=True, slots=True)
class Level:
    level_id: str
    name_zh: str
    name_en: str
    rank: int

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def catalog(conn: Connection) -> list[Level]:
    """Highest rank first, then by id."""
    rows = conn.execute(select(C.level_id, C.name_zh, C.name_en, C.rank).order_by(C.rank.desc(), C.level_id))
    return [Level(*row) for row in rows]


def names(conn: Connection, lang: str) -> dict[str, str]:
    return {lv.level_id: lv.name(lang) for lv in catalog(conn)}


def require_known(conn: Connection, level_ids: Iterable[str | None]) -> None:
    """RuleError `unknown_level` naming the ids the catalog does not hold."""
    wanted = {lv for lv in level_ids if lv is not None}
    if not wanted:
        return
    known = set(conn.execute(select(C.level_id).where(C.level_id.in_(sorted(wanted)))).scalars())
    unknown = sorted(wanted - known)
    if unknown:
        raise RuleError(Code.UNKNOWN_LEVEL, ", ".join(unknown))


def named_by_settings(conn: Connection) -> dict[str, list[str]]:
    """level id -> the settings that name it ("base", "store:S1", ...)."""
    out: dict[str, list[str]] = {}
    raw = conn.execute(select(t.SettingsRow.base_json).where(t.SettingsRow.id == 1)).scalar()
    owners = [("base", parse_base(json.loads(raw)).level_entitlement_bp if raw else {})]
    for store_id, doc in conn.execute(select(t.Store.store_id, t.Store.settings_json).order_by(t.Store.store_id)):
        owners.append((f"store:{store_id}", parse_store(json.loads(doc or "{}")).level_entitlement_bp))
    for owner, ratios in owners:
        for level in ratios:
            out.setdefault(level, []).append(owner)
    return out


def check_settings(conn: Connection) -> None:
    """Every level the settings in force name is in the catalog (run inside the change's own transaction)."""
    require_known(conn, named_by_settings(conn))


def apply_checked(ingest: Ingest, command: Command, levels: Iterable[str | None] = ()) -> Outcome:
    """Apply a settings change or a member's level change, refused with `unknown_level` (nothing saved) when the
    result names a level outside the catalog. The check runs in the command's transaction, after the engine."""

    def check(uow: UnitOfWork, _outcome: Outcome) -> None:
        require_known(uow.conn, levels)
        check_settings(uow.conn)

    return ingest.apply(command, within=check)


# ------------------------------------------------------------------------------------------------ editing


@contextmanager
def locked(db: Database) -> Iterator[Connection]:
    """A transaction that holds the settings lock exclusively, as a settings change does: a catalog edit and a
    change that names a level are serialised, so neither can slip past the other's check."""
    with db.unit_of_work(exclusive_settings=True) as uow:
        yield uow.conn
        uow.commit()


def _snapshot(conn: Connection) -> str:
    return json.dumps({lv.level_id: asdict(lv) for lv in catalog(conn)}, ensure_ascii=False, sort_keys=True)


def _record(conn: Connection, before: str, *, actor: str, at: dt.datetime) -> None:
    """Bump the settings version (tills re-read what they pulled) and record before/after in the history."""
    after = _snapshot(conn)
    if after == before:
        return
    version = int(conn.execute(select(t.SettingsRow.version).where(t.SettingsRow.id == 1)).scalar_one()) + 1
    conn.execute(update(t.SettingsRow).where(t.SettingsRow.id == 1).values(version=version))
    conn.execute(
        insert(t.SettingsHistory).values(
            at=at, actor=actor, scope="levels", before_json=before, after_json=after, version=version
        )
    )


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
    before = _snapshot(conn)
    values: dict[str, Any] = {"name_zh": level.name_zh, "name_en": level.name_en, "rank": level.rank}
    if conn.execute(update(C).where(C.level_id == level_id).values(**values)).rowcount == 0:
        conn.execute(insert(C).values(level_id=level_id, **values))
    _record(conn, before, actor=actor, at=at)
    return level


def remove(conn: Connection, *, level_id: str, actor: str, at: dt.datetime) -> None:
    """Take a level out of the catalog; refused (`level_in_use`) while a setting names it or a member holds it."""
    owners = named_by_settings(conn).get(level_id, [])
    if owners:
        raise RuleError(Code.LEVEL_IN_USE, f"{level_id}: named by {', '.join(owners)}")
    if conn.execute(select(t.Member.member_id).where(t.Member.level == level_id).limit(1)).first() is not None:
        raise RuleError(Code.LEVEL_IN_USE, f"{level_id}: members hold it")
    before = _snapshot(conn)
    conn.execute(delete(C).where(C.level_id == level_id))
    _record(conn, before, actor=actor, at=at)
