"""Terminals: one-time enrolment codes, enrolment, credential rotation that survives a lost answer, revocation."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from shared.errors import Code
from shared.ids import CashierId, StoreId, TerminalId
from shared.tokens import TokenError, public_key_from_text

from ..db import tables as t
from ..errors import Refused, not_found, unauthorized
from ..security.secrets import digest, new_enrolment_code, new_terminal_credential, normalise_code

T = t.Terminal


@dataclass(frozen=True, slots=True)
class TerminalPrincipal:
    terminal_id: TerminalId
    store_id: StoreId
    role: str = "terminal"
    cashier_id: CashierId | None = None  # the checkout point it is bound to: its sales' (None: not bound)


@dataclass(frozen=True, slots=True)
class Enrolled:
    terminal_id: str
    store_id: str
    credential: str


def create_enrolment_code(
    conn: Connection, *, store_id: str, now: dt.datetime, ttl: dt.timedelta, cashier_id: str | None = None
) -> str:
    """A one-time code for a new terminal of `store_id`; only its hash is kept. `cashier_id` names the checkout
    point the till will sell for (default: the store's first, by id)."""
    if conn.execute(select(t.Store.store_id).where(t.Store.store_id == store_id)).first() is None:
        raise not_found(f"no store {store_id}")
    if cashier_id is not None:
        _check_cashier(conn, store_id=store_id, cashier_id=cashier_id)
    code = new_enrolment_code()
    conn.execute(
        insert(t.EnrolmentCode).values(
            code_hash=digest(normalise_code(code)),
            store_id=store_id,
            created_at=now,
            expires_at=now + ttl,
            cashier_id=cashier_id,
        )
    )
    return code


def _check_cashier(conn: Connection, *, store_id: str, cashier_id: str) -> None:
    c = t.Cashier
    if conn.execute(select(c.cashier_id).where(c.cashier_id == cashier_id, c.store_id == store_id)).first() is None:
        raise Refused(Code.UNKNOWN_CASHIER, f"{cashier_id} is not a checkout point of {store_id}")


def first_cashier(conn: Connection, store_id: str) -> str | None:
    """The store's first checkout point by id: where a till sells unless it is bound elsewhere (spec A3)."""
    c = t.Cashier
    return conn.execute(select(c.cashier_id).where(c.store_id == store_id).order_by(c.cashier_id).limit(1)).scalar()


def move(conn: Connection, *, terminal_id: str, cashier_id: str) -> str:
    """Bind a terminal to another checkout point of its store; returns the store. Its sales ingested from now on
    are that checkout point's (the till learns it at its next pull)."""
    store_id = conn.execute(select(T.store_id).where(T.terminal_id == terminal_id)).scalar()
    if store_id is None:
        raise not_found(f"no terminal {terminal_id}")
    _check_cashier(conn, store_id=store_id, cashier_id=cashier_id)
    conn.execute(update(T).where(T.terminal_id == terminal_id).values(cashier_id=cashier_id))
    return str(store_id)


def enroll(conn: Connection, *, code: str, name: str, public_key: str, now: dt.datetime) -> Enrolled:
    """Exchange a one-time code for a terminal credential (shown once; stored hashed)."""
    try:
        public_key_from_text(public_key)
    except TokenError:
        raise Refused(Code.INVALID_REQUEST, "public_key is a raw Ed25519 public key, base64url") from None
    ec = t.EnrolmentCode
    code_hash = digest(normalise_code(code))
    row = conn.execute(select(ec).where(ec.code_hash == code_hash)).first()
    if row is None or row.used_at is not None:
        raise Refused(Code.ENROLMENT_CODE_INVALID, "unknown or already used code")
    if row.expires_at <= now:
        raise Refused(Code.ENROLMENT_CODE_EXPIRED, "ask headquarters for a new code")
    claimed = conn.execute(
        update(ec).where(ec.code_hash == code_hash, ec.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if claimed != 1:  # another request used it a moment ago
        raise Refused(Code.ENROLMENT_CODE_INVALID, "unknown or already used code")
    terminal_id = f"t-{secrets.token_hex(6)}"
    credential = new_terminal_credential()
    conn.execute(
        insert(T).values(
            terminal_id=terminal_id,
            store_id=row.store_id,
            name=name,
            public_key=public_key,
            credential_hash=digest(credential),
            pending_credential_hash=None,
            enrolled_at=now,
            revoked_at=None,
            last_seen_at=None,
            backlog=0,
            applied_through=0,
            cashier_id=row.cashier_id or first_cashier(conn, row.store_id),
        )
    )
    return Enrolled(terminal_id, row.store_id, credential)


def authenticate(conn: Connection, credential: str) -> TerminalPrincipal:
    """The terminal a credential belongs to; the first use of a rotated credential retires the old one."""
    h = digest(credential)
    row = conn.execute(
        select(
            T.terminal_id, T.store_id, T.revoked_at, T.credential_hash, T.pending_credential_hash, T.cashier_id
        ).where(or_(T.credential_hash == h, T.pending_credential_hash == h))
    ).first()
    if row is None:
        raise unauthorized("unknown credential")
    if row.revoked_at is not None:
        raise Refused(Code.TERMINAL_REVOKED, "this terminal was revoked; enrol it again")
    if row.pending_credential_hash == h:
        conn.execute(
            update(T)
            .where(T.terminal_id == row.terminal_id, T.pending_credential_hash == h)
            .values(credential_hash=h, pending_credential_hash=None)
        )
    cashier = CashierId(row.cashier_id) if row.cashier_id else None
    return TerminalPrincipal(TerminalId(row.terminal_id), StoreId(row.store_id), cashier_id=cashier)


def rotate(conn: Connection, *, terminal_id: str) -> str:
    """A new credential, pending until first used; until then the current one works too.

    If the answer is lost the terminal calls again with its current credential and gets another pending one,
    which replaces the lost one (that was never used).
    """
    credential = new_terminal_credential()
    conn.execute(update(T).where(T.terminal_id == terminal_id).values(pending_credential_hash=digest(credential)))
    return credential


def revoke(conn: Connection, *, terminal_id: str, now: dt.datetime) -> bool:
    """Revoke a terminal; False when it does not exist. Its credentials stop working at once."""
    result = conn.execute(update(T).where(T.terminal_id == terminal_id, T.revoked_at.is_(None)).values(revoked_at=now))
    if result.rowcount:
        return True
    return conn.execute(select(T.terminal_id).where(T.terminal_id == terminal_id)).first() is not None


def list_terminals(conn: Connection, *, store_id: str | None = None) -> list[dict[str, Any]]:
    stmt = select(
        T.terminal_id,
        T.store_id,
        T.name,
        T.cashier_id,
        T.enrolled_at,
        T.revoked_at,
        T.last_seen_at,
        T.backlog,
        T.applied_through,
    ).order_by(T.store_id, T.enrolled_at)
    if store_id is not None:
        stmt = stmt.where(T.store_id == store_id)
    return [dict(row._mapping) for row in conn.execute(stmt)]


def touch(conn: Connection, *, terminal_id: str, now: dt.datetime, backlog: int | None = None) -> None:
    values: dict[str, Any] = {"last_seen_at": now}
    if backlog is not None:
        values["backlog"] = min(backlog, 2**31)  # a count the terminal reports; never trusted to fit anything
    conn.execute(update(T).where(T.terminal_id == terminal_id).values(**values))
