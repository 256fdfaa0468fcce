"""Overload on purpose: a bounded number of pushes applied at once per process, a bounded queue of pushes waiting
for them, and an immediate `503 busy` with `Retry-After` for the rest (docs/sync-protocol.md "Errors").

Without it, every push beyond what the database can take waited in the server's thread pool and its connection pool
until the till's own time-out fired, the till sent it again, and the work piled up (issue 16: 4,800 client time-outs
and connection-pool time-outs in a reconnect storm). A till told `busy` waits `Retry-After` seconds and tries again;
what it had sent was not applied (nothing was started), so the resend is an ordinary first delivery.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Busy(Exception):
    """No room: the caller answers 503 `busy` with Retry-After `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class Admission:
    """`running` pushes at a time; up to `waiting` more wait at most `wait_s` seconds for a turn."""

    def __init__(self, *, running: int, waiting: int, wait_s: float, retry_after: int) -> None:
        self._turns = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self.max_waiting = waiting
        self.wait_s = wait_s
        self.retry_after = retry_after
        self.waiting = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the duration of the block; raises Busy at once when the queue is full, or when no
        turn came within `wait_s`."""
        if not self._turns.acquire(blocking=False):
            with self._lock:
                if self.waiting >= self.max_waiting:
                    raise Busy(self.retry_after)
                self.waiting += 1
            try:
                got = self._turns.acquire(timeout=self.wait_s)
            finally:
                with self._lock:
                    self.waiting -= 1
            if not got:
                raise Busy(self.retry_after)
        try:
            yield
        finally:
            self._turns.release()
