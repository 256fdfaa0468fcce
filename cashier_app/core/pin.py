"""The manager PIN: stored as a salted scrypt hash in the local database, never in plain text."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import Connection

from shared.errors import Code

from .db import kv_get, kv_set
from .errors import TillError

_N, _R, _P = 2**14, 8, 1


class PinError(TillError, ValueError):
    """pin_format, pin_not_set, pin_wrong."""


def _hash(pin: str, salt: bytes) -> str:
    return hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32).hex()


def set_manager_pin(conn: Connection, pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise PinError(Code.PIN_FORMAT)  # 4 to 12 digits: typed on a numeric keypad
    salt = secrets.token_bytes(16)
    kv_set(conn, "manager_pin", {"salt": salt.hex(), "hash": _hash(pin, salt)})


def has_manager_pin(conn: Connection) -> bool:
    return kv_get(conn, "manager_pin") is not None


def check_manager_pin(conn: Connection, pin: str) -> None:
    """Raises PinError('pin_not_set' | 'pin_wrong')."""
    stored = kv_get(conn, "manager_pin")
    if stored is None:
        raise PinError(Code.PIN_NOT_SET)
    if not hmac.compare_digest(_hash(pin, bytes.fromhex(stored["salt"])), stored["hash"]):
        raise PinError(Code.PIN_WRONG)
