"""Typed form fields of the console: what a person types, read exactly into what the settings hold.

Percent with up to two decimals becomes integer basis points and yuan become integer fen, both parsed from the
decimal text (never through a float); more decimals are refused with a message rather than rounded. A form's state
is one flat dict of input name -> typed text (`Values`), so a refused form shows again exactly what was typed, and
its errors are keyed by the same input names. Words come from the console's word table (`message(key, **params)`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.money import format_bp, format_fen

Values = dict[str, str]
Message = Callable[..., str]
GENERAL = "__all__"  # errors that belong to no one field: shown above the form
DECIMAL = re.compile(r"^(-?)(\d{1,13})(?:\.(\d*))?$")
INTEGER = re.compile(r"^-?\d{1,9}$")


class FieldError(ValueError):
    """A typed value refused; `key` names the words in the console's word table."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _hundredths(text: str, *, unit: str, signed: bool = False) -> int:
    """ "12.5" -> 1250: a decimal with at most two places, as an integer number of hundredths, exactly."""
    s = text.strip().replace(unit, "").replace(",", "").strip()
    found = DECIMAL.match(s)
    if found is None:
        raise FieldError("form.number")
    sign, whole, frac = found.group(1), found.group(2), found.group(3) or ""
    if len(frac) > 2:
        raise FieldError("form.decimals")
    if sign and not signed:
        raise FieldError("form.negative")
    value = int(whole) * 100 + int((frac + "00")[:2])
    return -value if sign else value


def parse_percent(text: str) -> int:
    """ "12.5" or "12.5%" -> 1250 basis points."""
    return _hundredths(text, unit="%")


def parse_yuan(text: str) -> int:
    """ "2000" or "¥2,000.50" -> fen."""
    return _hundredths(text.replace("¥", "").replace("￥", ""), unit="元")


def parse_int(text: str, *, low: int | None = None, high: int | None = None) -> int:
    s = text.strip()
    if not INTEGER.match(s):
        raise FieldError("form.integer")
    value = int(s)
    if low is not None and value < low:
        raise FieldError("form.ge", value=low)
    if high is not None and value > high:
        raise FieldError("form.le", value=high)
    return value


def parse_time(text: str) -> str:
    """ "9:30" or "09:30" -> "09:30" (a wall time of the store or chain, no zone)."""
    try:
        return dt.time.fromisoformat(text.strip().zfill(5)).strftime("%H:%M")
    except ValueError:
        raise FieldError("form.time") from None


def parse_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise FieldError("form.date") from None


def parse_local_instant(text: str, zone: str) -> str:
    """A `datetime-local` value ("2026-03-01T03:00") read as the chain's wall time, stored with its offset."""
    try:
        local = dt.datetime.fromisoformat(text.strip())
        tz = ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):  # a zone typed wrong beside it is refused on its own input
        raise FieldError("form.datetime") from None
    if local.tzinfo is not None:
        raise FieldError("form.datetime")
    return local.replace(tzinfo=tz).isoformat()


def show_percent(bp: int | None) -> str:
    return "" if bp is None else format_bp(int(bp)).rstrip("%")


def show_yuan(fen: int | None) -> str:
    return "" if fen is None else format_fen(int(fen))


def show_hundredths(value: int) -> str:
    return format_fen(value)


def show_local_instant(text: str, zone: str) -> str:
    return dt.datetime.fromisoformat(text).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


# ------------------------------------------------------------------------------------------------ rows


def row_indices(values: Mapping[str, str], group: str) -> list[int]:
    """The row numbers a repeating group has in `values` (inputs named `<group>-<n>-<part>`)."""
    pattern = re.compile(rf"^{re.escape(group)}-(\d{{1,3}})-")
    return sorted({int(m.group(1)) for k in values if (m := pattern.match(k))})


def filled_rows(values: Mapping[str, str], group: str, parts: tuple[str, ...]) -> list[int]:
    """Rows that hold something and are not ticked for removal (a blank row is no row)."""
    return [
        i
        for i in row_indices(values, group)
        if not values.get(f"{group}-{i}-remove") and any(values.get(f"{group}-{i}-{p}", "").strip() for p in parts)
    ]


@dataclass(slots=True)
class FormState:
    """What a form shows: typed values, errors by input name, and how many blank rows each group offers."""

    values: Values
    errors: dict[str, str] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)

    def rows(self, group: str) -> list[int]:
        """The row numbers to draw: those typed or stored, then the blank ones to fill in."""
        have = row_indices(self.values, group)
        start = max(have) + 1 if have else 0
        return [*have, *range(start, start + max(1, self.extra.get(group, 1)))]

    def blank(self, group: str, i: int) -> bool:
        """A row drawn to be filled in (no input of it was typed or stored)."""
        return i not in row_indices(self.values, group)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def checked(self, name: str) -> bool:
        return bool(self.values.get(name))

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def group_errors(self, group: str) -> list[str]:
        """Errors of a group that belong to no one input of it (its own, or of a row as a whole)."""
        return [
            msg for name, msg in sorted(self.errors.items()) if name == group or re.fullmatch(rf"{group}-\d+", name)
        ]


# ------------------------------------------------------------------------------------------------ model errors

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
    "time_parsing": ("form.time", None),
    "time_type": ("form.time", None),
    "date_parsing": ("form.date", None),
    "date_from_datetime_parsing": ("form.date", None),
    "datetime_parsing": ("form.datetime", None),
}
# The settings models' own refusals (shared/settings.py), by their English text, in the console's words.
_VALUE_ERRORS = {
    "a fixed lottery has 1 to 20 options": "form.lottery_options",
    "an interval lottery needs min_bp and max_bp": "form.lottery_interval",
    "min_bp must not exceed max_bp": "form.lottery_order",
    "cash_per_group exceeds group_size": "form.random_cash",
    "date_from is after date_to": "form.window_dates",
    "weekdays, when given, names at least one day": "form.window_weekdays",
    "a one-off reset lists its instants": "form.reset_once",
    "unknown time zone": "form.timezone",
    "(A25)": "form.a25",
    "sale_confirm_fen must not exceed sale_max_fen": "form.sale_limits",
}


def validation_message(err: Mapping[str, Any], message: Message, *, percent: bool) -> str:
    """A pydantic error in the console's words; bounds of a percent field shown as percent."""
    text = str(err.get("msg", "")).removeprefix("Value error, ")
    for needle, key in _VALUE_ERRORS.items():
        if needle in text:
            return message(key)
    known = _PYDANTIC.get(str(err["type"]))
    if known is None:
        return text
    key, param = known
    if param is None:
        return message(key)
    value = (err.get("ctx") or {}).get(param)
    if percent and isinstance(value, int):
        value = format_bp(value)
    return message(key, value=value)
