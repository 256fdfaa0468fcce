"""Password sign-in, throttled so that a guesser can neither guess quickly nor lock the real user out
(docs/operations.md "Sign-in throttling").

Two limits. Every attempt counts against its client address (`server.ratelimit`, in the routes). And every user name
has a wait that grows with the failures from *unknown* origins: the first `free_failures` cost nothing, then each
failure doubles the wait before the next attempt from an unknown origin (1 s, 2 s, 4 s, ... up to `max_delay`);
failures are forgotten `forget_after` after the last one. An origin is *known* for a user when the user signed in
from it within `known_for`: a client address, or on the console a browser's device cookie. Attempts from a known
origin are checked at once whatever the wait: a guesser elsewhere cannot hold back the real user's correct password.
A known origin that fails `known_failures` times in a row is known no longer.

The state lives in the database, so every server process sees the same wait; an attempt claims its slot with one
conditional UPDATE before the password is checked, so a burst of parallel guesses gets one check per slot.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.errors import Code

from ..db import tables as t
from ..db.database import Database
from ..errors import Refused

R = TypeVar("R")
ST, SK = t.SignInThrottle, t.SignInKnown


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    free_failures: int = 5
    first_delay: dt.timedelta = dt.timedelta(seconds=1)
    max_delay: dt.timedelta = dt.timedelta(minutes=15)
    forget_after: dt.timedelta = dt.timedelta(hours=1)
    known_for: dt.timedelta = dt.timedelta(days=30)
    known_failures: int = 20

    def delay(self, failures: int) -> dt.timedelta:
        """The wait after the `failures`-th failure from unknown origins."""
        if failures <= self.free_failures:
            return dt.timedelta(0)
        doublings = min(failures - self.free_failures - 1, 40)
        wait: dt.timedelta = min(self.max_delay, self.first_delay * (1 << doublings))
        return wait


def user_key(username: str) -> str:
    return username.strip().lower()[:80]


def address_origin(address: str) -> str:
    return f"a:{address}"[:100]


@dataclass(frozen=True, slots=True)
class _Claim:
    before: dt.datetime  # next_allowed_at before this attempt claimed the slot


def _known(conn: Connection, user: str, origins: Sequence[str], now: dt.datetime, policy: SignInPolicy) -> list[str]:
    rows = conn.execute(
        select(SK.origin).where(
            SK.username == user, SK.origin.in_(origins), SK.last_success_at > now - policy.known_for
        )
    )
    return list(rows.scalars())


def _refused(wait: dt.timedelta) -> Refused:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return Refused(Code.RATE_LIMITED, f"too many failed sign-ins; try again in {seconds} s", retry_after=seconds)


def _claim(conn: Connection, user: str, now: dt.datetime, policy: SignInPolicy) -> _Claim:
    row = conn.execute(select(ST).where(ST.username == user)).first()
    if row is None:
        conn.execute(delete(ST).where(ST.last_failure_at < now - policy.forget_after, ST.next_allowed_at <= now))
        _insert_new(conn, ST, {"username": user, "failures": 0, "last_failure_at": now, "next_allowed_at": now})
        row = conn.execute(select(ST).where(ST.username == user)).one()
    if row.next_allowed_at > now:
        raise _refused(row.next_allowed_at - now)
    failures = row.failures if row.last_failure_at > now - policy.forget_after else 0
    claimed = conn.execute(
        update(ST)
        .where(ST.username == user, ST.next_allowed_at == row.next_allowed_at, ST.failures == row.failures)
        .values(failures=failures, next_allowed_at=now + policy.delay(failures + 1))
    ).rowcount
    if claimed != 1:  # a parallel attempt took this slot
        raise _refused(policy.first_delay)
    return _Claim(row.next_allowed_at)


def sign_in(
    db: Database,
    *,
    username: str,
    origins: Sequence[str],
    now: dt.datetime,
    policy: SignInPolicy,
    check: Callable[[Connection], R],
) -> R:
    """`check` the password (it raises `Refused(unauthorized)` when wrong) unless the user-wide wait holds this
    attempt back (`Refused(rate_limited)` with `retry_after`); remember the outcome."""
    user = user_key(username)
    with db.connect() as conn:
        known = _known(conn, user, origins, now, policy)
        claim = None if known else _claim(conn, user, now, policy)
    try:
        with db.connect() as conn:
            result = check(conn)
    except Refused as exc:
        if exc.code == Code.UNAUTHORIZED:
            with db.connect() as conn:
                _failed(conn, user, known, now, policy)
        raise
    with db.connect() as conn:
        _succeeded(conn, user, origins, claim, now, policy)
    return result


def _failed(conn: Connection, user: str, known: list[str], now: dt.datetime, policy: SignInPolicy) -> None:
    if not known:
        conn.execute(update(ST).where(ST.username == user).values(failures=ST.failures + 1, last_failure_at=now))
        return
    conn.execute(update(SK).where(SK.username == user, SK.origin.in_(known)).values(failures=SK.failures + 1))
    conn.execute(delete(SK).where(SK.username == user, SK.failures >= policy.known_failures))


def _succeeded(
    conn: Connection, user: str, origins: Sequence[str], claim: _Claim | None, now: dt.datetime, policy: SignInPolicy
) -> None:
    if claim is not None:  # the slot was claimed for a failure that did not happen
        conn.execute(update(ST).where(ST.username == user).values(next_allowed_at=claim.before))
    conn.execute(delete(SK).where(SK.username == user, SK.last_success_at <= now - policy.known_for))
    for origin in origins:
        done = conn.execute(
            update(SK).where(SK.username == user, SK.origin == origin).values(last_success_at=now, failures=0)
        ).rowcount
        if not done:
            _insert_new(conn, SK, {"username": user, "origin": origin, "last_success_at": now, "failures": 0})


def _insert_new(conn: Connection, table: type[t.Base], values: dict[str, object]) -> None:
    """Insert unless a parallel request inserted the same key first (then its row stands)."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())


def throttle(db: Database, *, key: str, now: dt.datetime, policy: SignInPolicy) -> None:
    """Count one attempt against `key` as if it failed (`Refused(rate_limited)` with `retry_after` while its wait
    holds): for things that cost whether or not they succeed, such as sending a sign-in code to a phone. The same
    rows and the same conditional UPDATE as password sign-in, so every server process sees one count."""
    with db.connect() as conn:
        _claim(conn, key, now, policy)
        _failed(conn, key, [], now, policy)
