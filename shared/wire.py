"""Sync protocol wire schemas (terminal <-> central server). Versioned; see docs/sync-protocol.md.

Version history:
  1  push of outbox events (order paid / completed / refunded, member registered) with per-terminal sequence
     numbers and client-made UUIDs; pull of settings, members and the store's queue snapshot from a cursor.
     Added within 1 (optional, on request): the level catalog in a pull (`?levels=true` -> `levels`).
     Added within 2 (optional): `order_paid.tenders` and `employee_id`, `order_refunded.employee_id`, the events
     `drawer_opened` and `shift_closed`; on request, the store's employees in a pull (`?employees=true`).
  2  a pull carries members' phone keys (scrypt, `PhoneLookup`) instead of sha256 phone hashes and phone tails, and
     no digit of a phone; a version 1 pull is refused. Pushes are unchanged (both versions accepted).
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
    name: Annotated[str, Field(min_length=1, max_length=80)]
    quantity: Annotated[int, Field(ge=1, le=100_000, strict=True)]
    unit_price_fen: Fen
    amount_fen: Fen

    @model_validator(mode="after")
    def _amount(self) -> SaleLine:
        if self.amount_fen != self.quantity * self.unit_price_fen:
            raise ValueError("amount_fen must equal quantity × unit_price_fen")
        return self


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
    paid_fen: Fen
    paid_at: AwareDatetime
    completed: bool = True
    tender: Tender = "cash"
    lines: Annotated[list[SaleLine], Field(max_length=500)] = []
    tenders: Annotated[list[TenderPart], Field(max_length=MAX_TENDERS)] = []
    employee_id: Id | None = None  # who rang it up (a store with employees; None: the store has none)

    @model_validator(mode="after")
    def _sums(self) -> OrderPaid:
        deductions = self.discount_fen + self.deduction_points_fen + self.deduction_love_fen
        if self.paid_fen + deductions != self.total_fen:
            raise ValueError("total_fen must equal paid_fen + discount_fen + deductions")
        if self.lines and sum(line.amount_fen for line in self.lines) != self.total_fen:
            raise ValueError("the lines must add up to total_fen")
        if self.tenders and sum(t.amount_fen for t in self.tenders) != self.paid_fen:
            raise ValueError("the tenders must add up to paid_fen")
        return self


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
    # Only when the pull asked for it (`employees=true`): the store's employees, all of them, on every such pull.
    employees: list[EmployeeInfo] | None = None


class ErrorBody(_Wire):
    """Every refusal of a request (4xx) answers with this body."""

    code: str
    detail: str = ""
