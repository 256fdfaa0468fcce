"""The wallet's sweep: holds past their time give their reservation back, vouchers past their date expire, and
payment-code records too old to matter are forgotten. Each step is one short transaction; several server processes
may sweep at once (PostgreSQL: SKIP LOCKED; a hold or voucher changes state once)."""

from __future__ import annotations

import datetime as dt

from ..db.database import Database
from ..services import consent, holds, wallet


def sweep(db: Database, now: dt.datetime) -> tuple[int, int]:
    """(holds expired, vouchers expired) at `now`."""
    expired_holds = 0
    while True:
        with db.connect() as conn:
            n = holds.expire(conn, now)
        expired_holds += n
        if n < 500:
            break
    with db.connect() as conn:
        expired_vouchers = wallet.expire_vouchers(conn, now)
        consent.prune(conn, now)
    return expired_holds, expired_vouchers
