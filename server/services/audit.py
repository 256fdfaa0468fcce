"""The audit log: what headquarters should be able to look back on (a till's refused or redirected member
registration), written in the transaction that decided it, read by the console's Audit page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from ..db import tables as t

A = t.AuditRow


def record(
    conn: Connection,
    *,
    at: dt.datetime,
    actor: str,
    store_id: str | None,
    action: str,
    code: str,
    subject: str,
    detail: str = "",
) -> None:
    conn.execute(
        insert(A).values(
            at=at, actor=actor[:100], store_id=store_id, action=action, code=code, subject=subject[:100], detail=detail
        )
    )


def recent(conn: Connection, *, scope: Sequence[str] | None, limit: int = 200) -> list[Any]:
    """The newest rows first; `scope`: the stores a reader may see (None: all)."""
    stmt = select(A).order_by(A.id.desc()).limit(limit)
    if scope is not None:
        stmt = stmt.where(A.store_id.in_(list(scope)))
    return list(conn.execute(stmt))
