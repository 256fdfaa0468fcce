"""Members: registration at a till (phone unique, aliases), administration, and what a till may see of them."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.errors import Code, RuleError

from ..db import tables as t
from ..db.settings import SettingsCache
from . import admin, levels

M = t.Member
PHONE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits: \d would accept any script
MEMBER_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳修 → 欧*修, Alice → A***e: enough for a cashier to confirm, too little to copy."""
    name = name.strip()
    if len(name) <= 1:
        return name or ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def display_name(name: str | None, phone: str | None) -> str:
    if name:
        return mask_name(name)
    if phone:
        return mask_phone(phone)
    return "会员"


def phone_hash(salt: str, phone: str) -> str:
    return hashlib.sha256((salt + phone).encode()).hexdigest()


def resolve(conn: Connection, member_id: str) -> str | None:
    """The member a till's id names: the member it is an alias of, or itself; None when unknown."""
    target = conn.execute(select(t.MemberAlias.member_id).where(t.MemberAlias.alias_id == member_id)).scalar()
    if target is not None:
        return str(target)
    return member_id if exists(conn, member_id) else None


@dataclass(frozen=True, slots=True)
class Registered:
    member_id: str  # the id the server knows the member by
    aliased: bool


def register(conn: Connection, *, member_id: str, phone: str, store_id: str, at: dt.datetime) -> Registered:
    """A member signed up at a till. An existing phone keeps its member; the till's id becomes an alias."""
    owner = conn.execute(select(M.member_id).where(M.phone == phone)).scalar()
    if owner is not None:
        if owner != member_id:
            dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
            conn.execute(
                dialect.insert(t.MemberAlias.__table__)
                .values(alias_id=member_id, member_id=owner)
                .on_conflict_do_nothing(index_elements=["alias_id"])
            )
            return Registered(str(owner), True)
        return Registered(member_id, False)
    row = conn.execute(select(M.member_id, M.phone).where(M.member_id == member_id)).first()
    if row is not None:
        if row.phone is not None:  # the till reused an id of a member with another phone
            raise RuleError(Code.INVALID_EVENT, f"member id {member_id} belongs to another phone")
        conn.execute(
            update(M)
            .where(M.member_id == member_id)
            .values(phone=phone, registered_store_id=store_id, change_version=admin.next_member_version(conn))
        )
        return Registered(member_id, False)
    conn.execute(
        insert(M).values(
            member_id=member_id,
            phone=phone,
            name="",
            level=None,
            created_at=at,
            registered_store_id=store_id,
            change_version=admin.next_member_version(conn),
        )
    )
    return Registered(member_id, False)


def add(
    conn: Connection,
    *,
    phone: str | None,
    name: str = "",
    level: str | None = None,
    member_id: str | None = None,
    store_id: str | None = None,
    now: dt.datetime,
    cache: SettingsCache | None = None,
) -> str:
    """A member added by headquarters; `level` (of the level catalog, read through `cache` when given) is in force
    from the beginning of time."""
    member_id = member_id or str(uuid.uuid4())
    if not MEMBER_ID.match(member_id):
        raise RuleError(Code.INVALID_EVENT, f"member id {member_id!r}: 1-64 letters, digits or _.:-")
    if phone is not None and not PHONE.match(phone):
        raise RuleError(Code.INVALID_EVENT, f"phone {phone!r} is not a mainland mobile number")
    if phone is not None and conn.execute(select(M.member_id).where(M.phone == phone)).first() is not None:
        raise RuleError(Code.INVALID_EVENT, f"phone {phone} belongs to a member already")
    if conn.execute(select(M.member_id).where(M.member_id == member_id)).first() is not None:
        raise RuleError(Code.INVALID_EVENT, f"member {member_id} exists already")
    levels.require_known(conn, [level], cache)  # a level of the catalog, or none
    admin.add_member(conn, member_id=member_id, at=now, level=level, phone=phone, name=name, store_id=store_id)
    return member_id


def import_csv(conn: Connection, rows: Iterable[dict[str, str]], *, now: dt.datetime) -> list[str]:
    """Members from CSV rows (columns phone, name, level, member_id; all but phone optional); all or nothing."""
    added = []
    cache = SettingsCache()  # the catalog parsed once for the whole import: adding members leaves it as it is
    for line, row in enumerate(rows, start=2):
        try:
            added.append(
                add(
                    conn,
                    phone=(row.get("phone") or "").strip() or None,
                    name=(row.get("name") or "").strip(),
                    level=(row.get("level") or "").strip() or None,
                    member_id=(row.get("member_id") or "").strip() or None,
                    now=now,
                    cache=cache,
                )
            )
        except RuleError as exc:
            raise RuleError(exc.code, f"line {line}: {exc.detail}") from None
    return added


def read_csv(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "phone" not in reader.fieldnames:
            raise RuleError(Code.INVALID_EVENT, "the CSV needs a header line with at least a phone column")
        return list(reader)


def changed_since(conn: Connection, version: int, limit: int) -> list[Any]:
    """Members whose till-visible data changed after `version`, oldest change first."""
    return list(
        conn.execute(
            select(M.member_id, M.name, M.phone, M.level, M.change_version)
            .where(M.change_version > version)
            .order_by(M.change_version)
            .limit(limit)
        )
    )


def exists(conn: Connection, member_id: str) -> bool:
    return conn.execute(select(M.member_id).where(M.member_id == member_id)).first() is not None
