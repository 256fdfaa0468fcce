"""Server-wide values made once (the chain's phone-hash salt), kept in `server_values`."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from ..db import tables as t

PHONE_SALT = "phone_salt"


def get_or_create(conn: Connection, name: str, make: str) -> str:
    """The stored value, or `make` stored now; concurrent callers all get the one that won."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(
        dialect.insert(t.ServerValue.__table__)
        .values(name=name, value=make)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return str(conn.execute(select(t.ServerValue.value).where(t.ServerValue.name == name)).scalar_one())


def phone_salt(conn: Connection) -> str:
    """The per-chain salt of the phone hashes terminals use for offline lookup (made at init)."""
    found = conn.execute(select(t.ServerValue.value).where(t.ServerValue.name == PHONE_SALT)).scalar()
    return str(found) if found is not None else get_or_create(conn, PHONE_SALT, secrets.token_hex(16))
