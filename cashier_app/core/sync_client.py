"""HTTP client of the sync protocol (docs/sync-protocol.md) over an injected httpx.Client.

The caller builds the httpx.Client (base_url, timeouts, or Starlette's TestClient in tests) and owns it. httpx is
imported by the first request, not by this module: the UI imports the exceptions below, and httpx (about 0.3 s)
belongs to the sync worker's thread, not to the till's start-up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from shared.errors import Code
from shared.ids import StoreId, TerminalId
from shared.wire import (
    PROTOCOL_VERSION,
    CataloguePage,
    ErrorBody,
    HoldRequest,
    HoldView,
    MemberWallet,
    OrderFacts,
    PullResponse,
    PushRequest,
    PushResponse,
)

if TYPE_CHECKING:
    import httpx


class ServerUnavailable(RuntimeError):
    """Network down, timeout, 5xx or 429: try again later (`retry_after` seconds when the server said)."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RequestRefused(RuntimeError):
    """A 4xx answer with a stable code: retrying the same request will not help."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Enrolment:
    terminal_id: TerminalId
    store_id: StoreId
    credential: str


class _EnrollResponse(BaseModel):
    terminal_id: str
    store_id: str
    credential: str


class SyncClient:
    def __init__(self, http: httpx.Client, *, credential: str | None = None) -> None:
        self._http = http
        self.credential = credential

    def _headers(self) -> dict[str, str]:
        headers = {"Paidui-Protocol": str(PROTOCOL_VERSION)}
        if self.credential:
            headers["Authorization"] = f"Bearer {self.credential}"
        return headers

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | dict[str, object] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        import httpx

        headers = self._headers()
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)
        try:
            response = self._http.request(method, path, headers=headers, content=content, params=params)
        except httpx.HTTPError as exc:  # connect refused, timeouts, protocol errors
            raise ServerUnavailable(f"{type(exc).__name__}: {exc}") from None
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("Retry-After")
            raise ServerUnavailable(f"HTTP {response.status_code}", float(retry) if retry and retry.isdigit() else None)
        if response.status_code >= 400:
            try:
                error = ErrorBody.model_validate_json(response.content)
            except ValidationError:
                raise RequestRefused(response.status_code, Code.HTTP_ERROR, response.text[:200]) from None
            raise RequestRefused(response.status_code, error.code, error.detail)
        return response

    def health(self) -> dict[str, object]:
        return dict(self._send("GET", "/api/v1/health").json())

    def enroll(self, *, code: str, name: str, public_key: str) -> Enrolment:
        response = self._send(
            "POST", "/api/v1/terminals/enroll", body={"code": code, "name": name, "public_key": public_key}
        )
        answer = _EnrollResponse.model_validate_json(response.content)
        return Enrolment(TerminalId(answer.terminal_id), StoreId(answer.store_id), answer.credential)

    def push(self, request: PushRequest) -> PushResponse:
        return PushResponse.model_validate_json(self._send("POST", "/api/v1/sync/push", body=request).content)

    def order(self, order_id: str) -> OrderFacts:
        """A sale of this store (any till); RequestRefused(404, unknown_order) when the server has none such."""
        return OrderFacts.model_validate_json(self._send("GET", f"/api/v1/sync/orders/{order_id}").content)

    def wallet(self, member_id: str) -> MemberWallet:
        """What the member can spend at this till's store now (docs/wallet.md)."""
        return MemberWallet.model_validate_json(self._send("GET", f"/api/v1/wallet/members/{member_id}").content)

    def place_hold(self, request: HoldRequest) -> HoldView:
        """Reserve a wallet tender (a repeat of the idempotency key answers the same hold)."""
        return HoldView.model_validate_json(self._send("POST", "/api/v1/wallet/holds", body=request).content)

    def release_hold(self, hold_id: str) -> HoldView:
        return HoldView.model_validate_json(self._send("POST", f"/api/v1/wallet/holds/{hold_id}/release").content)

    def pull(self, cursor: str | None) -> PullResponse:
        # levels, checkout, points, employees: the level catalog, this till's checkout point, each member's points
        # balance and the store's staff too (a server of before ignores the parameters and sends none of them: no
        # deduction, the shared PIN stays)
        asked = {"levels": "true", "checkout": "true", "points": "true", "employees": "true"}
        params = {"cursor": cursor, **asked} if cursor else asked
        response = self._send("GET", "/api/v1/sync/pull", params=params)
        return PullResponse.model_validate_json(response.content)

    def catalogue(self, *, after_version: int, after_sku: str, limit: int) -> CataloguePage:
        """A page of the store's catalogue; a server of before has no such endpoint: no catalogue (plain amounts)."""
        params = {"after_version": str(after_version), "after_sku": after_sku, "limit": str(limit)}
        try:
            response = self._send("GET", "/api/v1/sync/catalogue", params=params)
        except RequestRefused as exc:
            if exc.status == 404:
                return CataloguePage(enabled=False, products=[], complete=True)
            raise
        return CataloguePage.model_validate_json(response.content)


@dataclass(frozen=True)
class StoreDay:
    """One store-local day of a store's figures, from the server (store managers only, not terminals)."""

    day: str
    orders_count: int
    sales_fen: int
    contributions_fen: int
    payouts_fen: int
    kept_fen: int


def fetch_store_day(http: httpx.Client, *, username: str, password: str, store_id: StoreId, day: str) -> StoreDay:
    """Log in as the store manager (the password is used once, never stored) and read the day's figures."""
    client = SyncClient(http)
    token = client._send("POST", "/api/v1/auth/token", body={"username": username, "password": password}).json()
    client.credential = str(token["access_token"])
    report = client._send("GET", f"/api/v1/stores/{store_id}/report", params={"date_from": day, "date_to": day}).json()
    days = report.get("days") or []
    if not days:
        return StoreDay(day, 0, 0, 0, 0, 0)
    d = days[-1]
    return StoreDay(
        str(d["day"]),
        int(d["orders_count"]),
        int(d["sales_fen"]),
        int(d["contributions_fen"]),
        int(d["payouts_fen"]),
        int(d["kept_fen"]),
    )
