"""What members and headquarters do with a wallet besides spending it: points transfers and withdrawals (提现).

Each operation is one transaction, idempotent on a key the caller gives (a form's token, a request id), and every
step is written to the audit log. A withdrawal reserves its amount from the rebate balance when it is requested
(ledger `withdrawal`, `wallets.withdrawn_fen`); a decline gives it back (`withdrawal_declined`); an approval puts
it on the next payout file; headquarters marks the file's batch paid once its transfers went out (docs/wallet.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, or_, select, update

from shared.errors import Code, RuleError
from shared.settings import BaseSettings

from ..db import tables as t
from ..db.wallet_balances import adjust, points_row, rebate_row
from . import audit
from .members import mask_phone


def _day_start(settings: BaseSettings, now: dt.datetime) -> dt.datetime:
    """The start of today in headquarters' time zone (daily caps count from there)."""
    local = now.astimezone(ZoneInfo(settings.timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def _member(conn: Connection, member_or_phone: str) -> str:
    m = t.Member
    found = conn.execute(
        select(m.member_id).where(or_(m.member_id == member_or_phone, m.phone == member_or_phone))
    ).scalar()
    if found is None:
        raise RuleError(Code.UNKNOWN_MEMBER, member_or_phone)
    return str(found)


def find_member(conn: Connection, member_or_phone: str) -> str | None:
    """The member with this id or phone, if any (the console's lookup)."""
    try:
        return _member(conn, member_or_phone)
    except RuleError:
        return None


# ------------------------------------------------------------------------------------------------ points transfer


def transfer_points(
    conn: Connection, *, from_member: str, to: str, points: int, key: str, settings: BaseSettings, now: dt.datetime
) -> str:
    """Move points to another member (by member id or phone); the transfer's reference (the same for a repeat)."""
    ref = f"transfer:{key}"
    p = t.PointsLedger
    if conn.execute(select(p.id).where(p.ref == ref, p.kind == "transfer_out")).first() is not None:
        return ref
    if points <= 0:
        raise RuleError(Code.INVALID_AMOUNT, "a transfer is a positive number of points")
    target = _member(conn, to)
    if target == from_member:
        raise RuleError(Code.INVALID_REQUEST, "a member cannot transfer points to themselves")
    cap = settings.wallet.transfer_daily_cap_points
    sent_today = -int(
        conn.execute(
            select(func.coalesce(func.sum(p.points), 0)).where(
                p.member_id == from_member, p.kind == "transfer_out", p.at >= _day_start(settings, now)
            )
        ).scalar_one()
    )
    if sent_today + points > cap:
        raise RuleError(Code.DAILY_CAP_EXCEEDED, f"{sent_today} + {points} points is over today's {cap}")
    w = t.Wallet
    done = conn.execute(
        update(w)
        .where(w.member_id == from_member, w.points - w.points_held >= points)
        .values(points=w.points - points, version=w.version + 1)
    ).rowcount
    if not done:
        raise RuleError(Code.INSUFFICIENT_BALANCE, f"{points} points are more than the points available")
    points_row(conn, from_member, -points, "transfer_out", ref, now)
    points_row(conn, target, points, "transfer_in", ref, now)
    adjust(conn, target, points=points)
    audit.record(
        conn,
        at=now,
        actor=f"member:{from_member}",
        store_id=None,
        action="points_transfer",
        code="done",
        subject=from_member,
        detail=f"{points} points to {target} ({ref})",
    )
    return ref


# ------------------------------------------------------------------------------------------------ withdrawals


@dataclass(frozen=True, slots=True)
class WithdrawalView:
    id: int
    reference: str
    member_id: str
    amount_fen: int
    state: str
    reason: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    batch_id: str | None
    paid_at: dt.datetime | None


def _view(row: Any) -> WithdrawalView:
    return WithdrawalView(
        row.id,
        row.reference,
        row.member_id,
        int(row.amount_fen),
        row.state,
        row.reason,
        row.requested_at,
        row.decided_at,
        row.decided_by,
        row.batch_id,
        row.paid_at,
    )


def request_withdrawal(
    conn: Connection, *, member_id: str, amount_fen: int, key: str, settings: BaseSettings, now: dt.datetime
) -> WithdrawalView:
    """Reserve `amount_fen` of the member's rebate balance for a payout (the same key: the same request)."""
    wd = t.Withdrawal
    row = conn.execute(select(wd).where(wd.idempotency_key == key)).first()
    if row is not None:
        if row.member_id != member_id or row.amount_fen != amount_fen:
            raise RuleError(Code.CONFLICTING_DUPLICATE, "this request key was used for another withdrawal")
        return _view(row)
    ws = settings.wallet
    if not ws.withdrawal_enabled:
        raise RuleError(Code.WITHDRAWAL_DISABLED, "headquarters has not switched withdrawals on")
    if amount_fen <= 0 or amount_fen < ws.withdrawal_min_fen:
        raise RuleError(Code.BELOW_MINIMUM, f"the minimum is {ws.withdrawal_min_fen} fen")
    if ws.withdrawal_daily_cap_fen:
        today = int(
            conn.execute(
                select(func.coalesce(func.sum(wd.amount_fen), 0)).where(
                    wd.member_id == member_id, wd.state != "declined", wd.requested_at >= _day_start(settings, now)
                )
            ).scalar_one()
        )
        if today + amount_fen > ws.withdrawal_daily_cap_fen:
            raise RuleError(Code.DAILY_CAP_EXCEEDED, f"{today} + {amount_fen} fen is over today's cap")
    w = t.Wallet
    done = conn.execute(
        update(w)
        .where(w.member_id == member_id, w.rebate_fen - w.rebate_held_fen >= amount_fen)
        .values(rebate_fen=w.rebate_fen - amount_fen, withdrawn_fen=w.withdrawn_fen + amount_fen, version=w.version + 1)
    ).rowcount
    if not done:
        raise RuleError(Code.INSUFFICIENT_BALANCE, f"{amount_fen} fen is more than the balance available")
    reference = f"WD{now.astimezone(dt.UTC):%Y%m%d}{secrets.token_hex(4).upper()}"
    new_id = conn.execute(
        insert(wd)
        .values(
            reference=reference,
            idempotency_key=key,
            member_id=member_id,
            amount_fen=amount_fen,
            state="requested",
            reason="",
            requested_at=now,
        )
        .returning(wd.id)
    ).scalar_one()
    rebate_row(conn, member_id, -amount_fen, "withdrawal", f"withdrawal:{reference}", now)
    _audit(conn, now, f"member:{member_id}", "withdrawal_requested", reference, f"{amount_fen} fen")
    return get(conn, int(new_id))


def get(conn: Connection, withdrawal_id: int) -> WithdrawalView:
    wd = t.Withdrawal
    row = conn.execute(select(wd).where(wd.id == withdrawal_id)).first()
    if row is None:
        raise RuleError(Code.NOT_FOUND, f"no withdrawal {withdrawal_id}")
    return _view(row)


def listing(
    conn: Connection, *, states: list[str] | None = None, member_id: str | None = None, limit: int = 200
) -> list[WithdrawalView]:
    wd = t.Withdrawal
    q = select(wd).order_by(wd.id.desc()).limit(limit)
    if states:
        q = q.where(wd.state.in_(states))
    if member_id is not None:
        q = q.where(wd.member_id == member_id)
    return [_view(r) for r in conn.execute(q)]


def decide(
    conn: Connection, *, withdrawal_id: int, approve: bool, reason: str, actor: str, now: dt.datetime
) -> WithdrawalView:
    """Headquarters approves or declines a request (a repeat of the same decision changes nothing)."""
    wd = t.Withdrawal
    row = conn.execute(select(wd).where(wd.id == withdrawal_id).with_for_update()).first()
    if row is None:
        raise RuleError(Code.NOT_FOUND, f"no withdrawal {withdrawal_id}")
    want = "approved" if approve else "declined"
    if row.state == want:
        return _view(row)
    if row.state != "requested":
        raise RuleError(Code.WITHDRAWAL_STATE, f"withdrawal {row.reference} is {row.state}")
    if not approve and not reason.strip():
        raise RuleError(Code.INVALID_REQUEST, "a decline needs a reason")
    conn.execute(
        update(wd)
        .where(wd.id == withdrawal_id)
        .values(state=want, reason=reason.strip()[:200], decided_at=now, decided_by=actor[:64])
    )
    if not approve:
        rebate_row(conn, row.member_id, row.amount_fen, "withdrawal_declined", f"withdrawal:{row.reference}", now)
        adjust(conn, row.member_id, rebate_fen=row.amount_fen, withdrawn_fen=-row.amount_fen)
    _audit(conn, now, actor, f"withdrawal_{want}", row.reference, reason.strip())
    return get(conn, withdrawal_id)


@dataclass(frozen=True, slots=True)
class PayoutLine:
    member_id: str
    masked_phone: str
    amount_fen: int
    reference: str

    @property
    def amount_yuan(self) -> Decimal:
        """The amount in yuan as an exact number (the payout file's column)."""
        return Decimal(self.amount_fen).scaleb(-2)


def export_batch(conn: Connection, *, actor: str, now: dt.datetime) -> str | None:
    """Put every approved request not yet on a payout file into a new batch; its id (None: nothing to pay)."""
    wd = t.Withdrawal
    waiting = conn.execute(
        select(wd.id).where(wd.state == "approved", wd.batch_id.is_(None)).with_for_update()
    ).scalars()
    ids = list(waiting)
    if not ids:
        return None
    batch_id = f"B{now.astimezone(dt.UTC):%Y%m%d%H%M%S}{secrets.token_hex(2).upper()}"
    conn.execute(update(wd).where(wd.id.in_(ids)).values(batch_id=batch_id))
    _audit(conn, now, actor, "payout_exported", batch_id, f"{len(ids)} withdrawals")
    return batch_id


def batch_lines(conn: Connection, batch_id: str) -> list[PayoutLine]:
    """The payout file of a batch (the same lines every time it is downloaded)."""
    wd, m = t.Withdrawal, t.Member
    rows = conn.execute(
        select(wd.member_id, m.phone, wd.amount_fen, wd.reference)
        .join(m, m.member_id == wd.member_id, isouter=True)
        .where(wd.batch_id == batch_id)
        .order_by(wd.id)
    )
    return [
        PayoutLine(r.member_id, mask_phone(r.phone) if r.phone else "", int(r.amount_fen), r.reference) for r in rows
    ]


def batches(conn: Connection, *, limit: int = 50) -> list[tuple[str, int, int, bool]]:
    """(batch id, requests, total fen, paid) newest first."""
    wd = t.Withdrawal
    rows = conn.execute(
        select(wd.batch_id, func.count(), func.sum(wd.amount_fen), func.min(wd.state))
        .where(wd.batch_id.is_not(None))
        .group_by(wd.batch_id)
        .order_by(wd.batch_id.desc())
        .limit(limit)
    )
    return [(str(b), int(n), int(s), state == "paid") for b, n, s, state in rows]


def mark_paid(conn: Connection, *, batch_id: str, actor: str, now: dt.datetime) -> int:
    """Headquarters confirms the batch's transfers went out; how many requests became paid (0 on a repeat)."""
    wd = t.Withdrawal
    if conn.execute(select(wd.id).where(wd.batch_id == batch_id).limit(1)).first() is None:
        raise RuleError(Code.NOT_FOUND, f"no payout batch {batch_id}")
    done = conn.execute(
        update(wd).where(wd.batch_id == batch_id, wd.state == "approved").values(state="paid", paid_at=now)
    ).rowcount
    if done:
        _audit(conn, now, actor, "payout_paid", batch_id, f"{done} withdrawals")
    return int(done)


def _audit(conn: Connection, now: dt.datetime, actor: str, action: str, subject: str, detail: str) -> None:
    audit.record(conn, at=now, actor=actor, store_id=None, action=action, code="done", subject=subject, detail=detail)
