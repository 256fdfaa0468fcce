"""Liability, inter-store settlement and the exports: read-only, scoped by the session's user."""

from __future__ import annotations

import datetime as dt
import functools
import re

from fastapi import APIRouter, Request, Response

from shared.errors import Code
from shared.money import format_fen

from ..api.state import services
from ..inputs import parse_int
from ..services import exports
from ..services.liability import DayFigures, Liability, Settlement, liability, settlement_for_days
from ..services.wallet import WalletLiability
from ..services.wallet import liability as wallet_liability
from . import history as hist
from .charts import bars
from .i18n import translate
from .session import ConsoleUser, Denied
from .web import (
    ConsoleRoute,
    User,
    base_settings,
    cashier_names,
    language,
    mark,
    page,
    parse_day,
    queue_label,
    store_names,
    today,
)

router = APIRouter(route_class=ConsoleRoute)
DAYS = (7, 30, 90, 365)


def _days(request: Request) -> int:
    days = parse_int(request.query_params.get("days", "30"))
    if days is None:
        raise Denied(400, Code.INVALID_REQUEST.value)
    return days if days in DAYS else 30


def _figures(request: Request, user: ConsoleUser, days: int) -> tuple[Liability, dict[str, tuple[str, str]]]:
    """The figures and the names of the checkout points (cashier id -> (store name, its name))."""
    svc = services(request)
    with svc.db.connect() as conn:
        base = base_settings(conn, svc.db)
        figures = liability(conn, base, today=today(request, base), store_ids=user.scope, days=days)
        return figures, cashier_names(conn)


def _filled(figures: Liability, days: int) -> list[DayFigures]:
    """One figure per day of the window, zero where nothing happened (the chart's x axis is time)."""
    known = {d.day: d for d in figures.series}
    first = figures.as_of - dt.timedelta(days=days - 1)
    out = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        out.append(known.get(day) or DayFigures(day, 0, 0, 0, 0, 0, 0, 0))
    return out


@router.get("/liability")
def liability_page(request: Request, user: User) -> Response:
    days = _days(request)
    figures, cashiers = _figures(request, user, days)
    tr = functools.partial(translate, language(request))
    series = _filled(figures, days)
    day_list = [d.day for d in series]
    money = bars(
        day_list,
        [
            (tr("col.contributions"), [d.contributions_fen for d in series]),
            (tr("col.payouts"), [d.payouts_fen for d in series]),
            (tr("col.kept"), [d.kept_fen for d in series]),
        ],
        label=lambda v: "¥" + format_fen(v),
        chart_id="chart-money",
        empty=tr("liability.no_days"),
        labelled_by="chart-money-caption",
    )
    entries = bars(
        day_list,
        [
            (tr("col.entries_created"), [d.entries_created for d in series]),
            (tr("col.entries_completed"), [d.entries_completed for d in series]),
        ],
        label=str,
        chart_id="chart-entries",
        empty=tr("liability.no_days"),
        labelled_by="chart-entries-caption",
    )
    return page(
        request,
        "liability.html",
        user=user,
        figures=figures,
        queue_name=functools.partial(queue_label, names=cashiers, tr=tr),
        days=days,
        chart_money=mark(money),
        chart_entries=mark(entries),
        wallet_figures=_wallet_figures(request) if user.is_hq else None,  # the wallet is the chain's, not a store's
    )


def _wallet_figures(request: Request) -> WalletLiability:
    svc = services(request)
    with svc.db.connect() as conn:
        return wallet_liability(conn, points_per_yuan=base_settings(conn, svc.db).wallet.points_per_yuan)


def _period(request: Request, user: ConsoleUser) -> tuple[dt.date, dt.date, Settlement, dict[str, str], bool]:
    svc = services(request)
    with svc.db.connect() as conn:
        base = base_settings(conn, svc.db)
        now = today(request, base)
        first = parse_day(request.query_params.get("from"), now.replace(day=1))
        last = parse_day(request.query_params.get("to"), now)
        if last < first or (last - first).days > 3660:
            raise Denied(400, "bad_period")
        found = settlement_for_days(conn, first=first, last=last, timezone=base.timezone, store_ids=user.scope)
        names = store_names(conn, None if user.is_hq else _counterparts(found, user))
    return first, last, found, names, base.all_cashiers_queue


def _counterparts(found: Settlement, user: ConsoleUser) -> list[str]:
    return sorted({s for pair in found.matrix for s in pair} | {user.store_id or ""})


@router.get("/settlement")
def settlement_page(request: Request, user: User) -> Response:
    first, last, found, names, shared = _period(request, user)
    own = user.store_id or ""
    # a manager sees the pairs its own store takes part in: what it owes each store and is owed by it
    lines = (
        []
        if user.is_hq
        else [
            (other, found.matrix.get((own, other), 0), found.matrix.get((other, own), 0))
            for other in _counterparts(found, user)
            if other != own
        ]
    )
    return page(
        request,
        "settlement.html",
        user=user,
        first=first,
        last=last,
        settlement=found,
        matrix=found.matrix,
        stores=found.store_ids,
        names=names,
        shared=shared,
        lines=lines,
        own_store=own,
    )


@router.get("/export/{name}")
def export(request: Request, name: str, user: User) -> Response:
    kind, _, fmt = name.partition(".")
    if fmt not in ("csv", "xlsx"):
        raise Denied(404, "not_found")
    tr = functools.partial(translate, language(request))
    table: exports.Table
    if kind == "liability":
        table = exports.liability_table(_figures(request, user, _days(request))[0])
        stem = f"liability-{table.rows[-1][0].isoformat() if table.rows else 'empty'}"
    elif kind == "settlement":
        first, last, found, names, _ = _period(request, user)
        if user.is_hq:
            table = exports.settlement_table(found, names, tr)
        else:
            table = exports.settlement_lines_table(
                found, names, own=user.store_id or "", others=_counterparts(found, user)
            )
        stem = f"settlement-{first.isoformat()}-{last.isoformat()}"
    elif kind == "history":
        svc = services(request)
        with svc.db.connect() as conn:
            rows = hist.rows(conn, user, limit=100_000)
        table = exports.history_table(rows, hist.changes)
        stem = "settings-history"
    elif kind == "members":
        svc = services(request)
        with svc.db.connect() as conn:
            table = exports.members_table(
                conn, store_id=None if user.is_hq else user.store_id, mask=hist.phone_mask(user)
            )
        stem = "members" if user.is_hq else f"members-{user.store_id}"
    else:
        raise Denied(404, "not_found")
    svc = services(request)
    with svc.db.connect() as conn:
        zone = base_settings(conn, svc.db).timezone
    body, media = exports.render(table, fmt, tr, zone)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)  # a file name in a header: nothing a browser could misread
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"', "Cache-Control": "no-store"},
    )
