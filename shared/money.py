"""Money is an int of fen; ratios are int basis points (1% = 100 bp). One rounding operator: `pct` (spec §6)."""

from __future__ import annotations

BP_ONE = 10_000  # 100% in basis points


def pct(amount_fen: int, ratio_bp: int) -> int:
    """floor(amount × ratio / 10000): the only rounding operator of the rules (spec §6)."""
    if amount_fen < 0 or ratio_bp < 0:
        raise ValueError("pct takes non-negative operands")
    return amount_fen * ratio_bp // BP_ONE


def points_for(amount_fen: int, points_per_yuan_x100: int) -> int:
    """Integer points for an amount: floor(fen × points_per_yuan_x100 / 10000) (spec §6, A24)."""
    if amount_fen < 0 or points_per_yuan_x100 < 0:
        raise ValueError("points_for takes non-negative operands")
    return amount_fen * points_per_yuan_x100 // BP_ONE


def format_fen(amount_fen: int) -> str:
    """`fen // 100 "." fen % 100`, two decimals, a leading minus for negatives, no thousands separator."""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def parse_yuan(text: str) -> int:
    """Parse a typed amount such as "12", "12.5" or "12.50" into fen, exactly (no float)."""
    s = text.strip().replace("¥", "").replace("￥", "").replace(",", "")
    if not s:
        raise ValueError("empty amount")
    negative = s.startswith("-")
    if negative:
        s = s[1:]
    whole, dot, frac = s.partition(".")
    if not whole and not frac:  # "-", "." or "-." name no amount
        raise ValueError(f"not an amount in yuan: {text!r}")
    if not whole:
        whole = "0"
    if not whole.isdigit() or (dot and not frac.isdigit() and frac != "") or len(frac) > 2:
        raise ValueError(f"not an amount in yuan with at most two decimals: {text!r}")
    fen = int(whole) * 100 + int((frac + "00")[:2] or "0")
    return -fen if negative else fen


def format_bp(ratio_bp: int) -> str:
    """A ratio in basis points as a percentage, exact: 1250 -> "12.5%"."""
    whole, rest = divmod(ratio_bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"
