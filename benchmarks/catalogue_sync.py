"""The first catalogue sync of 50,000 products to a till, over loopback against a real `paidui-server serve`.

    python benchmarks/catalogue_sync.py [--products 50000] [--page 5000] [--backend sqlite|postgresql]

Headquarters imports the catalogue (CSV through `services.catalogue.import_file`, timed for information); a till
enrolled with the server pulls it from nothing with `cashier_app.core.catalogue.pull_catalogue` (pages of `--page`
products in (version, sku) order, each stored in one transaction of the till's database, WAL + synchronous=FULL),
then builds its scanning index. Baseline in the same run: the same pages fetched with the same httpx client and
parsed as JSON, without validating or storing anything (the network and server part alone).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from cashier_app.core.catalogue import load_index, pull_catalogue  # noqa: E402
from cashier_app.core.credentials import MemoryStore  # noqa: E402
from cashier_app.core.db import make_engine  # noqa: E402
from cashier_app.core.migrate import migrate  # noqa: E402
from cashier_app.core.sync_client import SyncClient  # noqa: E402
from cashier_app.core.terminal import enroll  # noqa: E402
from server.services import catalogue  # noqa: E402
from tests.e2e.conftest import start_server  # noqa: E402
from tests.server.support import database_location, enrolment_code, seed  # noqa: E402


def catalogue_csv(count: int) -> bytes:
    rows = ["sku,barcode,name,price,category,participates"]
    for i in range(count):
        price = 100 + i % 9_900
        takes = "no" if i % 25 == 0 else "yes"
        rows.append(f"P{i:06d},69{i:011d},商品 {i},{price // 100}.{price % 100:02d},类别 {i % 40},{takes}")
    return ("\n".join(rows) + "\n").encode()


def run(backend: str, count: int, page: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    serving = contextlib.contextmanager(start_server)
    with (
        tempfile.TemporaryDirectory() as tmp,
        database_location(backend, Path(tmp)) as (url, schema),
        serving(Path(tmp), url, schema) as served,
    ):
        seed(served.db, stores={"S1": ["C1"]})
        now = dt.datetime.now(dt.UTC)
        started = time.perf_counter()
        with served.db.connect() as conn:
            catalogue.set_store_catalogue(conn, "S1", enabled=True)
            imported = catalogue.import_file(conn, catalogue_csv(count), "bench.csv", now=now, replace=False)
        import_s = time.perf_counter() - started
        assert imported.added == count
        till_db = Path(tmp) / "till" / "paidui-cashier.db"
        till_db.parent.mkdir()
        migrate(till_db)
        engine = make_engine(till_db)
        with httpx.Client(base_url=served.url, timeout=60) as http:
            client = SyncClient(http)
            enroll(
                engine=engine,
                secrets_store=MemoryStore(),
                client=client,
                server_url=served.url,
                code=enrolment_code(served.db, "S1", now=now),
                name="bench",
                manager_pin="1234",
            )
            # baseline: the same pages over the same connection, parsed as JSON only
            started = time.perf_counter()
            after: tuple[int, str] = (0, "")
            pages = 0
            while True:
                params = {"after_version": str(after[0]), "after_sku": after[1], "limit": str(page)}
                body = json.loads(client._send("GET", "/api/v1/sync/catalogue", params=params).content)
                pages += 1
                if body["complete"]:
                    break
                last = body["products"][-1]
                after = (last["version"], last["sku"])
            baseline_s = time.perf_counter() - started
            started = time.perf_counter()
            changed = pull_catalogue(engine, client, limit=page)
            sync_s = time.perf_counter() - started
        started = time.perf_counter()
        index = load_index(engine)
        index_s = time.perf_counter() - started
        engine.dispose()
        assert changed and len(index) == count
    return {
        "backend": backend,
        "products": count,
        "page": page,
        "pages": pages,
        "server_import_s": round(import_s, 2),
        "first_sync_s": round(sync_s, 2),
        "first_sync_and_index_s": round(sync_s + index_s, 2),
        "baseline_fetch_and_parse_s": round(baseline_s, 2),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=5_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    row = run(args.backend, args.products, args.page)
    if args.json:
        print(json.dumps(row, indent=2))
    else:
        print(
            f"{row['backend']}: {row['products']} products in {row['pages']} pages of {row['page']}: first sync "
            f"{row['first_sync_s']} s (+ index: {row['first_sync_and_index_s']} s); baseline fetch + JSON parse "
            f"{row['baseline_fetch_and_parse_s']} s; server import {row['server_import_s']} s; load "
            f"{row['load_avg'][0]} -> {row['load_avg'][1]}"
        )
    return 0 if row["first_sync_s"] <= 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
