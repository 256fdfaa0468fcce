"""Signed, short-lived tokens (Ed25519): member codes scanned at the till, member-page links, order-page links.

A token is `PD1.<payload>.<signature>`, both parts base64url without padding; the payload is compact JSON with
`p` (purpose), `k` (key id), `exp` (unix seconds) and `n` (nonce) plus the purpose's own fields. Every character
is one a barcode scanner can type. Verification needs only public keys, so a terminal verifies offline.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from .errors import Code

PREFIX = "PD1"
MAX_TOKEN_LENGTH = 1024


class Purpose(StrEnum):
    MEMBER_CODE = "mc"  # the member's own code, shown on the phone, scanned at the till (server key)
    MEMBER_PAGE = "mp"  # a link to the member's page (server key)
    ORDER_PAGE = "op"  # the link in the QR shown after a sale (the terminal's own key)


class TokenError(ValueError):
    def __init__(self, code: str, detail: str = "") -> None:  # a Code; str while server code still raises text
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError(Code.TOKEN_MALFORMED, "not base64url") from exc


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def private_key_from_bytes(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64e(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_from_text(text: str) -> Ed25519PublicKey:
    raw = b64d(text)
    if len(raw) != 32:
        raise TokenError(Code.TOKEN_UNKNOWN_KEY, "an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True, slots=True)
class Token:
    purpose: Purpose
    kid: str
    expires: int
    nonce: str
    claims: Mapping[str, Any]


def sign(*, key: Ed25519PrivateKey, kid: str, purpose: Purpose, expires: int, claims: Mapping[str, Any]) -> str:
    """A signed token; `expires` is unix seconds; claims use short keys (m member, o order, t terminal)."""
    payload = {"p": purpose.value, "k": kid, "exp": int(expires), "n": b64e(secrets.token_bytes(6)), **claims}
    body = b64e(json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode())
    signature = key.sign(f"{PREFIX}.{body}".encode())
    return f"{PREFIX}.{body}.{b64e(signature)}"


def peek(token: str) -> Token:
    """Parse without verifying (to find the key id); never trust what it returns."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(Code.TOKEN_MALFORMED, "too long")
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise TokenError(Code.TOKEN_MALFORMED, "not a Paidui code")
    try:
        payload = json.loads(b64d(parts[1]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenError(Code.TOKEN_MALFORMED, "payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise TokenError(Code.TOKEN_MALFORMED, "payload is not an object")
    try:
        purpose = Purpose(payload.pop("p"))
        kid = str(payload.pop("k"))
        expires = payload.pop("exp")
        nonce = str(payload.pop("n"))
    except (KeyError, ValueError) as exc:
        raise TokenError(Code.TOKEN_MALFORMED, "missing fields") from exc
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise TokenError(Code.TOKEN_MALFORMED, "exp is not an integer")
    return Token(purpose, kid, expires, nonce, payload)


def verify(token: str, *, keys: Mapping[str, Ed25519PublicKey], purpose: Purpose, now: float) -> Token:
    """Check signature, purpose and expiry; raises TokenError with a stable code on any failure."""
    parsed = peek(token)
    key = keys.get(parsed.kid)
    if key is None:
        raise TokenError(Code.TOKEN_UNKNOWN_KEY, parsed.kid)
    prefix_body, _, signature = token.strip().rpartition(".")
    try:
        key.verify(b64d(signature), prefix_body.encode())
    except InvalidSignature as exc:
        raise TokenError(Code.TOKEN_BAD_SIGNATURE) from exc
    if parsed.purpose != purpose:
        raise TokenError(Code.TOKEN_WRONG_PURPOSE, f"{parsed.purpose.value} is not {purpose.value}")
    if now >= parsed.expires:
        raise TokenError(Code.TOKEN_EXPIRED)
    return parsed
