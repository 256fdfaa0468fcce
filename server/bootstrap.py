"""`paidui-server init` as a function: migrate, make the phone salt and the signing key, add the HQ admin.

Safe to run again: it migrates to the newest schema and adds only what is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from .config import ServerSettings
from .db.database import Database
from .security import keys as keyfile
from .services import users, values


def initialise(
    settings: ServerSettings,
    *,
    admin_username: str,
    admin_password: Callable[[], str],
    now: dt.datetime,
) -> list[str]:
    """Bring database and key file up; returns what was done, for the operator. `admin_password` is asked
    only when the admin user does not exist yet."""
    done = []
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url, schema=settings.database_schema, pool_size=0)
    try:
        db.migrate()
        path = settings.resolved_key_file
        if path.exists():
            keys = keyfile.read_key_file(path)
            if not keyfile.file_is_private(path):
                done.append(f"warning: {path} can be read by other users; chmod 600 it")
        else:
            keys = [keyfile.new_key(now)]
            keyfile.write_key_file(path, keys)
            done.append(f"signing key {keys[0].kid} written to {path} (keep it secret; back it up)")
        with db.connect() as conn:
            values.phone_key_params(conn)
            keyfile.publish(conn, keys)
            exists = users.user_exists(conn, admin_username)
        if not exists:
            password = admin_password()
            with db.connect() as conn:
                users.add_user(
                    conn, username=admin_username, password=password, role=users.HQ_ADMIN, store_id=None, now=now
                )
            done.append(f"headquarters admin {admin_username} created")
    finally:
        db.dispose()
    return done
