"""The replay format `paidui-scenario/1` (scenario-format.md): parse a scenario, run it, build the result.

The runner is backend-agnostic: the in-memory engine here, the server's ingest services in `server.replay`.
A malformed document is a ScenarioError (the CLI exits 2); a malformed or refused *event* is listed under
`rejected` with a stable code and the replay goes on.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .engine.commands import (
    ChangeSettings,
    Command,
    CompleteOrder,
    DrawLottery,
    Exchange,
    ImportEntry,
    ImportOrder,
    PayOrder,
    RefundOrder,
    Reset,
    SetMemberLevel,
)
from .engine.model import Entry, queue_key
from .engine.randomness import ArrangementError
from .engine.views import AllocationLine, MemberBalance, UnallocatedLine
from .errors import Code, RuleError
from .ids import CashierId, MemberId, OrderId, StoreId, TerminalId
from .settings import BaseSettings, StoreSettings, parse_base, parse_store

FORMAT = "paidui-scenario/1"
Fen = Annotated[int, Field(strict=True)]


def _time_text(value: object) -> object:
    # pydantic would read a number as seconds since 1970: in a scenario that is a typo, not a time.
    if not isinstance(value, str | dt.datetime):
        raise ValueError("a time is ISO 8601 text with an offset, e.g. 2024-07-01T10:00:00+08:00")
    return value


Time = Annotated[dt.datetime, BeforeValidator(_time_text)]


class ScenarioError(ValueError):
    """The scenario document itself is malformed: nothing was replayed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreDoc(_Strict):
    id: Annotated[StoreId, Field(min_length=1)]
    timezone: str = "Asia/Shanghai"
    cashiers: Annotated[list[Annotated[CashierId, Field(min_length=1)]], Field(min_length=1)]
    cashier_settings: dict[str, Any] = {}


class MemberDoc(_Strict):
    id: Annotated[MemberId, Field(min_length=1)]
    level: str | None = None


class ImportedOrderDoc(_Strict):
    order_id: OrderId
    store: StoreId
    cashier: CashierId
    member: MemberId | None = None
    paid_fen: Fen
    paid_at: Time
    status: Literal["paid", "completed", "refunded"] = "completed"
    refunded_fen: Fen = 0


class ImportedEntryDoc(_Strict):
    order_id: OrderId
    store: StoreId
    cashier: CashierId
    member: MemberId
    entitlement_fen: Fen
    paid_fen: Fen
    ratio_bp: Fen
    paid_at: Time


class HeaderDoc(_Strict):
    format: Literal["paidui-scenario/1"]
    settings: dict[str, Any] = {}
    stores: list[StoreDoc] = []
    members: list[MemberDoc] = []
    imported_orders: list[ImportedOrderDoc] = []
    imported_entries: list[ImportedEntryDoc] = []
    random_return_arrangements: list[list[Literal["cash", "points"]]] = []
    events: list[Any] = []


class _Event(_Strict):
    type: str


class LineDoc(_Strict):
    """A sale line (docs/rules.md §8): its amount after its own discount, and whether it takes part."""

    amount_fen: Fen
    participates: Annotated[bool, Field(strict=True)] = True
    sku: str | None = None
    name: str | None = None


class OrderPaidDoc(_Event):
    type: Literal["order_paid"]
    order_id: Annotated[OrderId, Field(min_length=1)]
    store: StoreId
    cashier: CashierId
    member: MemberId | None = None
    paid_fen: Fen
    paid_at: Time
    total_fen: Fen | None = None
    discount_fen: Fen = 0
    deduction_points_fen: Fen = 0
    deduction_love_fen: Fen = 0
    deduction_voucher_fen: Fen = 0
    completed: bool = False
    terminal: TerminalId | None = None
    lines: Annotated[list[LineDoc], Field(max_length=500)] = []


class OrderCompletedDoc(_Event):
    type: Literal["order_completed"]
    order_id: OrderId
    at: Time


class OrderRefundedDoc(_Event):
    type: Literal["order_refunded"]
    order_id: OrderId
    refund_id: Annotated[str, Field(min_length=1)]
    amount_fen: Fen
    at: Time


class LotteryDrawDoc(_Event):
    type: Literal["lottery_draw"]
    order_id: OrderId
    result_bp: Fen


class ExchangeDoc(_Event):
    type: Literal["exchange"]
    order_id: OrderId
    into: str


class SettingsDoc(_Event):
    type: Literal["settings"]
    base: dict[str, Any] | None = None
    stores: dict[StoreId, dict[str, Any]] = {}


class MemberLevelDoc(_Event):
    type: Literal["member_level"]
    member: MemberId
    level: str | None
    at: Time


class ResetDoc(_Event):
    type: Literal["reset"]
    at: Time


# ------------------------------------------------------------------ the wallet (server replay only, docs/wallet.md)


class WalletSaleDoc(_Event):
    """A sale paid partly from the member's wallet: `rebate_fen` from the balance (payment), `points_fen` worth of
    points and the voucher `voucher_id` (deductions), the rest `cash_fen`."""

    type: Literal["wallet_sale"]
    order_id: Annotated[OrderId, Field(min_length=1)]
    store: StoreId
    cashier: CashierId
    member: Annotated[MemberId, Field(min_length=1)]
    paid_at: Time
    cash_fen: Fen = 0
    rebate_fen: Fen = 0
    points_fen: Fen = 0
    voucher_id: Annotated[int, Field(ge=1, strict=True)] | None = None
    completed: bool = True


class WithdrawalRequestedDoc(_Event):
    type: Literal["withdrawal_requested"]
    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    member: Annotated[MemberId, Field(min_length=1)]
    amount_fen: Fen
    at: Time


class WithdrawalDecidedDoc(_Event):
    type: Literal["withdrawal_approved", "withdrawal_declined"]
    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    reason: str = ""
    at: Time


class PointsTransferDoc(_Event):
    type: Literal["points_transfer"]
    transfer_id: Annotated[str, Field(min_length=1, max_length=64)]
    from_member: Annotated[MemberId, Field(min_length=1, alias="from")]
    to: Annotated[MemberId, Field(min_length=1)]
    points: Annotated[int, Field(strict=True)]
    at: Time


@dataclass(frozen=True, slots=True)
class WalletEvent:
    """A wallet event of a scenario: the server's replay applies it through its wallet services."""

    doc: WalletSaleDoc | WithdrawalRequestedDoc | WithdrawalDecidedDoc | PointsTransferDoc


EVENT_DOCS: dict[str, type[_Event]] = {
    "wallet_sale": WalletSaleDoc,
    "withdrawal_requested": WithdrawalRequestedDoc,
    "withdrawal_approved": WithdrawalDecidedDoc,
    "withdrawal_declined": WithdrawalDecidedDoc,
    "points_transfer": PointsTransferDoc,
    "order_paid": OrderPaidDoc,
    "order_completed": OrderCompletedDoc,
    "order_refunded": OrderRefundedDoc,
    "lottery_draw": LotteryDrawDoc,
    "exchange": ExchangeDoc,
    "settings": SettingsDoc,
    "member_level": MemberLevelDoc,
    "reset": ResetDoc,
}


@dataclass
class Scenario:
    base: BaseSettings
    stores: list[tuple[StoreId, str, list[CashierId], StoreSettings]]
    members: list[tuple[MemberId, str | None]]
    imported_orders: list[ImportOrder]
    imported_entries: list[ImportEntry]
    arrangements: list[list[str]]
    start_clock: dt.datetime
    events: list[Command | WalletEvent | RuleError] = field(default_factory=list)


def _validation_text(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(x) for x in err['loc']) or '(document)'}: {err['msg']}" for err in exc.errors()[:5]
    )


def _aware(ts: dt.datetime, where: str) -> dt.datetime:
    if ts.tzinfo is None:
        raise ScenarioError(f"{where}: times need an offset (ISO 8601 with +08:00 or Z)")
    return ts


def parse_scenario(doc: object) -> Scenario:
    """Validate a scenario document; raises ScenarioError with a readable message when it is malformed."""
    if not isinstance(doc, dict):
        raise ScenarioError("a scenario is a JSON object")
    if doc.get("format") != FORMAT:
        raise ScenarioError(f"unsupported format {doc.get('format')!r}: expected {FORMAT!r}")
    try:
        header = HeaderDoc.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(_validation_text(exc)) from None
    try:
        base = parse_base(header.settings)
    except RuleError as exc:
        raise ScenarioError(f"settings: {exc.detail}") from None
    stores = []
    seen_cashiers: set[str] = set()
    for s in header.stores:
        try:
            settings = parse_store(s.cashier_settings)
            BaseSettings(timezone=s.timezone)
        except (RuleError, ValidationError) as exc:
            detail = exc.detail if isinstance(exc, RuleError) else _validation_text(exc)
            raise ScenarioError(f"store {s.id}: {detail}") from None
        if seen_cashiers & set(s.cashiers):
            raise ScenarioError(f"store {s.id}: a cashier belongs to one store only")
        seen_cashiers |= set(s.cashiers)
        stores.append((s.id, s.timezone, list(s.cashiers), settings))
    if len({s[0] for s in stores}) != len(stores):
        raise ScenarioError("stores: duplicate store id")
    _check_imports(header, {s[0]: s[2] for s in stores})
    imported_orders = [
        ImportOrder(
            o.order_id,
            o.store,
            o.cashier,
            o.member,
            o.paid_fen,
            _aware(o.paid_at, "imported_orders"),
            o.status,
            o.refunded_fen,
        )
        for o in header.imported_orders
    ]
    imported_entries = [
        ImportEntry(
            e.order_id,
            e.store,
            e.cashier,
            e.member,
            e.entitlement_fen,
            e.paid_fen,
            e.ratio_bp,
            _aware(e.paid_at, "imported_entries"),
        )
        for e in header.imported_entries
    ]
    scenario = Scenario(
        base=base,
        stores=stores,
        members=[(m.id, m.level) for m in header.members],
        imported_orders=imported_orders,
        imported_entries=imported_entries,
        arrangements=[list(a) for a in header.random_return_arrangements],
        start_clock=_start_clock(header),
    )
    clock = scenario.start_clock
    for raw in header.events:
        command, clock = _event_command(raw, clock)
        scenario.events.append(command)
    return scenario


def _check_imports(header: HeaderDoc, cashiers: dict[StoreId, list[CashierId]]) -> None:
    """Imported rows are part of the document: a bad one is a malformed scenario, not a refused event."""
    rows: list[tuple[str, ImportedOrderDoc | ImportedEntryDoc]] = [
        *(("imported_orders", o) for o in header.imported_orders),
        *(("imported_entries", e) for e in header.imported_entries),
    ]
    for where, row in rows:
        name = f"{where} {row.order_id!r}"
        if row.store not in cashiers:
            raise ScenarioError(f"{name}: unknown store {row.store!r}")
        if row.cashier not in cashiers[row.store]:
            raise ScenarioError(f"{name}: {row.cashier!r} is not a cashier of {row.store}")
        amounts = {"paid_fen": row.paid_fen}
        if isinstance(row, ImportedOrderDoc):
            amounts["refunded_fen"] = row.refunded_fen
        else:
            amounts |= {"entitlement_fen": row.entitlement_fen, "ratio_bp": row.ratio_bp}
        for field_name, value in amounts.items():
            if not 0 <= value <= 10**12:
                raise ScenarioError(f"{name}: {field_name} must be whole fen between 0 and 10^12")
        if isinstance(row, ImportedEntryDoc) and row.paid_fen > row.entitlement_fen:
            raise ScenarioError(f"{name}: paid_fen exceeds entitlement_fen")


def _start_clock(header: HeaderDoc) -> dt.datetime:
    times = [o.paid_at for o in header.imported_orders] + [e.paid_at for e in header.imported_entries]
    times = [t for t in times if t.tzinfo is not None]
    return max(times) if times else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _event_command(raw: object, clock: dt.datetime) -> tuple[Command | WalletEvent | RuleError, dt.datetime]:
    """An event as a command; events without a time of their own happen at the latest time seen so far."""
    if not isinstance(raw, dict) or raw.get("type") not in EVENT_DOCS:
        kind = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
        return RuleError(Code.INVALID_EVENT, f"unknown event type {kind!r}"), clock
    try:
        ev = EVENT_DOCS[raw["type"]].model_validate(raw)
    except ValidationError as exc:
        return RuleError(Code.INVALID_EVENT, _validation_text(exc)), clock
    for name in ("paid_at", "at"):
        ts = getattr(ev, name, None)
        if isinstance(ts, dt.datetime):
            if ts.tzinfo is None:
                return RuleError(Code.INVALID_EVENT, f"{name} needs an offset"), clock
            clock = max(clock, ts)
    match ev:
        case OrderPaidDoc():
            return PayOrder(
                order_id=ev.order_id,
                store_id=ev.store,
                cashier_id=ev.cashier,
                member_id=ev.member,
                paid_fen=ev.paid_fen,
                paid_at=ev.paid_at,
                received_at=ev.paid_at,
                terminal_id=ev.terminal,
                total_fen=ev.total_fen,
                discount_fen=ev.discount_fen,
                deduction_points_fen=ev.deduction_points_fen,
                deduction_love_fen=ev.deduction_love_fen,
                deduction_voucher_fen=ev.deduction_voucher_fen,
                completed=ev.completed,
                lines_json=json.dumps([x.model_dump(exclude_none=True) for x in ev.lines]) if ev.lines else None,
            ), clock
        case OrderCompletedDoc():
            return CompleteOrder(ev.order_id, ev.at), clock
        case OrderRefundedDoc():
            return RefundOrder(ev.order_id, ev.refund_id, ev.amount_fen, ev.at), clock
        case LotteryDrawDoc():
            return DrawLottery(ev.order_id, clock, result_bp=ev.result_bp), clock
        case ExchangeDoc():
            return Exchange(ev.order_id, ev.into, clock), clock
        case SettingsDoc():
            return ChangeSettings(clock, base=ev.base, stores=ev.stores, actor="replay"), clock
        case MemberLevelDoc():
            return SetMemberLevel(ev.member, ev.level, ev.at), clock
        case ResetDoc():
            return Reset(ev.at), clock
        case WalletSaleDoc() | WithdrawalRequestedDoc() | WithdrawalDecidedDoc() | PointsTransferDoc():
            return WalletEvent(ev), clock
    raise AssertionError(f"unhandled event {ev!r}")  # pragma: no cover


# ---------------------------------------------------------------------------------------------- running


class ReadModel(Protocol):
    def base_settings(self) -> BaseSettings: ...
    def entries(self) -> list[Entry]: ...
    def allocation_lines(self) -> list[AllocationLine]: ...
    def unallocated_lines(self) -> list[UnallocatedLine]: ...
    def balances(self) -> dict[str, MemberBalance]: ...


class Backend(Protocol):
    def setup(self, scenario: Scenario) -> None: ...
    def apply(self, command: Command | WalletEvent) -> None:
        """Apply one command in its own unit of work; raise RuleError (nothing changed) when refused."""
        ...

    def read_model(self) -> ReadModel: ...


class GroupBackend(Backend, Protocol):
    def apply_group(self, commands: list[Command | WalletEvent]) -> list[RuleError | None]:
        """Apply commands in order, in groups (spec §15): each refused one (its RuleError) changes nothing, the
        others stand, exactly as if each had been applied alone."""
        ...


class Replay:
    """Incremental replay: set up from a scenario header, then feed events one at a time (property tests)."""

    def __init__(self, doc: object, backend: Backend) -> None:
        self.scenario = parse_scenario(doc)
        self.backend = backend
        self.backend.setup(self.scenario)
        self.rejected: list[dict[str, Any]] = []
        self._clock = self.scenario.start_clock
        self._index = 0

    def _apply(self, command: Command | WalletEvent | RuleError) -> str | None:
        index, self._index = self._index, self._index + 1
        if isinstance(command, RuleError):
            self.rejected.append({"event": index, "code": command.code.value, "detail": command.detail})
            return command.code.value
        try:
            self.backend.apply(command)
        except RuleError as exc:
            self.rejected.append({"event": index, "code": exc.code.value, "detail": exc.detail})
            return exc.code.value
        except ArrangementError as exc:  # the scenario's scripted randomness does not fit: the document is wrong
            raise ScenarioError(f"event {index}: {exc}") from None
        return None

    def step(self, event: object) -> str | None:
        """Apply one event document; returns the rejection code, or None when it was applied (or ignored)."""
        command, self._clock = _event_command(event, self._clock)
        return self._apply(command)

    def step_group(self, events: list[object]) -> list[str | None]:
        """Apply event documents as the backend groups them (one at a time if it does not): their codes."""
        commands = []
        for event in events:
            command, self._clock = _event_command(event, self._clock)
            commands.append(command)
        return self._apply_many(commands)

    def _apply_many(self, commands: list[Command | WalletEvent | RuleError]) -> list[str | None]:
        apply_group = getattr(self.backend, "apply_group", None)
        if apply_group is None:
            return [self._apply(c) for c in commands]
        try:
            errors = iter(apply_group([c for c in commands if not isinstance(c, RuleError)]))
        except ArrangementError as exc:
            raise ScenarioError(f"events {self._index}–{self._index + len(commands) - 1}: {exc}") from None
        codes: list[str | None] = []
        for command in commands:
            index, self._index = self._index, self._index + 1
            error = command if isinstance(command, RuleError) else next(errors)
            if error is not None:
                self.rejected.append({"event": index, "code": error.code.value, "detail": error.detail})
            codes.append(error.code.value if error is not None else None)
        return codes

    def result(self) -> dict[str, Any]:
        return result_document(self.backend.read_model(), self.rejected)


def run(doc: object, backend: Backend, on_event: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Replay a scenario document through `backend` and return the result document."""
    replay = Replay(doc, backend)
    if on_event is None and hasattr(backend, "apply_group"):
        replay._apply_many(list(replay.scenario.events))
        return replay.result()
    for index, command in enumerate(replay.scenario.events):
        replay._apply(command)
        if on_event is not None:
            on_event(index)
    return replay.result()


def result_document(model: ReadModel, rejected: Iterable[dict[str, Any]]) -> dict[str, Any]:
    all_cashiers = model.base_settings().all_cashiers_queue
    entries = [
        {
            "order_id": e.order_id,
            "member": e.member_id,
            "queue": queue_key(e.cashier_id, all_cashiers),
            "seq": e.seq,
            "ratio_bp": e.ratio_bp,
            "entitlement_fen": e.entitlement_fen,
            "paid_fen": e.paid_fen,
            "status": e.status.value,
            "lottery_state": e.lottery_state.value,
            "label": e.label,
        }
        for e in model.entries()
    ]
    allocations = [
        {"from_order": a.from_order, "to_order": a.to_order, "amount_fen": a.amount_fen}
        for a in model.allocation_lines()
    ]
    unallocated = [
        {"order_id": u.order_id, "amount_fen": u.amount_fen, "reason": u.reason.value}
        for u in model.unallocated_lines()
    ]
    members = {
        member: {"rebate_fen": b.rebate_fen, "points": b.points, "voucher_fen": b.voucher_fen}
        | ({"withdrawn_fen": b.withdrawn_fen} if b.withdrawn_fen else {})
        for member, b in sorted(model.balances().items())
        if b.rebate_fen or b.points or b.voucher_fen or b.withdrawn_fen
    }
    return {
        "entries": entries,
        "allocations": allocations,
        "unallocated": unallocated,
        "members": members,
        "rejected": list(rejected),
    }
