"""Sale lines that do or do not take part in the rebate, and how an order-level reduction is spread over them.

docs/rules.md §8, decision D21: the reduction (discount, points, love value, later refunds) is shared first between
the taking-part lines and the others so that the taking-part share is rounded down (`rebate_base`), then within
each group by largest fractional remainder (`spread`). Integer fen only; no float.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import Code, RuleError

MAX_FEN = 10**12
MAX_LINES = 500


@dataclass(frozen=True, slots=True)
class Line:
    amount_fen: int  # after the line's own discount
    participates: bool = True


def _group_shares(reduction: int, amounts: Sequence[int]) -> list[int]:
    """Largest remainder: floor of each exact share, the fen left one each to the largest dropped fractions.

    Ties go to the larger line, then the earlier one. Every share stays within 0..amount because
    reduction <= sum(amounts): a line that receives a left-over fen had a fraction dropped, so floor < exact <= amount.
    """
    total = sum(amounts)
    if reduction == 0 or total == 0:
        return [0] * len(amounts)
    shares = [reduction * a // total for a in amounts]
    left = reduction - sum(shares)
    order = sorted(range(len(amounts)), key=lambda i: (-(reduction * amounts[i] % total), -amounts[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def rebate_base(paid_fen: int, lines: Sequence[Line]) -> int:
    """The part of `paid_fen` that takes part in the rebate: floor(paid × P / total of the lines) (D21, D22).

    Without lines the whole amount takes part (D24).
    """
    if not lines:
        return paid_fen
    total = sum(line.amount_fen for line in lines)
    if total == 0:
        return 0
    taking = sum(line.amount_fen for line in lines if line.participates)
    return paid_fen * taking // total


def spread(paid_fen: int, lines: Sequence[Line]) -> list[int]:
    """Each line's share of the reduction (sum of the lines − paid), in line order; they add up to it exactly."""
    total = sum(line.amount_fen for line in lines)
    if not 0 <= paid_fen <= total:
        raise ValueError("paid_fen must lie between 0 and the lines' total")
    taking = sum(line.amount_fen for line in lines if line.participates)
    on_taking = taking - rebate_base(paid_fen, lines)
    out = [0] * len(lines)
    for flag, part in ((True, on_taking), (False, (total - paid_fen) - on_taking)):
        index = [i for i, line in enumerate(lines) if line.participates is flag]
        for i, share in zip(index, _group_shares(part, [lines[i].amount_fen for i in index]), strict=True):
            out[i] = share
    return out


def _fen(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEN:
        raise RuleError(Code.INVALID_AMOUNT, f"{what} must be whole fen between 0 and {MAX_FEN}")
    return value


def parse_lines(raw: object) -> list[Line]:
    """Lines as recorded with an order (a JSON list of objects); a line without `participates` takes part."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_LINES:
        raise RuleError(Code.INVALID_AMOUNT, f"lines are a list of at most {MAX_LINES} objects")
    out = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise RuleError(Code.INVALID_AMOUNT, f"line {n} is not an object")
        takes = item.get("participates", True)
        if not isinstance(takes, bool):
            raise RuleError(Code.INVALID_AMOUNT, f"line {n}: participates is true or false")
        out.append(Line(_fen(item.get("amount_fen"), f"line {n} amount_fen"), takes))
    return out


def lines_from_json(text: str | None) -> list[Line]:
    return parse_lines(json.loads(text)) if text else []


def check_lines(lines: Sequence[Line], *, bill_fen: int, paid_fen: int) -> None:
    """Lines must add up to the bill, and the customer cannot have paid more than it (rules.md §8)."""
    if not lines:
        return
    total = sum(line.amount_fen for line in lines)
    if total != bill_fen:
        raise RuleError(Code.INVALID_AMOUNT, f"the lines add up to {total}, the bill is {bill_fen}")
    if paid_fen > total:
        raise RuleError(Code.INVALID_AMOUNT, f"paid {paid_fen} is more than the lines' {total}")
