from __future__ import annotations

import csv
import io

from cashier_app.core.checkout import MemberRef, record_refund
from cashier_app.core.db import UnitOfWork, reading
from cashier_app.core.reports import queue_report, queue_report_csv, x_report, z_report

from .conftest import Till
from .test_core_checkout import sell


def test_x_then_z_report_figures(till: Till) -> None:
    a = sell(till, 10_000, member=MemberRef("M1", "张*"), deduction=1_000, tender="wechat")
    sell(till, 2_550, tender="cash")
    sell(till, 1_999, tender="cash")
    with UnitOfWork(till.engine) as uow:
        record_refund(uow=uow, order_id=a.order_id, amount_fen=3_000, manager_pin="1234", clock=till.clock)
    with reading(till.engine) as conn:
        x = x_report(conn)
    assert x is not None
    assert (x.sales_count, x.gross_fen, x.deductions_fen, x.paid_fen) == (3, 14_549, 1_000, 13_549)
    assert (x.refunds_count, x.refunds_fen, x.net_fen, x.member_sales) == (1, 3_000, 10_549, 1)
    assert x.by_tender["cash"].sales_fen == 4_549 and x.by_tender["cash"].sales_count == 2
    assert x.by_tender["wechat"].sales_fen == 9_000 and x.by_tender["wechat"].refunds_fen == 3_000
    # toy server settings: extraction 10%, anonymous orders contribute: floor((9000-3000)*0.1)+255+199
    assert x.extraction_bp == 1000 and x.contributions_fen == 600 + 255 + 199
    with UnitOfWork(till.engine) as uow:
        z = z_report(uow=uow, clock=till.clock)
    assert z.closed_at is not None and z.paid_fen == 13_549
    sell(till, 100)
    with reading(till.engine) as conn:
        x2 = x_report(conn)
    assert x2 is not None and x2.shift_id == z.shift_id + 1 and x2.paid_fen == 100


def test_queue_report_and_csv(till: Till) -> None:
    sell(till, 3_000, member=MemberRef("M1", "张*"))
    sell(till, 1_234, member=MemberRef("M1", "张*"))
    till.sync.run_once()
    with reading(till.engine) as conn:
        report = queue_report(conn, now=till.clock())
    assert report.snapshot is not None and report.snapshot.outstanding_fen == 4_234
    assert report.today_local_contributions_fen == 300 + 123
    rows = list(csv.reader(io.StringIO(queue_report_csv(report))))
    assert rows[0][:3] == ["position", "seq", "member"]
    assert rows[1][0] == "1" and rows[1][2] == "张*" and rows[1][5] == "30.00"
    assert rows[2][5] == "12.34"
    assert ["outstanding", "42.34"] in rows
