"""Helpers of the console tests: sign-in over HTTP, a seeded sales history, and figures straight from the ledgers."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Connection, text

from server.db.database import Database
from server.services import users
from server.services.ingest import Ingest
from shared.engine.commands import PayOrder, RefundOrder
from shared.money import pct

from .support import T0, seed

SHANGHAI = ZoneInfo("Asia/Shanghai")
MANAGER_PASSWORD = "manager-pass-1"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: httpx.Client, username: str, password: str) -> str:
    """Sign in through the form as a browser does; returns the session's CSRF token."""
    form = client.get("/console/login")
    assert form.status_code == 200, form.text
    r = client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "username": username, "password": password, "next": "/console/rules"},
    )
    assert r.status_code == 303, r.text
    page = client.get("/console/rules")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def add_manager(db: Database, username: str, store_id: str) -> None:
    with db.connect() as conn:
        users.add_user(
            conn, username=username, password=MANAGER_PASSWORD, role=users.STORE_MANAGER, store_id=store_id, now=T0
        )


@dataclass(frozen=True)
class Sale:
    order_id: str
    store: str
    member: str | None
    paid_fen: int
    at: dt.datetime


def history(days: int = 3, per_day: int = 8) -> list[Sale]:
    """An anonymous sale first (its contribution finds an empty queue and is kept), then members' sales
    alternating between S1 and S2, `per_day` a day over `days` days ending on T0's day."""
    sales = [Sale("A0", "S1", None, 5_000, T0 - dt.timedelta(days=days - 1, hours=1))]
    n = 0
    for d in range(days):
        day_start = T0 - dt.timedelta(days=days - 1 - d)
        for i in range(per_day):
            n += 1
            store = "S1" if n % 2 else "S2"
            sales.append(
                Sale(
                    f"O{n}",
                    store,
                    f"{store.lower()}m{n % 3}",
                    10_000 + 100 * n,
                    day_start + dt.timedelta(minutes=5 * i),
                )
            )
    return sales


def seed_history(
    db: Database,
    sales: list[Sale],
    *,
    shared: bool = True,
    refunds: list[tuple[str, int, dt.datetime]] | None = None,
    **base: Any,
) -> None:
    """Stores S1 (C1) and S2 (C2), 100% / 10%, settled at checkout, and the sales through Ingest."""
    seed(
        db,
        stores={"S1": ["C1"], "S2": ["C2"]},
        base={"all_cashiers_queue": shared, **base},
        at=sales[0].at - dt.timedelta(hours=1),
    )
    ingest = Ingest(db)
    events: list[tuple[dt.datetime, Any]] = [
        (
            s.at,
            PayOrder(
                order_id=s.order_id,
                store_id=s.store,
                cashier_id="C1" if s.store == "S1" else "C2",
                member_id=s.member,
                paid_fen=s.paid_fen,
                paid_at=s.at,
                received_at=s.at,
                completed=True,
            ),
        )
        for s in sales
    ]
    events += [(at, RefundOrder(order_id, f"R-{order_id}", amount, at)) for order_id, amount, at in refunds or []]
    for _, command in sorted(events, key=lambda e: e[0]):
        ingest.apply(command)


def fifo_model(sales: list[Sale], *, extraction_bp: int = 1000) -> dict[str, Any]:
    """The rules of a single shared queue without refunds, by hand: insert, then pay the head (spec §8)."""
    queue: list[list[Any]] = []  # [store, remaining]
    matrix: dict[tuple[str, str], int] = defaultdict(int)
    kept = 0
    completed = 0
    for s in sales:
        if s.member is not None:
            queue.append([s.store, s.paid_fen])
        money = pct(s.paid_fen, extraction_bp)
        while money and queue:
            head = queue[0]
            take = min(money, head[1])
            matrix[(s.store, head[0])] += take
            head[1] -= take
            money -= take
            if head[1] == 0:
                queue.pop(0)
                completed += 1
        kept += money
    return {
        "matrix": dict(matrix),
        "kept": kept,
        "waiting": len(queue),
        "outstanding": sum(e[1] for e in queue),
        "completed": completed,
        "entries": sum(1 for s in sales if s.member),
    }


def ledger(conn: Connection) -> dict[str, Any]:
    """The liability and settlement figures summed straight from the ledger tables (no running totals)."""

    def one(sql: str) -> int:
        return int(conn.execute(text(sql)).scalar_one() or 0)

    def day(at: Any) -> dt.date:
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return at.astimezone(SHANGHAI).date()

    payouts_by_day: dict[dt.date, int] = defaultdict(int)
    for amount, at in conn.execute(text("SELECT amount_fen, at FROM allocations")):
        payouts_by_day[day(at)] += int(amount)
    kept_by_day: dict[dt.date, int] = defaultdict(int)
    for amount, at in conn.execute(text("SELECT amount_fen, at FROM unallocated")):
        kept_by_day[day(at)] += int(amount)
    matrix = {
        (a, b): int(v)
        for a, b, v in conn.execute(
            text(
                "SELECT from_store_id, to_store_id, sum(amount_fen) FROM allocations"
                " GROUP BY from_store_id, to_store_id"
            )
        )
        if int(v)
    }
    waiting_by_store = {
        s: (int(c), int(f))
        for s, c, f in conn.execute(
            text(
                "SELECT store_id, count(*), sum(entitlement_fen - paid_fen) FROM entries WHERE status = 'waiting' "
                "GROUP BY store_id"
            )
        )
    }
    return {
        "waiting": one("SELECT count(*) FROM entries WHERE status = 'waiting'"),
        "outstanding": one("SELECT sum(entitlement_fen - paid_fen) FROM entries WHERE status = 'waiting'"),
        "entries": one("SELECT count(*) FROM entries"),
        "completed": one("SELECT count(*) FROM entries WHERE status = 'completed'"),
        "paid": one("SELECT sum(amount_fen) FROM allocations"),
        "kept": one("SELECT sum(amount_fen) FROM unallocated"),
        "contributions": one("SELECT sum(contribution_fen) FROM orders"),
        "orders": one("SELECT count(*) FROM orders WHERE imported IS NULL"),
        "payouts_by_day": dict(payouts_by_day),
        "kept_by_day": dict(kept_by_day),
        "matrix": matrix,
        "waiting_by_store": waiting_by_store,
    }
