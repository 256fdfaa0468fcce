"""The product catalogue: import from CSV (UTF-8 or GBK) or XLSX, switch it on per store, serve it to tills in
(version, sku) pages (docs/sync-protocol.md "Catalogue").

An import is one transaction and one new catalogue version: the products it adds or changes get that version, so
a till that pulled up to (version, sku) gets exactly what changed since. `replace` also takes the products the file
does not list off the tills (`active: false`, kept for the records of past sales).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import Connection, and_, insert, or_, select, update

from shared.catalogue import CatalogueError, Product, RowError, parse_products
from shared.errors import Code
from shared.wire import CATALOGUE_PAGE_MAX, CataloguePage, CatalogueProduct

from ..db import tables as t
from ..errors import Refused, not_found

P = t.Product
MAX_FILE_BYTES = 20 * 1024 * 1024
VERSION_COUNTER = "catalogue_version"


@dataclass(frozen=True)
class ImportResult:
    version: int
    added: int
    changed: int
    unchanged: int
    removed: int


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """The rows of an uploaded file as text: XLSX by its name or its zip signature, else CSV in UTF-8 (with or
    without a byte-order mark) or, failing that, GBK (what Excel saves as CSV on a Chinese Windows)."""
    if len(data) > MAX_FILE_BYTES:
        size = str(MAX_FILE_BYTES // 1024 // 1024)
        raise CatalogueError([RowError(0, "-", f"the file is larger than {size} MB", "too_large", size)])
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data)
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    raise CatalogueError(
        [RowError(0, "-", "the file is neither UTF-8 nor GBK text, nor an XLSX workbook", "unreadable")]
    )


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # only headquarters imports workbooks: keep it off every server start

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for a damaged file
        error = RowError(0, "-", f"not a readable XLSX workbook ({type(exc).__name__})", "unreadable")
        raise CatalogueError([error]) from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a barcode typed as a number; prices keep their decimals below
    return str(value)


def _next_version(conn: Connection) -> int:
    c = t.Counter
    row = conn.execute(select(c.value).where(c.name == VERSION_COUNTER).with_for_update()).first()
    if row is None:
        conn.execute(insert(c).values(name=VERSION_COUNTER, value=1))
        return 1
    conn.execute(update(c).where(c.name == VERSION_COUNTER).values(value=row.value + 1))
    return int(row.value) + 1


def import_products(conn: Connection, products: list[Product], *, now: dt.datetime, replace: bool) -> ImportResult:
    """Add or change the products (one transaction, the caller commits); `replace` retires the ones not listed."""
    version = _next_version(conn)
    existing = {
        r.sku: r
        for r in conn.execute(select(P.sku, P.barcode, P.name, P.price_fen, P.category, P.participates, P.active))
    }
    listed = {p.sku for p in products}
    # A barcode moving from a product to another within one import: clear the old holder first (unique index).
    moved = [r.sku for r in existing.values() if r.barcode and r.barcode in {p.barcode for p in products}]
    taken = {p.barcode: p.sku for p in products if p.barcode}
    clear = [sku for sku in moved if taken.get(existing[sku].barcode) != sku]
    if clear:
        conn.execute(update(P).where(P.sku.in_(clear)).values(barcode=None, version=version, updated_at=now))
    added = changed = unchanged = 0
    inserts = []
    for p in products:
        values = {
            "barcode": p.barcode,
            "name": p.name,
            "price_fen": p.price_fen,
            "category": p.category,
            "participates": p.participates,
            "active": True,
        }
        old = existing.get(p.sku)
        if old is None:
            inserts.append({"sku": p.sku, **values, "version": version, "updated_at": now})
            added += 1
        elif old.sku in clear or any(getattr(old, k) != v for k, v in values.items()):
            conn.execute(update(P).where(P.sku == p.sku).values(**values, version=version, updated_at=now))
            changed += 1
        else:
            unchanged += 1
    if inserts:
        conn.execute(insert(P), inserts)
    removed = 0
    if replace:
        gone = [sku for sku, r in existing.items() if sku not in listed and r.active]
        for start in range(0, len(gone), 500):
            conn.execute(
                update(P)
                .where(P.sku.in_(gone[start : start + 500]))
                .values(active=False, version=version, updated_at=now)
            )
        removed = len(gone)
    return ImportResult(version, added, changed, unchanged, removed)


def import_file(conn: Connection, data: bytes, filename: str, *, now: dt.datetime, replace: bool) -> ImportResult:
    """Read, validate every row (CatalogueError lists the bad ones; nothing is written), import."""
    return import_products(conn, parse_products(read_rows(data, filename)), now=now, replace=replace)


def set_store_catalogue(conn: Connection, store_id: str, *, enabled: bool) -> None:
    done = conn.execute(update(t.Store).where(t.Store.store_id == store_id).values(catalogue=enabled))
    if done.rowcount == 0:
        raise not_found(f"no store {store_id}")


def store_uses_catalogue(conn: Connection, store_id: str) -> bool:
    return bool(conn.execute(select(t.Store.catalogue).where(t.Store.store_id == store_id)).scalar())


def page(conn: Connection, *, store_id: str, after_version: int, after_sku: str, limit: int) -> CataloguePage:
    """Products changed after (after_version, after_sku), in that order; empty for a store without catalogue."""
    if not 1 <= limit <= CATALOGUE_PAGE_MAX:
        raise Refused(Code.INVALID_REQUEST, f"limit is 1-{CATALOGUE_PAGE_MAX}")
    if not store_uses_catalogue(conn, store_id):
        return CataloguePage(enabled=False, products=[], complete=True)
    rows = conn.execute(
        select(P.sku, P.barcode, P.name, P.price_fen, P.category, P.participates, P.active, P.version)
        .where(or_(P.version > after_version, and_(P.version == after_version, P.sku > after_sku)))
        .order_by(P.version, P.sku)
        .limit(limit + 1)
    ).all()
    products = [
        CatalogueProduct(
            sku=r.sku,
            barcode=r.barcode,
            name=r.name,
            price_fen=int(r.price_fen),
            category=r.category,
            participates=bool(r.participates),
            active=bool(r.active),
            version=int(r.version),
        )
        for r in rows[:limit]
    ]
    return CataloguePage(enabled=True, products=products, complete=len(rows) <= limit)
