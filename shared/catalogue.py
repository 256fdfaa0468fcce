"""The product catalogue headquarters imports (CSV or XLSX rows): columns, row-by-row validation, clear errors.

A file is taken whole or not at all: every row is checked and every problem is reported with its row number and
column, so headquarters fixes the file once. Reading bytes into rows (encodings, XLSX) is the server's business;
this module sees rows of text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .money import parse_yuan

MAX_PRICE_FEN = 10**9  # 10 million yuan for one item: anything above is a typo
MAX_ROWS = 200_000
MAX_ERRORS = 100

# Header names headquarters may use (lower case, spaces and underscores ignored), English and Chinese.
COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "商品编码", "编码", "货号"),
    "barcode": ("barcode", "条码", "条形码"),
    "name": ("name", "名称", "商品名称", "品名"),
    "price": ("price", "价格", "售价", "单价"),
    "category": ("category", "分类", "类别"),
    "participates": ("participates", "参与返利", "返利", "rebate"),
}
REQUIRED = ("sku", "name", "price")
YES = frozenset({"yes", "y", "true", "1", "是", "参与", "√"})
NO = frozenset({"no", "n", "false", "0", "否", "不参与", "×"})
SKU = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
BARCODE = re.compile(r"^[0-9A-Za-z\-]{4,32}$")


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    barcode: str | None
    name: str
    price_fen: int
    category: str
    participates: bool


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as headquarters sees it in the file: the header is row 1
    column: str
    message: str  # English, for the CLI and logs
    kind: str = "other"  # what is wrong, for the console's words (server/console/i18n.py "catalogue.error.<kind>")
    value: str = ""  # the offending cell or the row it repeats

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


class CatalogueError(ValueError):
    """The file was refused whole; `errors` says where (at most MAX_ERRORS of them)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]) + (" …" if len(errors) > 5 else ""))
        self.errors = errors


def _key(text: str) -> str:
    return re.sub(r"[\s_]+", "", text.strip().lower())


def header_map(header: Iterable[str]) -> dict[str, int]:
    """Column name -> index; raises CatalogueError for a missing or repeated column."""
    names = {_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    errors = []
    for i, cell in enumerate(header):
        column = names.get(_key(cell or ""))
        if column is None:
            continue
        if column in found:
            errors.append(RowError(1, cell, "the column appears twice", "duplicate_column"))
        found[column] = i
    for column in REQUIRED:
        if column not in found:
            aliases = ", ".join(COLUMNS[column])
            errors.append(RowError(1, column, f"missing column (one of: {aliases})", "missing_column", aliases))
    if errors:
        raise CatalogueError(errors)
    return found


def parse_products(rows: Iterable[list[str]]) -> list[Product]:
    """The header row and the data rows, as text; the products, or CatalogueError listing every bad row."""
    it = iter(rows)
    try:
        columns = header_map(next(it))
    except StopIteration:
        raise CatalogueError([RowError(1, "-", "the file is empty", "empty")]) from None
    errors: list[RowError] = []
    products: list[Product] = []
    skus: dict[str, int] = {}
    barcodes: dict[str, int] = {}
    for n, raw in enumerate(it, start=2):
        cells = {c: (raw[i] if i < len(raw) and raw[i] is not None else "").strip() for c, i in columns.items()}
        if not any(cells.values()):
            continue  # a blank line
        if n - 1 > MAX_ROWS:
            errors.append(RowError(n, "-", f"more than {MAX_ROWS} products in one file", "too_many", str(MAX_ROWS)))
            break
        product = _row(n, cells, errors)
        if product is None:
            continue
        if product.sku in skus:
            first = str(skus[product.sku])
            errors.append(RowError(n, "sku", f"{product.sku} is also on row {first}", "duplicate", first))
            continue
        if product.barcode is not None and product.barcode in barcodes:
            first = str(barcodes[product.barcode])
            errors.append(RowError(n, "barcode", f"{product.barcode} is also on row {first}", "duplicate", first))
            continue
        skus[product.sku] = n
        if product.barcode is not None:
            barcodes[product.barcode] = n
        products.append(product)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise CatalogueError(errors[:MAX_ERRORS])
    return products


def _row(n: int, cells: Mapping[str, str], errors: list[RowError]) -> Product | None:
    before = len(errors)
    sku = cells["sku"]
    if not SKU.match(sku):
        errors.append(RowError(n, "sku", "1-64 letters, digits, '_', '.' or '-'", "sku", sku))
    barcode = cells.get("barcode") or None
    if barcode is not None and not BARCODE.match(barcode):
        errors.append(
            RowError(
                n, "barcode", "4-32 letters or digits (EAN-13, EAN-8, UPC-A or the store's own)", "barcode", barcode
            )
        )
    name = cells["name"]
    if not 1 <= len(name) <= 80 or any(ord(ch) < 32 for ch in name):
        errors.append(RowError(n, "name", "1-80 characters", "name"))
    price = 0
    try:
        price = parse_yuan(cells["price"])
        if not 0 <= price <= MAX_PRICE_FEN:
            raise ValueError
    except ValueError:
        errors.append(
            RowError(n, "price", f"{cells['price']!r} is not a price in yuan (e.g. 12.50)", "price", cells["price"])
        )
    category = cells.get("category", "")
    if len(category) > 40:
        errors.append(RowError(n, "category", "at most 40 characters", "category"))
    flag = _key(cells.get("participates", "")) or "yes"
    if flag not in YES and flag not in NO:
        value = cells["participates"]
        errors.append(RowError(n, "participates", f"{value!r}: yes or no (是 or 否)", "participates", value))
    if len(errors) > before:
        return None
    return Product(sku, barcode, name, price, category, flag in YES)
