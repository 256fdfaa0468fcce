"""httpx transports that sit between the cashier app's SyncClient and a real server over a real HTTP connection.

`FaultyTransport` loses requests, loses responses after the server applied the request, sends requests twice and
answers with server errors (before or after the server saw the request), at seeded random rates.
`AckWithoutSending` is a broken transport for the negative control: it answers a push with "accepted" for every
event without sending it (an acknowledgement the server never gave).
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class FaultRates:
    lose_request: float = 0.05  # the connection fails before the server sees anything
    error_before: float = 0.05  # a 503 from something in front of the server; the server saw nothing
    duplicate: float = 0.10  # the request reaches the server twice (a retrying proxy); the client gets one answer
    lose_response: float = 0.10  # the server applied it; the answer is lost (read error)
    error_after: float = 0.05  # the server applied it; the client is told 500

    @property
    def total(self) -> float:
        return self.lose_request + self.error_before + self.duplicate + self.lose_response + self.error_after


def _copy(request: httpx.Request) -> httpx.Request:
    return httpx.Request(request.method, request.url, headers=request.headers, content=request.content)


class FaultyTransport(httpx.BaseTransport):
    def __init__(
        self, *, rng: random.Random, rates: FaultRates = FaultRates(), inner: httpx.BaseTransport | None = None
    ) -> None:
        self._rng = rng
        self._rates = rates
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()
        self.enabled = True

    def _draw(self) -> str:
        with self._lock:
            roll = self._rng.random()
        r = self._rates
        for name, rate in (
            ("lose_request", r.lose_request),
            ("error_before", r.error_before),
            ("duplicate", r.duplicate),
            ("lose_response", r.lose_response),
            ("error_after", r.error_after),
        ):
            if roll < rate:
                return name
            roll -= rate
        return "none"

    def _forward(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(_copy(request))
        content = response.read()
        response.close()
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._draw() if self.enabled else "none"
        self.injected[fault] += 1
        if fault == "lose_request":
            raise httpx.ConnectError("injected: the request was lost", request=request)
        if fault == "error_before":
            return httpx.Response(503, json={"code": "unavailable", "detail": "injected"}, request=request)
        response = self._forward(request)
        if fault == "duplicate":
            response = self._forward(request)
        elif fault == "lose_response":
            raise httpx.ReadError("injected: the response was lost", request=request)
        elif fault == "error_after":
            return httpx.Response(500, json={"code": "internal_error", "detail": "injected"}, request=request)
        return response

    def close(self) -> None:
        self._inner.close()


class AckWithoutSending(httpx.BaseTransport):
    """BROKEN on purpose: while `active`, a push is answered 'accepted' for every event and never sent."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self.active = False
        self.swallowed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not (self.active and request.url.path.endswith("/sync/push")):
            return self._inner.handle_request(request)
        events = json.loads(request.content)["events"]
        self.swallowed += len(events)
        results = [{"event_id": e["event_id"], "seq": e["seq"], "status": "accepted"} for e in events]
        through = max((e["seq"] for e in events), default=0)
        return httpx.Response(200, json={"results": results, "applied_through": through}, request=request)

    def close(self) -> None:
        self._inner.close()
