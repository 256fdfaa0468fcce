"""A store's employees (issue 14): name, role (cashier | manager) and a personal PIN, managed by headquarters in the
console and handed to the store's tills in the pull, where a cashier signs in offline.

The PIN is stored only as an argon2id PHC string (salt and parameters inside it), and that string goes to the
tills: a till verifies offline with the parameters the string names. The parameters are argon2's "second
recommended option" of RFC 9106 cut down for a till's CPU and memory: 19 MiB, 2 passes, 1 lane (OWASP's minimum
for argon2id) — 89 ms per check measured on our 2 shared cores (docs/cashier-app.md "Staff"). A PIN is 4 to 12
digits: whoever copies a till's database can still try every 6-digit PIN offline (10⁶ × 89 ms ≈ 25 CPU-hours), so the
PIN guards the counter against a colleague, not the database against a thief; the till's lockout (5 wrong PINs,
5 minutes) guards the keypad.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from sqlalchemy import Connection, insert, select, update

from shared.errors import Code, RuleError
from shared.wire import EmployeeInfo

from ..db import tables as t

E = t.Employee
ROLES = ("cashier", "manager")
# RFC 9106 / OWASP minimum for argon2id: m = 19 MiB, t = 2, p = 1; 16-byte salt, 32-byte hash.
PIN_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


@dataclass(frozen=True)
class Employee:
    employee_id: str
    store_id: str
    name: str
    role: str
    active: bool


def hash_pin(pin: str) -> str:
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
        raise RuleError(Code.PIN_FORMAT, "a PIN is 4 to 12 digits")
    return PIN_HASHER.hash(pin)


def _check(name: str, role: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100 or any(ord(c) < 32 for c in name):
        raise RuleError(Code.INVALID_REQUEST, "a name is 1 to 100 characters")
    if role not in ROLES:
        raise RuleError(Code.INVALID_REQUEST, f"the role is one of {', '.join(ROLES)}")
    return name


def save(
    conn: Connection,
    *,
    store_id: str,
    name: str,
    role: str,
    pin: str,
    at: dt.datetime,
    employee_id: str | None = None,
    active: bool = True,
) -> str:
    """Add an employee (`employee_id` None: a PIN is required) or change one (an empty PIN keeps the old one)."""
    name = _check(name, role)
    if conn.execute(select(t.Store.store_id).where(t.Store.store_id == store_id)).first() is None:
        raise RuleError(Code.UNKNOWN_STORE, store_id)
    if employee_id is None:
        employee_id = f"e-{uuid.uuid4().hex[:12]}"
        add(conn, employee_id=employee_id, store_id=store_id, name=name, role=role, pin=pin, at=at, active=active)
        return employee_id
    known = conn.execute(select(E.store_id).where(E.employee_id == employee_id)).first()
    if known is None or known.store_id != store_id:
        raise RuleError(Code.NOT_FOUND, employee_id)
    values: dict[str, object] = {"name": name, "role": role, "active": active, "updated_at": at}
    if pin:
        values["pin_hash"] = hash_pin(pin)
    conn.execute(update(E).where(E.employee_id == employee_id).values(**values))
    return employee_id


def add(
    conn: Connection,
    *,
    employee_id: str,
    store_id: str,
    name: str,
    role: str,
    pin: str,
    at: dt.datetime,
    active: bool = True,
) -> None:
    """A new employee with a chosen id (the demo's; the console lets `save` make one)."""
    conn.execute(
        insert(E).values(
            employee_id=employee_id,
            store_id=store_id,
            name=_check(name, role),
            role=role,
            pin_hash=hash_pin(pin),
            active=active,
            updated_at=at,
        )
    )


def for_store(conn: Connection, store_id: str) -> list[Employee]:
    rows = conn.execute(
        select(E.employee_id, E.store_id, E.name, E.role, E.active).where(E.store_id == store_id).order_by(E.name)
    ).all()
    return [Employee(r.employee_id, r.store_id, r.name, r.role, r.active) for r in rows]


def for_till(conn: Connection, store_id: str) -> list[EmployeeInfo]:
    """What a till of the store pulls: every employee, inactive ones too (the till forgets them)."""
    rows = conn.execute(
        select(E.employee_id, E.name, E.role, E.pin_hash, E.active)
        .where(E.store_id == store_id)
        .order_by(E.employee_id)
    ).all()
    return [EmployeeInfo.model_validate(r._asdict()) for r in rows]


def names(conn: Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute(select(E.employee_id, E.name))}
