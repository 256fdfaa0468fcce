"""Members: registration at a till (phone unique, aliases), administration, and what a till may see of them."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from shared.errors import Code, RuleError
from shared.ids import MemberId
from shared.phones import PHONE, phone_key, phone_keys
from shared.wire import MemberRegistered

from ..db import tables as t
from ..db.settings import SettingsCache
from . import admin, audit, levels, values
from .terminals import TerminalPrincipal

M = t.Member
PHONE_KNOWN = "phone_known"  # audit: a till registered a phone that is a member's already
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


def display_name(name: str | None) -> str:
    """What a till shows of a member: the masked name, or 会员 (member) — never a digit of the phone, which would
    shrink the numbers a guesser has to try (docs/sync-protocol.md "Phone keys")."""
    return mask_name(name) if name else "会员"


def resolve_many(conn: Connection, member_ids: Iterable[str], *, terminal_id: str) -> dict[str, MemberId | None]:
    """The member each id names in a sale of this terminal (None: unknown). A member's own id always names that
    member; an alias names its member only for the terminal that made it (or any terminal, for aliases made before
    they were scoped): an alias never redirects a member's sales, and one till's alias means nothing to another."""
    wanted = sorted(set(member_ids))
    if not wanted:
        return {}
    found = set(conn.execute(select(M.member_id).where(M.member_id.in_(wanted))).scalars())
    A = t.MemberAlias
    alias = dict(
        conn.execute(
            select(A.alias_id, A.member_id).where(
                A.alias_id.in_(wanted), or_(A.terminal_id.is_(None), A.terminal_id == terminal_id)
            )
        ).all()
    )
    return {m: MemberId(m) if m in found else MemberId(alias[m]) if m in alias else None for m in wanted}


@dataclass(frozen=True, slots=True)
class Registered:
    member_id: str  # the id the server knows the member by
    aliased: bool


def register(
    conn: Connection, *, member_id: str, phone: str, store_id: str, terminal_id: str, at: dt.datetime
) -> Registered:
    """A member signed up at a till (docs/sync-protocol.md "Member registration"). A new id with a new phone is a
    new member. A new id with a phone that is a member's already names that member, for this terminal only (an
    alias), and is audited. An id that is taken (a member's, or another till's alias) is refused with
    `conflicting_member`, unless it is this store's own registration of the same phone sent again."""
    A = t.MemberAlias
    owner = conn.execute(select(M.member_id).where(M.phone == phone)).scalar()
    taken = conn.execute(select(M.phone, M.registered_store_id).where(M.member_id == member_id)).first()
    if taken is not None:
        if taken.phone == phone and taken.registered_store_id == store_id:
            return Registered(member_id, False)
        raise RuleError(Code.CONFLICTING_MEMBER, f"member id {member_id} is taken")
    alias = conn.execute(select(A.member_id, A.terminal_id).where(A.alias_id == member_id)).first()
    if alias is not None:
        if alias.terminal_id == terminal_id and alias.member_id == owner:
            return Registered(str(owner), True)
        raise RuleError(Code.CONFLICTING_MEMBER, f"member id {member_id} is taken")
    if owner is not None:
        conn.execute(insert(A).values(alias_id=member_id, member_id=owner, terminal_id=terminal_id))
        audit.record(
            conn,
            at=at,
            actor=f"terminal:{terminal_id}",
            store_id=store_id,
            action="member_registered",
            code=PHONE_KNOWN,
            subject=str(owner),
            detail=f"{mask_phone(phone)} registered again as {member_id}: sales of this till under it count for "
            f"{owner}",
        )
        return Registered(str(owner), True)
    conn.execute(
        insert(M).values(
            member_id=member_id,
            phone=phone,
            phone_key=phone_key(values.phone_key_params(conn), phone),
            name="",
            level=None,
            created_at=at,
            registered_store_id=store_id,
            change_version=admin.next_member_version(conn),
        )
    )
    return Registered(member_id, False)


def audit_refusal(
    terminal: TerminalPrincipal, body: MemberRegistered, exc: RuleError, at: dt.datetime
) -> Callable[[Connection], None]:
    """The audit row of a refused registration, written with the refusal (a till claiming a taken id)."""

    def write(conn: Connection) -> None:
        audit.record(
            conn,
            at=at,
            actor=f"terminal:{terminal.terminal_id}",
            store_id=terminal.store_id,
            action="member_registered",
            code=exc.code.value,
            subject=body.member_id,
            detail=f"{mask_phone(body.phone)}: {exc.detail}",
        )

    return write


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
    key: str | None = None,
) -> str:
    """A member added by headquarters; `level` (of the level catalog, read through `cache` when given) is in force
    from the beginning of time. `key`: the phone's key when the caller made it already (an import makes them in
    parallel)."""
    member_id = member_id or str(uuid.uuid4())
    if not MEMBER_ID.match(member_id):
        raise RuleError(Code.INVALID_EVENT, f"member id {member_id!r}: 1-64 letters, digits or _.:-")
    if phone is not None and not PHONE.match(phone):
        raise RuleError(Code.INVALID_EVENT, f"phone {phone!r} is not a mainland mobile number")
    if phone is not None and conn.execute(select(M.member_id).where(M.phone == phone)).first() is not None:
        raise RuleError(Code.INVALID_EVENT, f"phone {phone} belongs to a member already")
    if id_taken(conn, member_id):
        raise RuleError(Code.INVALID_EVENT, f"member {member_id} exists already")
    levels.require_known(conn, [level], cache)  # a level of the catalog, or none
    if phone is not None and key is None:
        key = phone_key(values.phone_key_params(conn), phone)
    admin.add_member(
        conn, member_id=member_id, at=now, level=level, phone=phone, phone_key=key, name=name, store_id=store_id
    )
    return member_id


def import_csv(conn: Connection, rows: Iterable[dict[str, str]], *, now: dt.datetime) -> list[str]:
    """Members from CSV rows (columns phone, name, level, member_id; all but phone optional); all or nothing."""
    rows = list(rows)
    phones = [(row.get("phone") or "").strip() or None for row in rows]
    valid = sorted({p for p in phones if p is not None and PHONE.match(p)})
    keys = dict(zip(valid, phone_keys(values.phone_key_params(conn), valid, workers=os.cpu_count() or 2), strict=True))
    added = []
    cache = SettingsCache()  # the catalog parsed once for the whole import: adding members leaves it as it is
    for line, (row, phone) in enumerate(zip(rows, phones, strict=True), start=2):
        try:
            added.append(
                add(
                    conn,
                    phone=phone,
                    name=(row.get("name") or "").strip(),
                    level=(row.get("level") or "").strip() or None,
                    member_id=(row.get("member_id") or "").strip() or None,
                    now=now,
                    key=keys.get(phone) if phone is not None else None,
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
            select(M.member_id, M.name, M.phone_key, M.level, M.change_version)
            .where(M.change_version > version)
            .order_by(M.change_version)
            .limit(limit)
        )
    )


def points_of(conn: Connection, member_ids: list[str]) -> dict[str, int]:
    """The points balance of each of these members that has a points ledger (the others hold none)."""
    if not member_ids:
        return {}
    p = t.PointsLedger
    rows = conn.execute(
        select(p.member_id, func.sum(p.points)).where(p.member_id.in_(member_ids)).group_by(p.member_id)
    ).all()
    return {member_id: int(total) for member_id, total in rows}


def exists(conn: Connection, member_id: str) -> bool:
    return conn.execute(select(M.member_id).where(M.member_id == member_id)).first() is not None


def id_taken(conn: Connection, member_id: str) -> bool:
    """A member's id, or a till's alias: either way not free for a new member."""
    alias = select(t.MemberAlias.alias_id).where(t.MemberAlias.alias_id == member_id)
    return exists(conn, member_id) or conn.execute(alias).first() is not None
