"""`job_runs` (one row per scheduled instant that ran) and the lock that lets one server process run jobs at a time.

The row is inserted in the same transaction as the work it records, so a run is either recorded and done or
neither; its primary key (job, instant) refuses a second run of the same instant by any process. The lock only
spares the other processes the wasted work: on PostgreSQL it is a session advisory lock whose key is derived from
the schema (tests and deployments sharing one database do not block each other); SQLite has one process.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from ..db import tables as t
from ..db.database import Database

JR = t.JobRun


class AlreadyRan(Exception):
    """Another process recorded this instant first: the work of this transaction is rolled back."""


def claim(conn: Connection, *, job: str, instant: dt.datetime, ran_at: dt.datetime) -> bool:
    """Record that `job` ran for `instant`; False when it was recorded already (nothing is written then)."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = (
        dialect.insert(JR.__table__)
        .values(job=job, instant=instant, ran_at=ran_at)
        .on_conflict_do_nothing(index_elements=["job", "instant"])
        .returning(JR.job)  # rowcount is not reliable here (psycopg answers -1)
    )
    return conn.execute(stmt).first() is not None


def last_instant(conn: Connection, job: str) -> dt.datetime | None:
    """The latest instant recorded for `job` (the last reset that ran, for the catch-up at start-up)."""
    return conn.execute(select(func.max(JR.instant)).where(JR.job == job)).scalar()


def runs(conn: Connection, job: str) -> list[tuple[dt.datetime, dt.datetime]]:
    """(instant, ran_at) of every recorded run of `job`, oldest first."""
    return [(r.instant, r.ran_at) for r in conn.execute(select(JR).where(JR.job == job).order_by(JR.instant))]


def lock_key(db: Database, name: str) -> int:
    """A signed 63-bit advisory lock key for this job in this schema."""
    return zlib.crc32(f"paidui-job:{name}:{db.schema or ''}".encode()) | (7_271 << 32)


@contextmanager
def job_lock(db: Database, name: str) -> Iterator[None]:
    """Hold the job's lock across processes (PostgreSQL, blocking); threads of one process use their own lock."""
    if db.is_sqlite:
        yield
        return
    key = lock_key(db, name)
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()  # a session lock: no transaction stays open while the work runs
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
