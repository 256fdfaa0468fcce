"""X and Z reports of a shift, and the store manager's queue report. Figures in fen; formatting is the UI's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from typing import cast, get_args

from sqlalchemy import Connection, func, select

from shared.errors import Code
from shared.money import format_fen, pct
from shared.wire import MAX_FEN, QueueSnapshot, ShiftClosed, StoreView, Tender, TenderTotal

from .clock import Clock, iso
from .db import UnitOfWork, drawer_openings, kv_get, orders, refunds, shifts
from .errors import TillError
from .outbox import append_event
from .shifts import close_shift, open_shift
from .snapshot import contribution_ratio_bp, load_snapshot, load_store
from .tender import cash_in
from .tender import load as load_tenders

TENDER_KINDS = frozenset(get_args(Tender))


@dataclass
class TenderLine:
    sales_count: int = 0
    sales_fen: int = 0
    refunds_fen: int = 0


@dataclass
class EmployeeLine:
    sales_count: int = 0
    paid_fen: int = 0
    refunds_count: int = 0
    refunds_fen: int = 0


@dataclass
class ShiftReport:
    shift_id: int
    opened_at: str
    closed_at: str | None
    opening_float_fen: int = 0
    cash_sales_fen: int = 0  # cash kept from sales (net of the change given)
    cash_refunds_fen: int = 0
    counted_cash_fen: int | None = None  # at the Z
    closed_by: str | None = None
    drawer_openings: int = 0
    sales_count: int = 0
    gross_fen: int = 0  # before points deductions
    deductions_fen: int = 0
    paid_fen: int = 0  # money taken
    member_sales: int = 0
    refunds_count: int = 0
    refunds_fen: int = 0
    by_tender: dict[str, TenderLine] = field(default_factory=dict)
    by_employee: dict[str, EmployeeLine] = field(default_factory=dict)  # "" for sales made before anyone signed in
    # estimate of this shift's rebate contributions, computed locally from the last pulled settings
    contributions_fen: int | None = None
    extraction_bp: int | None = None

    @property
    def net_fen(self) -> int:
        return self.paid_fen - self.refunds_fen

    @property
    def expected_cash_fen(self) -> int:
        """What the drawer should hold: the float, plus cash taken, less cash given back."""
        return self.opening_float_fen + self.cash_sales_fen - self.cash_refunds_fen

    @property
    def over_short_fen(self) -> int | None:
        """Counted minus expected: above 0 over, below 0 short; None before the count."""
        return None if self.counted_cash_fen is None else self.counted_cash_fen - self.expected_cash_fen


def shift_report(conn: Connection, shift_id: int) -> ShiftReport:
    shift = conn.execute(select(shifts).where(shifts.c.shift_id == shift_id)).one()
    report = ShiftReport(
        shift_id,
        shift.opened_at,
        shift.closed_at,
        opening_float_fen=shift.opening_float_fen,
        counted_cash_fen=shift.counted_cash_fen,
        closed_by=shift.closed_by,
    )
    report.drawer_openings = conn.execute(
        select(func.count()).select_from(drawer_openings).where(drawer_openings.c.shift_id == shift_id)
    ).scalar_one()
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
        parts = load_tenders(o.tenders_json)
        for kind, amount in [(p.kind, p.amount_fen) for p in parts] or [(o.tender, o.paid_fen)]:
            line = report.by_tender.setdefault(kind, TenderLine())
            line.sales_count += 1
            line.sales_fen += amount
        report.cash_sales_fen += cash_in(parts, tender=o.tender, paid_fen=o.paid_fen)
        employee = report.by_employee.setdefault(o.employee_id or "", EmployeeLine())
        employee.sales_count += 1
        employee.paid_fen += o.paid_fen
        if ratio is not None and (o.member_id is not None or ratio[1]):
            # contribution = pct(paid − refunded, X) (spec §6); refunds made later are not known here
            report.contributions_fen = (report.contributions_fen or 0) + pct(o.paid_fen - o.refunded_fen, ratio[0])
    for r in conn.execute(select(refunds).where(refunds.c.shift_id == shift_id)):
        report.refunds_count += 1
        report.refunds_fen += r.amount_fen
        report.by_tender.setdefault(r.tender or "other", TenderLine()).refunds_fen += r.amount_fen
        if r.tender == "cash":  # a refund is given back in the sale's (main) tender
            report.cash_refunds_fen += r.amount_fen
        employee = report.by_employee.setdefault(r.employee_id or "", EmployeeLine())
        employee.refunds_count += 1
        employee.refunds_fen += r.amount_fen
    return report


def x_report(conn: Connection) -> ShiftReport | None:
    """The open shift so far (None when no shift is open)."""
    row = conn.execute(
        select(shifts.c.shift_id).where(shifts.c.closed_at.is_(None)).order_by(shifts.c.shift_id.desc())
    ).first()
    return None if row is None else shift_report(conn, row.shift_id)


def z_report(
    *, uow: UnitOfWork, clock: Clock, counted_cash_fen: int | None = None, employee_id: str | None = None
) -> ShiftReport:
    """Close the open shift with the cash counted, queue its `shift_closed` event, and return its final report; the
    next sale (or an opening float) opens a new shift."""
    if counted_cash_fen is not None and not 0 <= counted_cash_fen <= MAX_FEN:
        raise TillError(Code.INVALID_AMOUNT, "the counted cash is a number of fen from 0")
    now = clock()
    conn = uow.conn
    shift_id = open_shift(conn, now=now)
    expected = shift_report(conn, shift_id).expected_cash_fen
    z_id = uuid.uuid4()
    close_shift(
        conn,
        shift_id,
        now=now,
        counted_cash_fen=counted_cash_fen,
        expected_cash_fen=expected,
        closed_by=employee_id,
        z_id=str(z_id),
    )
    report = shift_report(conn, shift_id)
    append_event(conn, shift_closed(report, z_id=z_id, employee_id=employee_id), now=now)
    uow.commit()
    return report


def shift_closed(report: ShiftReport, *, z_id: uuid.UUID, employee_id: str | None) -> ShiftClosed:
    return ShiftClosed(
        z_id=z_id,
        shift_no=report.shift_id,
        opened_at=dt.datetime.fromisoformat(report.opened_at),
        closed_at=dt.datetime.fromisoformat(report.closed_at or report.opened_at),
        employee_id=employee_id,
        sales_count=report.sales_count,
        paid_fen=report.paid_fen,
        refunds_fen=report.refunds_fen,
        opening_float_fen=report.opening_float_fen,
        cash_expected_fen=report.expected_cash_fen,
        cash_counted_fen=report.counted_cash_fen or 0,
        drawer_openings=report.drawer_openings,
        tenders=[
            TenderTotal(
                kind=cast(Tender, kind),
                sales_count=line.sales_count,
                sales_fen=line.sales_fen,
                refunds_fen=line.refunds_fen,
            )
            for kind, line in sorted(report.by_tender.items())
            if kind in TENDER_KINDS
        ],
    )


def closed_shifts(conn: Connection, *, limit: int = 50) -> list[ShiftReport]:
    """The last Z reports, newest first (for a reprint)."""
    rows = conn.execute(
        select(shifts.c.shift_id).where(shifts.c.closed_at.is_not(None)).order_by(shifts.c.shift_id.desc()).limit(limit)
    ).all()
    return [shift_report(conn, r.shift_id) for r in rows]


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
