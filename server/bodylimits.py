"""Request body limits per endpoint (docs/sync-protocol.md "Limits"): a larger body is refused with `413 too_large`
before the application reads more than the limit.

A body that declares its length (`Content-Length`) is refused before a byte of it is read; a streamed body is
counted as it arrives and refused the moment it passes the limit (the route's body read raises an `HTTPException`
413, which the application's handlers answer like any other refusal: JSON for the API, a page for people).

Hand-written rather than FastAPI's `max_body_size`: that one answers a declared-too-large body of a route that does
not read its body with a plain-text 413 that carries no code, and it needs a FastAPI newer than the one we require.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Code
from shared.wire import MAX_PUSH_BYTES

from .inputs import parse_int

KIB = 1024
# (method, path or prefix ending in "/", bytes): the first match wins, so exact paths come before prefixes.
BODY_LIMITS: tuple[tuple[str, str, int], ...] = (
    ("POST", "/api/v1/sync/push", MAX_PUSH_BYTES),
    ("POST", "/api/v1/terminals/enroll", 4 * KIB),
    ("POST", "/api/v1/auth/token", 4 * KIB),
    ("POST", "/console/catalogue", 20 * 1024 * KIB),  # a product file (services/catalogue.MAX_FILE_BYTES)
    ("POST", "/console/", 256 * KIB),  # the rules forms carry JSON settings; the simulator a chain's patches
    ("POST", "/m/", 4 * KIB),
)
DEFAULT_BODY_LIMIT = 16 * KIB  # everything else: no other request has a body worth more


class Refuse(Protocol):
    def __call__(self, request: Request, status: int, code: Code, detail: str) -> Response: ...


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body of this request may be at most {limit} bytes")


def limit_for(limits: Sequence[tuple[str, str, int]], default: int, method: str, path: str) -> int:
    for verb, target, size in limits:
        if verb == method and (path == target or (target.endswith("/") and path.startswith(target))):
            return size
    return default


class BodyLimits:
    """ASGI middleware: each request's body is held to the limit of its endpoint."""

    def __init__(self, app: ASGIApp, *, limits: Sequence[tuple[str, str, int]], default: int, refuse: Refuse) -> None:
        self.app = app
        self.limits = tuple(limits)
        self.default = default
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(self.limits, self.default, scope["method"], scope["path"])
        declared = (Headers(scope=scope).get("content-length") or "").strip()
        if declared:
            length = parse_int(declared)
            if length is None and not (declared.isascii() and declared.isdigit()):
                response = self.refuse(Request(scope), 400, Code.INVALID_REQUEST, "Content-Length is a number")
                await response(scope, receive, send)
                return
            if length is None or length > limit:  # None here: more digits than any limit has
                response = self.refuse(Request(scope), 413, Code.TOO_LARGE, BodyTooLarge(limit).detail)
                await response(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)
