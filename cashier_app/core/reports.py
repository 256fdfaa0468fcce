"""X and Z reports of a shift, and the store manager's queue report. Figures in fen; formatting is the UI's."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from shared.money import format_fen, pct
from shared.wire import QueueSnapshot, StoreView

from .clock import Clock, iso
from .db import UnitOfWork, kv_get, orders, refunds, shifts
from .shifts import close_shift, open_shift
from .snapshot import contribution_ratio_bp, load_snapshot, load_store
from .tender import load as load_tenders


@dataclass
class TenderLine:
    sales_count: int = 0
    sales_fen: int = 0
    refunds_fen: int = 0


@dataclass
class ShiftReport:
    shift_id: int
    opened_at: str
    closed_at: str | None
    sales_count: int = 0
    gross_fen: int = 0  # before points deductions
    deductions_fen: int = 0
    paid_fen: int = 0  # money taken
    member_sales: int = 0
    refunds_count: int = 0
    refunds_fen: int = 0
    by_tender: dict[str, TenderLine] = field(default_factory=dict)
    # estimate of this shift's rebate contributions, computed locally from the last pulled settings
    contributions_fen: int | None = None
    extraction_bp: int | None = None

    @property
    def net_fen(self) -> int:
        return self.paid_fen - self.refunds_fen


def shift_report(conn: Connection, shift_id: int) -> ShiftReport:
    shift = conn.execute(select(shifts).where(shifts.c.shift_id == shift_id)).one()
    report = ShiftReport(shift_id, shift.opened_at, shift.closed_at)
    ratio = contribution_ratio_bp(conn)
    if ratio is not None:
        report.contributions_fen, report.extraction_bp = 0, ratio[0]
    for o in conn.execute(select(orders).where(orders.c.shift_id == shift_id)):
        report.sales_count += 1
        report.gross_fen += o.total_fen
        report.deductions_fen += o.deduction_points_fen
        report.paid_fen += o.paid_fen
        report.member_sales += o.member_id is not None
        # a split sale counts once under each of its tenders, with that part's amount (cash: net of the change)
        for kind, amount in [(p.kind, p.amount_fen) for p in load_tenders(o.tenders_json)] or [(o.tender, o.paid_fen)]:
            line = report.by_tender.setdefault(kind, TenderLine())
            line.sales_count += 1
            line.sales_fen += amount
        if ratio is not None and (o.member_id is not None or ratio[1]):
            # contribution = pct(paid − refunded, X) (spec §6); refunds made later are not known here
            report.contributions_fen = (report.contributions_fen or 0) + pct(o.paid_fen - o.refunded_fen, ratio[0])
    for r in conn.execute(select(refunds).where(refunds.c.shift_id == shift_id)):
        report.refunds_count += 1
        report.refunds_fen += r.amount_fen
        report.by_tender.setdefault(r.tender or "other", TenderLine()).refunds_fen += r.amount_fen
    return report


def x_report(conn: Connection) -> ShiftReport | None:
    """The open shift so far (None when no shift is open)."""
    row = conn.execute(
        select(shifts.c.shift_id).where(shifts.c.closed_at.is_(None)).order_by(shifts.c.shift_id.desc())
    ).first()
    return None if row is None else shift_report(conn, row.shift_id)


def z_report(*, uow: UnitOfWork, clock: Clock) -> ShiftReport:
    """Close the open shift and return its final report; the next sale opens a new shift."""
    now = clock()
    shift_id = open_shift(uow.conn, now=now)
    close_shift(uow.conn, shift_id, now=now)
    report = shift_report(uow.conn, shift_id)
    uow.commit()
    return report


# ------------------------------------------------------------------------------------------ store queue report


@dataclass
class QueueReport:
    snapshot: QueueSnapshot | None
    pulled_at: str | None
    today_local_contributions_fen: int | None  # this terminal's sales today, estimated locally
    store: StoreView | None


def queue_report(conn: Connection, *, now: dt.datetime) -> QueueReport:
    snapshot = load_snapshot(conn)
    ratio = contribution_ratio_bp(conn)
    local = None
    if ratio is not None:
        start = iso(now.replace(hour=0, minute=0, second=0, microsecond=0))
        local = 0
        for o in conn.execute(select(orders).where(orders.c.paid_at >= start)):
            if o.member_id is not None or ratio[1]:
                local += pct(o.paid_fen - o.refunded_fen, ratio[0])
    return QueueReport(snapshot, kv_get(conn, "last_pull_at"), local, load_store(conn))


CSV_HEADER = ["position", "seq", "member", "entitlement", "paid", "remaining", "status", "waiting_since"]


def queue_report_csv(report: QueueReport) -> str:
    """The queue as CSV (amounts in yuan with two decimals, exact, from fen)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    if report.snapshot is not None:
        for e in report.snapshot.entries:
            writer.writerow(
                [
                    "" if e.position is None else e.position,
                    e.seq,
                    e.member_display,
                    format_fen(e.entitlement_fen),
                    format_fen(e.paid_fen),
                    format_fen(e.remaining_fen),
                    e.status,
                    e.since.isoformat(),
                ]
            )
        writer.writerow([])
        writer.writerow(["snapshot_version", report.snapshot.version])
        writer.writerow(["waiting_count", report.snapshot.waiting_count])
        writer.writerow(["outstanding", format_fen(report.snapshot.outstanding_fen)])
    return out.getvalue()
