"""What the HTTP layer may know of the storage under the services: whether it answers, and which of its errors
mean "a value in the request cannot be stored" (so the API answers 422, not 500) — without importing SQL itself."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DataError

from ..db.database import Database

# SQLSTATE class 22 (and the driver's own refusals): a value no column can hold, e.g. a NUL character
UNSTORABLE: tuple[type[Exception], ...] = (DataError,)


def database_answers(db: Database) -> bool:
    """One round trip to the database; any failure, whatever the driver says, is "no"."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
