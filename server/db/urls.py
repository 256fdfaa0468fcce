"""Database URLs as people write them, made into what SQLAlchemy needs (the config and `replay --database-url`)."""

from __future__ import annotations


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
