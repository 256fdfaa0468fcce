"""Who is at the till: a scanned member code verified offline, or a typed phone number looked up locally."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from shared.errors import Code
from shared.ids import MemberId
from shared.phones import PHONE
from shared.tokens import PREFIX, Purpose, TokenError, public_key_from_text, verify
from shared.wire import SigningKey, SnapshotEntry

from .checkout import MemberRef, local_phone_key
from .db import kv_get, members
from .errors import TillError
from .snapshot import level_names, load_snapshot, points_deductible_fen


class IdentifyError(TillError, ValueError):
    """Codes: token_* (shared.tokens), no_member_keys, unknown_phone, not_a_code."""


@dataclass(frozen=True)
class MemberView:
    member: MemberRef
    waiting: list[SnapshotEntry] = field(default_factory=list)  # from the last snapshot
    pending_registration: bool = False  # registered here, not yet confirmed by the server
    level_names: tuple[str, str] | None = None  # (Chinese, English) of the member's level, from the level catalog
    points_fen: int = 0  # the most a points deduction may take (`snapshot.points_deductible_fen`)


def member_code_keys(conn: Connection, *, now: dt.datetime) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for raw in kv_get(conn, "member_code_keys", []):
        key = SigningKey.model_validate(raw)
        if key.not_after is not None and key.not_after <= now:
            continue
        try:
            keys[key.kid] = public_key_from_text(key.public_key)
        except TokenError:
            continue  # a malformed key from the server is ignored, not fatal
    return keys


def _view(conn: Connection, member_id: MemberId) -> MemberView:
    row = conn.execute(select(members).where(members.c.member_id == member_id)).first()
    snapshot = load_snapshot(conn)
    waiting = [e for e in snapshot.entries if e.member_id == member_id and e.status == "waiting"] if snapshot else []
    if row is None:
        # A member the last pull did not bring yet (new today): the code is valid, so sell to the id.
        return MemberView(MemberRef(member_id, f"…{member_id[-4:]}"), waiting)
    names = level_names(conn).get(row.level) if row.level else None
    ref = MemberRef(MemberId(row.member_id), row.display_name, row.level)
    return MemberView(ref, waiting, bool(row.local), names, points_deductible_fen(conn, member_id))


def identify(conn: Connection, text: str, *, now: dt.datetime) -> MemberView:
    """Raises IdentifyError with a stable code when the input names no member we may attribute a sale to."""
    text = text.strip()
    if text.startswith(PREFIX + "."):
        keys = member_code_keys(conn, now=now)
        if not keys:
            raise IdentifyError(Code.NO_MEMBER_KEYS)
        try:
            token = verify(text, keys=keys, purpose=Purpose.MEMBER_CODE, now=now.timestamp())
        except TokenError as exc:
            raise IdentifyError(Code(exc.code)) from None
        member_id = token.claims.get("m")
        if not isinstance(member_id, str) or not member_id:
            raise IdentifyError(Code.TOKEN_MALFORMED, "no member in the code")
        return _view(conn, MemberId(member_id))
    if PHONE.match(text):
        key = local_phone_key(conn, text)  # one scrypt, ~33 ms: the till holds keys, never phone numbers
        row = None
        if key is not None:
            row = conn.execute(select(members.c.member_id).where(members.c.phone_key == key)).first()
        if row is None:
            raise IdentifyError(Code.UNKNOWN_PHONE, text)
        return _view(conn, MemberId(row.member_id))
    raise IdentifyError(Code.NOT_A_CODE)
