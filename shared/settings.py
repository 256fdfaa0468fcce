"""Typed rebate settings of spec §3, validated: ranges, unknown keys refused, the A25 combination refused."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Code, RuleError

ExtractionBp = Annotated[int, Field(ge=0, le=10_000, strict=True)]
EntitlementBp = Annotated[int, Field(ge=0, le=100_000, strict=True)]
PositiveRatioBp = Annotated[int, Field(gt=0, le=100_000, strict=True)]
Fen = Annotated[int, Field(ge=0, le=10**15, strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Model):
    days: Annotated[int, Field(ge=1, le=3650, strict=True)]
    threshold_fen: Fen
    ratio_bp: EntitlementBp


class LotteryOption(_Model):
    ratio_bp: PositiveRatioBp
    weight: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] = 1


class Lottery(_Model):
    mode: Literal["fixed", "interval"]
    options: list[LotteryOption] = []
    min_bp: PositiveRatioBp | None = None
    max_bp: PositiveRatioBp | None = None
    step_bp: Annotated[int, Field(ge=1, le=100_000, strict=True)] = 100

    @model_validator(mode="after")
    def _shape(self) -> Lottery:
        if self.mode == "fixed":
            if not 1 <= len(self.options) <= 20:
                raise ValueError("a fixed lottery has 1 to 20 options")
        else:
            if self.min_bp is None or self.max_bp is None:
                raise ValueError("an interval lottery needs min_bp and max_bp")
            if self.min_bp > self.max_bp:
                raise ValueError("min_bp must not exceed max_bp")
        return self

    def outcomes(self) -> list[int]:
        """Every ratio the lottery can give, ascending."""
        if self.mode == "fixed":
            return sorted({o.ratio_bp for o in self.options})
        assert self.min_bp is not None and self.max_bp is not None
        return list(range(self.min_bp, self.max_bp + 1, self.step_bp))

    def allows(self, ratio_bp: int) -> bool:
        if self.mode == "fixed":
            return any(o.ratio_bp == ratio_bp for o in self.options)
        assert self.min_bp is not None and self.max_bp is not None
        return self.min_bp <= ratio_bp <= self.max_bp and (ratio_bp - self.min_bp) % self.step_bp == 0


class Window(_Model):
    """[start, end) in store-local time; start > end wraps past midnight; start == end is the whole day."""

    start: dt.time
    end: dt.time
    weekdays: frozenset[Annotated[int, Field(ge=1, le=7)]] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, v: dt.time) -> dt.time:
        # Store-local wall time: an offset would make comparisons with local times fail (TypeError).
        if v.tzinfo is not None:
            raise ValueError("a window time is store-local: no time zone offset")
        return v

    @model_validator(mode="after")
    def _dates(self) -> Window:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        if self.weekdays is not None and not self.weekdays:
            raise ValueError("weekdays, when given, names at least one day")
        return self

    def contains(self, local: dt.datetime) -> bool:
        t = local.time().replace(tzinfo=None)
        day = local.date()
        if self.start == self.end:
            in_time = True
        elif self.start < self.end:
            in_time = self.start <= t < self.end
        else:  # wraps past midnight: the part after midnight belongs to the window opened the day before
            in_time = t >= self.start or t < self.end
            if t < self.end:
                day = day - dt.timedelta(days=1)
        if not in_time:
            return False
        if self.weekdays is not None and day.isoweekday() not in self.weekdays:
            return False
        if self.date_from is not None and day < self.date_from:
            return False
        return not (self.date_to is not None and day > self.date_to)


class RandomReturn(_Model):
    group_size: Annotated[int, Field(ge=1, le=1000, strict=True)]
    cash_per_group: Annotated[int, Field(ge=0, strict=True)]

    @model_validator(mode="after")
    def _cash(self) -> RandomReturn:
        if self.cash_per_group > self.group_size:
            raise ValueError("cash_per_group exceeds group_size")
        return self


class ResetSchedule(_Model):
    kind: Literal["daily", "weekly", "monthly", "once"] = "daily"
    time: dt.time = dt.time(0, 0)
    weekday: Annotated[int, Field(ge=1, le=7, strict=True)] = 1
    day_of_month: Annotated[int, Field(ge=1, le=31, strict=True)] = 1
    at: list[dt.datetime] = []

    @field_validator("time")
    @classmethod
    def _local_time(cls, v: dt.time) -> dt.time:
        if v.tzinfo is not None:
            raise ValueError("the reset time is local to the base time zone: no offset")
        return v

    @field_validator("at")
    @classmethod
    def _aware(cls, v: list[dt.datetime]) -> list[dt.datetime]:
        if any(x.tzinfo is None for x in v):
            raise ValueError("reset instants need a time zone offset")
        return v

    @model_validator(mode="after")
    def _once(self) -> ResetSchedule:
        if self.kind == "once" and not self.at:
            raise ValueError("a one-off reset lists its instants in 'at'")
        return self


class Display(_Model):
    queue_id: bool = True
    progress: bool = True
    cumulative: bool = True
    pending: bool = True
    pending_amount: bool = True
    member_info: bool = False


class Notifications(_Model):
    """What the server tells members by text message and on their page (server/jobs/notify.py)."""

    enabled: bool = True
    rebate_threshold_fen: Fen = 1000  # a queue rebate of at least this much is worth a message
    voucher_expiry_days: Annotated[int, Field(ge=0, le=365, strict=True)] = 3  # 0: no voucher reminder
    reset_notice_hours: Annotated[int, Field(ge=0, le=24 * 31, strict=True)] = 24  # 0: no reset reminder


class WalletSettings(_Model):
    """The member's wallet (docs/wallet.md): spending points, holds, withdrawals and transfers."""

    points_per_yuan: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] = 100  # points that pay 1 yuan
    hold_minutes: Annotated[int, Field(ge=1, le=24 * 60, strict=True)] = 10
    voucher_valid_days: Annotated[int, Field(ge=0, le=3650, strict=True)] = 0  # 0: vouchers never expire
    withdrawal_enabled: bool = False  # store credit is the default use of a balance
    withdrawal_min_fen: Fen = 1_000
    withdrawal_daily_cap_fen: Fen = 50_000  # per member per day (headquarters' time zone); 0: no cap
    transfer_daily_cap_points: Annotated[int, Field(ge=0, le=10**12, strict=True)] = 10_000  # 0: transfers off


def _check_tz(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {v!r}") from exc
    return v


class BaseSettings(_Model):
    """Plugin-level settings owned by headquarters (spec §3.1)."""

    enabled: bool = False
    display_name: Annotated[str, Field(min_length=1, max_length=40)] = "排队返利"
    exchange_button_name: Annotated[str, Field(min_length=1, max_length=20)] = "兑换"
    extraction_bp: ExtractionBp = 1000
    default_entitlement_bp: EntitlementBp = 10_000
    level_entitlement_bp: dict[str, EntitlementBp | None] = {}
    lottery: Lottery | None = None
    deduction_orders_join: bool = True
    settlement_event: Literal["on_pay", "on_complete"] = "on_complete"
    cashier_auto_complete_hours: Annotated[int, Field(ge=0, le=24 * 365, strict=True)] = 0
    ordering_rule: Literal["queue_order", "completed_first"] = "queue_order"
    points_exchange_enabled: bool = False
    points_per_yuan_x100: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] = 100
    voucher_exchange_enabled: bool = False
    voucher_ratio_bp: ExtractionBp = 10_000
    all_cashiers_queue: bool = False
    all_stores_queue: bool = False
    random_return: RandomReturn | None = None
    reset: ResetSchedule | None = None
    paused: bool = False
    display: Display = Display()
    notifications: Notifications = Notifications()
    leftover_policy: Literal["retain", "carry_forward"] = "retain"
    refund_clawback: Literal["none", "received", "all"] = "received"
    anonymous_orders_contribute: bool = True
    timezone: str = "Asia/Shanghai"
    wallet: WalletSettings = WalletSettings()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _check_tz(v)

    @model_validator(mode="after")
    def _a25(self) -> BaseSettings:
        if self.refund_clawback == "all" and self.leftover_policy == "carry_forward":
            raise ValueError("refund_clawback 'all' cannot be combined with leftover_policy 'carry_forward' (A25)")
        return self


class StoreSettings(_Model):
    """One store's cashier settings (收银台排队返利设置, spec §3.2); applies to all its cashiers."""

    enabled: bool = False
    extraction_bp: ExtractionBp | None = None
    default_entitlement_bp: EntitlementBp | None = None
    level_entitlement_bp: dict[str, EntitlementBp | None] = {}
    cumulative_tiers: list[Tier] = []
    lottery: Lottery | None = None
    time_windows: list[Window] = []
    daily_limit: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] = 0
    total_limit: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] = 0
    random_return: Literal["inherit", "off"] | RandomReturn = "inherit"
    # Sale limits headquarters sets per store (not rebate rules; no replay reads them): a sale above
    # `sale_confirm_fen` needs the manager's PIN at the till; one above `sale_max_fen` is refused by the till and by
    # the server (`amount_over_limit`). Defaults for a retail store: ¥2,000 and ¥50,000 (docs/operations.md).
    sale_confirm_fen: Annotated[int, Field(ge=0, le=10**12, strict=True)] = 200_000
    sale_max_fen: Annotated[int, Field(ge=1, le=10**12, strict=True)] = 5_000_000

    @model_validator(mode="after")
    def _limits(self) -> StoreSettings:
        if self.sale_confirm_fen > self.sale_max_fen:
            raise ValueError("sale_confirm_fen must not exceed sale_max_fen")
        return self


SaleCheck = Literal["ok", "confirm", "over"]


def check_sale(total_fen: int, store: StoreSettings) -> SaleCheck:
    """What a sale of `total_fen` needs under its store's limits: nothing, the manager's PIN, or it is refused."""
    if total_fen > store.sale_max_fen:
        return "over"
    return "confirm" if total_fen > store.sale_confirm_fen else "ok"


def _refuse(exc: ValidationError) -> RuleError:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "settings"
        parts.append(f"{loc}: {err['msg']}")
    return RuleError(Code.INVALID_SETTINGS, "; ".join(parts))


def parse_base(data: dict[str, Any]) -> BaseSettings:
    """Validate a whole base settings document; refusals carry `invalid_settings`."""
    try:
        return BaseSettings.model_validate(data)
    except ValidationError as exc:
        raise _refuse(exc) from None


def parse_store(data: dict[str, Any]) -> StoreSettings:
    try:
        return StoreSettings.model_validate(data)
    except ValidationError as exc:
        raise _refuse(exc) from None


def merge_base(current: BaseSettings, patch: dict[str, Any]) -> BaseSettings:
    """Top-level keys of `patch` replace the old values whole (scenario-format decision 4)."""
    if not isinstance(patch, dict):
        raise RuleError(Code.INVALID_SETTINGS, "a settings change is an object")
    return parse_base({**current.model_dump(mode="json", exclude_unset=False), **patch})


def merge_store(current: StoreSettings, patch: dict[str, Any]) -> StoreSettings:
    if not isinstance(patch, dict):
        raise RuleError(Code.INVALID_SETTINGS, "a settings change is an object")
    return parse_store({**current.model_dump(mode="json"), **patch})


def extraction_for(base: BaseSettings, store: StoreSettings) -> int:
    return store.extraction_bp if store.extraction_bp is not None else base.extraction_bp


def random_return_for(base: BaseSettings, store: StoreSettings) -> tuple[RandomReturn | None, str]:
    """The applicable random-return setting and its owner ('store' or 'base'), spec §12."""
    if isinstance(store.random_return, RandomReturn):
        return store.random_return, "store"
    if store.random_return == "off":
        return None, "store"
    return base.random_return, "base"
