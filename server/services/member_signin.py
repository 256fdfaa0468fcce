"""Member sign-in without a receipt: a phone number, a one-time code sent to it, and a browser session.

A code is 6 random digits (`secrets`), lives `sign_in_code_minutes` (5), is good once, and is kept only as an
HMAC-SHA256 keyed from the server's signing key (a copy of the database alone cannot test the million candidates).
Guessing is bounded three ways: a code dies after `MAX_ATTEMPTS` wrong tries; the phone has the growing wait of
password sign-in (`signin.sign_in`, keyed by the phone, 5 free failures then 1 s, 2 s, 4 s, ... 15 min); and each
client address is limited by the routes. Sending costs whether or not the number is a member's, so sends are
throttled per phone (the first at once, then 60 s, 2 min, 4 min, ... up to an hour) and per client address (5 at
once, then 10 s doubling up to 10 min), in the database (`signin.throttle`): every server process counts the same sends.

A number that is no member's gets the same answer, the same throttles and a row (with no code sent): the page does
not tell who is a member. Sessions are random tokens of which only the sha256 is kept (server/member_page/session).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from shared.errors import Code
from shared.phones import PHONE
from shared.tokens import private_key_bytes

from ..db import tables as t
from ..db.database import Database
from ..errors import Refused
from ..security.keys import KeyRing
from ..security.secrets import digest
from . import signin
from .sender import Message, Sender, SendFailed

C, S = t.MemberSignInCode, t.MemberSession
MAX_ATTEMPTS = 5  # wrong codes typed against one code before it is dead
CODE_DIGITS = 6
_LABEL = b"paidui member sign-in code v1\x00"
SEND_PER_PHONE = signin.SignInPolicy(
    free_failures=0,
    first_delay=dt.timedelta(seconds=60),
    max_delay=dt.timedelta(hours=1),
    forget_after=dt.timedelta(hours=2),
)
SEND_PER_ADDRESS = signin.SignInPolicy(
    free_failures=4,  # the wait is set after the attempt: five sends at once, the sixth waits
    first_delay=dt.timedelta(seconds=10),
    max_delay=dt.timedelta(minutes=10),
    forget_after=dt.timedelta(hours=2),
)
CHECK_PER_PHONE = signin.SignInPolicy()  # password sign-in's: 5 free failures, then 1 s doubling to 15 min
KEEP_USED = dt.timedelta(days=1)  # codes (used or not) are deleted this long after they expired


@dataclass(frozen=True, slots=True)
class Challenge:
    """What the code form carries: which code to check (never the phone, which stays out of URLs)."""

    challenge_id: str
    expires_at: dt.datetime


def phone_digest(phone: str) -> str:
    return hashlib.sha256(f"paidui-member-phone:{phone}".encode()).hexdigest()


def _secret(ring: KeyRing, kid: str) -> bytes | None:
    for key in ring.keys():  # noqa: SIM118 - KeyRing.keys() is a method, not a mapping
        if key.kid == kid:
            return hashlib.sha256(_LABEL + private_key_bytes(key.private)).digest()
    return None


def _mac(secret: bytes, challenge_id: str, code: str) -> str:
    return hmac.new(secret, f"{challenge_id}\x00{code}".encode(), hashlib.sha256).hexdigest()


def code_text(lang: str, code: str, minutes: int) -> str:
    """The words sent with the code (the member page's language when it was asked for)."""
    if lang == "en":
        return f"Your member sign-in code is {code}. It is valid for {minutes} minutes. Do not tell it to anyone."
    return f"您的会员登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。"


def request_code(
    db: Database,
    *,
    ring: KeyRing,
    sender: Sender,
    phone: str,
    address: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    lang: str,
) -> Challenge:
    """Make a code for `phone` and send it when the phone is a member's. Refuses `invalid_phone` (not a mainland
    mobile number), `rate_limited` (with `retry_after`), `unavailable` (the sender failed: nothing was sent)."""
    if not PHONE.match(phone):
        raise Refused(Code.INVALID_PHONE, "not a mainland mobile number")
    digest_ = phone_digest(phone)
    signin.throttle(db, key=f"otp-addr:{address}"[:80], now=now, policy=SEND_PER_ADDRESS)
    signin.throttle(db, key=f"otp-send:{digest_}", now=now, policy=SEND_PER_PHONE)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = Challenge(secrets.token_urlsafe(18), now + ttl)
    key = ring.signing_key(now)
    secret = _secret(ring, key.kid)
    assert secret is not None
    with db.connect() as conn:
        conn.execute(delete(C).where(C.expires_at < now - KEEP_USED))
        member_id = conn.execute(select(t.Member.member_id).where(t.Member.phone == phone)).scalar()
        if member_id is None:
            code = secrets.token_hex(16)  # never sent, never typed: the row only keeps the answer the same
        conn.execute(
            insert(C).values(
                challenge_id=challenge.challenge_id,
                phone_digest=digest_,
                member_id=member_id,
                code_hash=_mac(secret, challenge.challenge_id, code),
                kid=key.kid,
                created_at=now,
                expires_at=challenge.expires_at,
                used_at=None,
                attempts=0,
            )
        )
    if member_id is None:
        return challenge
    message = Message(
        message_id=str(uuid.uuid4()),
        kind="sign_in_code",
        phone=phone,
        text=code_text(lang, code, max(1, int(ttl.total_seconds()) // 60)),
        lang=lang,
        sent_at=now,
        member_id=member_id,
        data={"code": code, "expires_at": challenge.expires_at.isoformat()},
    )
    try:
        sender.send(message)
    except SendFailed as exc:
        with db.connect() as conn:
            conn.execute(update(C).where(C.challenge_id == challenge.challenge_id).values(used_at=now))
        raise Refused(Code.UNAVAILABLE, f"the code could not be sent: {exc}") from exc
    return challenge


def check_code(db: Database, *, ring: KeyRing, challenge_id: str, code: str, address: str, now: dt.datetime) -> str:
    """The member the code signs in (the code is used up); `Refused(unauthorized)` for a wrong, used, expired or
    unknown code, `Refused(rate_limited)` while the phone's wait holds."""
    typed = "".join(ch for ch in code if not ch.isspace())
    with db.connect() as conn:
        row = conn.execute(select(C).where(C.challenge_id == challenge_id)).first()
    if row is None:
        raise Refused(Code.UNAUTHORIZED, "no such code")

    def check(conn: Connection) -> str:
        fresh = conn.execute(select(C).where(C.challenge_id == challenge_id)).one()
        secret = _secret(ring, fresh.kid)
        usable = fresh.used_at is None and fresh.expires_at > now and fresh.attempts < MAX_ATTEMPTS
        right = secret is not None and hmac.compare_digest(_mac(secret, challenge_id, typed), fresh.code_hash)
        if usable and right and fresh.member_id is not None:
            # good once: the conditional UPDATE lets exactly one of two parallel correct tries through
            won = conn.execute(
                update(C).where(C.challenge_id == challenge_id, C.used_at.is_(None)).values(used_at=now)
            ).rowcount
            if won == 1:
                return str(fresh.member_id)
        raise Refused(Code.UNAUTHORIZED, "wrong, used or expired code")

    try:
        return signin.sign_in(
            db,
            username=f"otp-check:{row.phone_digest}",
            origins=[signin.address_origin(address)],
            now=now,
            policy=CHECK_PER_PHONE,
            check=check,
        )
    except Refused as exc:
        if exc.code == Code.UNAUTHORIZED:  # the check's transaction rolled back: count the wrong try on its own
            with db.connect() as conn:
                conn.execute(update(C).where(C.challenge_id == challenge_id).values(attempts=C.attempts + 1))
        raise


# ---------------------------------------------------------------------------------------------- sessions


def new_session(db: Database, *, member_id: str, now: dt.datetime, ttl: dt.timedelta) -> str:
    """A session for `member_id`: the cookie's value (only its sha256 is stored)."""
    token = "pdm_" + secrets.token_urlsafe(32)
    with db.connect() as conn:
        conn.execute(delete(S).where(S.expires_at <= now))
        conn.execute(
            insert(S).values(token_hash=digest(token), member_id=member_id, created_at=now, expires_at=now + ttl)
        )
    return token


def session_member(db: Database, *, token: str, now: dt.datetime, ttl: dt.timedelta) -> str | None:
    """The member of a live session (its life renewed once half of it passed), or None."""
    if not token.startswith("pdm_") or len(token) > 100:
        return None
    key = digest(token)
    with db.connect() as conn:
        row = conn.execute(select(S.member_id, S.expires_at).where(S.token_hash == key)).first()
        if row is None:
            return None
        if row.expires_at <= now:
            conn.execute(delete(S).where(S.token_hash == key))
            return None
        if row.expires_at - now < ttl / 2:
            conn.execute(update(S).where(S.token_hash == key).values(expires_at=now + ttl))
        return str(row.member_id)


def end_session(db: Database, *, token: str) -> None:
    with db.connect() as conn:
        conn.execute(delete(S).where(S.token_hash == digest(token)))
