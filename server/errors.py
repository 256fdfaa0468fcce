"""Refusals of a whole request, with the HTTP status and stable code the API answers (docs/sync-protocol.md)."""

from __future__ import annotations


class Refused(Exception):
    """Raised by services and routes; the app turns it into `ErrorBody` with `status`."""

    def __init__(self, status: int, code: str, detail: str = "", *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}" if detail else f"{status} {code}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def unauthorized(detail: str = "a valid credential is required") -> Refused:
    return Refused(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str = "not allowed for this credential") -> Refused:
    return Refused(403, "forbidden", detail)


def not_found(detail: str = "no such thing") -> Refused:
    return Refused(404, "not_found", detail)
