"""Sync protocol wire schemas (terminal <-> central server). Versioned; see docs/sync-protocol.md.

Version history:
  1  push of outbox events (order paid / completed / refunded, member registered) with per-terminal sequence
     numbers and client-made UUIDs; pull of settings, members and the store's queue snapshot from a cursor.
     Added within 1 (optional, on request): the level catalog in a pull (`?levels=true` -> `levels`).
  2  a pull carries members' phone keys (scrypt, `PhoneLookup`) instead of sha256 phone hashes and phone tails, and
     no digit of a phone; a version 1 pull is refused. Pushes are unchanged (both versions accepted).
     Added within 2 (optional): a sale's `wallet_tenders` (holds captured at ingestion) and
     `deduction_voucher_fen`; the wallet hold API (`/api/v1/wallet/holds`, docs/wallet.md).
     Added within 2 (optional fields): a sale line's `sku`, `discount_fen` and `participates` (docs/rules.md §8).
     Added within 2: `GET /api/v1/sync/catalogue` (`CataloguePage`), the store's product catalogue in pages.
     Added within 2 (optional, on request): the till's checkout point in a pull (`?checkout=true` -> `checkout`).
     Added within 2 (optional): `order_paid.tenders` and `employee_id`, `order_refunded.employee_id`, the events
     `drawer_opened` and `shift_closed`; on request, the store's employees in a pull (`?employees=true`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

PROTOCOL_VERSION = 2
SUPPORTED_VERSIONS = frozenset({1, 2})
PULL_VERSIONS = frozenset({2})  # a version 1 pull handed out phone data that could be reversed
MAX_BATCH = 500
MAX_PUSH_BYTES = 4 * 1024 * 1024  # a push body; a till keeps each batch under it (one event is far less)
MAX_FEN = 10**12

Fen = Annotated[int, Field(ge=0, le=MAX_FEN, strict=True)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Tender = Literal["cash", "wechat", "alipay", "card", "other"]
TenderKind = Literal["cash", "card", "wechat", "alipay"]
MAX_TENDERS = 8


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------------------------------ enrolment


class EnrollRequest(_Wire):
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 \-]+$")]  # dashes, case ignored
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]  # in `terminal list`
    public_key: Annotated[str, Field(min_length=43, max_length=44, pattern=r"^[A-Za-z0-9_\-]+=?$")]  # base64url


class EnrollResponse(_Wire):
    terminal_id: str
    store_id: str
    credential: str  # shown once; the server keeps only its hash


class RotateResponse(_Wire):
    credential: str  # pending until first used; the current credential works until then


# ------------------------------------------------------------------------------------------ push: events


class SaleLine(_Wire):
    """One item of a sale. `sku`, `discount_fen` and `participates` were added within version 2 (all optional)."""

    sku: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")] | None = None
    name: Annotated[str, Field(min_length=1, max_length=80)]
    quantity: Annotated[int, Field(ge=1, le=100_000, strict=True)]
    unit_price_fen: Fen
    discount_fen: Fen = 0  # the line's own discount
    amount_fen: Fen
    participates: Annotated[bool, Field(strict=True)] = True  # takes part in the rebate (docs/rules.md §8)

    @model_validator(mode="after")
    def _amount(self) -> SaleLine:
        gross = self.quantity * self.unit_price_fen
        if self.discount_fen > gross:
            raise ValueError("discount_fen must not exceed quantity × unit_price_fen")
        if self.amount_fen != gross - self.discount_fen:
            raise ValueError("amount_fen must equal quantity × unit_price_fen − discount_fen")
        return self


WalletKind = Literal["rebate", "voucher", "points"]


class WalletTender(_Wire):
    """Part of a sale paid from the member's wallet, authorised beforehand by a hold (docs/wallet.md)."""

    hold_id: uuid.UUID
    kind: WalletKind
    amount_fen: Annotated[int, Field(gt=0, le=MAX_FEN, strict=True)]


class TenderPart(_Wire):
    """One way the customer paid part of a sale. Cash may say what was handed over (`received_fen`) and what was
    given back (`change_fen`): then `received_fen - change_fen = amount_fen`."""

    kind: TenderKind
    amount_fen: Annotated[int, Field(gt=0, le=MAX_FEN, strict=True)]
    received_fen: Fen | None = None
    change_fen: Fen | None = None

    @model_validator(mode="after")
    def _cash(self) -> TenderPart:
        if (self.received_fen is None) != (self.change_fen is None):
            raise ValueError("received_fen and change_fen come together")
        if self.received_fen is not None and self.change_fen is not None:
            if self.kind != "cash":
                raise ValueError("only cash has received_fen and change_fen")
            if self.received_fen - self.change_fen != self.amount_fen:
                raise ValueError("received_fen - change_fen must equal amount_fen")
        return self


class OrderPaid(_Wire):
    type: Literal["order_paid"] = "order_paid"
    order_id: uuid.UUID
    cashier_id: Id
    member_id: Id | None = None
    total_fen: Fen
    discount_fen: Fen = 0
    deduction_points_fen: Fen = 0
    deduction_love_fen: Fen = 0
    deduction_voucher_fen: Fen = 0
    paid_fen: Fen
    paid_at: AwareDatetime
    completed: bool = True
    tender: Tender = "cash"
    lines: Annotated[list[SaleLine], Field(max_length=500)] = []
    wallet_tenders: Annotated[list[WalletTender], Field(max_length=20)] = []
    tenders: Annotated[list[TenderPart], Field(max_length=MAX_TENDERS)] = []
    employee_id: Id | None = None  # who rang it up (a store with employees; None: the store has none)

    @model_validator(mode="after")
    def _sums(self) -> OrderPaid:
        deductions = (
            self.discount_fen + self.deduction_points_fen + self.deduction_love_fen + self.deduction_voucher_fen
        )
        if self.paid_fen + deductions != self.total_fen:
            raise ValueError("total_fen must equal paid_fen + discount_fen + deductions")
        if self.lines and sum(line.amount_fen for line in self.lines) != self.total_fen:
            raise ValueError("the lines must add up to total_fen")
        self._wallet_sums()
        from_balance = sum(t.amount_fen for t in self.wallet_tenders if t.kind == "rebate")
        if self.tenders and sum(t.amount_fen for t in self.tenders) + from_balance != self.paid_fen:
            raise ValueError("the tenders and the rebate balance must add up to paid_fen")
        return self

    def _wallet_sums(self) -> None:
        """The wallet rule (docs/rules.md): the balance is payment, vouchers and points are deductions."""
        by_kind = {"rebate": 0, "voucher": 0, "points": 0}
        for tender in self.wallet_tenders:
            by_kind[tender.kind] += tender.amount_fen
        if len({str(x.hold_id) for x in self.wallet_tenders}) != len(self.wallet_tenders):
            raise ValueError("a hold can pay one tender only")
        if self.wallet_tenders and not self.member_id:
            raise ValueError("wallet tenders need the member")
        if by_kind["rebate"] > self.paid_fen:
            raise ValueError("the rebate balance paid more than paid_fen")
        if by_kind["voucher"] != self.deduction_voucher_fen:
            raise ValueError("deduction_voucher_fen must equal the voucher tenders")
        if self.wallet_tenders and by_kind["points"] != self.deduction_points_fen:
            raise ValueError("deduction_points_fen must equal the points tenders")


class OrderCompleted(_Wire):
    type: Literal["order_completed"] = "order_completed"
    order_id: uuid.UUID
    completed_at: AwareDatetime


class OrderRefunded(_Wire):
    type: Literal["order_refunded"] = "order_refunded"
    order_id: uuid.UUID
    refund_id: uuid.UUID
    amount_fen: Annotated[int, Field(gt=0, le=MAX_FEN, strict=True)]
    refunded_at: AwareDatetime
    reason: Annotated[str, Field(max_length=200)] = ""
    employee_id: Id | None = None  # the manager who allowed it (None: the till's shared manager PIN)


class MemberRegistered(_Wire):
    """A member signed up at the till by phone number; `member_id` is made by the terminal (a UUID)."""

    type: Literal["member_registered"] = "member_registered"
    member_id: Id
    phone: Annotated[str, Field(pattern=r"^1[3-9][0-9]{9}$")]  # ASCII digits: \d would take any script's
    registered_at: AwareDatetime


class DrawerOpened(_Wire):
    """The cash drawer opened without a sale (a manager's decision at the till: change for the float, a check)."""

    type: Literal["drawer_opened"] = "drawer_opened"
    drawer_id: uuid.UUID  # made by the till, once
    opened_at: AwareDatetime
    employee_id: Id | None = None  # the manager who allowed it (None: the till's shared manager PIN)
    reason: Annotated[str, Field(max_length=200)] = ""


class TenderTotal(_Wire):
    kind: Tender
    sales_count: Annotated[int, Field(ge=0, strict=True)]
    sales_fen: Fen
    refunds_fen: Fen = 0


class ShiftClosed(_Wire):
    """A till's Z report: the shift closed with the cash counted. Stored once on the server (by `z_id`)."""

    type: Literal["shift_closed"] = "shift_closed"
    z_id: uuid.UUID  # made by the till at the Z, once
    shift_no: Annotated[int, Field(ge=1, strict=True)]  # the till's own shift number, printed on the Z
    opened_at: AwareDatetime
    closed_at: AwareDatetime
    employee_id: Id | None = None  # the manager who closed it (None: the till's shared manager PIN)
    sales_count: Annotated[int, Field(ge=0, strict=True)]
    paid_fen: Fen  # money taken by sales
    refunds_fen: Fen
    opening_float_fen: Fen
    cash_expected_fen: Annotated[int, Field(ge=-MAX_FEN, le=MAX_FEN, strict=True)]  # may be below 0: refunds
    cash_counted_fen: Fen
    drawer_openings: Annotated[int, Field(ge=0, strict=True)] = 0
    tenders: Annotated[list[TenderTotal], Field(max_length=16)] = []


EventBody = Annotated[
    OrderPaid | OrderCompleted | OrderRefunded | MemberRegistered | DrawerOpened | ShiftClosed,
    Field(discriminator="type"),
]


class OutboxEvent(_Wire):
    event_id: uuid.UUID  # made by the terminal; the same id with a different body is refused
    seq: Annotated[int, Field(ge=1, strict=True)]  # per terminal, 1, 2, 3, ... without gaps
    created_at: AwareDatetime  # terminal clock, informational only
    body: EventBody


class PushRequest(_Wire):
    protocol: int = PROTOCOL_VERSION
    events: Annotated[list[OutboxEvent], Field(max_length=MAX_BATCH)]
    backlog: Annotated[int, Field(ge=0)] = 0  # events still waiting in the outbox after this batch

    @model_validator(mode="after")
    def _ordered(self) -> PushRequest:
        seqs = [e.seq for e in self.events]
        if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            raise ValueError("events must be in ascending seq order without repeats")
        return self


# ------------------------------------------------------------------------------------------ push: answers


class EntryInfo(_Wire):
    seq: int
    queue: str
    position: int | None  # 1-based among entries that can still receive money; None once not waiting
    entitlement_fen: int
    paid_fen: int
    status: str
    lottery_state: str


EventStatus = Literal["accepted", "duplicate", "refused", "parked", "not_applied"]


class EventResult(_Wire):
    event_id: uuid.UUID
    seq: int
    status: EventStatus
    code: str | None = None  # stable error code when refused
    detail: str | None = None
    order_id: uuid.UUID | None = None
    member_id: str | None = None  # for member_registered: the id the server knows the member by
    entry: EntryInfo | None = None
    member_page_token: str | None = None


class PushResponse(_Wire):
    protocol: int = PROTOCOL_VERSION
    results: list[EventResult]
    applied_through: int  # highest seq of this terminal applied (accepted, duplicate, refused, parked)
    resend_from: int | None = None  # set when the batch began after a gap: send again from this seq


# ------------------------------------------------------------------------------------------ pull


class MemberInfo(_Wire):
    member_id: str
    display_name: str  # already masked for the till; never a digit of the phone
    phone_key: str | None  # shared.phones.phone_key of the member's phone (hex), for offline lookup of a typed number
    level: str | None
    updated_version: int
    # the member's points balance at the server (`pull?points=true` only: a till of before refuses an unknown field);
    # the till caps a points deduction at what these points are worth (issue 12), until the wallet debits them
    points: int | None = None


class PhoneLookup(_Wire):
    """How a till computes the key of a typed phone number (shared.phones; docs/sync-protocol.md "Phone keys")."""

    scheme: Literal["scrypt"] = "scrypt"
    salt: str  # the chain's, ASCII
    n: Annotated[int, Field(ge=2, le=2**20)]
    r: Annotated[int, Field(ge=1, le=32)]
    p: Annotated[int, Field(ge=1, le=16)]
    length: Annotated[int, Field(ge=8, le=64)]  # bytes of key


class SnapshotEntry(_Wire):
    seq: int
    order_id: str
    member_id: str
    member_display: str
    position: int | None
    entitlement_fen: int
    paid_fen: int
    remaining_fen: int
    status: str
    lottery_state: str
    since: dt.datetime


class QueueSnapshot(_Wire):
    version: int
    queue: str  # the store's queue key under the settings in force
    waiting_count: int
    outstanding_fen: int
    entries: list[SnapshotEntry]  # the head of the queue and this store's waiting entries, capped
    truncated: bool = False


class SigningKey(_Wire):
    kid: str
    public_key: str  # raw Ed25519 public key, base64url without padding
    not_after: dt.datetime | None = None


class OrderFacts(_Wire):
    """`GET /sync/orders/{order_id}`: a sale of the terminal's own store as the server holds it, so a refund at
    another till is checked before it is recorded (an unknown order id is refused `unknown_order`, 404)."""

    order_id: uuid.UUID
    paid_fen: int
    refunded_fen: int
    paid_at: dt.datetime


class StoreView(_Wire):
    store_id: str
    name: str
    timezone: str
    cashier_ids: list[str]


class LevelInfo(_Wire):
    """A level of the chain's catalog: what a till shows for a member's `level`."""

    level_id: str
    name_zh: str
    name_en: str
    rank: int  # higher is better


class CheckoutPoint(_Wire):
    """The checkout point (收银台) the pulling till is bound to: its sales are this checkout point's."""

    cashier_id: str
    name: str


EmployeeRole = Literal["cashier", "manager"]


class EmployeeInfo(_Wire):
    """An employee of the till's store: signs in with a personal PIN, verified offline against `pin_hash`."""

    employee_id: Id
    name: Annotated[str, Field(min_length=1, max_length=100)]
    role: EmployeeRole
    pin_hash: Annotated[str, Field(max_length=200, pattern=r"^\$argon2id\$")]  # PHC string: parameters, salt, hash
    active: bool = True


class PullResponse(_Wire):
    protocol: int = PROTOCOL_VERSION
    server_time: dt.datetime
    cursor: str  # opaque: give it back on the next pull
    settings_version: int
    base_settings: dict[str, object]
    store_settings: dict[str, object]
    store: StoreView
    members: list[MemberInfo]
    members_complete: bool  # False: more member changes wait; pull again with the new cursor
    snapshot: QueueSnapshot
    member_code_keys: list[SigningKey]
    phone_lookup: PhoneLookup
    # Only when the pull asked for it (`levels=true`): a till that does not know the field never receives it, since
    # this model refuses unknown fields. The whole catalog, highest rank first, on every such pull.
    levels: list[LevelInfo] | None = None
    # Only when asked (`checkout=true`), like `levels`: the till's checkout point, as the server binds it.
    checkout: CheckoutPoint | None = None
    # Only when the pull asked for it (`employees=true`): the store's employees, all of them, on every such pull.
    employees: list[EmployeeInfo] | None = None


# ------------------------------------------------------------------------------------------ the wallet's holds


class HoldRequest(_Wire):
    """Ask the server to reserve part of the member's wallet for a tender (docs/wallet.md)."""

    member_id: Id
    kind: WalletKind
    amount_fen: Annotated[int, Field(gt=0, le=MAX_FEN, strict=True)] | None = None  # a voucher: its face value
    voucher_id: Annotated[int, Field(ge=1, strict=True)] | None = None
    idempotency_key: Id  # the till's own id for this tender; a retry with it answers the same hold
    payment_code: Annotated[str, Field(min_length=1, max_length=16)]  # the member's consent (member page)

    @model_validator(mode="after")
    def _shape(self) -> HoldRequest:
        if (self.kind == "voucher") != (self.voucher_id is not None):
            raise ValueError("voucher_id is given with kind voucher, and only then")
        if self.kind != "voucher" and self.amount_fen is None:
            raise ValueError("amount_fen is required")
        return self


class HoldView(_Wire):
    hold_id: uuid.UUID
    member_id: str
    kind: WalletKind
    amount_fen: int  # what the tender pays
    points: int  # points reserved (kind points)
    voucher_id: int | None
    state: Literal["held", "captured", "released", "expired"]
    order_id: str | None
    expires_at: dt.datetime


class WalletVoucher(_Wire):
    voucher_id: int
    value_fen: int
    expires_at: dt.datetime | None


class MemberWallet(_Wire):
    """What a till may show of a member's wallet: what can be spent here now."""

    member_id: str
    rebate_available_fen: int  # 0 while the balance is negative (after a clawback)
    points_available: int
    points_per_yuan: int
    vouchers: list[WalletVoucher]  # issued, not held, not expired, valid in this store


# ------------------------------------------------------------------------------------------ catalogue

CATALOGUE_PAGE = 1000  # products per page by default; a till may ask for up to CATALOGUE_PAGE_MAX
CATALOGUE_PAGE_MAX = 5000


class CatalogueProduct(_Wire):
    """A product of headquarters' catalogue as a till keeps it; `active: false` takes it off the till."""

    sku: str
    barcode: str | None
    name: str
    price_fen: int
    category: str
    participates: bool  # takes part in the rebate (docs/rules.md §8)
    active: bool
    version: int  # the import that last changed it


class CataloguePage(_Wire):
    """`GET /api/v1/sync/catalogue?after_version=V&after_sku=S&limit=N`: products changed after (V, S), in
    (version, sku) order. `enabled` is false for a store that sells without a catalogue (plain amounts)."""

    enabled: bool
    products: list[CatalogueProduct]
    complete: bool  # no more changes after the last product of this page


class ErrorBody(_Wire):
    """Every refusal of a request (4xx) answers with this body."""

    code: str
    detail: str = ""
