"""Form tokens for the page's buttons (draw, exchange): bound to the member, the order and the action, short-lived.

The page link is already a capability, so the form token mostly closes cross-site posting (together with the
Origin check in the routes and `form-action 'self'`). It is an HMAC whose key is derived from the server's signing
keys, so every server process accepts the tokens of the others, and a key rotation only retires old forms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from shared.tokens import b64d, b64e, private_key_bytes

from ..inputs import parse_int
from ..security.keys import KeyRing

FORM_TTL = dt.timedelta(minutes=30)
_LABEL = b"paidui member-page form v1\x00"


def _secret(private: bytes) -> bytes:
    return hashlib.sha256(_LABEL + private).digest()


def _mac(secret: bytes, action: str, member_id: str, order_id: str, expires: int) -> str:
    message = f"{action}\x00{member_id}\x00{order_id}\x00{expires}".encode()
    return b64e(hmac.new(secret, message, hashlib.sha256).digest())


def issue(ring: KeyRing, *, action: str, member_id: str, order_id: str, now: dt.datetime) -> str:
    key = ring.signing_key(now)
    expires = int((now + FORM_TTL).timestamp())
    return f"{expires}.{key.kid}.{_mac(_secret(private_key_bytes(key.private)), action, member_id, order_id, expires)}"


def valid(ring: KeyRing, token: str, *, action: str, member_id: str, order_id: str, now: dt.datetime) -> bool:
    expires_text, _, rest = token.partition(".")
    kid, _, mac = rest.partition(".")
    expires = parse_int(expires_text)
    if expires is None or not mac or expires <= now.timestamp():
        return False
    for key in ring.keys():  # noqa: SIM118 - KeyRing.keys() is a method, not a mapping
        if key.kid == kid:
            want = _mac(_secret(private_key_bytes(key.private)), action, member_id, order_id, expires)
            try:
                return hmac.compare_digest(b64d(mac), b64d(want))
            except ValueError:
                return False
    return False
