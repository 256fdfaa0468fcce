"""Refusals of a whole request by a service: a stable code (`shared.errors.Code`) and a detail for people who read
logs. The services know no HTTP: the API gives each code its status in one place (`server/api/errors.py`), the
console and the member page give it words (their i18n modules), the command line prints it."""

from __future__ import annotations

from shared.errors import Code


class Refused(Exception):
    """Raised by services and routes; nothing was done."""

    def __init__(self, code: Code, detail: str = "", *, retry_after: int | None = None) -> None:
        super().__init__(f"{code.value}: {detail}" if detail else code.value)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after  # seconds, for a rate limit


def unauthorized(detail: str = "a valid credential is required") -> Refused:
    return Refused(Code.UNAUTHORIZED, detail)


def forbidden(detail: str = "not allowed for this credential") -> Refused:
    return Refused(Code.FORBIDDEN, detail)


def not_found(detail: str = "no such thing") -> Refused:
    return Refused(Code.NOT_FOUND, detail)
