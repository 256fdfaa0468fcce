"""Member identity codes and member-page links, signed by the server (Ed25519, shared/tokens.py PD1 tokens).

A member code (purpose MEMBER_CODE, ~5 minutes) is shown on the member's phone and scanned at a till, which
verifies it offline with the public keys from its last pull. A member-page token (purpose MEMBER_PAGE, ~30 days)
is the capability in the link to the member's page. Both carry only the member id (`m`), the expiry and a nonce.
A forged, altered, expired or misdirected token raises `TokenError` with a stable code (`token_malformed`,
`token_unknown_key`, `token_bad_signature`, `token_wrong_purpose`, `token_expired`).
"""

from __future__ import annotations

import datetime as dt

from shared.tokens import Purpose, TokenError, sign, verify

from .keys import KeyRing

MEMBER_CODE_TTL = dt.timedelta(minutes=5)
MEMBER_PAGE_TTL = dt.timedelta(days=30)


def _issue(ring: KeyRing, purpose: Purpose, member_id: str, now: dt.datetime, ttl: dt.timedelta) -> str:
    key = ring.signing_key(now)
    return sign(
        key=key.private, kid=key.kid, purpose=purpose, expires=int((now + ttl).timestamp()), claims={"m": member_id}
    )


def _member(ring: KeyRing, token: str, purpose: Purpose, now: dt.datetime, ttl: dt.timedelta) -> str:
    parsed = verify(token, keys=ring.verification_keys(now, ttl), purpose=purpose, now=now.timestamp())
    member_id = parsed.claims.get("m")
    if not isinstance(member_id, str) or not member_id:
        raise TokenError("token_malformed", "no member id")
    return member_id


def issue_member_code(ring: KeyRing, member_id: str, now: dt.datetime, *, ttl: dt.timedelta = MEMBER_CODE_TTL) -> str:
    """A short-lived code for the member's phone screen (scanned at the till)."""
    return _issue(ring, Purpose.MEMBER_CODE, member_id, now, ttl)


def verify_member_code(ring: KeyRing, token: str, now: dt.datetime, *, ttl: dt.timedelta = MEMBER_CODE_TTL) -> str:
    """The member id of a valid member code; raises TokenError otherwise."""
    return _member(ring, token, Purpose.MEMBER_CODE, now, ttl)


def issue_member_page_token(
    ring: KeyRing, member_id: str, now: dt.datetime, *, ttl: dt.timedelta = MEMBER_PAGE_TTL
) -> str:
    """The capability in a member-page link (`<public_url>/m/<token>`)."""
    return _issue(ring, Purpose.MEMBER_PAGE, member_id, now, ttl)


def verify_member_page_token(
    ring: KeyRing, token: str, now: dt.datetime, *, ttl: dt.timedelta = MEMBER_PAGE_TTL
) -> str:
    """The member id of a valid member-page token; raises TokenError otherwise."""
    return _member(ring, token, Purpose.MEMBER_PAGE, now, ttl)
