"""The member's consent to a wallet spend: the short-lived payment code the signed-in member page shows.

A TOTP (RFC 6238 through pyotp): 8 digits, a 30-second step, accepted one step either side. Each member has their
own secret, HMAC(key, "pay:" + member_id), where `key` comes from the server's signing keys (`consent_key`), so
every server process computes the same codes and nothing per member is stored. A code authorises at most one
hold: `consume_payment_code` records the step it matched in `wallet_consents` (primary key member + step), so a
second hold with the same code is refused even when both arrive at the same instant on different processes.

The member code printed on a receipt or shown on an order link is never a payment code: it is signed, not secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import pyotp
from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite

from shared.ids import MemberId
from shared.tokens import private_key_bytes

from ..db import tables as t
from ..security.keys import KeyRing

DIGITS = 8
STEP_SECONDS = 30
WINDOW = 1  # steps accepted either side of the current one (clock skew between the member's phone and the server)
KEEP = dt.timedelta(hours=1)  # records older than this cannot match any code still valid
_LABEL = b"paidui payment consent v1\x00"


def consent_key(ring: KeyRing, now: dt.datetime) -> bytes:
    """The key payment codes are derived from: a hash of the server's signing key in force at `now`.

    After `paidui-server keys rotate` activates a new key, codes shown under the old one stop matching at once;
    the member page shows the new code on its next refresh (at most one step later).
    """
    return hashlib.sha256(_LABEL + private_key_bytes(ring.signing_key(now).private)).digest()


def _totp(key: bytes, member_id: MemberId) -> pyotp.TOTP:
    secret = hmac.new(key, b"pay:" + member_id.encode(), hashlib.sha256).digest()
    return pyotp.TOTP(base64.b32encode(secret).decode("ascii"), digits=DIGITS, interval=STEP_SECONDS)


def payment_code(key: bytes, member_id: MemberId, at: dt.datetime) -> str:
    """The code the member page shows at `at` (8 digits)."""
    return _totp(key, member_id).at(int(at.timestamp()))


def seconds_left(at: dt.datetime) -> int:
    """How long the code shown at `at` is still the current one (for the page's countdown)."""
    return STEP_SECONDS - int(at.timestamp()) % STEP_SECONDS


def matching_step(key: bytes, member_id: MemberId, code: str, at: dt.datetime) -> int | None:
    """The time step (Unix time // 30) whose code is `code`, within the window around `at`; None if none is."""
    code = code.strip()
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = _totp(key, member_id)
    now_step = int(at.timestamp()) // STEP_SECONDS
    for step in range(now_step - WINDOW, now_step + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_payment_code(key: bytes, member_id: MemberId, code: str, at: dt.datetime) -> bool:
    """Whether `code` is the member's payment code at `at` (one step either side). Does not record a use."""
    return matching_step(key, member_id, code, at) is not None


def consume_payment_code(conn: Connection, key: bytes, member_id: MemberId, code: str, at: dt.datetime) -> bool:
    """Verify `code` and record its use in the caller's transaction; False if wrong, expired or already used.

    One `INSERT … ON CONFLICT DO NOTHING`: a duplicate (the same code already used, perhaps by another process at
    the same moment: the unique key makes the second wait for the first's commit) inserts nothing, and the
    caller's transaction stays usable.
    """
    step = matching_step(key, member_id, code, at)
    if step is None:
        return False
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(t.WalletConsent)
        .values(member_id=member_id, step=step, used_at=at)
        .on_conflict_do_nothing()
        .returning(t.WalletConsent.step)
    )
    return conn.execute(stmt).first() is not None


def prune(conn: Connection, now: dt.datetime) -> int:
    """Forget uses too old to matter (run by the wallet job)."""
    return conn.execute(delete(t.WalletConsent).where(t.WalletConsent.used_at < now - KEEP)).rowcount
