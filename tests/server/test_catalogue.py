"""The product catalogue (issue 14 item 6): import from CSV (UTF-8, GBK) and XLSX, validated row by row; switched
on per store; pulled by tills in (version, sku) pages; the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import Workbook
from sqlalchemy import select

from server.cli import main
from server.db import tables as t
from server.db.database import Database
from server.services import catalogue
from shared.catalogue import CatalogueError, parse_products

from .support import T0, enrolled, seed

CSV = """sku,barcode,name,price,category,participates
N01,6901234567892,牛肉面,39.00,面食,yes
T01,6901234567908,中华香烟,45,烟草,否
C01,6901234567915,可乐,3.5,饮料,
"""


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_rows_are_validated_one_by_one_with_clear_errors() -> None:
    bad = [
        ["商品编码", "条码", "名称", "价格", "参与返利"],
        ["A1", "123", "x", "1.00", "是"],  # barcode too short
        ["A 2", "", "y", "1.005", "maybe"],  # sku, price, participates
        ["A3", "", "", "2", ""],  # name
        ["A4", "", "ok", "1", ""],
        ["A4", "", "dup", "1", ""],  # the sku again
        ["", "", "", "", ""],  # a blank line is skipped
    ]
    with pytest.raises(CatalogueError) as err:
        parse_products(bad)
    where = [(e.row, e.column) for e in err.value.errors]
    assert where == [(2, "barcode"), (3, "sku"), (3, "price"), (3, "participates"), (4, "name"), (6, "sku")]
    assert "row 3, price: '1.005' is not a price in yuan" in str(err.value)
    with pytest.raises(CatalogueError) as missing:
        parse_products([["sku", "name"]])
    assert [(e.row, e.column) for e in missing.value.errors] == [(1, "price")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk(encoding: str) -> None:
    products = parse_products(catalogue.read_rows(CSV.encode(encoding), "items.csv"))
    assert [(p.sku, p.name, p.price_fen, p.participates) for p in products] == [
        ("N01", "牛肉面", 3900, True),
        ("T01", "中华香烟", 4500, False),
        ("C01", "可乐", 350, True),
    ]


def test_xlsx_with_numbers_as_numbers() -> None:
    data = _xlsx(
        [
            ["SKU", "Barcode", "Name", "Price", "Category", "Participates"],
            ["G1", 6901234567922, "礼品卡", 200, "卡", "no"],
        ]
    )
    (p,) = parse_products(catalogue.read_rows(data, "items.xlsx"))
    assert (p.barcode, p.price_fen, p.participates, p.category) == ("6901234567922", 20000, False, "卡")
    with pytest.raises(CatalogueError):
        catalogue.read_rows(b"PK\x03\x04 not a workbook", "x.xlsx")


def test_imports_make_versions_and_replace_takes_products_off(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]})
    with db.connect() as conn:
        first = catalogue.import_file(conn, CSV.encode(), "a.csv", now=T0, replace=False)
    assert (first.version, first.added) == (1, 3)
    changed = CSV.replace("3.5", "4.00").replace("N01,6901234567892", "N01,6901234567939")
    changed += "B01,6901234567892,面包,8,,yes\n"  # takes N01's old barcode
    with db.connect() as conn:
        second = catalogue.import_file(conn, changed.encode(), "b.csv", now=T0, replace=False)
    assert (second.version, second.added, second.changed, second.unchanged) == (2, 1, 2, 1)
    only_bread = "sku,name,price,barcode\nB01,面包,8,6901234567892\n"
    with db.connect() as conn:
        third = catalogue.import_file(conn, only_bread.encode(), "c.csv", now=T0, replace=True)
        rows = {r.sku: (r.active, r.version, r.price_fen) for r in conn.execute(select(t.Product))}
    assert (third.removed, third.unchanged) == (3, 1)
    assert rows == {"N01": (False, 3, 3900), "T01": (False, 3, 4500), "C01": (False, 3, 400), "B01": (True, 2, 800)}


def test_a_refused_file_changes_nothing(db: Database) -> None:
    seed(db, stores={"S1": ["C1"]})
    with pytest.raises(CatalogueError), db.connect() as conn:
        catalogue.import_file(conn, (CSV + "X1,,bad,abc,,\n").encode(), "a.csv", now=T0, replace=False)
    with db.connect() as conn:
        assert conn.execute(select(t.Product)).all() == []


def test_tills_pull_the_catalogue_in_pages(app: FastAPI, http: httpx.Client) -> None:
    db: Database = app.state.db
    seed(db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    off = http.get("/api/v1/sync/catalogue", headers=till.auth).json()
    assert off == {"enabled": False, "products": [], "complete": True}  # the store sells plain amounts
    with db.connect() as conn:
        catalogue.set_store_catalogue(conn, "S1", enabled=True)
        catalogue.import_file(conn, CSV.encode(), "a.csv", now=T0, replace=False)
        catalogue.import_file(conn, CSV.replace("3.5", "4").encode(), "a.csv", now=T0, replace=False)
    seen, after = [], {"after_version": 0, "after_sku": ""}
    while True:
        page = http.get("/api/v1/sync/catalogue", params={**after, "limit": 2}, headers=till.auth).json()
        seen += [(p["sku"], p["version"]) for p in page["products"]]
        if page["complete"]:
            break
        last = page["products"][-1]
        after = {"after_version": last["version"], "after_sku": last["sku"]}
    assert seen == [("N01", 1), ("T01", 1), ("C01", 2)]
    r = http.get("/api/v1/sync/catalogue", params={"limit": 0}, headers=till.auth)
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")
    assert http.get("/api/v1/sync/catalogue").status_code == 401


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PAIDUI_CONFIG", "PAIDUI_DATABASE_URL", "PAIDUI_DATABASE_SCHEMA", "PAIDUI_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAIDUI_DATA_DIR", str(tmp_path / "var"))
    assert main(["init", "--admin-password", "hq-password-1"]) == 0
    return tmp_path / "var"


def test_cli_import_and_store_switch(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "items.csv", tmp_path / "bad.csv"
    good.write_bytes(CSV.encode("gbk"))
    bad.write_text("sku,name,price\nA1,x,1.001\n", encoding="utf-8")
    assert main(["catalogue", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "row 2, price" in err and "nothing imported" in err
    assert main(["catalogue", "import", str(good)]) == 0
    assert "3 added" in capsys.readouterr().out
    assert main(["store", "add", "S1", "--name", "一号店"]) == 0
    assert main(["catalogue", "store", "S1", "on"]) == 0
    assert main(["catalogue", "store", "S9", "on"]) == 2


def test_the_console_imports_a_file_and_switches_stores(http: httpx.Client, app: FastAPI) -> None:
    from .console_support import MANAGER_PASSWORD, add_manager, sign_in
    from .support import ADMIN_PASSWORD

    db: Database = app.state.db
    seed(db, stores={"S1": ["C1"], "S2": ["C2"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    bad = http.post(
        "/console/catalogue",
        data={"csrf": csrf},
        files={"file": ("bad.csv", "sku,name,price\nA1,x,abc\n".encode("gbk"), "text/csv")},
    )
    assert bad.status_code == 422 and "第 2 行，price：“abc”不是以元为单位的价格" in bad.text
    xlsx = _xlsx([["sku", "barcode", "name", "price", "participates"], ["G1", 6901234567922, "礼品卡", 200, "否"]])
    good = http.post(
        "/console/catalogue",
        data={"csrf": csrf},
        files={"file": ("items.xlsx", xlsx, "application/octet-stream")},
        follow_redirects=True,
    )
    assert good.status_code == 200 and 'id="imported"' in good.text
    assert "在售商品 1 个，其中不参与返利 1 个" in good.text
    switched = http.post("/console/catalogue/stores/S2", data={"csrf": csrf, "state": "on"}, follow_redirects=True)
    assert switched.status_code == 200
    with db.connect() as conn:
        assert catalogue.store_uses_catalogue(conn, "S2") and not catalogue.store_uses_catalogue(conn, "S1")
    http.post("/console/logout", data={"csrf": csrf})
    http.cookies.clear()
    add_manager(db, "m1", "S1")
    csrf = sign_in(http, "m1", MANAGER_PASSWORD)
    seen = http.get("/console/catalogue")
    assert seen.status_code == 200 and 'data-store="S1"' in seen.text and 'data-store="S2"' not in seen.text
    refused = http.post("/console/catalogue/stores/S1", data={"csrf": csrf, "state": "on"})
    assert refused.status_code == 403
