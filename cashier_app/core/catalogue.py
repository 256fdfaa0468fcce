"""The till's copy of headquarters' catalogue: pulled in (version, sku) pages, kept in SQLite, looked up in memory.

A scan must show its line within a frame or two, so the checkout never asks SQLite: `CatalogueIndex` is built on the
database thread after each sync that changed the catalogue and handed to the UI, which only reads dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select

from shared.wire import CATALOGUE_PAGE_MAX, CataloguePage, SaleLine

from .db import UnitOfWork, kv_get, kv_set, products, reading
from .sync_client import SyncClient


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    barcode: str | None
    name: str
    price_fen: int
    category: str
    participates: bool


class CatalogueIndex:
    """Barcode and SKU lookups, and a name search for price lookup; read-only once built."""

    def __init__(self, items: Iterable[Product], *, enabled: bool) -> None:
        self.enabled = enabled
        self.by_sku: dict[str, Product] = {}
        self.by_barcode: dict[str, Product] = {}
        for p in items:
            self.by_sku[p.sku] = p
            if p.barcode:
                self.by_barcode[p.barcode] = p

    def __len__(self) -> int:
        return len(self.by_sku)

    def find(self, code: str) -> Product | None:
        """The product a scanned or typed code names: its barcode, else its SKU."""
        code = code.strip()
        return self.by_barcode.get(code) or self.by_sku.get(code)

    def search(self, text: str, limit: int = 50) -> list[Product]:
        """Price lookup: products whose name, SKU or barcode contains the text (case ignored), by name."""
        needle = text.strip().lower()
        if not needle:
            return []
        hits = [
            p
            for p in self.by_sku.values()
            if needle in p.name.lower() or needle in p.sku.lower() or (p.barcode and needle in p.barcode)
        ]
        return sorted(hits, key=lambda p: (p.name, p.sku))[:limit]


EMPTY = CatalogueIndex((), enabled=False)


def load_index(engine: Engine) -> CatalogueIndex:
    with reading(engine) as conn:
        enabled = bool(kv_get(conn, "catalogue_enabled", False))
        rows = conn.execute(
            select(
                products.c.sku,
                products.c.barcode,
                products.c.name,
                products.c.price_fen,
                products.c.category,
                products.c.participates,
            )
        ).all()
    return CatalogueIndex((Product(*r) for r in rows), enabled=enabled)


def apply_page(conn: Connection, page: CataloguePage) -> None:
    """Store one page (in the caller's transaction) and move the (version, sku) mark past it."""
    kv_set(conn, "catalogue_enabled", page.enabled)
    if not page.enabled:
        conn.execute(delete(products))
        kv_set(conn, "catalogue_after", [0, ""])
        return
    gone = [p.sku for p in page.products if not p.active]
    for start in range(0, len(gone), 500):
        conn.execute(delete(products).where(products.c.sku.in_(gone[start : start + 500])))
    rows = [
        {
            "sku": p.sku,
            "barcode": p.barcode,
            "name": p.name,
            "price_fen": p.price_fen,
            "category": p.category,
            "participates": p.participates,
            "version": p.version,
        }
        for p in page.products
        if p.active
    ]
    if rows:  # a changed product replaces the till's row (one statement for the page)
        conn.execute(insert(products).prefix_with("OR REPLACE"), rows)
    if page.products:
        last = page.products[-1]
        kv_set(conn, "catalogue_after", [last.version, last.sku])


def pull_catalogue(
    engine: Engine, client: SyncClient, *, limit: int = CATALOGUE_PAGE_MAX, max_pages: int = 200
) -> bool:
    """Bring the catalogue up to date; True when anything changed (the checkout's index is then rebuilt)."""
    changed = False
    for _ in range(max_pages):
        with reading(engine) as conn:
            version, sku = kv_get(conn, "catalogue_after", [0, ""])
            was_enabled = bool(kv_get(conn, "catalogue_enabled", False))
        page = client.catalogue(after_version=int(version), after_sku=str(sku), limit=limit)
        with UnitOfWork(engine) as uow:
            apply_page(uow.conn, page)
            uow.commit()
        changed = changed or bool(page.products) or page.enabled != was_enabled
        if page.complete:
            break
    return changed


# ---------------------------------------------------------------------------------------------- a sale's lines


@dataclass(frozen=True, slots=True)
class CartLine:
    """A line of the sale being made: what the cashier sees and edits."""

    sku: str | None
    name: str
    quantity: int
    unit_price_fen: int
    discount_fen: int = 0
    participates: bool = True

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen - self.discount_fen

    def wire(self) -> SaleLine:
        return SaleLine(
            sku=self.sku,
            name=self.name,
            quantity=self.quantity,
            unit_price_fen=self.unit_price_fen,
            discount_fen=self.discount_fen,
            amount_fen=self.amount_fen,
            participates=self.participates,
        )

    @classmethod
    def of(cls, product: Product, quantity: int = 1) -> CartLine:
        return cls(product.sku, product.name, quantity, product.price_fen, 0, product.participates)


def lines_json(lines: Sequence[CartLine]) -> str:
    return json.dumps([line.wire().model_dump(mode="json") for line in lines], ensure_ascii=False)


def lines_from_json(text: str | None) -> list[CartLine]:
    if not text:
        return []
    out = []
    for raw in json.loads(text):
        line = SaleLine.model_validate(raw)
        out.append(
            CartLine(line.sku, line.name, line.quantity, line.unit_price_fen, line.discount_fen, line.participates)
        )
    return out
