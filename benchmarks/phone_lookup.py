"""A typed phone number found at the till, offline, among the members it pulled (docs/sync-protocol.md "Phone keys").

    python benchmarks/phone_lookup.py [--members 100000] [--lookups 20]

Measured: `cashier_app.core.members.identify` on a migrated till database holding `--members` members with phone
keys, under the protocol's real scrypt parameters (n = 2^14, r = 8, p = 1: 16 MiB a key): one scrypt of the typed
number and an indexed lookup. Beside it, the scrypt alone and, for comparison, the sha256 of protocol 1. The cost of
one key is what every guess costs someone who holds the till's data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from cashier_app.core.db import kv_set, make_engine, members, reading
from cashier_app.core.members import identify
from cashier_app.core.migrate import migrate
from shared.phones import lookup, phone_key


def ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20)
    args = parser.parse_args()
    params = lookup("3f6c1a9e0b7d4e21a5c8f0d2b4e6a791")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "till.db"
        migrate(path, now=dt.datetime.now(dt.UTC))
        engine = make_engine(path)
        phones = [f"139{n:08d}" for n in range(args.lookups)]
        with engine.begin() as conn:
            rows = [
                {"member_id": f"m{n}", "display_name": "会员", "phone_key": f"{n:032x}", "level": None, "local": False}
                for n in range(args.members)
            ]
            rows += [
                {
                    "member_id": f"w{n}",
                    "display_name": "会员",
                    "phone_key": phone_key(params, p),
                    "level": None,
                    "local": False,
                }
                for n, p in enumerate(phones)
            ]
            conn.execute(insert(members), rows)
            kv_set(conn, "phone_lookup", params.model_dump(mode="json"))
        now = dt.datetime.now(dt.UTC)
        lookups, keys, fast = [], [], []
        for n, phone in enumerate(phones):
            started = time.perf_counter()
            with reading(engine) as conn:
                assert identify(conn, phone, now=now).member.member_id == f"w{n}"
            lookups.append(time.perf_counter() - started)
            started = time.perf_counter()
            phone_key(params, phone)
            keys.append(time.perf_counter() - started)
            started = time.perf_counter()
            hashlib.sha256((params.salt + phone).encode()).hexdigest()
            fast.append(time.perf_counter() - started)
        engine.dispose()
    print(
        json.dumps(
            {
                "members": args.members,
                "lookup_at_the_till": ms(lookups),
                "scrypt_key": ms(keys),
                "sha256_of_protocol_1": ms(fast),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
