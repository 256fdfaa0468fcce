"""Database URLs as people write them, made into what SQLAlchemy needs (the config and `replay --database-url`),
and shown to people without their password."""

from __future__ import annotations

import shlex

from sqlalchemy.engine import make_url


def shown(url: str) -> str:
    """The URL for a log line or a terminal: the password, if any, replaced by ***."""
    return make_url(url).render_as_string(hide_password=True)


def pg_dump_command(url: str, *, schema: str | None, dest: str) -> str:
    """A pg_dump command line for the database of `url`, with every part but the password (which pg_dump reads from
    ~/.pgpass or PGPASSWORD): a command printed is a command kept in logs and shell history."""
    parts = make_url(url)
    args = ["pg_dump", "--format=custom", f"--file={dest}"]
    for flag, value in (("--host", parts.host), ("--port", parts.port), ("--username", parts.username)):
        if value is not None:
            args.append(f"{flag}={value}")
    if schema:
        args.append(f"--schema={schema}")
    args.append(f"--dbname={parts.database or ''}")
    return shlex.join(args)


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
