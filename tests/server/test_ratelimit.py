"""The in-process rate limiter (GCRA) with a clock the test drives: bursts, refill, Retry-After, bounds, threads."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.ratelimit import NS, Decision, Limiter, Limits, Rate


class Ticker:
    def __init__(self) -> None:
        self.now = 10**12

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * NS)


def test_a_burst_then_one_per_interval() -> None:
    clock = Ticker()
    limiter = Limiter(Rate(5, 10), clock=clock)  # 5 at once, then one every 2 s
    assert all(limiter.hit("a").allowed for _ in range(5))
    refused = limiter.hit("a")
    assert not refused.allowed and refused.retry_after_ns == 2 * NS and refused.retry_after_seconds == 2
    clock.advance(1.999)
    assert not limiter.hit("a").allowed
    clock.advance(0.001)
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed
    clock.advance(10)  # a full bucket again, not more
    assert sum(limiter.hit("a").allowed for _ in range(8)) == 5


def test_refusals_are_not_counted_and_keys_are_independent() -> None:
    clock = Ticker()
    limiter = Limiter(Rate(2, 60), clock=clock)
    assert limiter.hit("a").allowed and limiter.hit("a").allowed
    for _ in range(50):
        assert not limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    clock.advance(30)  # one interval: exactly one more, the 50 refusals did not push it back
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert Decision(False, 1).retry_after_seconds == 1
    assert Decision(False, NS).retry_after_seconds == 1
    assert Decision(False, NS + 1).retry_after_seconds == 2
    assert Decision(False, 0).retry_after_seconds == 1


def test_invalid_rates_are_refused() -> None:
    with pytest.raises(ValueError):
        Rate(0, 60)
    with pytest.raises(ValueError):
        Rate(5, 0)


def test_state_is_bounded_and_full_buckets_are_forgotten() -> None:
    clock = Ticker()
    limiter = Limiter(Rate(3, 3), clock=clock, max_keys=10)
    for i in range(100):
        limiter.hit(f"k{i}")
    assert len(limiter) <= 11
    clock.advance(5)  # every bucket is full again
    for i in range(20):
        limiter.hit(f"fresh{i}")
    assert len(limiter) <= 11


def test_threads_share_the_limit() -> None:
    clock = Ticker()  # the clock stands still: exactly the burst gets through
    limiter = Limiter(Rate(25, 60), clock=clock)
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(200):
            ok = limiter.hit("same").allowed
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(allowed) == 25


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 20),
    st.integers(1, 120),
    st.lists(st.integers(0, 400 * 1000), min_size=1, max_size=300),
)
def test_never_more_than_the_burst_plus_the_refill(count: int, seconds: int, gaps_ms: list[int]) -> None:
    """In any window of length w, at most count + w / interval requests pass; a steady client is never refused."""
    clock = Ticker()
    limiter = Limiter(Rate(count, seconds), clock=clock)
    interval = seconds * NS // count
    passed: list[int] = []
    for gap in gaps_ms:
        clock.now += gap * 1_000_000
        if limiter.hit("k").allowed:
            passed.append(clock.now)
    for i, start in enumerate(passed):
        for j in range(i, len(passed)):
            window = passed[j] - start
            assert j - i + 1 <= count + window // interval


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 20), st.integers(1, 120), st.integers(1, 200))
def test_a_client_at_the_rate_is_never_refused(count: int, seconds: int, n: int) -> None:
    clock = Ticker()
    limiter = Limiter(Rate(count, seconds), clock=clock)
    interval = seconds * NS // count
    for _ in range(n):
        assert limiter.hit("k").allowed
        clock.now += interval


def test_member_limit_refusals_still_cost_the_address() -> None:
    clock = Ticker()
    limits = Limits(page_per_minute=3, action_per_minute=2, clock=clock)
    assert all(limits.action(address="1.2.3.4", subject="m1").allowed for _ in range(2))
    assert not limits.action(address="5.6.7.8", subject="m1").allowed  # m1 used its two draws
    assert limits.action(address="5.6.7.8", subject="m2").allowed
    assert not limits.action(address="5.6.7.8", subject="m3").allowed  # the address spent its two
    assert limits.page(address="1.2.3.4", subject=None).allowed  # pages are counted apart from actions
