"""The member's wallet at the till (docs/wallet.md "Spending at the till"): what the member can spend, and holds.

No Qt here. Every method does network I/O and blocks: the UI calls them off the UI thread (`ui/ops.py`, the
wallet's own one-thread pool, so a slow server never holds up the till's database jobs) and gets the answer back.
A wallet tender is authorised online only: a server that cannot be reached refuses it with `wallet_offline`, and
every other tender keeps working (nothing here touches the sale's recording).

A tender's idempotency key is made once per tender (`new_tender_key`): a retry after a lost answer asks with the
same key and gets the same hold, never a second one.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from shared.errors import Code
from shared.wire import HoldRequest, HoldView, MemberWallet, WalletKind, WalletTender

from .errors import TillError
from .sync_client import RequestRefused, ServerUnavailable, SyncClient

if TYPE_CHECKING:
    import httpx

KINDS: tuple[WalletKind, ...] = ("rebate", "voucher", "points")


class WalletError(TillError):
    """wallet_offline, consent_required, insufficient_balance, voucher_unavailable, hold_invalid, ..."""


@dataclass(frozen=True)
class Voucher:
    voucher_id: int
    value_fen: int


@dataclass(frozen=True)
class WalletView:
    """What the member can spend at this store now (the balance less open holds; 0 while it is negative)."""

    member_id: str
    rebate_available_fen: int
    points_available: int
    points_per_yuan: int
    vouchers: tuple[Voucher, ...]

    @property
    def points_worth_fen(self) -> int:
        """The most the points pay: `a` fen take ceil(a × rate / 100) points, so floor(points × 100 / rate)."""
        return self.points_available * 100 // self.points_per_yuan if self.points_per_yuan > 0 else 0

    def available_fen(self, kind: str, voucher_id: int | None = None) -> int:
        if kind == "rebate":
            return self.rebate_available_fen
        if kind == "points":
            return self.points_worth_fen
        return next((v.value_fen for v in self.vouchers if v.voucher_id == voucher_id), 0)


@dataclass(frozen=True)
class Hold:
    """A wallet tender the server reserved for this sale."""

    hold_id: str
    member_id: str
    kind: WalletKind
    amount_fen: int
    points: int = 0
    voucher_id: int | None = None

    def tender(self) -> WalletTender:
        return WalletTender(hold_id=uuid.UUID(self.hold_id), kind=self.kind, amount_fen=self.amount_fen)


def new_tender_key() -> str:
    """One per wallet tender, made when the cashier starts it; kept for its retries."""
    return uuid.uuid4().hex


def default_amount(*, due_fen: int, available_fen: int) -> int:
    """What a wallet tender pays unless the cashier says otherwise: what is due, capped by what is available."""
    return max(0, min(due_fen, available_fen))


def wallet_sums(tenders: Sequence[WalletTender]) -> tuple[int, int, int]:
    """(from the balance: payment, by vouchers: deduction, by points: deduction), docs/rules.md §6a."""
    by = {"rebate": 0, "voucher": 0, "points": 0}
    for t in tenders:
        by[t.kind] += t.amount_fen
    return by["rebate"], by["voucher"], by["points"]


class WalletService:
    """The hold API over HTTP. `http_factory` builds the client on first use (on the calling, non-UI thread);
    the credential comes with the till's secrets (`set_credential`, once the keyring has been read)."""

    def __init__(self, http_factory: Callable[[], httpx.Client], *, credential: str | None = None) -> None:
        self._factory = http_factory
        self._credential = credential
        self._client: SyncClient | None = None
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def set_credential(self, credential: str) -> None:
        with self._lock:
            self._credential = credential
            if self._client is not None:
                self._client.credential = credential

    def _call(self, work: Callable[[SyncClient], object]) -> object:
        with self._lock:
            if self._credential is None:  # the keyring has not answered yet: as good as offline
                raise WalletError(Code.WALLET_OFFLINE, "the till's credential is not loaded yet")
            if self._client is None:
                self._http = self._factory()
                self._client = SyncClient(self._http, credential=self._credential)
            client = self._client
        try:
            return work(client)
        except ServerUnavailable as exc:
            raise WalletError(Code.WALLET_OFFLINE, str(exc)) from None
        except RequestRefused as exc:
            code = exc.code if exc.code in Code.__members__.values() else Code.HTTP_ERROR
            raise WalletError(Code(code), exc.detail) from None
        except ValidationError as exc:  # a malformed answer: the tender cannot be trusted
            raise WalletError(Code.WALLET_OFFLINE, f"malformed answer: {exc.error_count()} errors") from None

    def wallet(self, *, member_id: str) -> WalletView:
        answer = self._call(lambda c: c.wallet(member_id))
        assert isinstance(answer, MemberWallet)
        return WalletView(
            answer.member_id,
            answer.rebate_available_fen,
            answer.points_available,
            answer.points_per_yuan,
            tuple(Voucher(v.voucher_id, v.value_fen) for v in answer.vouchers),
        )

    def hold(
        self,
        *,
        member_id: str,
        kind: str,
        key: str,
        payment_code: str,
        amount_fen: int | None = None,
        voucher_id: int | None = None,
    ) -> Hold:
        """Reserve a tender; WalletError with the server's code when it refuses (no consent, not enough...)."""
        code = payment_code.strip()
        if not code:
            raise WalletError(Code.CONSENT_REQUIRED, "no payment code")
        if kind not in KINDS:
            raise WalletError(Code.INVALID_EVENT, f"unknown wallet tender {kind!r}")
        try:
            request = HoldRequest(
                member_id=member_id,
                kind=kind,
                amount_fen=None if kind == "voucher" else amount_fen,
                voucher_id=voucher_id if kind == "voucher" else None,
                idempotency_key=key,
                payment_code=code,
            )
        except ValidationError:
            raise WalletError(Code.INVALID_AMOUNT, "the wallet tender is a positive amount or a voucher") from None
        answer = self._call(lambda c: c.place_hold(request))
        assert isinstance(answer, HoldView)
        if answer.state != "held":
            raise WalletError(Code.HOLD_INVALID, f"the hold is {answer.state}")
        return Hold(
            str(answer.hold_id), answer.member_id, answer.kind, answer.amount_fen, answer.points, answer.voucher_id
        )

    def release(self, *, hold_id: str) -> None:
        """Give a reservation back (the sale was abandoned); a repeat answers the same."""
        self._call(lambda c: c.release_hold(hold_id))

    def close(self) -> None:
        with self._lock:
            http, self._http, self._client = self._http, None, None
        if http is not None:
            http.close()
