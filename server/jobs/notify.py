"""The notification outbox: what the server tells members, collected from the records and delivered by the sender.

Events (each at most once: `member_notifications.event_key` is unique, every insert is "unless it exists"):

- `rebate_received`: a queue allocation to the member of at least `notifications.rebate_threshold_fen`
  (key `rebate:<allocation id>`);
- `entry_completed`: an entry the allocations filled (key `completed:<entry seq>`);
- `voucher_expiring`: an unused voucher that expires within `notifications.voucher_expiry_days`
  (key `voucher:<id>`);
- `reset_coming`: the next reset instant is within `notifications.reset_notice_hours`, to every member with a
  waiting entry (key `reset:<instant>:<member>`).

Allocations are read past a cursor kept in `server_values`, with a look-back of `LOOKBACK` ids: on PostgreSQL a
transaction may commit a lower id after a higher one, and the unique key makes a second look harmless.

Delivery groups a member's pending notifications into one message, at most one message per member per hour
(`GROUP`). Rows are claimed (`sending`, with the message id) in one transaction before the send and marked `sent`
after it; a send that fails puts them back to `pending` for the next run. A process that dies between the claim and
the send leaves them `sending` for good: a notification is delivered at most once, never twice. A member without a
phone gets `no_phone` (the page lists the notifications all the same).

The job runs after every scheduler tick (`JobRunner.after_tick`), under its own lock across processes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.money import format_fen
from shared.settings import BaseSettings

from ..clock import Clock
from ..db import settings
from ..db import tables as t
from ..db.database import Database
from ..services.sender import Message, Sender, SendFailed
from . import reset, runs

log = logging.getLogger("paidui.notify")

N, A, E = t.MemberNotification, t.Allocation, t.EntryRow
LOCK = "notify"
CURSOR = "notify:allocations"
FLOOR = "notify:allocations_floor"  # allocations up to here are never told (made while notifications were off)
LOOKBACK = 1000  # allocation ids read again behind the cursor (transactions that committed out of id order)
GROUP = dt.timedelta(hours=1)  # at most one message per member per this long
BATCH = 500  # members delivered to per run
KINDS = ("rebate_received", "entry_completed", "voucher_expiring", "reset_coming")


@dataclass
class NotifyReport:
    created: int = 0
    messages: int = 0
    failed: int = 0


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose event is new; returns how many were."""
    if not rows:
        return 0
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(N.__table__).on_conflict_do_nothing(index_elements=["event_key"]).returning(N.id)
    return len(conn.execute(stmt, rows).all())


def _row(key: str, member_id: str, kind: str, now: dt.datetime, **values: Any) -> dict[str, Any]:
    return {
        "event_key": key,
        "member_id": member_id,
        "kind": kind,
        "amount_fen": values.get("amount_fen"),
        "ref": values.get("ref", ""),
        "due_at": values.get("due_at"),
        "created_at": now,
        "state": "pending",
        "message_id": None,
        "sent_at": None,
    }


def _value(conn: Connection, name: str) -> int | None:
    found = conn.execute(select(t.ServerValue.value).where(t.ServerValue.name == name)).scalar()
    return int(found) if found is not None else None


def _set(conn: Connection, name: str, value: int) -> None:
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(t.ServerValue.__table__).values(name=name, value=str(value))
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": str(value)}))


def _cursor(conn: Connection) -> int:
    found = _value(conn, CURSOR)
    if found is not None:
        return found
    # the first run starts at the present: no messages about the whole history (a parallel first run is held
    # off by the job lock; were it not, both would write the same values)
    start = int(conn.execute(select(func.coalesce(func.max(A.id), 0))).scalar() or 0)
    _set(conn, CURSOR, start)
    _set(conn, FLOOR, start)
    return start


def collect_allocations(conn: Connection, base: BaseSettings, now: dt.datetime) -> int:
    """Rebates above the threshold and entries completed, from the allocations past the cursor."""
    cursor = _cursor(conn)
    since = max(cursor - LOOKBACK, _value(conn, FLOOR) or 0)
    rows = conn.execute(select(A.id, A.member_id, A.entry_seq, A.amount_fen).where(A.id > since).order_by(A.id)).all()
    if not rows:
        return 0
    threshold = base.notifications.rebate_threshold_fen
    new = [
        _row(f"rebate:{r.id}", r.member_id, "rebate_received", now, amount_fen=r.amount_fen)
        for r in rows
        if r.amount_fen > 0 and r.amount_fen >= threshold
    ]
    seqs = sorted({r.entry_seq for r in rows if r.amount_fen > 0})
    for i in range(0, len(seqs), 500):
        for e in conn.execute(
            select(E.seq, E.member_id, E.entitlement_fen).where(
                E.seq.in_(seqs[i : i + 500]), E.status == "completed", E.paid_fen == E.entitlement_fen
            )
        ):
            new.append(
                _row(
                    f"completed:{e.seq}",
                    e.member_id,
                    "entry_completed",
                    now,
                    amount_fen=e.entitlement_fen,
                    ref=str(e.seq),
                )
            )
    created = _insert(conn, new)
    conn.execute(update(t.ServerValue).where(t.ServerValue.name == CURSOR).values(value=str(max(cursor, rows[-1].id))))
    return created


def skip_allocations(conn: Connection) -> None:
    latest = int(conn.execute(select(func.coalesce(func.max(A.id), 0))).scalar() or 0)
    _set(conn, CURSOR, latest)
    _set(conn, FLOOR, latest)


def collect_vouchers(conn: Connection, base: BaseSettings, now: dt.datetime) -> int:
    """Unused vouchers that expire within the notice, once each."""
    days = base.notifications.voucher_expiry_days
    if days == 0:
        return 0
    v = t.Voucher
    rows = conn.execute(
        select(v.id, v.member_id, v.value_fen, v.expires_at).where(
            v.state == "issued",
            v.expires_at.is_not(None),
            v.expires_at > now,
            v.expires_at <= now + dt.timedelta(days=days),
        )
    ).all()
    return _insert(
        conn,
        [
            _row(
                f"voucher:{r.id}",
                r.member_id,
                "voucher_expiring",
                now,
                amount_fen=r.value_fen,
                ref=str(r.id),
                due_at=r.expires_at,
            )
            for r in rows
        ],
    )


def collect_reset(conn: Connection, base: BaseSettings, cache: settings.SettingsCache, now: dt.datetime) -> int:
    """Once per reset instant within the notice: every member with a waiting entry."""
    hours = base.notifications.reset_notice_hours
    if hours == 0 or base.reset is None:
        return 0
    plan = reset.read_plan(conn, cache)
    following = plan.following(last_run=reset.last_run(conn), started=now, now=now)
    if following is None or following - now > dt.timedelta(hours=hours):
        return 0
    instant = following.astimezone(dt.UTC).isoformat()
    if not runs.claim(conn, job="notify-reset", instant=following, ran_at=now):
        return 0
    members = conn.execute(select(E.member_id).where(E.status == "waiting").distinct()).scalars().all()
    return _insert(conn, [_row(f"reset:{instant}:{m}", m, "reset_coming", now, due_at=following) for m in members])


def text_of(rows: Sequence[Any], timezone: str) -> str:
    """One message for a member's pending notifications (Chinese: the language members registered in)."""
    zone = ZoneInfo(timezone)
    lines = []
    for r in rows:
        if r.kind == "rebate_received":
            lines.append(f"排队返利到账 ¥{format_fen(r.amount_fen)}。")
        elif r.kind == "entry_completed":
            lines.append(f"您的排队条目（第 {r.ref} 号）已全部到账，共 ¥{format_fen(r.amount_fen)}。")
        elif r.kind == "voucher_expiring":
            when = r.due_at.astimezone(zone).strftime("%m-%d %H:%M")
            lines.append(f"您有一张 ¥{format_fen(r.amount_fen)} 购物券将于 {when} 到期。")
        elif r.kind == "reset_coming":
            when = r.due_at.astimezone(zone).strftime("%m-%d %H:%M")
            lines.append(f"排队将于 {when} 重置：届时仍在排队的条目结束，未到账部分不再发放。")
    return "【排队返利】" + "".join(lines)


def deliver(db: Database, sender: Sender, base: BaseSettings, now: dt.datetime) -> NotifyReport:
    """One message per member with pending notifications who had none in the last hour."""
    report = NotifyReport()
    with db.connect() as conn:
        members = (
            conn.execute(select(N.member_id).where(N.state == "pending").distinct().order_by(N.member_id).limit(BATCH))
            .scalars()
            .all()
        )
    for member_id in members:
        message_id = str(uuid.uuid4())
        with db.connect() as conn:
            last = conn.execute(select(func.max(N.sent_at)).where(N.member_id == member_id)).scalar()
            if last is not None and now - last < GROUP:
                continue
            phone = conn.execute(select(t.Member.phone).where(t.Member.member_id == member_id)).scalar()
            pending = (N.member_id == member_id, N.state == "pending")
            if phone is None:
                conn.execute(update(N).where(*pending).values(state="no_phone"))
                continue
            conn.execute(update(N).where(*pending).values(state="sending", message_id=message_id))
            rows = conn.execute(select(N).where(N.message_id == message_id).order_by(N.id)).all()
        if not rows:
            continue
        message = Message(
            message_id=message_id,
            kind="notification",
            phone=phone,
            text=text_of(rows, base.timezone),
            lang="zh",
            sent_at=now,
            member_id=member_id,
            data={"events": [{"kind": r.kind, "amount_fen": r.amount_fen, "ref": r.ref} for r in rows]},
        )
        try:
            sender.send(message)
        except SendFailed as exc:
            log.warning("notification to member %s not sent: %s", member_id, exc)
            with db.connect() as conn:
                conn.execute(update(N).where(N.message_id == message_id).values(state="pending", message_id=None))
            report.failed += 1
            continue
        with db.connect() as conn:
            conn.execute(update(N).where(N.message_id == message_id).values(state="sent", sent_at=now))
        report.messages += 1
    return report


class Notifier:
    """Collect and deliver, once per scheduler tick, one process at a time."""

    def __init__(self, *, db: Database, sender: Sender, clock: Clock) -> None:
        self.db = db
        self.sender = sender
        self.clock = clock
        self._lock = threading.Lock()

    def run(self, now: dt.datetime | None = None) -> NotifyReport:
        now = now if now is not None else self.clock.now()
        with self._lock, runs.job_lock(self.db, LOCK):
            with self.db.connect() as conn:
                base = settings.base_settings(conn, self.db.settings_cache)
                if not base.notifications.enabled:  # nothing piles up to be sent when they are switched on
                    skip_allocations(conn)
                    return NotifyReport()
                created = collect_allocations(conn, base, now)
                created += collect_vouchers(conn, base, now)
                created += collect_reset(conn, base, self.db.settings_cache, now)
            report = deliver(self.db, self.sender, base, now)
            report.created = created
            return report


def listed(conn: Connection, member_id: str, limit: int = 20) -> list[Any]:
    """The member's latest notifications, newest first (the signed-in page)."""
    return list(conn.execute(select(N).where(N.member_id == member_id).order_by(N.id.desc()).limit(limit)))
