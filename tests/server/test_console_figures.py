"""Liability and inter-store settlement pages and exports: their figures equal sums straight from the ledger
tables (and, without refunds, a hand model of the queue); a store manager sees its own store only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import Connection, event, text

from server.console.web import base_settings
from server.db.database import Database
from server.services import admin
from server.services.ingest import Ingest
from server.services.liability import liability
from shared.engine.commands import PayOrder
from shared.money import format_fen

from .console_support import MANAGER_PASSWORD, add_manager, fifo_model, history, ledger, seed_history, sign_in
from .support import ADMIN_PASSWORD, T0, seed
from .totals import running_totals_differences

FIRST_DAY = (T0 - dt.timedelta(days=2)).date().isoformat()
LAST_DAY = T0.date().isoformat()


def _value(page: str, element_id: str, attr: str) -> int:
    found = re.search(rf'id="{element_id}"[^>]*data-{attr}="(-?\d+)"', page)
    assert found, f"{element_id} not on the page"
    return int(found.group(1))


def _series(page: str) -> dict[str, dict[str, int]]:
    out = {}
    for day, row in re.findall(r'<tr data-day="([\d-]+)">(.*?)</tr>', page, re.S):
        out[day] = {col: int(v) for col, v in re.findall(r'data-col="(\w+)" data-fen="(-?\d+)"', row)}
    return out


def _matrix(page: str) -> dict[tuple[str, str], int]:
    out = {}
    for src, row in re.findall(r'<tr data-from="(\w+)">(.*?)</tr>', page, re.S):
        for dst, v in re.findall(r'data-to="(\w+)" data-fen="(-?\d+)"', row):
            if int(v):
                out[(src, dst)] = int(v)
    return out


def test_liability_and_settlement_equal_the_ledgers_and_the_hand_model(http: httpx.Client, app: FastAPI) -> None:
    sales = history()
    seed_history(app.state.db, sales)
    model = fifo_model(sales)
    with app.state.db.connect() as conn:
        assert running_totals_differences(conn) == []
        sums = ledger(conn)
    assert (sums["waiting"], sums["outstanding"], sums["kept"], sums["matrix"]) == (
        model["waiting"],
        model["outstanding"],
        model["kept"],
        model["matrix"],
    )
    assert model["kept"] == 500 and sums["completed"] == model["completed"] > 0  # the test can see something
    sign_in(http, "admin", ADMIN_PASSWORD)
    page = http.get("/console/liability?days=7").text
    assert _value(page, "total-waiting", "value") == sums["waiting"]
    assert _value(page, "total-outstanding", "fen") == sums["outstanding"]
    assert _value(page, "total-paid", "fen") == sums["paid"]
    assert _value(page, "total-kept", "fen") == sums["kept"]
    assert _value(page, "total-contributions", "fen") == sums["contributions"] == sums["paid"] + sums["kept"]
    assert _value(page, "total-completion", "bp") == sums["completed"] * 10_000 // sums["entries"]
    series = _series(page)
    assert {d: v["payouts"] for d, v in series.items()} == {d.isoformat(): v for d, v in sums["payouts_by_day"].items()}
    assert {d: v["kept"] for d, v in series.items() if v["kept"]} == {
        d.isoformat(): v for d, v in sums["kept_by_day"].items()
    }
    # one shared queue; the estimate at the last 7 days' pace (everything happened within them), labelled
    queue = re.search(r'<tr data-queue="cashier:ALL">(.*?)</tr>', page, re.S)
    assert queue and "S1, S2" in queue.group(1)
    orders = sums["orders"]
    expected = -(-sums["outstanding"] * orders // sums["contributions"])
    assert _value(page, "chain-estimate", "orders") == expected
    assert "估算" in queue.group(1) and "估算" in page[page.index('id="chain-estimate"') - 300 :]
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="chart-money"' in page
    assert page.count('<rect class="bar s0"') == 2 * (7 + 1)  # two charts: a bar a day and a legend

    matrix_page = http.get("/console/settlement", params={"from": FIRST_DAY, "to": LAST_DAY}).text
    assert _matrix(matrix_page) == sums["matrix"] == model["matrix"]
    for store in ("S1", "S2"):
        paid = sum(v for (src, _), v in sums["matrix"].items() if src == store)
        received = sum(v for (_, dst), v in sums["matrix"].items() if dst == store)
        row = re.search(rf'<tr data-from="{store}">(.*?)</tr>', matrix_page, re.S)
        assert row and f'data-col="paid_by" data-fen="{paid}"' in row.group(1)
        assert re.search(rf'id="received-row">.*?data-store="{store}" data-fen="{received}"', matrix_page, re.S)
        assert re.search(rf'id="net-row">.*?data-store="{store}" data-fen="{received - paid}"', matrix_page, re.S)
    # a period that holds only the last day
    last = http.get("/console/settlement", params={"from": LAST_DAY, "to": LAST_DAY}).text
    with app.state.db.connect() as conn:
        day_sums = _matrix_between(conn, T0.replace(hour=0) - dt.timedelta(hours=8), T0 + dt.timedelta(hours=14))
    assert _matrix(last) == day_sums and sum(day_sums.values()) < sum(sums["matrix"].values())


def _matrix_between(conn: Connection, since: dt.datetime, until: dt.datetime) -> dict[tuple[str, str], int]:
    rows = conn.execute(
        text(
            "SELECT from_store_id, to_store_id, sum(amount_fen) FROM allocations WHERE at >= :a AND at < :b "
            "GROUP BY from_store_id, to_store_id"
        ),
        {"a": since, "b": until},
    )
    return {(a, b): int(v) for a, b, v in rows if int(v)}


def test_refunds_appear_as_reversals_in_both_pages(http: httpx.Client, app: FastAPI) -> None:
    sales = history(days=2, per_day=12)
    refunds = [
        ("O1", sales[1].paid_fen, T0 - dt.timedelta(minutes=30)),  # the head: it had received money
        ("O5", 3_000, T0 - dt.timedelta(minutes=20)),
    ]
    seed_history(app.state.db, sales, refunds=refunds, refund_clawback="all")  # settled money is taken back too
    with app.state.db.connect() as conn:
        assert running_totals_differences(conn) == []
        sums = ledger(conn)
        negative = conn.execute(text("SELECT count(*) FROM allocations WHERE amount_fen < 0")).scalar_one()
    assert negative > 0
    sign_in(http, "admin", ADMIN_PASSWORD)
    page = http.get("/console/liability").text
    assert _value(page, "total-outstanding", "fen") == sums["outstanding"]
    assert _value(page, "total-paid", "fen") == sums["paid"]
    assert _value(page, "total-contributions", "fen") == sums["contributions"]
    matrix_page = http.get("/console/settlement", params={"from": FIRST_DAY, "to": LAST_DAY}).text
    assert _matrix(matrix_page) == sums["matrix"]


def test_one_queue_per_cashier(http: httpx.Client, app: FastAPI) -> None:
    seed_history(app.state.db, history(), shared=False)
    with app.state.db.connect() as conn:
        sums = ledger(conn)
    sign_in(http, "admin", ADMIN_PASSWORD)
    page = http.get("/console/liability").text
    for cashier, store in (("C1", "S1"), ("C2", "S2")):
        row = re.search(rf'<tr data-queue="cashier:{cashier}">(.*?)</tr>', page, re.S)
        assert row
        waiting, outstanding = sums["waiting_by_store"][store]
        assert f'data-col="waiting">{waiting}<' in row.group(1)
        assert f'data-col="outstanding" data-fen="{outstanding}"' in row.group(1)
    matrix = _matrix(http.get("/console/settlement", params={"from": FIRST_DAY, "to": LAST_DAY}).text)
    assert set(matrix) <= {("S1", "S1"), ("S2", "S2")}  # separate queues: no money crosses stores
    assert 'id="not-shared"' in http.get("/console/settlement").text


def test_exports_hold_the_page_figures_in_whole_fen(http: httpx.Client, app: FastAPI) -> None:
    seed_history(app.state.db, history())
    with app.state.db.connect() as conn:
        sums = ledger(conn)
    sign_in(http, "admin", ADMIN_PASSWORD)
    r = http.get("/console/export/liability.csv?days=7")
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheet programs then read the Chinese titles
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header = rows[0]
    payouts = header.index("返还 (分)")
    assert header[payouts + 1] == "返还 (元)"
    assert sum(int(row[payouts]) for row in rows[1:]) == sums["paid"]
    book = load_workbook(
        io.BytesIO(http.get("/console/export/settlement.xlsx", params={"from": FIRST_DAY, "to": LAST_DAY}).content)
    )
    sheet = book.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    titles = values[0]
    assert titles[0] == "付款门店（销售）"
    for row in values[1:]:
        for fen_cell, yuan_cell in zip(row[1::2], row[2::2], strict=False):  # (fen, yuan) pairs after the name
            if fen_cell is not None:  # the yuan cell is a number, exactly the whole fen / 100
                assert isinstance(fen_cell, int) and Decimal(str(yuan_cell)) == Decimal(fen_cell).scaleb(-2), row
    lines = {row[0]: row for row in values[1:3]}
    s1, s2 = lines["S1 Store S1"], lines["S2 Store S2"]
    assert (s1[1], s1[3], s2[1], s2[3]) == (
        sums["matrix"].get(("S1", "S1"), 0),
        sums["matrix"].get(("S1", "S2"), 0),
        sums["matrix"].get(("S2", "S1"), 0),
        sums["matrix"].get(("S2", "S2"), 0),
    )
    history_csv = http.get("/console/export/history.csv").content.decode("utf-8-sig")
    assert "all_cashiers_queue" in history_csv and "test" in history_csv
    history_sheet = load_workbook(io.BytesIO(http.get("/console/export/history.xlsx").content)).active
    assert history_sheet is not None
    head, first = list(history_sheet.iter_rows(values_only=True))[:2]
    assert head[0] == "时间 (Asia/Shanghai UTC+08:00)"
    with app.state.db.connect() as conn:
        at = conn.execute(text("SELECT at FROM settings_history ORDER BY id DESC")).scalars().first()
    stamp = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(at)
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    assert first[0] == stamp.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    members = list(csv.reader(io.StringIO(http.get("/console/export/members.csv").content.decode("utf-8-sig"))))
    pending = members[0].index("待奖励金额 (分)")
    assert sum(int(row[pending]) for row in members[1:]) == sums["outstanding"]
    assert http.get("/console/export/secrets.csv").status_code == 404
    assert http.get("/console/export/members.pdf").status_code == 404


def test_a_store_manager_reaches_only_its_own_store(http: httpx.Client, app: FastAPI) -> None:
    seed_history(app.state.db, history())
    add_manager(app.state.db, "boss1", "S1")
    with app.state.db.connect() as conn:
        sums = ledger(conn)
    sign_in(http, "boss1", MANAGER_PASSWORD)
    page = http.get("/console/liability?days=7").text
    waiting, outstanding = sums["waiting_by_store"]["S1"]
    assert _value(page, "total-waiting", "value") == waiting
    assert _value(page, "total-outstanding", "fen") == outstanding
    assert "S2" not in re.search(r'<table class="grid" id="queues">.*?</table>', page, re.S).group(0)  # type: ignore
    s1_payouts = sum(v for (_, dst), v in sums["matrix"].items() if dst == "S1")
    assert _value(page, "total-paid", "fen") == s1_payouts
    # pages of another store: as if they did not exist
    for path in ("/console/stores/S2", "/console/rules/store/S2"):
        assert http.get(path).status_code == 404, path
    assert http.get("/console/stores/S1").status_code == 200
    assert http.get("/console/simulate").status_code == 403
    stores = http.get("/console/stores").text
    assert 'data-store="S1"' in stores and 'data-store="S2"' not in stores
    # settlement: only the pairs the store takes part in
    own = http.get("/console/settlement", params={"from": FIRST_DAY, "to": LAST_DAY}).text
    assert 'id="matrix"' not in own
    line = re.search(r'<tr data-other="S2">(.*?)</tr>', own, re.S)
    assert line
    assert f'data-col="we_paid" data-fen="{sums["matrix"][("S1", "S2")]}"' in line.group(1)
    assert f'data-col="they_paid" data-fen="{sums["matrix"][("S2", "S1")]}"' in line.group(1)
    # exports are scoped the same way
    members = http.get("/console/export/members.csv").content.decode("utf-8-sig")
    assert "s1m" in members and "s2m" not in members
    settlement = list(
        csv.reader(
            io.StringIO(
                http.get("/console/export/settlement.csv", params={"from": FIRST_DAY, "to": LAST_DAY}).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    ours, theirs = sums["matrix"][("S1", "S2")], sums["matrix"][("S2", "S1")]
    assert settlement[1:] == [
        [
            "S2 Store S2",
            str(ours),
            format_fen(ours),
            str(theirs),
            format_fen(theirs),
            str(theirs - ours),
            format_fen(theirs - ours),
        ]
    ]
    liability = list(
        csv.reader(io.StringIO(http.get("/console/export/liability.csv?days=7").content.decode("utf-8-sig")))
    )
    column = liability[0].index("返还 (分)")
    assert sum(int(row[column]) for row in liability[1:]) == s1_payouts
    history_csv = http.get("/console/export/history.csv").content.decode("utf-8-sig")
    assert "store:S1" in history_csv and "store:S2" not in history_csv


def test_the_liability_figures_read_running_totals_only(db: Database) -> None:
    """What keeps the page flat from 10^3 to 10^6 entries (benchmarks/console_liability.py): no statement of it
    reads entries, orders or allocations."""
    seed_history(db, history())
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.connect() as conn:
            figures = liability(conn, base_settings(conn, db), today=T0.date(), days=30)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert figures.total_waiting > 0 and len(statements) <= 10
    for statement in statements:
        for table in ("entries", "orders", "allocations", "unallocated"):
            assert not re.search(rf"\b{table}\b", statement), statement


def _queue_row(page: str, key: str) -> dict[str, str]:
    row = re.search(rf'<tr data-queue="{key}">(.*?)</tr>', page, re.S)
    assert row, f"no row of {key}"
    cells = dict(re.findall(r'data-col="(\w+)"[^>]*>([^<]*)<', row.group(1)))
    cells |= {f"{col}:fen": v for col, v in re.findall(r'data-col="(\w+)" data-fen="(-?\d+)"', row.group(1))}
    cells |= {f"{col}:bp": v for col, v in re.findall(r'data-col="(\w+)" data-bp="(\d*)"', row.group(1))}
    return cells


def _per_cashier_from_ledgers(conn: Connection, cashier: str) -> dict[str, int]:
    def one(sql: str) -> int:
        return int(conn.execute(text(sql), {"c": cashier}).scalar_one() or 0)

    created = one("SELECT count(*) FROM entries WHERE cashier_id = :c")
    completed = one("SELECT count(*) FROM entries WHERE cashier_id = :c AND status = 'completed'")
    return {
        "contributions": one("SELECT sum(contribution_fen) FROM orders WHERE cashier_id = :c"),
        "payouts": one(
            "SELECT sum(a.amount_fen) FROM allocations a JOIN entries e ON e.seq = a.entry_seq WHERE e.cashier_id = :c"
        ),
        "kept": one(
            "SELECT sum(u.amount_fen) FROM unallocated u JOIN orders o ON o.order_id = u.order_id "
            "WHERE o.cashier_id = :c"
        ),
        "waiting": one("SELECT count(*) FROM entries WHERE cashier_id = :c AND status = 'waiting'"),
        "outstanding": one(
            "SELECT sum(entitlement_fen - paid_fen) FROM entries WHERE cashier_id = :c AND status = 'waiting'"
        ),
        "completion_bp": completed * 10_000 // created,
    }


def test_two_queues_of_one_store_show_their_own_figures_and_names(http: httpx.Client, app: FastAPI) -> None:
    """Issue 15 item 13: each queue row holds that queue's figures (they were its store's, the same on both rows)
    and is named by its store and checkout point."""
    db = app.state.db
    start = T0 - dt.timedelta(days=2)
    seed(db, stores={"S1": ["C1"], "S2": ["C2"]}, base={"all_cashiers_queue": False}, at=start - dt.timedelta(hours=1))
    with db.connect() as conn:
        admin.add_cashier(conn, cashier_id="C1b", store_id="S1", name="二号窗口")
    ingest = Ingest(db)
    # C1 is busy (many members, 10% in, 100% out: its line moves); C1b sees a few big sales and one anonymous one
    sales = [("C1", f"m{i % 4}", 8_000 + 250 * i) for i in range(14)]
    sales += [("C1b", None, 30_000), ("C1b", "w1", 50_000), ("C1b", "w2", 20_000), ("C2", "z1", 9_000)]
    for i, (cashier, member, paid) in enumerate(sales):
        at = start + dt.timedelta(hours=3 * i)
        store = "S2" if cashier == "C2" else "S1"
        ingest.apply(
            PayOrder(
                order_id=f"Q{i}",
                store_id=store,
                cashier_id=cashier,
                member_id=member,
                paid_fen=paid,
                paid_at=at,
                received_at=at,
                completed=True,
            )
        )
    with db.connect() as conn:
        assert running_totals_differences(conn) == []
        want = {c: _per_cashier_from_ledgers(conn, c) for c in ("C1", "C1b")}
    assert want["C1"] != want["C1b"]
    sign_in(http, "admin", ADMIN_PASSWORD)
    page = http.get("/console/liability").text
    for cashier, name in (("C1", "Store S1 · C1"), ("C1b", "Store S1 · 二号窗口")):
        row, expected = _queue_row(page, f"cashier:{cashier}"), want[cashier]
        assert row["queue"].strip() == name
        assert int(row["waiting"]) == expected["waiting"]
        assert int(row["outstanding:fen"]) == expected["outstanding"]
        assert int(row["contributions_7d:fen"]) == expected["contributions"]
        assert int(row["payouts_7d:fen"]) == expected["payouts"]
        assert int(row["kept_7d:fen"]) == int(row["kept_total:fen"]) == expected["kept"]
        assert int(row["completion_7d:bp"]) == int(row["completion_total:bp"]) == expected["completion_bp"]


def test_one_queue_for_all_cashiers_is_called_so(http: httpx.Client, app: FastAPI) -> None:
    seed_history(app.state.db, history(), shared=True)
    sign_in(http, "admin", ADMIN_PASSWORD)
    assert _queue_row(http.get("/console/liability").text, "cashier:ALL")["queue"].strip() == "所有收银台"
    http.get("/console/lang", params={"to": "en", "next": "/console/liability"})
    assert _queue_row(http.get("/console/liability").text, "cashier:ALL")["queue"].strip() == "all checkout points"
