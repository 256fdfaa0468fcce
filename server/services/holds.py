"""Wallet holds: a till asks for one before it takes a wallet tender; the sale that carries it captures it.

A hold reserves part of the member's wallet at once and atomically: a conditional UPDATE of the member's `wallets`
row (`... WHERE rebate_fen - rebate_held_fen >= :amount`) or of the voucher (`... WHERE state = 'issued' AND
hold_id IS NULL`). PostgreSQL re-checks the condition on the row it locked, so two tills (two server processes)
asking at the same instant can never reserve the same fen twice: one waits for the other's commit, then finds the
balance that is left. Each hold needs the member's consent (server/services/consent.py), used once.

A hold lives `hold_minutes` (a headquarters setting, default 10), then the wallet job expires it and gives the
reservation back. It is released at once when the till abandons the sale, and captured (the ledger row that
spends it) in the transaction that ingests the sale carrying its id in `wallet_tenders`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import DBAPIError

from shared.errors import Code, RuleError
from shared.ids import MemberId
from shared.settings import BaseSettings
from shared.wire import WalletTender

from ..clock import Clock
from ..db import tables as t
from ..db.database import Database
from ..db.settings import base_settings
from ..db.wallet_balances import adjust, points_row, rebate_row, voucher_row
from ..security.keys import KeyRing
from . import consent
from .ingest import is_retryable

R = TypeVar("R")

KINDS = ("rebate", "voucher", "points")


def points_for(amount_fen: int, points_per_yuan: int) -> int:
    """Points that pay `amount_fen`: rounded up, so points never pay for more than they are worth."""
    return -(-amount_fen * points_per_yuan // 100)


@dataclass(frozen=True, slots=True)
class HoldRequest:
    member_id: str
    kind: str
    amount_fen: int | None  # the tender's value; a voucher's face value when None
    voucher_id: int | None
    idempotency_key: str
    payment_code: str

    def digest(self) -> str:
        """What makes two requests the same (the payment code is not part of it: a retry may carry a fresh one)."""
        doc = {"m": self.member_id, "k": self.kind, "a": self.amount_fen, "v": self.voucher_id}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Hold:
    hold_id: str
    member_id: str
    store_id: str
    kind: str
    amount_fen: int
    points: int
    voucher_id: int | None
    state: str
    order_id: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    created: bool = False  # made by this request (not an idempotent repeat)


def _hold(row: Any, *, created: bool = False) -> Hold:
    return Hold(
        hold_id=row.hold_id,
        member_id=row.member_id,
        store_id=row.store_id,
        kind=row.kind,
        amount_fen=int(row.amount_fen),
        points=int(row.points),
        voucher_id=row.voucher_id,
        state=row.state,
        order_id=row.order_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        created=created,
    )


def _existing(conn: Connection, terminal_id: str, key: str) -> Any:
    h = t.WalletHold
    return conn.execute(select(h).where(h.terminal_id == terminal_id, h.idempotency_key == key)).first()


def get(conn: Connection, hold_id: str, *, store_id: str | None = None) -> Hold:
    h = t.WalletHold
    row = conn.execute(select(h).where(h.hold_id == hold_id)).first()
    if row is None or (store_id is not None and row.store_id != store_id):
        raise RuleError(Code.HOLD_INVALID, f"no hold {hold_id}")
    return _hold(row)


def place(
    conn: Connection,
    *,
    request: HoldRequest,
    terminal_id: str,
    store_id: str,
    settings: BaseSettings,
    consent_key: bytes,
    now: dt.datetime,
) -> Hold:
    """Check and reserve in the caller's transaction; the same idempotency key answers the same hold again."""
    row = _existing(conn, terminal_id, request.idempotency_key)
    if row is not None:
        if row.request_hash != request.digest():
            raise RuleError(Code.CONFLICTING_DUPLICATE, "this idempotency key was used for another hold")
        return _hold(row)
    if request.kind not in KINDS:
        raise RuleError(Code.INVALID_REQUEST, f"kind must be one of {', '.join(KINDS)}")
    if not consent.consume_payment_code(conn, consent_key, MemberId(request.member_id), request.payment_code, now):
        row = _existing(conn, terminal_id, request.idempotency_key)  # the same request, committed meanwhile?
        if row is not None and row.request_hash == request.digest():
            return _hold(row)
        raise RuleError(Code.CONSENT_REQUIRED, "the member's current payment code is needed")
    hold_id = str(uuid.uuid4())
    expires_at = now + dt.timedelta(minutes=settings.wallet.hold_minutes)
    try:
        amount, points, voucher_id = _reserve(conn, request, hold_id, store_id, settings, now)
    except RuleError:
        # only a refusal asks whether the member exists at all (a member without a wallet row has nothing)
        if conn.execute(select(t.Member.member_id).where(t.Member.member_id == request.member_id)).first() is None:
            raise RuleError(Code.UNKNOWN_MEMBER, request.member_id) from None
        raise
    values = {
        "hold_id": hold_id,
        "terminal_id": terminal_id,
        "idempotency_key": request.idempotency_key,
        "request_hash": request.digest(),
        "member_id": request.member_id,
        "store_id": store_id,
        "kind": request.kind,
        "amount_fen": amount,
        "points": points,
        "voucher_id": voucher_id,
        "state": "held",
        "order_id": None,
        "refunded_fen": 0,
        "created_at": now,
        "expires_at": expires_at,
        "closed_at": None,
    }
    conn.execute(insert(t.WalletHold), values)
    return Hold(
        hold_id=hold_id,
        member_id=request.member_id,
        store_id=store_id,
        kind=request.kind,
        amount_fen=amount,
        points=points,
        voucher_id=voucher_id,
        state="held",
        order_id=None,
        created_at=now,
        expires_at=expires_at,
        created=True,
    )


def _reserve(
    conn: Connection, request: HoldRequest, hold_id: str, store_id: str, settings: BaseSettings, now: dt.datetime
) -> tuple[int, int, int | None]:
    w = t.Wallet
    if request.kind == "voucher":
        if request.voucher_id is None:
            raise RuleError(Code.INVALID_REQUEST, "a voucher hold names the voucher")
        v = t.Voucher
        value = conn.execute(
            update(v)
            .where(
                v.id == request.voucher_id,
                v.member_id == request.member_id,
                v.state == "issued",
                v.hold_id.is_(None),
                (v.expires_at.is_(None)) | (v.expires_at > now),
                (v.store_id.is_(None)) | (v.store_id == store_id),
            )
            .values(hold_id=hold_id)
            .returning(v.value_fen)
        ).scalar()
        if value is None:
            raise RuleError(Code.VOUCHER_UNAVAILABLE, f"voucher {request.voucher_id}")
        amount = int(value) if request.amount_fen is None else request.amount_fen
        if not 0 < amount <= value:
            raise RuleError(Code.INVALID_AMOUNT, f"a voucher of {value} fen pays at most {value} fen")
        return amount, 0, request.voucher_id
    if request.amount_fen is None or request.amount_fen <= 0:
        raise RuleError(Code.INVALID_AMOUNT, "a hold is a positive number of fen")
    amount = request.amount_fen
    if request.kind == "rebate":
        done = conn.execute(
            update(w)
            .where(w.member_id == request.member_id, w.rebate_fen - w.rebate_held_fen >= amount)
            .values(rebate_held_fen=w.rebate_held_fen + amount, version=w.version + 1)
        ).rowcount
        if not done:
            raise RuleError(Code.INSUFFICIENT_BALANCE, f"{amount} fen is more than the balance available")
        return amount, 0, None
    points = points_for(amount, settings.wallet.points_per_yuan)
    done = conn.execute(
        update(w)
        .where(w.member_id == request.member_id, w.points - w.points_held >= points)
        .values(points_held=w.points_held + points, version=w.version + 1)
    ).rowcount
    if not done:
        raise RuleError(Code.INSUFFICIENT_BALANCE, f"{points} points are more than the points available")
    return amount, points, None


def _unreserve(conn: Connection, row: Any) -> None:
    if row.kind == "rebate":
        adjust(conn, row.member_id, rebate_held_fen=-row.amount_fen)
    elif row.kind == "points":
        adjust(conn, row.member_id, points_held=-row.points)
    else:
        v = t.Voucher
        conn.execute(update(v).where(v.id == row.voucher_id, v.hold_id == row.hold_id).values(hold_id=None))


def _lock(conn: Connection, hold_id: str) -> Any:
    h = t.WalletHold
    return conn.execute(select(h).where(h.hold_id == hold_id).with_for_update()).first()


def release(conn: Connection, *, hold_id: str, store_id: str, now: dt.datetime) -> Hold:
    """The till abandoned the sale: give the reservation back (again: the same answer)."""
    row = _lock(conn, hold_id)
    if row is None or row.store_id != store_id:
        raise RuleError(Code.HOLD_INVALID, f"no hold {hold_id}")
    if row.state in ("released", "expired"):
        return _hold(row)
    if row.state != "held":
        raise RuleError(Code.HOLD_INVALID, f"hold {hold_id} was captured by a sale")
    _unreserve(conn, row)
    h = t.WalletHold
    conn.execute(update(h).where(h.hold_id == hold_id).values(state="released", closed_at=now))
    return get(conn, hold_id)


def expire(conn: Connection, now: dt.datetime, *, limit: int = 500) -> int:
    """Holds past their time give their reservation back (the wallet job; several processes may run it)."""
    h = t.WalletHold
    q = select(h).where(h.state == "held", h.expires_at <= now).order_by(h.expires_at).limit(limit)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    rows = conn.execute(q).all()
    for row in rows:
        _unreserve(conn, row)
        conn.execute(update(h).where(h.hold_id == row.hold_id).values(state="expired", closed_at=now))
    return len(rows)


def capture(
    conn: Connection,
    *,
    order_id: str,
    member_id: str | None,
    store_id: str,
    tenders: list[WalletTender],
    now: dt.datetime,
) -> None:
    """The sale carrying these tenders was ingested: spend each hold (in the sale's transaction).

    A hold that expired meanwhile is reserved again if the wallet still has it; otherwise, or when the tender does
    not match its hold, the sale is refused with `hold_invalid` / `insufficient_balance` (nothing is written).
    """
    h = t.WalletHold
    for tender in sorted(tenders, key=lambda x: str(x.hold_id)):
        hold_id = str(tender.hold_id)
        row = _lock(conn, hold_id)
        if (
            row is None
            or row.store_id != store_id
            or row.member_id != member_id
            or row.kind != tender.kind
            or row.amount_fen != tender.amount_fen
        ):
            raise RuleError(Code.HOLD_INVALID, f"hold {hold_id} does not match this tender")
        if row.state == "captured" and row.order_id == order_id:
            continue
        if row.state == "expired":
            _reserve_again(conn, row, now)
        elif row.state != "held":
            raise RuleError(Code.HOLD_INVALID, f"hold {hold_id} is {row.state}")
        ref = f"hold:{hold_id}"
        if row.kind == "rebate":
            rebate_row(conn, row.member_id, -row.amount_fen, "spend", ref, now)
            adjust(conn, row.member_id, rebate_fen=-row.amount_fen, rebate_held_fen=-row.amount_fen)
        elif row.kind == "points":
            points_row(conn, row.member_id, -row.points, "spend", ref, now)
            adjust(conn, row.member_id, points=-row.points, points_held=-row.points)
        else:
            v = t.Voucher
            value = conn.execute(
                update(v)
                .where(v.id == row.voucher_id, v.hold_id == hold_id, v.state == "issued")
                .values(state="used")
                .returning(v.value_fen)
            ).scalar()
            if value is None:
                raise RuleError(Code.VOUCHER_UNAVAILABLE, f"voucher {row.voucher_id} was voided meanwhile")
            voucher_row(conn, row.voucher_id, row.member_id, -int(value), "spend", ref, now)
            adjust(conn, row.member_id, voucher_fen=-int(value))
        conn.execute(update(h).where(h.hold_id == hold_id).values(state="captured", order_id=order_id, closed_at=now))


def _reserve_again(conn: Connection, row: Any, now: dt.datetime) -> None:
    """An expired hold whose sale arrived late (the till was slow to sync): reserve it again if still there."""
    w, v = t.Wallet, t.Voucher
    if row.kind == "rebate":
        done = conn.execute(
            update(w)
            .where(w.member_id == row.member_id, w.rebate_fen - w.rebate_held_fen >= row.amount_fen)
            .values(rebate_held_fen=w.rebate_held_fen + row.amount_fen)
        ).rowcount
    elif row.kind == "points":
        done = conn.execute(
            update(w)
            .where(w.member_id == row.member_id, w.points - w.points_held >= row.points)
            .values(points_held=w.points_held + row.points)
        ).rowcount
    else:
        done = conn.execute(
            update(v)
            .where(v.id == row.voucher_id, v.state == "issued", v.hold_id.is_(None))
            .values(hold_id=row.hold_id)
        ).rowcount
    if not done:
        raise RuleError(Code.INSUFFICIENT_BALANCE, f"hold {row.hold_id} expired and the wallet no longer has it")


class HoldService:
    """The hold API's work, each call one short transaction retried when it loses a race."""

    def __init__(self, *, db: Database, keys: KeyRing, clock: Clock, attempts: int = 8) -> None:
        self.db = db
        self.keys = keys
        self.clock = clock
        self.attempts = attempts

    def _run(self, work: Callable[[Connection], R]) -> R:
        for attempt in range(self.attempts):
            try:
                with self.db.connect() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if attempt + 1 >= self.attempts or not is_retryable(exc):
                    raise
                time.sleep(0.002 * 2**attempt)
        raise AssertionError("unreachable")

    def place(self, *, terminal_id: str, store_id: str, request: HoldRequest) -> Hold:
        now = self.clock.now()
        key = consent.consent_key(self.keys, now)

        def work(conn: Connection) -> Hold:
            settings = base_settings(conn, self.db.settings_cache)
            return place(
                conn,
                request=request,
                terminal_id=terminal_id,
                store_id=store_id,
                settings=settings,
                consent_key=key,
                now=now,
            )

        return self._run(work)

    def release(self, *, store_id: str, hold_id: str) -> Hold:
        now = self.clock.now()
        return self._run(lambda conn: release(conn, hold_id=hold_id, store_id=store_id, now=now))

    def get(self, *, store_id: str, hold_id: str) -> Hold:
        with self.db.connect() as conn:
            return get(conn, hold_id, store_id=store_id)

    def points_per_yuan(self) -> int:
        with self.db.connect() as conn:
            return base_settings(conn, self.db.settings_cache).wallet.points_per_yuan
