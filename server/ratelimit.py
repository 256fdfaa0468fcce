"""In-process rate limits (GCRA, the token bucket expressed as one timestamp per key) for the member page and draws.

`Limiter(Rate(60, 60))` lets a key make 60 requests at once and then one a second; a refused request learns how
long to wait (`Retry-After`). State is one integer per key, kept for keys seen recently (bounded, least recently
used first out), behind one lock: routes run in a thread pool.

Hand-written rather than taken from `limits` or `pyrate-limiter`: both read the wall clock inside their in-memory
storage (no clock to inject, so tests would sleep) and run a background thread to expire keys; this needs one
integer comparison per request and a clock the tests drive.

Each server process keeps its own counters, so with N worker processes a client gets up to N times the rate. For a
hard limit across processes, limit at the reverse proxy in front of the workers (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from .clock import Clock

NS = 1_000_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Rate:
    """`count` requests per `seconds`, of which all `count` may come at once."""

    count: int
    seconds: int

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds < 1:
            raise ValueError("a rate is at least one request per at least one second")

    @classmethod
    def per_minute(cls, count: int) -> Rate:
        return cls(count, 60)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after_ns: int = 0  # when refused: how long until the request would be allowed

    @property
    def retry_after_seconds(self) -> int:
        """For the `Retry-After` header: whole seconds, rounded up, at least 1."""
        return max(1, math.ceil(self.retry_after_ns / NS))


class Limiter:
    def __init__(self, rate: Rate, *, clock: Callable[[], int] = time.monotonic_ns, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self._clock = clock
        self._interval = rate.seconds * NS // rate.count  # one request's worth of time
        self._burst = rate.count * self._interval
        self._tat: OrderedDict[str, int] = OrderedDict()  # key -> theoretical arrival time
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def hit(self, key: str, cost: int = 1) -> Decision:
        """Count a request of `key`; refused requests are not counted."""
        now = self._clock()
        with self._lock:
            tat = max(self._tat.get(key, now), now)
            new_tat = tat + cost * self._interval
            allow_at = new_tat - self._burst
            if allow_at > now:
                return Decision(False, allow_at - now)
            self._tat[key] = new_tat
            self._tat.move_to_end(key)
            self._trim(now)
            return Decision(True)

    def _trim(self, now: int) -> None:
        # Keys whose bucket is full again carry no state worth keeping; the oldest go first when over the bound.
        for _ in range(8):
            if not self._tat:
                return
            oldest, tat = next(iter(self._tat.items()))
            if tat > now and len(self._tat) <= self._max_keys:
                return
            del self._tat[oldest]

    def __len__(self) -> int:
        return len(self._tat)


def clock_ns(clock: Clock) -> Callable[[], int]:
    """A limiter's clock read from the server's injected clock, so tests drive the limits with it."""

    def ns() -> int:
        return (clock.now() - EPOCH) // dt.timedelta(microseconds=1) * 1000

    return ns


class TerminalLimits:
    """Pushes and pulls per terminal: a till in a loop, or a stolen credential, cannot take the server for itself."""

    def __init__(self, *, push_per_minute: int, pull_per_minute: int, clock: Callable[[], int]) -> None:
        self.push = Limiter(Rate.per_minute(push_per_minute), clock=clock)
        self.pull = Limiter(Rate.per_minute(pull_per_minute), clock=clock)


def client_address(request: Request) -> str:
    """The client's address as uvicorn reports it (behind a proxy: run uvicorn with --forwarded-allow-ips)."""
    return request.client.host if request.client is not None else "unknown"


class Limits:
    """The member page's limits: page views and draws/exchanges, each per client address and per member."""

    def __init__(self, *, page_per_minute: int, action_per_minute: int, clock: Callable[[], int] = time.monotonic_ns):
        self.page_by_address = Limiter(Rate.per_minute(page_per_minute), clock=clock)
        self.page_by_member = Limiter(Rate.per_minute(page_per_minute), clock=clock)
        self.action_by_address = Limiter(Rate.per_minute(action_per_minute), clock=clock)
        self.action_by_member = Limiter(Rate.per_minute(action_per_minute), clock=clock)

    def page(self, *, address: str, subject: str | None) -> Decision:
        return _both(self.page_by_address, address, self.page_by_member, subject)

    def action(self, *, address: str, subject: str | None) -> Decision:
        return _both(self.action_by_address, address, self.action_by_member, subject)


def _both(by_address: Limiter, address: str, by_member: Limiter, subject: str | None) -> Decision:
    # The address is counted first and stays counted when the member's limit refuses: hammering costs the caller.
    first = by_address.hit(address)
    if not first.allowed or subject is None:
        return first
    return by_member.hit(subject)
