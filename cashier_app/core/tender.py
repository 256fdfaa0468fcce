"""Tender and change: how the amount due is paid, in one or several parts, and the change for cash.

No Qt here: the till's tender panel (`ui/tender.py`) collects the parts and the cash handed over; `settle` turns
them into the wire's `TenderPart`s (or refuses with a stable code) before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter

from shared.errors import Code
from shared.wire import TenderKind, TenderPart

from .errors import TillError

KINDS: tuple[TenderKind, ...] = ("cash", "card", "wechat", "alipay")
_parts: TypeAdapter[list[TenderPart]] = TypeAdapter(list[TenderPart])


class TenderError(TillError, ValueError):
    """tender_exceeds_due, received_too_little, invalid_amount."""


@dataclass(frozen=True)
class Split:
    """A part the cashier added by hand (e.g. ¥50 by card); the rest of the amount due is paid by `rest_kind`."""

    kind: TenderKind
    amount_fen: int


def settle(
    *, due_fen: int, splits: Sequence[Split] = (), rest_kind: str = "cash", received_fen: int | None = None
) -> list[TenderPart]:
    """The parts of a payment of `due_fen`: the splits, then the rest by `rest_kind`. For cash, `received_fen` is
    what the customer handed over (None: exactly the rest, no change). Refuses a payment that does not add up."""
    if rest_kind not in KINDS:
        raise TenderError(Code.INVALID_EVENT, f"unknown tender {rest_kind!r}")
    parts: list[TenderPart] = []
    for split in splits:
        if split.amount_fen <= 0 or split.kind not in KINDS:
            raise TenderError(Code.INVALID_AMOUNT, "a split part is a positive amount")
        parts.append(TenderPart(kind=split.kind, amount_fen=split.amount_fen))
    rest = due_fen - sum(p.amount_fen for p in parts)
    if rest < 0:
        raise TenderError(Code.TENDER_EXCEEDS_DUE, f"{-rest} fen too much")
    if received_fen is not None:
        if received_fen < 0:
            raise TenderError(Code.INVALID_AMOUNT, "the cash received is not negative")
        if rest_kind != "cash" or rest == 0:
            raise TenderError(Code.INVALID_AMOUNT, "cash received only for a rest paid in cash")
        if received_fen < rest:
            raise TenderError(Code.RECEIVED_TOO_LITTLE, f"{rest - received_fen} fen short")
        parts.append(
            TenderPart(kind="cash", amount_fen=rest, received_fen=received_fen, change_fen=received_fen - rest)
        )
    elif rest > 0:
        parts.append(TenderPart(kind=rest_kind, amount_fen=rest))
    return _merged(parts)


def _merged(parts: list[TenderPart]) -> list[TenderPart]:
    # Two card parts are one card payment on the wire; cash with its change stays as typed.
    out: list[TenderPart] = []
    for part in parts:
        same = next((i for i, o in enumerate(out) if o.kind == part.kind and o.received_fen is None), None)
        if same is not None and part.received_fen is None:
            out[same] = TenderPart(kind=part.kind, amount_fen=out[same].amount_fen + part.amount_fen)
        else:
            out.append(part)
    return out


def wire_parts(parts: Sequence[TenderPart]) -> list[TenderPart]:
    """What travels in `order_paid.tenders`: nothing for a single part paid exactly (today's fast sale is unchanged
    on the wire, `tender` says it all), else every part."""
    if len(parts) == 1 and parts[0].received_fen is None:
        return []
    return list(parts)


def main_kind(parts: Sequence[TenderPart], default: str) -> str:
    """The order's one `tender` (older reports, the refund's tender): the largest part's kind."""
    if not parts:
        return default
    return max(parts, key=lambda p: p.amount_fen).kind


def change_of(parts: Sequence[TenderPart]) -> int:
    return sum(p.change_fen or 0 for p in parts)


def received_of(parts: Sequence[TenderPart]) -> int | None:
    cash = [p.received_fen for p in parts if p.received_fen is not None]
    return sum(cash) if cash else None


def dump(parts: Sequence[TenderPart]) -> str | None:
    return json.dumps([p.model_dump(exclude_none=True) for p in parts]) if parts else None


def load(text: str | None) -> list[TenderPart]:
    return _parts.validate_json(text) if text else []


def cash_in(parts: Sequence[TenderPart], *, tender: str, paid_fen: int) -> int:
    """The cash a sale left in the drawer (net of change)."""
    if parts:
        return sum(p.amount_fen for p in parts if p.kind == "cash")
    return paid_fen if tender == "cash" else 0
