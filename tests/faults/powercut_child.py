"""Power-cut child: records checkouts through the cashier core as fast as it can and prints `done <order_id>`
after each commit returned. Run under tools/powercut (LD_PRELOAD); the parent cuts the power at a random moment.

    python tests/faults/powercut_child.py DATA_DIR SECRETS_FILE full|normal

`normal` is the negative control: the same app with synchronous=NORMAL set on every connection after the app's
own settings (a weaker durability than we ship), which the power-cut checker must catch losing sales.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from sqlalchemy import event

from cashier_app.core.checkout import record_checkout
from cashier_app.core.clock import system_clock
from cashier_app.core.credentials import InsecureFileStore
from cashier_app.core.db import UnitOfWork, make_engine, reading
from cashier_app.core.terminal import cashier_id, load_terminal, signer_for


def _weaker(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def main() -> int:
    data, secrets_file, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    engine = make_engine(data / "paidui-cashier.db")
    if mode == "normal":
        event.listen(engine, "connect", _weaker)  # runs after the app's own listener: overrides FULL
    secrets = InsecureFileStore(secrets_file).load()
    assert secrets is not None
    with reading(engine) as conn:
        info = load_terminal(conn)
        cashier = cashier_id(conn)
        level = conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
        journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    assert info is not None
    signer = signer_for(info, secrets, system_clock)
    rng = random.Random()
    print(f"ready synchronous={level} journal_mode={journal}", flush=True)
    while True:
        with UnitOfWork(engine) as uow:
            sale = record_checkout(
                uow=uow,
                cashier_id=cashier,
                member=None,
                total_fen=rng.randint(1, 99_999),
                tender=rng.choice(["cash", "wechat", "alipay", "card"]),
                signer=signer,
                clock=system_clock,
            )
        print(f"done {sale.order_id}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
