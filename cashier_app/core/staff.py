"""Staff at the till: employees pulled from the server, a cashier's sign-in with a personal PIN verified offline,
and a manager's PIN for manager actions (refund, opening the drawer without a sale, the Z report).

A PIN is verified against the argon2id PHC string the server made (`server/services/employees.py`; the string names
its own parameters, so the till needs none). Five wrong PINs in a row lock that PIN for five minutes — an employee's
at sign-in, the managers' together for manager actions — counted in the local database so a restart does not reset
them. A store without employees keeps the till's one shared manager PIN (`pin.py`), and its sales need no sign-in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, insert, select

from shared.errors import Code
from shared.wire import EmployeeInfo

from .clock import iso
from .db import UnitOfWork, employees, kv, kv_get, kv_set
from .pin import PinError, check_manager_pin

MAX_FAILURES = 5
LOCKED_FOR = dt.timedelta(minutes=5)
MANAGERS = "managers"  # the lock of manager actions: the PIN names no one until it matches
_verifier = PasswordHasher()  # verify() takes the parameters from the hash


@dataclass(frozen=True)
class Employee:
    employee_id: str
    name: str
    role: str

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def replace_employees(conn: Connection, staff: Sequence[EmployeeInfo]) -> None:
    """A pull's list is the whole store's: it replaces what the till held (inactive employees are left out)."""
    conn.execute(delete(employees))
    rows = [
        {"employee_id": e.employee_id, "name": e.name, "role": e.role, "pin_hash": e.pin_hash}
        for e in staff
        if e.active
    ]
    if rows:
        conn.execute(insert(employees), rows)


def store_employees(conn: Connection) -> list[Employee]:
    rows = conn.execute(select(employees).order_by(employees.c.role, employees.c.name)).all()
    return [Employee(r.employee_id, r.name, r.role) for r in rows]


def has_employees(conn: Connection) -> bool:
    return conn.execute(select(employees.c.employee_id).limit(1)).first() is not None


def is_employee(conn: Connection, employee_id: str) -> bool:
    return (
        conn.execute(select(employees.c.employee_id).where(employees.c.employee_id == employee_id)).first() is not None
    )


def _verify(pin_hash: str, pin: str) -> bool:
    try:
        return bool(_verifier.verify(pin_hash, pin))
    except (VerificationError, InvalidHashError):
        return False


def _key(who: str) -> str:
    return f"pin_lock:{who}"


def _check_lock(conn: Connection, who: str, now: dt.datetime) -> None:
    state = kv_get(conn, _key(who))
    if state and state.get("until") and dt.datetime.fromisoformat(state["until"]) > now:
        raise PinError(Code.PIN_LOCKED, state["until"])


def _failed(uow: UnitOfWork, who: str, now: dt.datetime) -> PinError:
    """Count a wrong PIN, and keep the count: commit it (the refusal rolls back nothing else, nothing else was
    written), then the caller raises."""
    conn = uow.conn
    state = kv_get(conn, _key(who)) or {}
    failures = int(state.get("failures", 0)) + 1
    if failures >= MAX_FAILURES:
        kv_set(conn, _key(who), {"failures": 0, "until": iso(now + LOCKED_FOR)})
        uow.commit()
        return PinError(Code.PIN_LOCKED, iso(now + LOCKED_FOR))
    kv_set(conn, _key(who), {"failures": failures})
    uow.commit()
    return PinError(Code.PIN_WRONG)


def _succeeded(conn: Connection, who: str) -> None:
    conn.execute(delete(kv).where(kv.c.key == _key(who)))


def sign_in(*, uow: UnitOfWork, employee_id: str, pin: str, now: dt.datetime) -> Employee:
    """A cashier (or manager) signs in with their own PIN; PinError pin_wrong / pin_locked. Commits."""
    conn = uow.conn
    row = conn.execute(select(employees).where(employees.c.employee_id == employee_id)).first()
    if row is None:
        raise PinError(Code.NOT_SIGNED_IN, f"no employee {employee_id} at this store")
    _check_lock(conn, employee_id, now)
    if not _verify(row.pin_hash, pin):
        raise _failed(uow, employee_id, now)
    _succeeded(conn, employee_id)
    uow.commit()
    return Employee(row.employee_id, row.name, row.role)


def authorize_manager(*, uow: UnitOfWork, pin: str, now: dt.datetime) -> str | None:
    """A manager's PIN for a manager action: the manager's employee id, or None when the store has no employees
    and the till's shared manager PIN was right. PinError pin_wrong / pin_locked / pin_not_set. Does not commit
    when the PIN is right (the action commits with it)."""
    conn = uow.conn
    if not has_employees(conn):
        check_manager_pin(conn, pin)
        return None
    _check_lock(conn, MANAGERS, now)
    rows = conn.execute(select(employees).where(employees.c.role == "manager")).all()
    for row in rows:
        if _verify(row.pin_hash, pin):
            _succeeded(conn, MANAGERS)
            return str(row.employee_id)
    raise _failed(uow, MANAGERS, now)
