"""Credentials and passwords.

Terminal credentials, API tokens and enrolment codes are random (32 bytes, or 80 bits for a code a person types
within 10 minutes); the server keeps only their sha256. A slow hash would add nothing to a high-entropy secret and
would cost a hash per request. Passwords, chosen by people, are hashed with argon2id (argon2-cffi).
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TERMINAL_PREFIX = "pdt_"
USER_PREFIX = "pdu_"
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed at a till
_hasher = PasswordHasher()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_terminal_credential() -> str:
    return TERMINAL_PREFIX + secrets.token_urlsafe(32)


def new_user_token() -> str:
    return USER_PREFIX + secrets.token_urlsafe(32)


def new_enrolment_code() -> str:
    """16 characters of a 31-letter alphabet (79 bits), shown as XXXX-XXXX-XXXX-XXXX."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def dummy_password_check() -> None:
    """Spend the time of a real check, so an unknown user name is not told apart by timing."""
    check_password(_dummy_hash(), "not the password")
