"""The rules forms: the base settings (spec §3.1) and a store's (§3.2) as typed inputs, both ways.

`base_values` / `store_values` turn a settings document into the flat input values the templates draw; `read_base`
/ `read_store` turn posted values back into a document, with an error per input. Repeating groups (level ratios,
spend tiers, lottery options, time windows, one-off reset instants) are rows named `<group>-<n>-<part>`; a blank row
is no row, a ticked `remove` drops one. The document is then validated by the same pydantic models the engine uses,
their errors put back on the inputs they came from; the engine validates once more when the change is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from shared.settings import BaseSettings, StoreSettings

from .forms import (
    GENERAL,
    FieldError,
    Message,
    Values,
    filled_rows,
    parse_date,
    parse_int,
    parse_local_instant,
    parse_percent,
    parse_time,
    parse_yuan,
    show_hundredths,
    show_local_instant,
    show_percent,
    show_yuan,
    validation_message,
)

LEVELS, TIERS, OPTIONS, WINDOWS, RESET_AT = "levels", "tiers", "lottery_options", "windows", "reset_at"
WEEKDAYS = tuple(range(1, 8))
DISPLAY = ("queue_id", "progress", "cumulative", "pending", "pending_amount")
BASE_BOOLS = (
    "enabled",
    "paused",
    "deduction_orders_join",
    "points_exchange_enabled",
    "voucher_exchange_enabled",
    "all_cashiers_queue",
    "anonymous_orders_contribute",
)
# Settings of the spec that change nothing a POS does, so the form does not show them (a setting that is shown must
# change an outcome, tests/server/test_rules_form_fields.py): one online queue for all stores belongs to online sales
# (spec §3.4, not built); other members' names are shown nowhere (the member page lists only the member's own
# entries). A save keeps their stored values.
NOT_ON_FORM = ("all_stores_queue", "display.member_info")
# base settings kept by other pages (the wallet page) or by the settings command (notifications): a save of the
# rules form carries them over as they are
ELSEWHERE = ("wallet", "notifications")
SALE_LIMITS = {"sale_confirm": "sale_confirm_fen", "sale_max": "sale_max_fen"}  # a store's, in yuan
BASE_TEXT = ("display_name", "exchange_button_name", "timezone")
BASE_PERCENT = ("extraction_bp", "default_entitlement_bp", "voucher_ratio_bp")
CHOICES = {
    "settlement_event": ("on_complete", "on_pay"),
    "ordering_rule": ("queue_order", "completed_first"),
    "leftover_policy": ("retain", "carry_forward"),
    "refund_clawback": ("received", "none", "all"),
}
LOTTERY_MODES = ("", "fixed", "interval")
RESET_KINDS = ("", "daily", "weekly", "monthly", "once")
STORE_RANDOM = ("inherit", "off", "custom")


@dataclass(slots=True)
class Read:
    """A posted form read back: the whole new document when every input was good, else errors by input name."""

    doc: dict[str, Any] | None
    errors: dict[str, str]


# ------------------------------------------------------------------------------------------------ document -> inputs


def _level_rows(out: Values, ratios: Mapping[str, int | None]) -> None:
    for i, (level, bp) in enumerate(sorted((k, v) for k, v in ratios.items() if v is not None)):
        out[f"{LEVELS}-{i}-level"], out[f"{LEVELS}-{i}-percent"] = level, show_percent(bp)


def _lottery(out: Values, lottery: Mapping[str, Any] | None) -> None:
    out["lottery-mode"] = "" if lottery is None else str(lottery["mode"])
    if lottery is None:
        return
    for i, option in enumerate(lottery.get("options") or []):
        out[f"{OPTIONS}-{i}-percent"] = show_percent(option["ratio_bp"])
        out[f"{OPTIONS}-{i}-weight"] = str(option.get("weight", 1))
    out["lottery-min"] = show_percent(lottery.get("min_bp"))
    out["lottery-max"] = show_percent(lottery.get("max_bp"))
    out["lottery-step"] = show_percent(lottery.get("step_bp", 100))


def _random(out: Values, random_return: Mapping[str, Any]) -> None:
    out["random_return-group_size"] = str(random_return["group_size"])
    out["random_return-cash_per_group"] = str(random_return["cash_per_group"])


def base_values(doc: Mapping[str, Any]) -> Values:
    """The stored base settings as the form's inputs."""
    out: Values = {name: "1" for name in BASE_BOOLS if doc[name]}
    out |= {f"display.{k}": "1" for k in DISPLAY if doc["display"][k]}
    out |= {name: str(doc[name]) for name in (*BASE_TEXT, *CHOICES, "cashier_auto_complete_hours")}
    out |= {name: show_percent(doc[name]) for name in BASE_PERCENT}
    out["points_per_yuan"] = show_hundredths(doc["points_per_yuan_x100"])
    _level_rows(out, doc["level_entitlement_bp"])
    _lottery(out, doc["lottery"])
    if doc["random_return"] is not None:
        out["random_return-on"] = "1"
        _random(out, doc["random_return"])
    reset = doc["reset"]
    out["reset-kind"] = "" if reset is None else reset["kind"]
    if reset is not None:
        out["reset-time"] = reset["time"][:5]
        out["reset-weekday"] = str(reset["weekday"])
        out["reset-day"] = str(reset["day_of_month"])
        for i, at in enumerate(reset["at"]):
            out[f"{RESET_AT}-{i}-at"] = show_local_instant(at, doc["timezone"])
    return out


def store_values(doc: Mapping[str, Any]) -> Values:
    """A store's stored settings as the form's inputs."""
    out: Values = {"enabled": "1"} if doc["enabled"] else {}
    out |= {name: show_percent(doc[name]) for name in ("extraction_bp", "default_entitlement_bp")}
    out |= {name: str(doc[name]) for name in ("daily_limit", "total_limit")}
    out |= {input_: show_yuan(doc[name]) for input_, name in SALE_LIMITS.items()}
    _level_rows(out, doc["level_entitlement_bp"])
    for i, tier in enumerate(doc["cumulative_tiers"]):
        out[f"{TIERS}-{i}-days"] = str(tier["days"])
        out[f"{TIERS}-{i}-threshold"] = show_yuan(tier["threshold_fen"])
        out[f"{TIERS}-{i}-percent"] = show_percent(tier["ratio_bp"])
    _lottery(out, doc["lottery"])
    for i, w in enumerate(doc["time_windows"]):
        out[f"{WINDOWS}-{i}-start"], out[f"{WINDOWS}-{i}-end"] = w["start"][:5], w["end"][:5]
        out[f"{WINDOWS}-{i}-from"], out[f"{WINDOWS}-{i}-to"] = w["date_from"] or "", w["date_to"] or ""
        for d in w["weekdays"] or ():
            out[f"{WINDOWS}-{i}-d{d}"] = "1"
    rr = doc["random_return"]
    out["random_return-mode"] = rr if isinstance(rr, str) else "custom"
    if isinstance(rr, dict):
        _random(out, rr)
    return out


# ------------------------------------------------------------------------------------------------ inputs -> document


class _Reader:
    """Reads inputs one at a time, keeping the first error of each and where each part of the document came from."""

    def __init__(self, values: Mapping[str, str], message: Message) -> None:
        self.values = values
        self.message = message
        self.errors: dict[str, str] = {}
        self.where: dict[tuple[Any, ...], str] = {}  # a document path -> the input it was read from
        self.percent_inputs: set[str] = set()

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def read(self, name: str, parse: Callable[[str], Any], loc: tuple[Any, ...], *, required: bool = True) -> Any:
        self.where[loc] = name
        text = self.text(name)
        if not text:
            if required:
                self.errors.setdefault(name, self.message("form.required"))
            return None
        try:
            return parse(text)
        except FieldError as exc:
            self.errors.setdefault(name, self.message(exc.key, **exc.params))
            return None

    def percent(self, name: str, loc: tuple[Any, ...], *, required: bool = True) -> int | None:
        self.percent_inputs.add(name)
        return self.read(name, parse_percent, loc, required=required)  # type: ignore[no-any-return]

    def choice(self, name: str, options: tuple[str, ...], loc: tuple[Any, ...]) -> str:
        self.where[loc] = name
        text = self.text(name)
        if text not in options:
            self.errors.setdefault(name, self.message("form.choice", choices=", ".join(o or "—" for o in options)))
        return text

    def level_ratios(self, catalog: Mapping[str, str]) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for i in filled_rows(self.values, LEVELS, ("level", "percent")):
            name = f"{LEVELS}-{i}-level"
            level = self.text(name)
            if level not in catalog:
                self.errors.setdefault(name, self.message("form.unknown_level", level=level or "—"))
                continue
            if level in out:
                self.errors.setdefault(name, self.message("form.duplicate_level", level=catalog[level]))
                continue
            self.where[("level_entitlement_bp", level)] = f"{LEVELS}-{i}-percent"
            out[level] = self.percent(f"{LEVELS}-{i}-percent", ("level_entitlement_bp", level))
        return out

    def lottery(self) -> dict[str, Any] | None:
        mode = self.choice("lottery-mode", LOTTERY_MODES, ("lottery",))
        if mode == "fixed":
            options = []
            for n, i in enumerate(filled_rows(self.values, OPTIONS, ("percent", "weight"))):
                ratio = self.percent(f"{OPTIONS}-{i}-percent", ("lottery", "options", n, "ratio_bp"))
                weight_name = f"{OPTIONS}-{i}-weight"
                weight = self.read(weight_name, parse_int, ("lottery", "options", n, "weight"), required=False)
                self.where[("lottery", "options", n)] = f"{OPTIONS}-{i}"
                options.append({"ratio_bp": ratio, "weight": 1 if weight is None else weight})
            return {"mode": "fixed", "options": options}
        if mode == "interval":
            return {
                "mode": "interval",
                "min_bp": self.percent("lottery-min", ("lottery", "min_bp")),
                "max_bp": self.percent("lottery-max", ("lottery", "max_bp")),
                "step_bp": self.percent("lottery-step", ("lottery", "step_bp"), required=False) or 100,
            }
        return None

    def random_return(self) -> dict[str, Any]:
        self.where[("random_return",)] = "random_return"
        return {
            "group_size": self.read("random_return-group_size", parse_int, ("random_return", "group_size")),
            "cash_per_group": self.read("random_return-cash_per_group", parse_int, ("random_return", "cash_per_group")),
        }

    def validated(self, model: type[BaseModel], doc: dict[str, Any]) -> Read:
        """The document through the settings model; its refusals put back on the inputs."""
        if self.errors:
            return Read(None, self.errors)
        try:
            return Read(model.model_validate(doc).model_dump(mode="json"), {})
        except ValidationError as exc:
            # a union (a store's random return: "inherit" | "off" | its own numbers) fails once per member: the
            # numbers' own refusal says more than "must be 'inherit' or 'off'", so literal errors come last
            for err in sorted(exc.errors(), key=lambda e: e["type"] == "literal_error"):
                name = self._input_of(tuple(err["loc"]))
                self.errors.setdefault(name, validation_message(err, self.message, percent=name in self.percent_inputs))
            return Read(None, self.errors)

    def _input_of(self, loc: tuple[Any, ...]) -> str:
        for n in range(len(loc), 0, -1):  # the longest known prefix
            if loc[:n] in self.where:
                return self.where[loc[:n]]
        return GENERAL


def read_base(
    values: Mapping[str, str], current: Mapping[str, Any], catalog: Mapping[str, str], message: Message
) -> Read:
    """The posted base settings form as a whole new base document (or the errors)."""
    r = _Reader(values, message)
    doc: dict[str, Any] = {name: bool(values.get(name)) for name in BASE_BOOLS}
    doc["display"] = {k: bool(values.get(f"display.{k}")) for k in DISPLAY}
    doc["display"]["member_info"] = bool(current["display"]["member_info"])
    doc["all_stores_queue"] = bool(current["all_stores_queue"])
    for k in DISPLAY:
        r.where[("display", k)] = f"display.{k}"
    for name in BASE_TEXT:
        r.where[(name,)] = name
        doc[name] = r.text(name)
    for name in BASE_PERCENT:
        doc[name] = r.percent(name, (name,))
    for name, options in CHOICES.items():
        doc[name] = r.choice(name, options, (name,))
    hours = ("cashier_auto_complete_hours",)
    doc["cashier_auto_complete_hours"] = r.read(hours[0], lambda s: parse_int(s, low=0), hours)
    doc["points_per_yuan_x100"] = r.read("points_per_yuan", parse_yuan, ("points_per_yuan_x100",))
    doc["level_entitlement_bp"] = r.level_ratios(catalog)
    doc["lottery"] = r.lottery()
    doc["random_return"] = r.random_return() if values.get("random_return-on") else None
    doc["reset"] = _reset(r, _zone(doc["timezone"], str(current["timezone"])))
    for name in ELSEWHERE:  # not edited here: carried over as they are
        if name in current:
            doc[name] = current[name]
    return r.validated(BaseSettings, doc)


def _zone(typed: str, current: str) -> str:
    """The zone one-off reset times are read in: the one typed, or while that is wrong (refused on its own input
    by the settings model) the one in force."""
    try:
        ZoneInfo(typed)
    except (ValueError, ZoneInfoNotFoundError):
        return current
    return typed


def _reset(r: _Reader, zone: str) -> dict[str, Any] | None:
    kind = r.choice("reset-kind", RESET_KINDS, ("reset",))
    if not kind:
        return None
    reset: dict[str, Any] = {"kind": kind, "time": r.read("reset-time", parse_time, ("reset", "time"))}
    reset["weekday"] = r.read("reset-weekday", parse_int, ("reset", "weekday"), required=kind == "weekly") or 1
    reset["day_of_month"] = r.read("reset-day", parse_int, ("reset", "day_of_month"), required=kind == "monthly") or 1
    r.where[("reset", "at")] = RESET_AT
    at = []
    for n, i in enumerate(filled_rows(r.values, RESET_AT, ("at",))):
        at.append(r.read(f"{RESET_AT}-{i}-at", lambda s: parse_local_instant(s, zone), ("reset", "at", n)))
    reset["at"] = at if kind == "once" else []
    return reset


def read_store(
    values: Mapping[str, str], current: Mapping[str, Any], catalog: Mapping[str, str], message: Message
) -> Read:
    """The posted form of a store's settings as its whole new document (or the errors)."""
    r = _Reader(values, message)
    doc: dict[str, Any] = {"enabled": bool(values.get("enabled"))}
    for name in ("extraction_bp", "default_entitlement_bp"):
        doc[name] = r.percent(name, (name,), required=False)
    for name in ("daily_limit", "total_limit"):
        doc[name] = r.read(name, lambda s: parse_int(s, low=0), (name,))
    for input_, name in SALE_LIMITS.items():
        doc[name] = r.read(input_, parse_yuan, (name,))
    doc["level_entitlement_bp"] = r.level_ratios(catalog)
    tiers = []
    for n, i in enumerate(filled_rows(values, TIERS, ("days", "threshold", "percent"))):
        r.where[("cumulative_tiers", n)] = f"{TIERS}-{i}"
        tiers.append(
            {
                "days": r.read(f"{TIERS}-{i}-days", parse_int, ("cumulative_tiers", n, "days")),
                "threshold_fen": r.read(f"{TIERS}-{i}-threshold", parse_yuan, ("cumulative_tiers", n, "threshold_fen")),
                "ratio_bp": r.percent(f"{TIERS}-{i}-percent", ("cumulative_tiers", n, "ratio_bp")),
            }
        )
    doc["cumulative_tiers"] = tiers
    doc["lottery"] = r.lottery()
    doc["time_windows"] = _windows(r)
    mode = r.choice("random_return-mode", STORE_RANDOM, ("random_return",))
    doc["random_return"] = r.random_return() if mode == "custom" else mode
    return r.validated(StoreSettings, doc)


def _windows(r: _Reader) -> list[dict[str, Any]]:
    parts = ("start", "end", "from", "to", *(f"d{d}" for d in WEEKDAYS))
    out = []
    for n, i in enumerate(filled_rows(r.values, WINDOWS, parts)):
        p = f"{WINDOWS}-{i}"
        r.where[("time_windows", n)] = p
        days = [d for d in WEEKDAYS if r.values.get(f"{p}-d{d}")]
        out.append(
            {
                "start": r.read(f"{p}-start", parse_time, ("time_windows", n, "start")),
                "end": r.read(f"{p}-end", parse_time, ("time_windows", n, "end")),
                "weekdays": days or None,  # no day ticked: every day
                "date_from": r.read(f"{p}-from", parse_date, ("time_windows", n, "date_from"), required=False),
                "date_to": r.read(f"{p}-to", parse_date, ("time_windows", n, "date_to"), required=False),
            }
        )
    return out


def patch_of(new: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level keys that changed (a settings change replaces each key whole)."""
    return {k: v for k, v in new.items() if v != current.get(k)}
