"""Exports of the console's tables as CSV and XLSX (openpyxl): liability series, settlement, history, members.

Money leaves as two columns: whole fen (an integer, exact, for sums) and yuan: text from `format_fen` in CSV, a
number cell with the format 0.00 in XLSX, written from `Decimal(fen) / 100` (exact; a float never touches an
amount). Rates leave as integer basis points and percent (text in CSV, a 0.00% number cell in XLSX). Times are in
the chain's time zone (the console's), the zone and its UTC offset stated in the column title. Text cells that a
spreadsheet would run as a formula (=, +, -, @) are quoted in CSV and typed as strings in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import Connection, func, or_, select

from shared.money import format_bp, format_fen

from ..db import tables as t
from .liability import Liability, Settlement

Kind = Literal["text", "int", "fen", "bp", "date", "datetime", "yuan"]
Title = Callable[[str], str]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_ZONE = "Asia/Shanghai"
YUAN_FORMAT = "0.00"
PERCENT_FORMAT = "0.00%"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # a translation key for the title
    kind: Kind = "text"


@dataclass(slots=True)
class Table:
    name: str
    columns: list[Column]
    rows: list[Sequence[Any]] = field(default_factory=list)


def _identity(key: str) -> str:
    return key


def _offset(at: dt.datetime) -> str:
    delta = at.utcoffset() or dt.timedelta(0)
    sign = "-" if delta < dt.timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _offsets(table: Table, zone: ZoneInfo) -> dict[int, list[str]]:
    """The UTC offsets the times of each datetime column take in `zone` (one, unless the zone changes clocks)."""
    out: dict[int, list[str]] = {}
    for i, c in enumerate(table.columns):
        if c.kind == "datetime":
            seen = {_offset(r[i].astimezone(zone)) for r in table.rows if isinstance(r[i], dt.datetime)}
            out[i] = sorted(seen)
    return out


def _headers(table: Table, title: Title, zone: ZoneInfo) -> list[str]:
    offsets = _offsets(table, zone)
    out = []
    for i, c in enumerate(table.columns):
        if c.kind == "fen":
            out += [f"{title(c.key)} ({title('unit.fen')})", f"{title(c.key)} ({title('unit.yuan')})"]
        elif c.kind == "bp":
            out += [f"{title(c.key)} (bp)", f"{title(c.key)} (%)"]
        elif c.kind == "datetime":
            out.append(f"{title(c.key)} ({' '.join([zone.key, '/'.join(offsets[i])] if offsets[i] else [zone.key])})")
        else:
            out.append(title(c.key))
    return out


def _cells(table: Table, row: Sequence[Any], zone: ZoneInfo, *, sheet: bool) -> list[tuple[Any, bool, str | None]]:
    """(value, is_free_text, number format) per output cell; `sheet`: typed for XLSX rather than CSV text."""
    out: list[tuple[Any, bool, str | None]] = []
    for c, v in zip(table.columns, row, strict=True):
        if c.kind in ("fen", "bp"):
            if v is None:
                out += [(None, False, None), (None, False, None)]
            elif sheet:  # exact decimals from integers: 12345 fen -> Decimal("123.45"), 1250 bp -> 0.125
                scaled = Decimal(int(v)).scaleb(-2 if c.kind == "fen" else -4)
                out += [(int(v), False, None), (scaled, False, YUAN_FORMAT if c.kind == "fen" else PERCENT_FORMAT)]
            else:
                text = format_fen(int(v)) if c.kind == "fen" else format_bp(int(v))
                out += [(int(v), False, None), (text, False, None)]
        elif c.kind == "datetime" and isinstance(v, dt.datetime):
            local = v.astimezone(zone)
            if sheet:  # a spreadsheet time has no zone: the wall time of the zone named in the title
                out.append((local.replace(tzinfo=None), False, TIME_FORMAT))
            else:
                out.append((local.strftime("%Y-%m-%d %H:%M:%S"), False, None))
        elif c.kind == "date" and isinstance(v, dt.date):
            out.append((v.isoformat(), False, None))
        elif c.kind == "yuan":  # one column, the amount in yuan as a number (a payout file's amount)
            scaled = Decimal(int(v)).scaleb(-2)
            out.append((scaled, False, YUAN_FORMAT) if sheet else (format_fen(int(v)), False, None))
        elif c.kind == "int":
            out.append((None if v is None else int(v), False, None))
        else:
            out.append(("" if v is None else str(v), True, None))
    return out


def to_csv(table: Table, title: Title = _identity, zone: str = DEFAULT_ZONE) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese titles right."""
    tz = ZoneInfo(zone)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(_headers(table, title, tz))
    for row in table.rows:
        writer.writerow(
            [
                "'" + v if text and isinstance(v, str) and v.startswith(FORMULA_START) else v
                for v, text, _ in _cells(table, row, tz, sheet=False)
            ]
        )
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, title: Title = _identity, zone: str = DEFAULT_ZONE) -> bytes:
    tz = ZoneInfo(zone)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=table.name[:31])
    ws.append(_headers(table, title, tz))
    for row in table.rows:
        cells = []
        for value, _text, number_format in _cells(table, row, tz, sheet=True):
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            if number_format is not None:
                cell.number_format = number_format
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(table: Table, fmt: str, title: Title = _identity, zone: str = DEFAULT_ZONE) -> tuple[bytes, str]:
    """(body, media type) of the table as `csv` or `xlsx`, times in `zone` (the chain's)."""
    if fmt == "csv":
        return to_csv(table, title, zone), "text/csv; charset=utf-8"
    if fmt == "xlsx":
        return to_xlsx(table, title, zone), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    raise ValueError(f"unknown export format {fmt!r}")


# ------------------------------------------------------------------------------------------------ tables


def liability_table(figures: Liability) -> Table:
    """The daily series behind the liability page."""
    table = Table(
        "liability",
        [
            Column("col.day", "date"),
            Column("col.orders", "int"),
            Column("col.sales", "fen"),
            Column("col.contributions", "fen"),
            Column("col.payouts", "fen"),
            Column("col.kept", "fen"),
            Column("col.entries_created", "int"),
            Column("col.entries_completed", "int"),
        ],
    )
    for d in figures.series:
        table.rows.append(
            [
                d.day,
                d.orders,
                d.sales_fen,
                d.contributions_fen,
                d.payouts_fen,
                d.kept_fen,
                d.entries_created,
                d.entries_completed,
            ]
        )
    return table


def settlement_table(settlement: Settlement, names: dict[str, str], title: Title = _identity) -> Table:
    """The matrix: a line per paying store, a column per receiving store, totals, and each store's net."""
    labels = {s: f"{s} {names.get(s, '')}".strip() for s in settlement.store_ids}
    table = Table(
        "settlement",
        [Column("col.paying_store")]
        + [Column(labels[s], "fen") for s in settlement.store_ids]
        + [Column("col.paid_by", "fen")],
    )
    for src in settlement.store_ids:
        table.rows.append(
            [
                labels[src],
                *(settlement.matrix.get((src, dst), 0) for dst in settlement.store_ids),
                settlement.paid_by(src),
            ]
        )
    total = sum(settlement.matrix.get((a, b), 0) for a in settlement.store_ids for b in settlement.store_ids)
    table.rows.append([title("col.received_by"), *(settlement.received_by(s) for s in settlement.store_ids), total])
    table.rows.append([title("col.net"), *(settlement.net(s) for s in settlement.store_ids), None])
    return table


def settlement_lines_table(settlement: Settlement, names: dict[str, str], *, own: str, others: list[str]) -> Table:
    """One store's side of the matrix: per other store, what each paid the other's members, and the net."""
    table = Table(
        "settlement",
        [
            Column("col.other_store"),
            Column("col.we_paid", "fen"),
            Column("col.they_paid", "fen"),
            Column("col.net", "fen"),
        ],
    )
    for other in others:
        if other == own:
            continue
        ours, theirs = settlement.matrix.get((own, other), 0), settlement.matrix.get((other, own), 0)
        table.rows.append([f"{other} {names.get(other, '')}".strip(), ours, theirs, theirs - ours])
    return table


def history_table(rows: Iterable[Any], diff: Callable[[Any], list[tuple[str, Any, Any]]]) -> Table:
    table = Table(
        "history",
        [
            Column("col.at", "datetime"),
            Column("col.actor"),
            Column("col.scope"),
            Column("col.version", "int"),
            Column("col.key"),
            Column("col.before"),
            Column("col.after"),
        ],
    )
    for r in rows:
        for key, before, after in diff(r):
            table.rows.append([r.at, r.actor, r.scope, r.version, key, _json(before), _json(after)])
    return table


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def of_store(store_id: str) -> Any:
    """A store's members: those who registered there or bought there."""
    m, o = t.Member, t.OrderRow
    return or_(
        m.registered_store_id == store_id,
        m.member_id.in_(select(o.member_id).where(o.store_id == store_id, o.member_id.is_not(None))),
    )


def members_table(conn: Connection, *, store_id: str | None, mask: Callable[[str | None], str]) -> Table:
    """Members (all, or one store's), their level, rebate balance and waiting entries (at that store)."""
    m, e, r = t.Member, t.EntryRow, t.RebateLedger
    table = Table(
        "members",
        [
            Column("col.member"),
            Column("col.name"),
            Column("col.phone"),
            Column("col.level"),
            Column("col.store"),
            Column("col.created", "datetime"),
            Column("col.rebate_balance", "fen"),
            Column("col.waiting", "int"),
            Column("col.pending", "fen"),
        ],
    )
    stmt = select(m.member_id, m.name, m.phone, m.level, m.registered_store_id, m.created_at).order_by(m.member_id)
    rebates = select(r.member_id, func.sum(r.amount_fen)).group_by(r.member_id)
    waiting = (
        select(e.member_id, func.count(), func.sum(e.entitlement_fen - e.paid_fen))
        .where(e.status == "waiting")
        .group_by(e.member_id)
    )
    if store_id is not None:
        stmt = stmt.where(of_store(store_id))
        rebates = rebates.where(r.member_id.in_(select(m.member_id).where(of_store(store_id))))
        waiting = waiting.where(e.store_id == store_id)  # entries at this store only
    balance = {k: int(v) for k, v in conn.execute(rebates)}
    queued = {k: (int(c), int(s)) for k, c, s in conn.execute(waiting)}
    for row in conn.execute(stmt):
        count, pending = queued.get(row.member_id, (0, 0))
        table.rows.append(
            [
                row.member_id,
                row.name,
                mask(row.phone),
                row.level or "",
                row.registered_store_id or "",
                row.created_at,
                balance.get(row.member_id, 0),
                count,
                pending,
            ]
        )
    return table


def payout_table(lines: Iterable[Any]) -> Table:
    """A payout batch (server/services/wallet_ops.py `batch_lines`): what a chain hands its payment provider."""
    table = Table(
        "payout",
        [Column("col.member"), Column("col.phone"), Column("col.amount_yuan", "yuan"), Column("col.reference")],
    )
    for line in lines:
        table.rows.append([line.member_id, line.masked_phone, line.amount_fen, line.reference])
    return table
