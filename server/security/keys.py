"""The server's Ed25519 signing keys: private halves in the key file (mode 0600), public halves in `signing_keys`.

The key file is JSON: `{"format": 1, "keys": [{"kid", "private_key", "created_at", "activates_at", "retired_at"}]}`.
A key signs from `activates_at` until the next key activates (then `retired_at` is set); its public half is
published to terminals from the moment it is made, so every terminal knows a key before the first code it signs.
Every server process reads the file again when it changes on disk, so `paidui-server keys rotate` reaches running
processes without a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, insert, select, update

from shared.tokens import b64d, b64e, new_private_key, private_key_bytes, private_key_from_bytes, public_key_text

from ..db import tables as t

FORMAT = 1


class KeyFileError(RuntimeError):
    """The key file is missing, unreadable or malformed (the server cannot sign without it)."""


@dataclass(frozen=True, slots=True)
class ServerKey:
    kid: str
    private: Ed25519PrivateKey
    created_at: dt.datetime
    activates_at: dt.datetime
    retired_at: dt.datetime | None = None

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_text(self) -> str:
        return public_key_text(self.private)

    def usable_until(self, lifetime: dt.timedelta) -> dt.datetime | None:
        """A token signed just before retirement stays valid for its lifetime: keep the key that long."""
        return None if self.retired_at is None else self.retired_at + lifetime


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _dt(value: Any, what: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise KeyFileError(f"{what} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise KeyFileError(f"{what} has no time zone offset")
    return parsed


def new_key(now: dt.datetime, *, activates_at: dt.datetime | None = None) -> ServerKey:
    kid = f"k{now.astimezone(dt.UTC):%Y%m%d}-{secrets.token_hex(4)}"
    return ServerKey(kid, new_private_key(), now, activates_at or now)


def read_key_file(path: Path) -> list[ServerKey]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KeyFileError(f"key file {path} does not exist: run `paidui-server init`") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise KeyFileError(f"key file {path} cannot be read: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("keys"), list):
        raise KeyFileError(f"key file {path} is not a Paidui key file (format {FORMAT})")
    keys = []
    for raw in doc["keys"]:
        try:
            private = private_key_from_bytes(b64d(raw["private_key"]))
            keys.append(
                ServerKey(
                    str(raw["kid"]),
                    private,
                    _dt(raw["created_at"], "created_at"),
                    _dt(raw["activates_at"], "activates_at"),
                    _dt(raw["retired_at"], "retired_at") if raw.get("retired_at") else None,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyFileError(f"key file {path} has a malformed key: {exc}") from exc
    if not keys:
        raise KeyFileError(f"key file {path} holds no key")
    return keys


def write_key_file(path: Path, keys: list[ServerKey]) -> None:
    """Write atomically with mode 0600 (the file is created private, never chmod-ed after the fact)."""
    doc = {
        "format": FORMAT,
        "keys": [
            {
                "kid": k.kid,
                "private_key": b64e(private_key_bytes(k.private)),
                "created_at": _iso(k.created_at),
                "activates_at": _iso(k.activates_at),
                "retired_at": _iso(k.retired_at),
            }
            for k in keys
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_is_private(path: Path) -> bool:
    return os.name == "nt" or not stat.S_IMODE(path.stat().st_mode) & 0o077


def publish(conn: Connection, keys: list[ServerKey]) -> None:
    """Make the signing_keys rows match the key file (insert new public halves, copy retirements)."""
    known = {row.kid: row for row in conn.execute(select(t.SigningKeyRow))}
    for key in keys:
        row = known.get(key.kid)
        if row is None:
            conn.execute(
                insert(t.SigningKeyRow).values(
                    kid=key.kid,
                    public_key=key.public_text,
                    created_at=key.created_at,
                    retired_at=key.retired_at,
                    activates_at=key.activates_at,
                )
            )
        elif row.public_key != key.public_text:
            raise KeyFileError(f"key {key.kid} in the key file does not match the database")
        elif row.retired_at != key.retired_at or row.activates_at != key.activates_at:
            conn.execute(
                update(t.SigningKeyRow)
                .where(t.SigningKeyRow.kid == key.kid)
                .values(retired_at=key.retired_at, activates_at=key.activates_at)
            )


def rotate(keys: list[ServerKey], now: dt.datetime, *, delay: dt.timedelta) -> list[ServerKey]:
    """A new key that signs from now + delay; the key signing until then retires at that instant."""
    fresh = new_key(now, activates_at=now + delay)
    out = []
    for key in keys:
        if key.retired_at is None or key.retired_at > fresh.activates_at:
            key = replace(key, retired_at=fresh.activates_at)
        out.append(key)
    return [*out, fresh]


class KeyRing:
    """The key file as seen by one server process; re-read when the file changes (after `keys rotate`)."""

    def __init__(self, path: Path, *, keys: list[ServerKey] | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: list[ServerKey] = keys if keys is not None else []
        if keys is None:
            self._reload()

    def _reload(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError as exc:
            if self._keys:
                return  # keep signing with what we had; the operator is mid-restore
            raise KeyFileError(f"key file {self.path} does not exist: run `paidui-server init`") from exc
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        with self._lock:
            self._keys = read_key_file(self.path)
            self._stamp = stamp

    def keys(self) -> list[ServerKey]:
        self._reload()
        return list(self._keys)

    def signing_key(self, now: dt.datetime) -> ServerKey:
        """The newest key already active at `now`."""
        active = [k for k in self.keys() if k.activates_at <= now]
        if not active:
            active = self.keys()[:1]  # clock set back past every activation: sign with the oldest
        return max(active, key=lambda k: k.activates_at)

    def verification_keys(self, now: dt.datetime, lifetime: dt.timedelta) -> Mapping[str, Ed25519PublicKey]:
        """Public keys that may still have valid tokens of `lifetime` outstanding at `now`."""
        out = {}
        for key in self.keys():
            until = key.usable_until(lifetime)
            if until is None or until > now:
                out[key.kid] = key.public
        return out
