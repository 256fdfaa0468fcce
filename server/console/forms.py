"""The settings of spec §3.1 and §3.2 as form fields: reading a posted form into a patch, with an error per field.

Ratios are typed as percent with up to two decimals and kept as integer basis points (parsed exactly, never
through a float); nested values (level ratios, lottery, tiers, windows, random return, reset) are edited as JSON
and validated by the same pydantic models the engine uses. The engine validates again when the change is applied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from shared.money import format_bp, parse_yuan

from ..inputs import parse_int

Kind = Literal["bool", "text", "int", "percent", "percent_opt", "choice", "json", "json_opt", "random_return"]


@dataclass(frozen=True, slots=True)
class Spec:
    name: str  # the settings key; "display.x" for the display toggles
    kind: Kind
    choices: tuple[str, ...] = ()


BASE_FIELDS: tuple[Spec, ...] = (
    Spec("enabled", "bool"),
    Spec("paused", "bool"),
    Spec("display_name", "text"),
    Spec("exchange_button_name", "text"),
    Spec("extraction_bp", "percent"),
    Spec("default_entitlement_bp", "percent"),
    Spec("level_entitlement_bp", "json"),
    Spec("lottery", "json_opt"),
    Spec("deduction_orders_join", "bool"),
    Spec("settlement_event", "choice", ("on_complete", "on_pay")),
    Spec("cashier_auto_complete_hours", "int"),
    Spec("ordering_rule", "choice", ("queue_order", "completed_first")),
    Spec("points_exchange_enabled", "bool"),
    Spec("points_per_yuan_x100", "int"),
    Spec("voucher_exchange_enabled", "bool"),
    Spec("voucher_ratio_bp", "percent"),
    Spec("all_cashiers_queue", "bool"),
    Spec("all_stores_queue", "bool"),
    Spec("random_return", "json_opt"),
    Spec("reset", "json_opt"),
    Spec("leftover_policy", "choice", ("retain", "carry_forward")),
    Spec("refund_clawback", "choice", ("received", "none", "all")),
    Spec("anonymous_orders_contribute", "bool"),
    Spec("timezone", "text"),
    Spec("display.queue_id", "bool"),
    Spec("display.progress", "bool"),
    Spec("display.cumulative", "bool"),
    Spec("display.pending", "bool"),
    Spec("display.pending_amount", "bool"),
    Spec("display.member_info", "bool"),
)

STORE_FIELDS: tuple[Spec, ...] = (
    Spec("enabled", "bool"),
    Spec("extraction_bp", "percent_opt"),
    Spec("default_entitlement_bp", "percent_opt"),
    Spec("level_entitlement_bp", "json"),
    Spec("cumulative_tiers", "json"),
    Spec("lottery", "json_opt"),
    Spec("time_windows", "json"),
    Spec("daily_limit", "int"),
    Spec("total_limit", "int"),
    Spec("random_return", "random_return"),
)

GENERAL = "__all__"


@dataclass(frozen=True, slots=True)
class FieldView:
    spec: Spec
    value: Any  # str for inputs, bool for checkboxes
    error: str | None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def choices(self) -> tuple[str, ...]:
        return self.spec.choices


class FieldError(ValueError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def parse_percent(text: str) -> int:
    """ "12.5" -> 1250 bp, exactly (the same decimal grammar as an amount in yuan: two decimals at most)."""
    try:
        bp = parse_yuan(text.replace("%", ""))
    except ValueError:
        raise FieldError("form.percent") from None
    if bp < 0:
        raise FieldError("form.percent")
    return bp


def _get(doc: Mapping[str, Any], name: str) -> Any:
    if name.startswith("display."):
        return doc["display"][name.split(".", 1)[1]]
    return doc[name]


def show(spec: Spec, value: Any) -> Any:
    """A stored value as the form shows it."""
    if spec.kind == "bool":
        return bool(value)
    if spec.kind in ("percent", "percent_opt"):
        return "" if value is None else format_bp(int(value)).rstrip("%")
    if spec.kind in ("json", "json_opt"):
        return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1)
    if spec.kind == "random_return":
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def views(
    specs: tuple[Spec, ...],
    doc: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    raw: Mapping[str, Any] | None = None,
) -> list[FieldView]:
    """Fields showing `raw` (what was typed, when refused) or else the stored values of `doc`."""
    errors = errors or {}
    out = []
    for spec in specs:
        value = raw[spec.name] if raw is not None and spec.name in raw else show(spec, _get(doc, spec.name))
        out.append(FieldView(spec, value, errors.get(spec.name)))
    return out


def _value(spec: Spec, form: Mapping[str, str]) -> Any:
    text = form.get(spec.name, "").strip()
    match spec.kind:
        case "bool":
            return spec.name in form
        case "text":
            return text
        case "int":
            number = parse_int(text, signed=True)
            if number is None:
                raise FieldError("form.integer")
            return number
        case "percent":
            if not text:
                raise FieldError("form.required")
            return parse_percent(text)
        case "percent_opt":
            return parse_percent(text) if text else None
        case "choice":
            if text not in spec.choices:
                raise FieldError("form.choice", choices=", ".join(spec.choices))
            return text
        case "random_return":
            if text in ("inherit", "off"):
                return text
            return _json(text, empty=None)
    empty: Any = None if spec.kind == "json_opt" else ([] if spec.name in ("cumulative_tiers", "time_windows") else {})
    return _json(text, empty=empty)


def _json(text: str, *, empty: Any) -> Any:
    if not text:
        return empty
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FieldError("form.json", detail=f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None


@dataclass(slots=True)
class Parsed:
    patch: dict[str, Any]  # only what changed, top-level keys whole
    errors: dict[str, str]
    raw: dict[str, Any]  # what was typed, to show again


def parse(
    specs: tuple[Spec, ...],
    form: Mapping[str, str],
    current: BaseModel,
    model: type[BaseModel],
    message: Any,
) -> Parsed:
    """Read the posted fields, validate the whole document with `model`; `message(key, **params)` words errors."""
    doc = current.model_dump(mode="json")
    new = json.loads(json.dumps(doc))  # a deep copy of plain JSON values
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        raw[spec.name] = (spec.name in form) if spec.kind == "bool" else form.get(spec.name, "")
        try:
            value = _value(spec, form)
        except FieldError as exc:
            errors[spec.name] = message(exc.key, **exc.params)
            continue
        if spec.name.startswith("display."):
            new["display"][spec.name.split(".", 1)[1]] = value
        else:
            new[spec.name] = value
    if not errors:
        try:
            validated = model.model_validate(new).model_dump(mode="json")
        except ValidationError as exc:
            for err in exc.errors():
                name, detail = _field_of(err["loc"], specs)
                kind = next((s.kind for s in specs if s.name == name), "text")
                text = validation_message(err, kind, message)
                errors.setdefault(name, (detail + ": " if detail else "") + text)
        else:
            patch = {k: v for k, v in validated.items() if v != doc.get(k)}
            return Parsed(patch, {}, raw)
    return Parsed({}, errors, raw)


def _field_of(loc: tuple[Any, ...], specs: tuple[Spec, ...]) -> tuple[str, str]:
    if not loc:
        return GENERAL, ""
    head = str(loc[0])
    if head == "display" and len(loc) > 1:
        return f"display.{loc[1]}", ""
    if any(s.name == head for s in specs):
        return head, "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc[1:]).lstrip(".")
    return GENERAL, ".".join(str(x) for x in loc)


_PYDANTIC = {
    "greater_than_equal": ("form.ge", "ge"),
    "less_than_equal": ("form.le", "le"),
    "greater_than": ("form.gt", "gt"),
    "less_than": ("form.lt", "lt"),
    "int_type": ("form.integer", None),
    "int_parsing": ("form.integer", None),
    "int_from_float": ("form.integer", None),
    "bool_type": ("form.bool", None),
    "string_too_short": ("form.too_short", "min_length"),
    "string_too_long": ("form.too_long", "max_length"),
    "missing": ("form.missing", None),
    "extra_forbidden": ("form.extra", None),
    "literal_error": ("form.literal", "expected"),
    "dict_type": ("form.object", None),
    "list_type": ("form.list", None),
    "model_type": ("form.object", None),
    "model_attributes_type": ("form.object", None),
    "time_parsing": ("form.time", None),
    "time_type": ("form.time", None),
    "date_parsing": ("form.date", None),
    "date_from_datetime_parsing": ("form.date", None),
    "datetime_parsing": ("form.datetime", None),
}


def validation_message(err: Any, kind: str, message: Any) -> str:
    """A pydantic error in the console's words; bounds of percent fields shown as percent."""
    known = _PYDANTIC.get(err["type"])
    if known is None:
        msg = str(err.get("msg", ""))
        return msg.removeprefix("Value error, ")
    key, param = known
    if param is None:
        return str(message(key))
    value = (err.get("ctx") or {}).get(param)
    if kind in ("percent", "percent_opt") and isinstance(value, int):
        value = format_bp(value)
    return str(message(key, value=value))
