"""Server-wide values made once (the chain's phone-key salt), kept in `server_values`."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from shared.phones import lookup
from shared.wire import PhoneLookup

from ..db import tables as t

PHONE_KEY_SALT = "phone_key_salt"


def get_or_create(conn: Connection, name: str, make: str) -> str:
    """The stored value, or `make` stored now; concurrent callers all get the one that won."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(
        dialect.insert(t.ServerValue.__table__)
        .values(name=name, value=make)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return str(conn.execute(select(t.ServerValue.value).where(t.ServerValue.name == name)).scalar_one())


def phone_key_params(conn: Connection) -> PhoneLookup:
    """The parameters of the chain's phone keys (`shared.phones`), the salt made at init (or by migration 0009)."""
    found = conn.execute(select(t.ServerValue.value).where(t.ServerValue.name == PHONE_KEY_SALT)).scalar()
    salt = str(found) if found is not None else get_or_create(conn, PHONE_KEY_SALT, secrets.token_hex(16))
    return lookup(salt)
