"""Shape checks of scenario events for the naive model (scenario-format.md "Events"), written independently.

A malformed event is `invalid_event`: an unknown type, a missing or unknown field, a wrong JSON type, a bad or
offset-less time. Range checks (negative fen...) are the rules' business and give their own codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# field -> (kind, required); kinds: str, str1 (non-empty), str?, int, int?, bool, dt, dict?, stores
SCHEMA: dict[str, dict[str, tuple[str, bool]]] = {
    "order_paid": {
        "order_id": ("str1", True),
        "store": ("str", True),
        "cashier": ("str", True),
        "member": ("str?", False),
        "paid_fen": ("int", True),
        "paid_at": ("dt", True),
        "total_fen": ("int?", False),
        "discount_fen": ("int", False),
        "deduction_points_fen": ("int", False),
        "deduction_love_fen": ("int", False),
        "completed": ("bool", False),
        "terminal": ("str?", False),
        "lines": ("lines", False),
    },
    "order_completed": {"order_id": ("str", True), "at": ("dt", True)},
    "order_refunded": {
        "order_id": ("str", True),
        "refund_id": ("str1", True),
        "amount_fen": ("int", True),
        "at": ("dt", True),
    },
    "lottery_draw": {"order_id": ("str", True), "result_bp": ("int", True)},
    "exchange": {"order_id": ("str", True), "into": ("str", True)},
    "settings": {"base": ("dict?", False), "stores": ("stores", False)},
    "member_level": {"member": ("str", True), "level": ("str?", True), "at": ("dt", True)},
    "reset": {"at": ("dt", True)},
}


class EventError(ValueError):
    pass


def _check(kind: str, value: Any) -> Any:
    if kind.endswith("?") and value is None:
        return None
    base = kind.rstrip("?")
    if base in ("str", "str1"):
        if not isinstance(value, str) or (base == "str1" and not value):
            raise EventError("string expected")
        return value
    if base == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise EventError("integer expected")
        return value
    if base == "bool":
        if not isinstance(value, bool):
            raise EventError("boolean expected")
        return value
    if base == "dt":
        if not isinstance(value, str):
            raise EventError("time expected")
        try:
            ts = dt.datetime.fromisoformat(value)
        except ValueError:
            raise EventError("bad time") from None
        if ts.tzinfo is None:
            raise EventError("time without offset")
        return ts
    if base == "dict":
        if not isinstance(value, dict):
            raise EventError("object expected")
        return value
    if base == "lines":
        if not isinstance(value, list):
            raise EventError("list of lines expected")
        out = []
        for line in value:
            if not isinstance(line, dict) or "amount_fen" not in line:
                raise EventError("a line is an object with amount_fen")
            if set(line) - {"amount_fen", "participates", "sku", "name"}:
                raise EventError("unknown line field")
            amount, takes = line["amount_fen"], line.get("participates", True)
            if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(takes, bool):
                raise EventError("a line's amount is an integer, participates a boolean")
            out.append((amount, takes))
        return out
    if base == "stores":
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise EventError("object of objects expected")
        return value
    raise AssertionError(kind)


def validate_event(raw: object) -> dict[str, Any]:
    """The event with times parsed; raises EventError when its shape is wrong."""
    if not isinstance(raw, dict) or raw.get("type") not in SCHEMA:
        raise EventError("unknown event type")
    fields = SCHEMA[raw["type"]]
    unknown = set(raw) - set(fields) - {"type"}
    if unknown:
        raise EventError(f"unknown fields {sorted(unknown)}")
    out: dict[str, Any] = {"type": raw["type"]}
    for name, (kind, required) in fields.items():
        if name not in raw:
            if required:
                raise EventError(f"{name} is required")
            continue
        out[name] = _check(kind, raw[name])
    return out
