"""Every refused request answers `ErrorBody` (`{"code", "detail"}`) with a stable code; never a bare traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.errors import Code, RuleError
from shared.wire import ErrorBody

from ..errors import Refused
from ..services.storage import UNSTORABLE

log = logging.getLogger("paidui.api")

# The one place where a code gets its HTTP status (docs/sync-protocol.md "Errors"); a rule's refusal is 422.
STATUS: dict[Code, int] = {
    Code.BAD_REQUEST: 400,
    Code.ENROLMENT_CODE_EXPIRED: 400,
    Code.ENROLMENT_CODE_INVALID: 400,
    Code.UNAUTHORIZED: 401,
    Code.TERMINAL_REVOKED: 401,
    Code.FORBIDDEN: 403,
    Code.LINK_INVALID: 403,
    Code.LINK_REVOKED: 403,
    Code.NOT_FOUND: 404,
    Code.METHOD_NOT_ALLOWED: 405,
    Code.NOT_ACCEPTABLE: 406,
    Code.CONFLICT: 409,
    Code.LINK_EXPIRED: 410,
    Code.TOO_LARGE: 413,
    Code.UNSUPPORTED_MEDIA_TYPE: 415,
    Code.INVALID_REQUEST: 422,
    Code.UNSUPPORTED_PROTOCOL: 426,
    Code.RATE_LIMITED: 429,
    Code.INTERNAL_ERROR: 500,
    Code.UNAVAILABLE: 503,
}
# Starlette's own refusals (an unknown path, a wrong method) carry only a status: their code.
HTTP_CODES = {
    400: Code.BAD_REQUEST,
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


def http_status(code: Code) -> int:
    """The HTTP status of a refusal with this code."""
    return STATUS.get(code, 422)


def refusal_headers(exc: Refused) -> dict[str, str] | None:
    if exc.code == Code.UNAUTHORIZED:
        return {"WWW-Authenticate": "Bearer"}
    if exc.retry_after is not None:
        return {"Retry-After": str(exc.retry_after)}
    return None


def _body(status: int, code: Code, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(code=code, detail=detail[:500]).model_dump(), status_code=status, headers=headers)


def _summary(errors: Any) -> str:
    parts = []
    for err in list(errors)[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        return _body(http_status(exc.code), exc.code, exc.detail, refusal_headers(exc))

    @app.exception_handler(RuleError)
    async def _rule(_: Request, exc: RuleError) -> JSONResponse:
        return _body(http_status(exc.code), exc.code, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _body(422, Code.INVALID_REQUEST, _summary(exc.errors()))

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, Code.HTTP_ERROR)
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return _body(exc.status_code, code, detail, getattr(exc, "headers", None))

    async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
        log.info("refused data on %s %s: %s", request.method, request.url.path, exc)
        return _body(422, Code.INVALID_REQUEST, "a value in the request cannot be stored (control character or size)")

    for kind in UNSTORABLE:
        app.add_exception_handler(kind, _unstorable)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _body(500, Code.INTERNAL_ERROR, "the server failed; the request can be retried")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid credential (`unauthorized`, `terminal_revoked`)"},
    403: {"model": ErrorBody, "description": "the credential's role may not do this (`forbidden`)"},
    422: {"model": ErrorBody, "description": "malformed request (`invalid_request`)"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown, or outside the caller's scope (`not_found`)"},
}
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "too many attempts from this address (`rate_limited`, `Retry-After`)"},
}
PROTOCOL: dict[int | str, dict[str, Any]] = {
    426: {"model": ErrorBody, "description": "a protocol version this server does not speak"},
}


def document_error_bodies(app: FastAPI) -> None:
    """FastAPI documents 422 as its own `HTTPValidationError`; ours answer `ErrorBody`: say so in the schema."""
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
                answer = operation.get("responses", {}).get("422")
                if answer is not None:
                    answer["content"] = {"application/json": {"schema": ref}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
