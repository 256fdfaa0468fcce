"""Every refused request answers `ErrorBody` (`{"code", "detail"}`) with a stable code; never a bare traceback.

One code per kind of refusal, each with one HTTP status (`STATUS`): a request that cannot be read or does not fit
the schema, whatever part of it (JSON syntax, text encoding, a field, a header, a query number too long to be a
number) is `400 invalid_request`; a well-formed request the rules refuse is `422` with the rule's code. The console
and the member page are read by people: under their paths the same refusal is a page in the reader's language
(`pages`, given by `create_app`), not JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from shared.errors import Code, RuleError
from shared.wire import ErrorBody

from ..errors import Refused
from ..services.storage import UNSTORABLE

log = logging.getLogger("paidui.api")

# The one place where a code gets its HTTP status (docs/sync-protocol.md "Error codes"); a rule's refusal is 422.
STATUS: dict[Code, int] = {
    Code.INVALID_REQUEST: 400,
    Code.ENROLMENT_CODE_EXPIRED: 400,
    Code.ENROLMENT_CODE_INVALID: 400,
    Code.UNAUTHORIZED: 401,
    Code.TERMINAL_REVOKED: 401,
    Code.FORBIDDEN: 403,
    Code.LINK_INVALID: 403,
    Code.LINK_REVOKED: 403,
    Code.NOT_FOUND: 404,
    Code.UNKNOWN_ORDER: 404,  # GET /sync/orders/{id}; in a push it is an event's answer, not a status
    Code.METHOD_NOT_ALLOWED: 405,
    Code.NOT_ACCEPTABLE: 406,
    Code.CONFLICT: 409,
    Code.LINK_EXPIRED: 410,
    Code.TOO_LARGE: 413,
    Code.UNSUPPORTED_MEDIA_TYPE: 415,
    Code.UNSUPPORTED_PROTOCOL: 426,
    Code.RATE_LIMITED: 429,
    Code.INTERNAL_ERROR: 500,
    Code.UNAVAILABLE: 503,
    Code.BUSY: 503,
}
# Starlette's own refusals (an unknown path, a wrong method, a body FastAPI could not parse) carry only a status.
HTTP_CODES = {
    400: Code.INVALID_REQUEST,
    401: Code.UNAUTHORIZED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    406: Code.NOT_ACCEPTABLE,
    409: Code.CONFLICT,
    413: Code.TOO_LARGE,
    415: Code.UNSUPPORTED_MEDIA_TYPE,
    422: Code.INVALID_REQUEST,
    426: Code.UNSUPPORTED_PROTOCOL,
    429: Code.RATE_LIMITED,
}
# A page for people: (request, status, code, headers) -> the refusal in the reader's language.
PageRenderer = Callable[[Request, int, Code, dict[str, str] | None], Response]


def http_status(code: Code) -> int:
    """The HTTP status of a refusal with this code."""
    return STATUS.get(code, 422)


def refusal_headers(exc: Refused) -> dict[str, str] | None:
    if exc.code == Code.UNAUTHORIZED:
        return {"WWW-Authenticate": "Bearer"}
    if exc.retry_after is not None:
        return {"Retry-After": str(exc.retry_after)}
    return None


def error_body(status: int, code: Code, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(code=code, detail=detail[:500]).model_dump(), status_code=status, headers=headers)


def _summary(errors: Any) -> str:
    parts = []
    for err in list(errors)[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


class Answers:
    """A refusal as its reader reads it: `ErrorBody` JSON, or a page under a prefix that has a renderer."""

    def __init__(self, pages: Mapping[str, PageRenderer] | None = None) -> None:
        self._pages = dict(pages or {})

    def __call__(
        self, request: Request, status: int, code: Code, detail: str, headers: dict[str, str] | None = None
    ) -> Response:
        for prefix, render in self._pages.items():
            if request.url.path.startswith(prefix):
                return render(request, status, code, headers)
        return error_body(status, code, detail, headers)


def install(app: FastAPI, answer: Answers) -> None:
    """The refusal handlers of the application, each answering through `answer`."""

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return answer(request, http_status(exc.code), exc.code, exc.detail, refusal_headers(exc))

    @app.exception_handler(RuleError)
    async def _rule(request: Request, exc: RuleError) -> Response:
        return answer(request, http_status(exc.code), exc.code, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return answer(request, 400, Code.INVALID_REQUEST, _summary(exc.errors()))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, Code.HTTP_ERROR)
        status = http_status(code) if code in STATUS else exc.status_code  # FastAPI's 400 and 422 are one kind
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return answer(request, status, code, detail, getattr(exc, "headers", None))

    async def _unstorable(request: Request, exc: Exception) -> Response:
        log.info("refused data on %s %s: %s", request.method, request.url.path, exc)
        detail = "a value in the request cannot be stored (control character or size)"
        return answer(request, 400, Code.INVALID_REQUEST, detail)

    for kind in UNSTORABLE:
        app.add_exception_handler(kind, _unstorable)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return answer(request, 500, Code.INTERNAL_ERROR, "the server failed; the request can be retried")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid credential (`unauthorized`, `terminal_revoked`)"},
    403: {"model": ErrorBody, "description": "the credential's role may not do this (`forbidden`)"},
    400: {"model": ErrorBody, "description": "malformed request (`invalid_request`)"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown, or outside the caller's scope (`not_found`)"},
}
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "too many requests (`rate_limited`, `Retry-After`)"},
}
BUSY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "more pushes than the server takes now (`busy`, `Retry-After`)"},
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "the body is larger than this endpoint takes (`too_large`)"},
}
PROTOCOL: dict[int | str, dict[str, Any]] = {
    426: {"model": ErrorBody, "description": "a protocol version this server does not speak"},
}


def document_error_bodies(app: FastAPI) -> None:
    """FastAPI documents a malformed request as 422 `HTTPValidationError`; ours is 400 `ErrorBody`: say so."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ErrorBody", ErrorBody.model_json_schema())
        ref = {"$ref": "#/components/schemas/ErrorBody"}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                answers = operation.get("responses", {})
                if answers.pop("422", None) is not None or "400" in answers:
                    answers.setdefault("400", {"description": ERRORS[400]["description"]})
                    answers["400"]["content"] = {"application/json": {"schema": ref}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
